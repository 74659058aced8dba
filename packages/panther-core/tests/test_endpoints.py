"""Endpoints: @API and GenericAPI options, the order of the pipeline, auth, permissions, throttling, cache,
output models, pagination, concurrency and unexpected errors."""

import asyncio
import logging
import sys
import threading
import types
from datetime import timedelta

import pytest
from pydantic import BaseModel

from panther import Panther
from panther.app import API, GenericAPI
from panther.exceptions import AuthenticationAPIError, PantherError, ThrottlingAPIError
from panther.plan import Stage, Step
from panther.plugins import hookimpl
from panther.request import Request
from panther.response import Response


def make_app(urls, configs=None, **kwargs):
    return Panther(__name__, configs=configs or {}, urls=urls, **kwargs)


class BookIn(BaseModel):
    title: str
    pages: int = 0


class BookOut(BaseModel):
    title: str


class TestDeclaration:
    async def test_async_and_sync_functions(self, caller):
        @API()
        async def async_view():
            return "async"

        @API()
        def sync_view():
            return threading.current_thread() is threading.main_thread()

        client = caller(make_app({"a": async_view, "s": sync_view}))
        assert (await client.get("/a")).json() == "async"
        # A sync endpoint runs in a worker thread, so it cannot block the event loop.
        assert (await client.get("/s")).json() is False

    async def test_methods_restrict_the_endpoint(self, caller):
        @API(methods=["post", "PUT"])
        async def view(request: Request):
            return request.method

        client = caller(make_app({"x": view}))
        assert (await client.post("/x")).json() == "POST"
        assert (await client.request("PUT", "/x")).json() == "PUT"
        assert (await client.get("/x")).status == 405

    def test_default_methods_are_every_method(self):
        assert API().options.methods == ("GET", "POST", "PUT", "PATCH", "DELETE")

    @pytest.mark.parametrize("methods", [["FETCH"], ["HEAD"], ["OPTIONS"]])
    def test_unknown_methods_are_rejected(self, methods):
        with pytest.raises(PantherError, match="unknown method"):
            API(methods=methods)

    @pytest.mark.parametrize("option", ["input_model", "output_model"])
    def test_models_must_be_pydantic_classes(self, option):
        with pytest.raises(PantherError, match=option):
            API(**{option: dict})

    def test_api_cannot_decorate_a_class(self):
        with pytest.raises(PantherError, match="GenericAPI"):
            API()(BookIn)

    def test_api_without_parentheses_is_a_clear_error(self):
        with pytest.raises(PantherError, match=r"@API\(\)"):

            @API
            async def view():
                return None

    async def test_decorator_stacked_on_top_of_api(self, caller):
        import functools

        def logged(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                return func(*args, **kwargs)

            return wrapper

        @logged
        @API()
        async def view(request: Request):
            return {"method": request.method}

        assert (await caller(make_app({"x": view})).get("/x")).json() == {"method": "GET"}

    async def test_decorated_function_stays_callable(self):
        @API()
        async def view(x):
            return x * 2

        assert await view(x=2) == 4
        assert view.api.methods == ("GET", "POST", "PUT", "PATCH", "DELETE")

    async def test_generic_api_options(self, caller):
        class Books(GenericAPI):
            input_model = BookIn
            output_model = BookOut

            async def post(self, request: Request):
                return Response(request.validated_data, status_code=201)

        client = caller(make_app({"books": Books}))
        result = await client.post("/books", json_body={"title": "Dune", "pages": 10})
        assert result.status == 201
        assert result.json() == {"title": "Dune"}
        assert (await client.post("/books", json_body={})).json() == {"title": "Field required"}

    async def test_generic_api_instance_per_request(self, caller):
        seen = []

        class Counter(GenericAPI):
            async def get(self):
                seen.append(id(self))
                self.value = len(seen)
                await asyncio.sleep(0)
                return self.value

        client = caller(make_app({"c": Counter}))
        results = await asyncio.gather(client.get("/c"), client.get("/c"))
        assert sorted(r.json() for r in results) == [1, 2]
        assert len(set(seen)) == 2


class TestArguments:
    async def test_every_signature_shape_gets_its_arguments(self, caller):
        @API()
        async def request_first(request, extra="default"):
            return [request.path, extra]

        @API()
        async def variable_first(id: int, extra="default"):
            return [id, extra]

        @API()
        async def raw_variable(name):
            return name

        @API()
        async def variable_then_request(id: int, request: Request):
            return [id, request.path]

        @API()
        async def keyword_only(*, request: Request, id: int):
            return [id, request.path]

        @API()
        async def catch_all(**kwargs):
            return sorted(kwargs)

        urls = {
            "a": request_first,
            "b/<id>": variable_first,
            "c/<name>": raw_variable,
            "d/<id>": variable_then_request,
            "e/<id>": keyword_only,
            "f/<x>/<y>": catch_all,
        }
        client = caller(make_app(urls))
        assert (await client.get("/a")).json() == ["/a", "default"]
        assert (await client.get("/b/7")).json() == [7, "default"]
        assert (await client.get("/c/ada")).json() == "ada"
        assert (await client.get("/d/7")).json() == [7, "/d/7"]
        assert (await client.get("/e/7")).json() == [7, "/e/7"]
        assert (await client.get("/f/1/2")).json() == ["x", "y"]
        assert (await client.get("/b/seven")).status == 400


class Recorder:
    """Records which pipeline steps ran, in order."""

    def __init__(self):
        self.steps = []

    def auth(self):
        async def auth(request):
            self.steps.append("auth")
            return "user"

        return auth

    def permission(self, answer=True, name="permission"):
        async def permission(request):
            self.steps.append(name)
            return answer

        return permission


class ThrottleAndCachePlugin:
    """A throw-away plugin standing in for panther-cache: declares `throttling` and `cache`, contributes steps."""

    def __init__(self, recorder, limit=100):
        self.recorder = recorder
        self.limit = limit
        self.store = {}

    @hookimpl
    def panther_endpoint_options(self):
        return {"throttling": None, "cache": None}

    @hookimpl
    def panther_endpoint_steps(self, endpoint):
        steps = []
        if endpoint.option("throttling") is not None:
            steps.append(Step(Stage.THROTTLE, self.throttle))
        if endpoint.option("cache") is not None:
            steps.append(Step(Stage.CACHE, self.cache, methods=frozenset({"GET"})))
        return steps

    def throttle(self, inner):
        async def throttled(request):
            self.recorder.steps.append("throttle")
            self.limit -= 1
            if self.limit < 0:
                raise ThrottlingAPIError(headers={"Retry-After": "1"})
            return await inner(request)

        return throttled

    def cache(self, inner):
        async def cached(request):
            self.recorder.steps.append("cache.get")
            if request.path in self.store:
                return self.store[request.path]
            response = await inner(request)
            self.recorder.steps.append("cache.set")
            self.store[request.path] = response
            return response

        return cached


class TestPipelineOrder:
    async def test_full_order(self, caller):
        recorder = Recorder()

        class Out(BaseModel):
            title: str

            async def to_response(self, instance, data):
                recorder.steps.append("output_model")
                return {**data, "decorated": True}

        class Pages:
            async def template(self, data):
                recorder.steps.append("pagination")
                return {"results": data}

        @API(
            input_model=BookIn,
            output_model=Out,
            auth=recorder.auth(),
            permissions=[recorder.permission(name="perm1"), recorder.permission(name="perm2")],
            throttling=object(),
        )
        async def view(request: Request):
            recorder.steps.append(("call", request.user, request.validated_data.title))
            return Response([{"title": "a", "secret": 1}], pagination=Pages())

        app = make_app({"x": view}, plugins=[ThrottleAndCachePlugin(recorder)])
        result = await caller(app).post("/x", json_body={"title": "t"})
        assert result.status == 200
        assert result.json() == {"results": [{"title": "a", "decorated": True}]}
        assert recorder.steps == [
            "auth",
            "perm1",
            "perm2",
            "throttle",
            ("call", "user", "t"),
            "output_model",
            "pagination",
        ]

    async def test_method_is_checked_before_auth(self, caller):
        recorder = Recorder()

        @API(methods=["GET"], auth=recorder.auth())
        async def view():
            return None

        assert (await caller(make_app({"x": view})).post("/x")).status == 405
        assert recorder.steps == []

    async def test_auth_failure_stops_the_pipeline(self, caller):
        recorder = Recorder()

        async def deny(request):
            recorder.steps.append("auth")
            raise AuthenticationAPIError

        @API(auth=deny, permissions=recorder.permission(), input_model=BookIn)
        async def view():
            recorder.steps.append("call")

        result = await caller(make_app({"x": view})).post("/x", json_body={})
        assert result.status == 401
        assert result.json() == {"detail": "Authentication Error"}
        assert recorder.steps == ["auth"]

    async def test_invalid_input_is_checked_after_permissions_and_throttling(self, caller):
        recorder = Recorder()

        @API(input_model=BookIn, permissions=recorder.permission(), throttling=object())
        async def view():
            recorder.steps.append("call")

        app = make_app({"x": view}, plugins=[ThrottleAndCachePlugin(recorder)])
        result = await caller(app).post("/x", json_body={"pages": 1})
        assert result.status == 400
        assert result.json() == {"title": "Field required"}
        assert recorder.steps == ["permission", "throttle"]

    async def test_throttled_request_is_429_with_the_plugin_headers(self, caller):
        recorder = Recorder()

        @API(throttling=object())
        async def view():
            return "ok"

        client = caller(make_app({"x": view}, plugins=[ThrottleAndCachePlugin(recorder, limit=1)]))
        assert (await client.get("/x")).status == 200
        result = await client.get("/x")
        assert result.status == 429
        assert result.json() == {"detail": "Too Many Request"}
        assert result.header("retry-after") == "1"

    async def test_cache_is_read_after_validation_and_written_after_the_call(self, caller):
        recorder = Recorder()
        calls = []

        @API(cache=timedelta(seconds=10), permissions=recorder.permission())
        async def view():
            calls.append(1)
            return {"n": len(calls)}

        client = caller(make_app({"x": view}, plugins=[ThrottleAndCachePlugin(recorder)]))
        assert (await client.get("/x")).json() == {"n": 1}
        assert (await client.get("/x")).json() == {"n": 1}
        assert calls == [1]
        assert recorder.steps == ["permission", "cache.get", "cache.set", "permission", "cache.get"]
        # Only GET is cached.
        assert (await client.post("/x")).json() == {"n": 2}

    def test_throttling_without_a_plugin_is_a_startup_error(self):
        @API(throttling=object())
        async def view():
            return None

        with pytest.raises(PantherError, match=r"`panther-cache`"):
            make_app({"x": view})

    def test_cache_without_a_plugin_is_a_startup_error(self):
        @API(cache=timedelta(minutes=1))
        async def view():
            return None

        with pytest.raises(PantherError, match=r"`panther-cache`"):
            make_app({"x": view})

    def test_generic_api_throttling_without_a_plugin_is_a_startup_error(self):
        class View(GenericAPI):
            throttling = object()

            async def get(self):
                return None

        with pytest.raises(PantherError, match=r"`panther-cache`"):
            make_app({"x": View})

    @pytest.mark.parametrize(("reads_body", "status"), [(True, 413), (False, 200)])
    async def test_a_step_that_does_not_read_the_body_leaves_it_unread(self, caller, reads_body, status):
        """A body over MAX_REQUEST_BODY_SIZE is refused only when something reads it."""

        class Counting:
            @hookimpl
            def panther_endpoint_options(self):
                return {"counted": None}

            @hookimpl
            def panther_endpoint_steps(self, endpoint):
                def wrap(inner):
                    return inner

                return Step(Stage.THROTTLE, wrap, reads_body=reads_body)

        @API(counted=True)
        async def view():
            return "ok"

        @API(counted=True)
        async def takes_request(request: Request):
            return "ok"

        app = make_app({"x": view, "y": takes_request}, {"MAX_REQUEST_BODY_SIZE": 10}, plugins=[Counting()])
        assert (await caller(app).post("/x", body=b"x" * 100)).status == status
        assert (await caller(app).post("/y", body=b"x" * 100)).status == 413  # the endpoint reads it itself


class TestPermissions:
    @pytest.mark.parametrize("answer", [None, False, 1, "yes", [True]])
    async def test_anything_but_true_denies(self, caller, answer):
        recorder = Recorder()

        @API(permissions=[recorder.permission(answer)])
        async def view():
            return "secret"

        result = await caller(make_app({"x": view})).get("/x")
        assert result.status == 403
        assert result.json() == {"detail": "Permission Denied"}

    async def test_first_denial_stops(self, caller):
        recorder = Recorder()

        @API(permissions=[recorder.permission(False, "a"), recorder.permission(True, "b")])
        async def view():
            return "secret"

        assert (await caller(make_app({"x": view})).get("/x")).status == 403
        assert recorder.steps == ["a"]

    async def test_permission_classes_and_instances(self, caller):
        class IsAda:
            async def __call__(self, request):
                return request.user == "ada"

        async def auth(request):
            return request.headers.get("x-user")

        @API(auth=auth, permissions=[IsAda, IsAda()])
        async def view(request: Request):
            return request.user

        client = caller(make_app({"x": view}))
        assert (await client.get("/x", headers={"x-user": "ada"})).json() == "ada"
        assert (await client.get("/x", headers={"x-user": "bob"})).status == 403

    def test_sync_permission_is_rejected(self):
        def permission(request):
            return True

        with pytest.raises(PantherError, match="permission"):
            API(permissions=[permission])

    def test_permission_with_wrong_arity_is_rejected(self):
        async def permission(request, extra):
            return True

        with pytest.raises(PantherError, match="exactly one argument"):
            API(permissions=permission)


class TestAuth:
    def test_sync_function_is_rejected(self):
        def auth(request):
            return None

        with pytest.raises(PantherError, match="async"):
            API(auth=auth)

    @pytest.mark.parametrize("signature", ["", "request, extra"])
    def test_wrong_arity_is_rejected(self, signature):
        namespace = {}
        exec(f"async def auth({signature}): return None", namespace)
        with pytest.raises(PantherError, match="exactly one argument"):
            API(auth=namespace["auth"])

    def test_class_with_sync_call_is_rejected(self):
        class Auth:
            def __call__(self, request):
                return None

        with pytest.raises(PantherError):
            API(auth=Auth)

    def test_generic_api_auth_is_validated_when_the_class_is_declared(self):
        def sync_auth(request):
            return None

        with pytest.raises(PantherError, match="View"):
            type("View", (GenericAPI,), {"auth": sync_auth})

    async def test_auth_class_is_instantiated_per_request(self, caller):
        instances = []

        class Auth:
            def __init__(self):
                instances.append(self)

            async def __call__(self, request):
                self.request = request
                await asyncio.sleep(0.01)
                return self.request.headers.get("x-user")

        @API(auth=Auth)
        async def view(request: Request):
            return request.user

        client = caller(make_app({"x": view}))
        results = await asyncio.gather(*(client.get("/x", headers={"x-user": f"u{i}"}) for i in range(5)))
        assert [r.json() for r in results] == [f"u{i}" for i in range(5)]
        assert len(instances) == 5

    async def test_default_authentication_from_config_object(self, caller):
        async def auth(request):
            return "from-config"

        @API()
        async def uses_default(request: Request):
            return {"user": request.user}

        @API(auth=False)
        async def opted_out(request: Request):
            return {"user": request.user}

        client = caller(make_app({"d": uses_default, "o": opted_out}, {"AUTHENTICATION": auth}))
        assert (await client.get("/d")).json() == {"user": "from-config"}
        assert (await client.get("/o")).json() == {"user": None}

    async def test_default_authentication_from_a_dotted_path(self, caller, monkeypatch):
        module = types.ModuleType("fake_auth_module")

        class TokenAuth:
            async def __call__(self, request):
                return {"token": request.headers.get("authorization")}

        module.TokenAuth = TokenAuth
        monkeypatch.setitem(sys.modules, "fake_auth_module", module)

        class View(GenericAPI):
            async def get(self, request: Request):
                return request.user

        client = caller(make_app({"v": View}, {"AUTHENTICATION": "fake_auth_module.TokenAuth"}))
        assert (await client.get("/v", headers={"authorization": "Bearer x"})).json() == {"token": "Bearer x"}

    def test_bad_dotted_authentication_is_a_startup_error(self):
        with pytest.raises(PantherError, match="AUTHENTICATION"):
            make_app({}, {"AUTHENTICATION": "nowhere.Auth"})

    def test_sync_authentication_config_is_a_startup_error(self):
        def auth(request):
            return None

        with pytest.raises(PantherError, match="AUTHENTICATION"):
            make_app({}, {"AUTHENTICATION": auth})

    async def test_no_auth_means_anonymous(self, caller):
        @API()
        async def view(request: Request):
            return {"user": request.user}

        assert (await caller(make_app({"x": view})).get("/x")).json() == {"user": None}

    def test_auth_true_without_config_is_a_startup_error(self):
        @API(auth=True)
        async def view():
            return None

        with pytest.raises(PantherError, match="AUTHENTICATION"):
            make_app({"x": view})


class TestConcurrency:
    async def test_concurrent_requests_keep_their_own_request_and_user(self, caller):
        # Upstream stored the request on the shared decorator, so request B could see request A's user.
        async def auth(request):
            user = request.headers.get("x-user")
            await asyncio.sleep(0.02 if user == "alice" else 0.001)
            return user

        async def permission(request):
            await asyncio.sleep(0.001)
            return True

        @API(auth=auth, permissions=permission, input_model=BookIn)
        async def whoami(request: Request):
            await asyncio.sleep(0.005)
            return {
                "user": request.user,
                "header": request.headers.get("x-user"),
                "title": request.validated_data.title,
            }

        client = caller(make_app({"me": whoami}))
        alice, bob = await asyncio.gather(
            client.post(
                "/me", json_body={"title": "alice"}, headers={"x-user": "alice", "content-type": "application/json"}
            ),
            client.post(
                "/me", json_body={"title": "bob"}, headers={"x-user": "bob", "content-type": "application/json"}
            ),
        )
        assert alice.json() == {"user": "alice", "header": "alice", "title": "alice"}
        assert bob.json() == {"user": "bob", "header": "bob", "title": "bob"}

    async def test_many_concurrent_requests(self, caller):
        async def user_from_query(request):
            await asyncio.sleep(0)
            return request.query_params["u"]

        class View(GenericAPI):
            auth = user_from_query

            async def get(self, request: Request):
                await asyncio.sleep(0)
                return [request.user, request.query_params["u"]]

        client = caller(make_app({"v": View}))
        results = await asyncio.gather(*(client.get("/v", query_string=f"u={i}".encode()) for i in range(50)))
        assert [r.json() for r in results] == [[str(i), str(i)] for i in range(50)]


class TestOutputModel:
    async def test_filters_dicts_models_and_lists(self, caller):
        class Full(BaseModel):
            title: str
            secret: str

        @API(output_model=BookOut)
        async def one():
            return {"title": "a", "secret": "s"}

        @API(output_model=BookOut)
        async def model():
            return Full(title="b", secret="s")

        @API(output_model=BookOut)
        async def many():
            return Response([{"title": "c", "secret": 1}, Full(title="d", secret="s")], status_code=206)

        @API(output_model=BookOut)
        async def empty():
            return []

        client = caller(make_app({"one": one, "model": model, "many": many, "empty": empty}))
        assert (await client.get("/one")).json() == {"title": "a"}
        assert (await client.get("/model")).json() == {"title": "b"}
        result = await client.get("/many")
        assert result.status == 206
        assert result.json() == [{"title": "c"}, {"title": "d"}]
        assert (await client.get("/empty")).json() == []

    async def test_to_response_receives_python_values(self, caller):
        from datetime import date

        class Out(BaseModel):
            day: date

            async def to_response(self, instance, data):
                return {"year": data["day"].year, "instance_is_source": instance == {"day": "2024-01-02"}}

        @API(output_model=Out)
        async def view():
            return {"day": "2024-01-02"}

        assert (await caller(make_app({"x": view})).get("/x")).json() == {"year": 2024, "instance_is_source": True}

    async def test_mismatching_data_is_a_500(self, caller):
        @API(output_model=BookOut)
        async def view():
            return "just text"

        assert (await caller(make_app({"x": view})).get("/x")).status == 500


class TestUnexpectedErrors:
    async def test_exception_is_a_500_logged_once(self, caller, caplog):
        @API()
        async def broken():
            raise ZeroDivisionError("boom")

        with caplog.at_level(logging.DEBUG):
            result = await caller(make_app({"x": broken})).get("/x")
        assert result.status == 500
        assert result.json() == {"detail": "Internal Server Error"}
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert errors[0].exc_info[0] is ZeroDivisionError
        assert "boom" not in result.body.decode()

    async def test_sync_exception_is_a_500(self, caller, caplog):
        @API()
        def broken():
            raise KeyError("x")

        result = await caller(make_app({"x": broken})).get("/x")
        assert result.status == 500
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1

    async def test_validation_error_inside_a_handler_is_a_500(self, caller):
        @API()
        async def broken():
            BookIn.model_validate({})

        assert (await caller(make_app({"x": broken})).get("/x")).status == 500

    async def test_api_error_is_not_logged(self, caller, caplog):
        from panther.exceptions import APIError

        @API()
        async def teapot():
            raise APIError(detail={"why": "tea"}, status_code=418, headers={"X-Tea": "1"})

        with caplog.at_level(logging.DEBUG):
            result = await caller(make_app({"x": teapot})).get("/x")
        assert result.status == 418
        assert result.json() == {"why": "tea"}
        assert result.header("x-tea") == "1"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
