"""HTTP middlewares: global (MIDDLEWARES) and per endpoint, their order, built once, and MonitoringMiddleware."""

import logging
import sys
import types

import pytest

from panther import Panther
from panther.app import API, GenericAPI
from panther.exceptions import PantherError
from panther.middlewares import HTTPMiddleware, MonitoringMiddleware, WebsocketMiddleware
from panther.request import Request
from panther.response import Response

TRACE: list[str] = []


def tracing(name):
    """A middleware class that records when the request enters and the response leaves it."""

    class Tracing(HTTPMiddleware):
        instances = 0

        def __init__(self, dispatch, app=None):
            super().__init__(dispatch, app)
            type(self).instances += 1

        async def __call__(self, request):
            TRACE.append(f"{name}:in")
            response = await self.dispatch(request=request)
            TRACE.append(f"{name}:out")
            response.headers[f"x-{name}"] = "1"
            return response

    Tracing.__name__ = Tracing.__qualname__ = f"Tracing_{name}"
    return Tracing


@pytest.fixture(autouse=True)
def _clear_trace():
    TRACE.clear()
    yield
    TRACE.clear()


@API()
async def endpoint(request: Request):
    TRACE.append("endpoint")
    return {"ok": True}


def make_app(middlewares, urls=None, **configs):
    return Panther(__name__, configs={"MIDDLEWARES": middlewares, **configs}, urls=urls or {"x": endpoint})


class TestGlobalMiddlewares:
    async def test_first_declared_is_outermost(self, caller):
        first, second, third = tracing("first"), tracing("second"), tracing("third")
        result = await caller(make_app([first, second, third])).get("/x")
        assert result.status == 200
        assert TRACE == ["first:in", "second:in", "third:in", "endpoint", "third:out", "second:out", "first:out"]
        assert result.header("x-first") == result.header("x-third") == "1"

    async def test_dotted_paths(self, caller, monkeypatch):
        module = types.ModuleType("fake_middlewares")
        module.Outer = tracing("outer")
        module.Inner = tracing("inner")
        monkeypatch.setitem(sys.modules, "fake_middlewares", module)
        await caller(make_app(["fake_middlewares.Outer", module.Inner])).get("/x")
        assert TRACE == ["outer:in", "inner:in", "endpoint", "inner:out", "outer:out"]

    async def test_chain_is_built_once(self, caller):
        middleware = tracing("once")
        client = caller(make_app([middleware]))
        for _ in range(5):
            await client.get("/x")
        assert middleware.instances == 1

    async def test_middlewares_see_404_405_and_500(self, caller):
        @API(methods=["GET"])
        async def broken():
            raise RuntimeError("boom")

        client = caller(make_app([tracing("m")], urls={"x": endpoint, "broken": broken}))
        for path, method, status in (("/nowhere", "GET", 404), ("/broken", "POST", 405), ("/broken", "GET", 500)):
            TRACE.clear()
            result = await client.request(method, path)
            assert result.status == status
            assert TRACE == ["m:in", "m:out"]
            assert result.header("x-m") == "1"

    async def test_middleware_can_answer_early(self, caller):
        class Block(HTTPMiddleware):
            async def __call__(self, request):
                if request.headers.get("x-block"):
                    return Response({"blocked": True}, status_code=403)
                return await self.dispatch(request=request)

        client = caller(make_app([Block]))
        blocked = await client.get("/x", headers={"x-block": "1"})
        assert blocked.status == 403
        assert blocked.json() == {"blocked": True}
        assert TRACE == []
        assert (await client.get("/x")).status == 200

    async def test_middleware_can_read_the_body_before_the_endpoint(self, caller):
        class ReadBody(HTTPMiddleware):
            async def __call__(self, request):
                body = await request.read_body()
                response = await self.dispatch(request=request)
                response.headers["x-body-length"] = str(len(body))
                return response

        @API()
        async def echo(request: Request):
            return request.data

        client = caller(make_app([ReadBody], urls={"x": echo}))
        result = await client.post("/x", json_body={"a": 1})
        assert result.json() == {"a": 1}
        assert result.header("x-body-length") == str(len(b'{"a": 1}'))

    async def test_middleware_can_attach_state_to_the_request(self, caller):
        class RequestId(HTTPMiddleware):
            async def __call__(self, request):
                request.request_id = "abc"
                return await self.dispatch(request=request)

        @API()
        async def view(request: Request):
            return request.request_id

        assert (await caller(make_app([RequestId], urls={"x": view})).get("/x")).json() == "abc"

    async def test_exception_raised_in_a_middleware_is_a_logged_500(self, caller, caplog):
        class Broken(HTTPMiddleware):
            async def __call__(self, request):
                raise ValueError("middleware bug")

        result = await caller(make_app([Broken])).get("/x")
        assert result.status == 500
        assert result.json() == {"detail": "Internal Server Error"}
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1

    async def test_middleware_returning_none_is_a_500(self, caller, caplog):
        class Forgetful(HTTPMiddleware):
            async def __call__(self, request):
                await self.dispatch(request=request)

        result = await caller(make_app([Forgetful])).get("/x")
        assert result.status == 500
        assert result.json() == {"detail": "Internal Server Error"}
        assert "returned None instead of a response" in caplog.text

    async def test_middleware_without_app_argument(self, caller):
        class Legacy(HTTPMiddleware):
            def __init__(self, dispatch):
                super().__init__(dispatch)

            async def __call__(self, request):
                response = await self.dispatch(request=request)
                response.headers["x-legacy"] = "1"
                return response

        assert (await caller(make_app([Legacy])).get("/x")).header("x-legacy") == "1"

    async def test_middleware_receives_the_app(self, caller):
        seen = []

        class Spy(HTTPMiddleware):
            async def __call__(self, request):
                seen.append(self.app)
                return await self.dispatch(request=request)

        app = make_app([Spy])
        await caller(app).get("/x")
        assert seen == [app]

    @pytest.mark.parametrize("bad", [object, WebsocketMiddleware, "fake_nowhere.Middleware", 42])
    def test_invalid_middleware_is_a_startup_error(self, bad):
        with pytest.raises(PantherError, match="MIDDLEWARES"):
            make_app([bad])

    def test_legacy_tuple_form_warns_and_works(self):
        middleware = tracing("legacy")
        with pytest.warns(UserWarning, match="deprecated"):
            app = make_app([(middleware, {"some": "data"})])
        assert middleware in app.http_middlewares


class TestEndpointMiddlewares:
    async def test_function_api_middlewares_wrap_inside_the_global_ones(self, caller):
        inner_a, inner_b = tracing("a"), tracing("b")

        @API(middlewares=[inner_a, inner_b])
        async def view():
            TRACE.append("endpoint")
            return "ok"

        client = caller(make_app([tracing("global")], urls={"x": view, "plain": endpoint}))
        await client.get("/x")
        assert TRACE == ["global:in", "a:in", "b:in", "endpoint", "b:out", "a:out", "global:out"]
        TRACE.clear()
        await client.get("/plain")
        assert TRACE == ["global:in", "endpoint", "global:out"]

    async def test_generic_api_middlewares(self, caller):
        inner = tracing("inner")

        class View(GenericAPI):
            middlewares = [inner]

            async def get(self):
                TRACE.append("endpoint")
                return "ok"

        await caller(make_app([], urls={"x": View})).get("/x")
        assert TRACE == ["inner:in", "endpoint", "inner:out"]

    async def test_endpoint_chain_is_built_once(self, caller):
        inner = tracing("inner")

        @API(middlewares=[inner])
        async def view():
            return "ok"

        client = caller(make_app([], urls={"x": view}))
        built = inner.instances
        assert built >= 1
        for method in ("GET", "POST", "GET", "PUT", "OPTIONS"):
            await client.request(method, "/x")
        assert inner.instances == built  # nothing is instantiated per request

    async def test_endpoint_middlewares_run_after_method_check(self, caller):
        inner = tracing("inner")

        @API(methods=["GET"], middlewares=[inner])
        async def view():
            return "ok"

        assert (await caller(make_app([], urls={"x": view})).post("/x")).status == 405
        assert TRACE == []

    async def test_options_passes_through_endpoint_middlewares(self, caller):
        inner = tracing("inner")

        @API(methods=["GET", "POST"], middlewares=[inner])
        async def view():
            return "ok"

        result = await caller(make_app([], urls={"x": view})).request("OPTIONS", "/x")
        assert result.status == 204
        assert set(result.header("allow").split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
        assert result.header("x-inner") == "1"
        assert TRACE == ["inner:in", "inner:out"]

    async def test_endpoint_cors_middleware_answers_preflight(self, caller):
        from panther.middlewares import CORSMiddleware

        class View(GenericAPI):
            middlewares = [CORSMiddleware]

            async def get(self):
                return "ok"

        app = make_app([], urls={"x": View, "plain": endpoint}, ALLOW_ORIGINS=["https://a.example"])
        client = caller(app)
        preflight = await client.request(
            "OPTIONS", "/x", headers={"origin": "https://a.example", "access-control-request-method": "GET"}
        )
        assert preflight.status == 204
        assert preflight.header("access-control-allow-origin") == "https://a.example"
        assert "GET" in preflight.header("access-control-allow-methods")
        get = await client.get("/x", headers={"origin": "https://a.example"})
        assert get.header("access-control-allow-origin") == "https://a.example"
        # Endpoints without it are untouched.
        plain = await client.request("OPTIONS", "/plain", headers={"origin": "https://a.example"})
        assert plain.header("access-control-allow-origin") is None
        assert plain.header("allow") is not None

    def test_invalid_endpoint_middleware_is_a_startup_error(self):
        @API(middlewares=[object])
        async def view():
            return "ok"

        with pytest.raises(PantherError, match="'x/'"):
            make_app([], urls={"x": view})


class TestMonitoring:
    async def test_logs_one_line_per_request(self, caller, caplog):
        client = caller(make_app([MonitoringMiddleware]))
        with caplog.at_level(logging.INFO, logger="monitoring"):
            await client.get("/x")
            await client.request("DELETE", "/nowhere/")
        lines = [r.getMessage() for r in caplog.records if r.name == "monitoring"]
        assert len(lines) == 2
        method, path, client_address, duration, status = lines[0].split(" | ")
        assert (method, path, client_address, status) == ("GET", "/x", "127.0.0.1:50000", "200")
        assert float(duration) >= 0
        assert lines[1].split(" | ")[::4] == ["DELETE", "404"]

    async def test_logs_500_when_the_endpoint_raised(self, caller, caplog):
        @API()
        async def broken():
            raise RuntimeError("boom")

        client = caller(make_app([MonitoringMiddleware], urls={"x": broken}))
        with caplog.at_level(logging.INFO, logger="monitoring"):
            result = await client.get("/x")
        assert result.status == 500
        lines = [r.getMessage() for r in caplog.records if r.name == "monitoring"]
        assert len(lines) == 1
        assert lines[0].startswith("GET | /x | 127.0.0.1:50000 | ")
        assert lines[0].endswith(" | 500")

    async def test_logs_500_when_an_inner_middleware_raised(self, caller, caplog):
        class Broken(HTTPMiddleware):
            async def __call__(self, request):
                raise RuntimeError("boom")

        client = caller(make_app([MonitoringMiddleware, Broken]))
        with caplog.at_level(logging.INFO, logger="monitoring"):
            await client.get("/x")
        lines = [r.getMessage() for r in caplog.records if r.name == "monitoring"]
        assert len(lines) == 1
        assert lines[0].endswith(" | 500")

    async def test_unknown_client_address(self, caller, caplog):
        app = make_app([MonitoringMiddleware])
        sent = []

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        with caplog.at_level(logging.INFO, logger="monitoring"):
            await app({"type": "http", "method": "GET", "path": "/x", "headers": []}, receive, send)
        assert sent[0]["status"] == 200
        lines = [r.getMessage() for r in caplog.records if r.name == "monitoring"]
        assert lines[0].split(" | ")[2] == "-"

    async def test_client_that_left_is_logged_as_499_not_as_an_error(self, caller, caplog):
        @API()
        async def view(request: Request):
            return request.data

        client = caller(make_app([MonitoringMiddleware], urls={"x": view}))
        with caplog.at_level(logging.DEBUG):
            result = await client.request("POST", "/x", body=[b"{", b"}"], disconnect=True)
        assert result.messages == []
        lines = [r.getMessage() for r in caplog.records if r.name == "monitoring"]
        assert len(lines) == 1
        assert lines[0].endswith(" | 499")
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


class TestBodyInMiddlewares:
    """Upstream read the body before the middlewares; middlewares written for it read ``request.data``."""

    async def test_a_middleware_can_read_the_parsed_body(self, caller):
        seen = []

        class Audit(HTTPMiddleware):
            async def __call__(self, request):
                seen.append(request.data)
                return await self.dispatch(request=request)

        @API(methods=["POST"])
        async def view(request: Request):
            return {"echo": request.data}

        client = caller(make_app([Audit], urls={"x": view}))
        result = await client.post("/x", json_body={"a": 1})
        assert result.json() == {"echo": {"a": 1}} and seen == [{"a": 1}]

    async def test_a_bad_body_is_answered_after_the_middlewares_ran(self, caller):
        class Stamp(HTTPMiddleware):
            async def __call__(self, request):
                assert request.body == b""  # the too-large body was not kept
                response = await self.dispatch(request=request)
                response.headers["X-Stamp"] = "1"
                return response

        @API(methods=["POST"])
        async def view():
            return {}

        client = caller(make_app([Stamp], urls={"x": view}, MAX_REQUEST_BODY_SIZE=2))
        result = await client.request("POST", "/x", body=b"too large")
        assert result.status == 413 and result.header("x-stamp") == "1"


async def test_uploaded_files_are_closed_after_the_response(caller):
    kept = []

    @API(methods=["POST"])
    async def upload(request: Request):
        kept.append(request.data["f"])
        return {"size": request.data["f"].size}

    body = b'--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nhello\r\n--b--\r\n'
    app = Panther(__name__, configs={}, urls={"up": upload})
    result = await caller(app).request(
        "POST", "/up", body=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert result.json() == {"size": 5}
    assert kept[0].closed
