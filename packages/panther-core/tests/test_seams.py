"""The core's seams, each used by a throw-away plugin through documented hooks only: a route for another scope type
with cast path variables, an endpoint option that wraps the handlers using it, authentication that knows its scope
type, the compiled route table after the app is built, and per-app plugin state."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from panther import Panther, hookspecs
from panther.app import API, GenericAPI
from panther.building import resolve_authentication
from panther.exceptions import PantherError
from panther.parameters import bind_parameters
from panther.plan import EndpointPlan, Handler, Stage, Step
from panther.plugins import hookimpl
from panther.request import Request
from panther.response import Response
from panther.routings import Route
from panther.stash import Stash, StashKey


@API()
async def hello() -> dict[str, str]:
    return {"hello": "world"}


# --- A route for another scope type, with the same path-variable casting as HTTP ------------------------------


class Channel:
    """A WebSocket-style endpoint only the plugin below knows."""

    def __init__(self) -> None:
        self.received: dict[str, Any] = {}

    async def connect(self, room: str, seat: int) -> None:
        self.received = {"room": room, "seat": seat}


class ChannelPlugin:
    def __init__(self) -> None:
        self.connected: list[dict[str, Any]] = []

    @hookimpl
    def panther_build_route(self, app: Panther, path: str, endpoint: Any, variables: tuple[str, ...]) -> Any:
        if not (isinstance(endpoint, type) and issubclass(endpoint, Channel)):
            return None
        binding = bind_parameters(endpoint.connect, variables, path, skip_first=True)
        plugin = self

        async def serve(scope: dict[str, Any], receive: Any, send: Any, variables: dict[str, str]) -> None:
            channel = endpoint()
            try:
                await channel.connect(**binding.arguments(variables))
            except Exception as exc:
                await send({"type": "websocket.close", "code": 1008, "reason": str(exc)})
                return
            plugin.connected.append(channel.received)
            await send({"type": "websocket.accept"})

        return Route(path, endpoint, {"websocket": serve}, scope_type="websocket")

    @hookimpl
    def panther_scope_handlers(self, app: Panther) -> dict[str, Callable[..., Any]]:
        async def handler(scope: dict[str, Any], receive: Any, send: Any) -> None:
            found = app.router.match(scope["path"])
            if found is None or "websocket" not in found[0].handlers:
                await send({"type": "websocket.close", "code": 1000})
                return
            route, variables = found
            await route.handlers["websocket"](scope, receive, send, variables)

        return {"websocket": handler}


async def _connect(app: Panther, path: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "websocket", "path": path, "headers": []}, receive, send)
    return sent


async def test_a_plugin_routes_another_scope_type_with_cast_path_variables(caller: Any) -> None:
    plugin = ChannelPlugin()
    app = Panther(__name__, configs={}, urls={"rooms/<room>/<seat>": Channel, "hello": hello}, plugins=[plugin])

    assert await _connect(app, "/rooms/blue/7/") == [{"type": "websocket.accept"}]
    assert plugin.connected == [{"room": "blue", "seat": 7}]  # cast by annotation, as for HTTP

    refused = await _connect(app, "/rooms/blue/seven/")
    assert refused[0]["code"] == 1008 and refused[0]["reason"] == "Path variable `seven` is not `int`"
    # The same router answers HTTP: a WebSocket route says so with 426, other routes work as before.
    assert (await caller(app).get("/rooms/blue/7")).status == 426
    assert (await caller(app).get("/hello")).json() == {"hello": "world"}


def test_binding_rejects_a_handler_that_cannot_take_the_path_variables() -> None:
    class Bad(Channel):
        async def connect(self, room: str) -> None:  # type: ignore[override]
            ...

    with pytest.raises(PantherError, match="does not take the path variable `seat`"):
        Panther(__name__, configs={}, urls={"rooms/<room>/<seat>": Bad}, plugins=[ChannelPlugin()])


def test_a_route_builder_must_return_a_route() -> None:
    class Broken:
        @hookimpl
        def panther_build_route(self, endpoint: Any) -> Any:
            return "not a route" if endpoint is Channel else None

    with pytest.raises(PantherError, match="return a Route"):
        Panther(__name__, configs={}, urls={"c": Channel}, plugins=[Broken()])


# --- An endpoint option of a plugin's own, wrapping the handlers that use it ----------------------------------


class Audit:
    """Declares `audit=` and stamps an `X-Audit` header on the responses of endpoints that set it."""

    def __init__(self) -> None:
        self.checked: list[tuple[Any, str]] = []
        self.steps_for: list[tuple[str, tuple[str, ...]]] = []
        self.wrapped: list[str] = []

    @hookimpl
    def panther_endpoint_options(self) -> dict[str, Any]:
        def check(value: Any, where: str) -> str:
            self.checked.append((value, where))
            if not isinstance(value, str):
                raise PantherError(f"'{where}': `audit` must be a label, got {value!r}.")
            return value.upper()

        return {"audit": check}

    @hookimpl
    def panther_endpoint_steps(self, endpoint: EndpointPlan) -> Step | None:
        label = endpoint.option("audit")
        if label is None:
            return None
        self.steps_for.append((endpoint.path, endpoint.methods))

        def wrap(inner: Handler) -> Handler:
            self.wrapped.append(endpoint.path)

            async def audited(request: Request) -> Response:
                response: Response = await inner(request)
                response.headers["X-Audit"] = f"{label} {request.method} {request.user}"
                return response

            return audited

        return Step(Stage.THROTTLE, wrap)


async def test_a_plugin_option_wraps_only_the_endpoints_that_use_it(caller: Any) -> None:
    async def who(request: Any) -> str:
        return "ada"

    @API(methods=["GET", "POST"], audit="books", auth=who)
    async def books() -> list[str]:
        return ["b"]

    class Shelf(GenericAPI):
        audit = "shelf"

        async def get(self) -> dict[str, int]:
            return {"shelves": 1}

    plugin = Audit()
    app = Panther(__name__, configs={}, urls={"books": books, "shelf": Shelf, "hello": hello}, plugins=[plugin])
    client = caller(app)

    got = await client.get("/books")
    assert (got.status, got.json(), got.header("x-audit")) == (200, ["b"], "BOOKS GET ada")  # after authentication
    assert (await client.post("/books")).header("x-audit") == "BOOKS POST ada"
    assert (await client.get("/shelf")).header("x-audit") == "SHELF GET None"  # a GenericAPI class attribute
    assert (await client.get("/hello")).header("x-audit") is None  # an endpoint without the option: no step

    # Checked and contributed once per endpoint (with its route and methods), wrapped once per method.
    assert sorted(plugin.checked, key=str) == [("books", "books/"), ("shelf", "shelf/")]
    assert plugin.steps_for == [("books", ("GET", "POST")), ("shelf", ("GET",))]
    assert sorted(plugin.wrapped) == ["books", "books", "shelf"]


class Gate:
    """A step that only acts before the call (``uses_response=False``): it records what its inner handler gave."""

    def __init__(self) -> None:
        self.results: list[Any] = []

    @hookimpl
    def panther_endpoint_options(self) -> dict[str, Any]:
        return {"gate": None}

    @hookimpl
    def panther_endpoint_steps(self, endpoint: EndpointPlan) -> Step | None:
        if not endpoint.option("gate"):
            return None

        def wrap(inner: Handler) -> Handler:
            async def gated(request: Request) -> Any:
                result = await inner(request)
                self.results.append(result)
                return result

            return gated

        return Step(Stage.THROTTLE, wrap, uses_response=False)


async def test_a_step_that_does_not_read_the_response_passes_the_result_through(caller: Any) -> None:
    class Out(BaseModel):
        name: str

    @API(gate=True)
    async def plain() -> dict[str, str]:
        return {"name": "a"}

    @API(gate=True, output_model=Out)
    async def filtered() -> dict[str, str]:
        return {"name": "a", "secret": "s"}

    @API(gate=True, audit="x")
    async def audited() -> dict[str, str]:
        return {"name": "a"}

    gate = Gate()
    app = Panther(
        __name__, configs={}, urls={"plain": plain, "filtered": filtered, "audited": audited}, plugins=[gate, Audit()]
    )
    client = caller(app)
    assert (await client.get("/plain")).json() == {"name": "a"}
    assert gate.results == [{"name": "a"}]  # the endpoint's own result: the app finishes it
    # An output model, or another step that reads the response, still gets a finished Response.
    assert (await client.get("/filtered")).json() == {"name": "a"}
    got = await client.get("/audited")
    assert got.header("x-audit") == "X GET None"
    assert [type(result) for result in gate.results[1:]] == [Response, Response]


def test_an_option_check_refuses_a_bad_value_at_startup() -> None:
    @API(audit=42)
    async def view() -> None: ...

    with pytest.raises(PantherError, match="`audit` must be a label"):
        Panther(__name__, configs={}, urls={"v": view}, plugins=[Audit()])


def test_an_option_no_plugin_declares_is_a_startup_error() -> None:
    @API(audit="x")
    async def view() -> None: ...

    with pytest.raises(PantherError, match=r"'v/' sets the endpoint option `audit` but no installed plugin reads it"):
        Panther(__name__, configs={}, urls={"v": view})


def test_a_plugin_cannot_claim_a_core_option() -> None:
    class Greedy:
        @hookimpl
        def panther_endpoint_options(self) -> dict[str, Any]:
            return {"permissions": None}

    with pytest.raises(PantherError, match="`permissions`, which belongs to the core"):
        Panther(__name__, configs={}, urls={"hello": hello}, plugins=[Greedy()])


async def test_steps_run_in_stage_order_whatever_the_plugin_order(caller: Any) -> None:
    order: list[str] = []

    def recording(name: str) -> Callable[[Handler], Handler]:
        def wrap(inner: Handler) -> Handler:
            async def step(request: Request) -> Any:
                order.append(name)
                return await inner(request)

            return step

        return wrap

    class Late:
        @hookimpl
        def panther_endpoint_steps(self) -> Step:
            return Step(Stage.CACHE, recording("cache"))

    class Early:
        @hookimpl
        def panther_endpoint_steps(self) -> list[Step]:
            return [Step(Stage.THROTTLE, recording("throttle")), Step(Stage.AUTHENTICATE, recording("first"))]

    async def permission(request: Any) -> bool:
        order.append("permission")
        return True

    async def who(request: Any) -> str:
        order.append("auth")
        return "ada"

    @API(permissions=[permission], auth=who)
    async def view() -> str:
        order.append("call")
        return "ok"

    app = Panther(__name__, configs={}, urls={"v": view}, plugins=[Late(), Early()])
    assert (await caller(app).get("/v")).status == 200
    # The core's own step of a stage comes first; then the plugins' steps of that stage, in registration order.
    assert order == ["auth", "first", "permission", "throttle", "cache", "call"]


async def test_same_stage_steps_run_in_registration_order(caller: Any) -> None:
    order: list[str] = []

    def plugin(name: str) -> Any:
        class Named:
            __name__ = name

            @hookimpl
            def panther_endpoint_steps(self) -> Step:
                def wrap(inner: Handler) -> Handler:
                    async def step(request: Request) -> Any:
                        order.append(name)
                        return await inner(request)

                    return step

                return Step(Stage.THROTTLE, wrap)

        return Named()

    app = Panther(__name__, configs={}, urls={"hello": hello}, plugins=[plugin("registered-first"), plugin("second")])
    assert (await caller(app).get("/hello")).status == 200
    assert order == ["registered-first", "second"]


async def test_a_plugin_step_at_the_validation_stage_runs_on_endpoints_without_an_input_model(caller: Any) -> None:
    seen: list[str] = []

    class Inspect:
        @hookimpl
        def panther_endpoint_steps(self) -> Step:
            def wrap(inner: Handler) -> Handler:
                async def inspect_body(request: Request) -> Any:
                    seen.append(request.method)
                    return await inner(request)

                return inspect_body

            return Step(Stage.VALIDATE, wrap)

    app = Panther(__name__, configs={}, urls={"hello": hello}, plugins=[Inspect()])
    got = await caller(app).get("/hello")
    assert (got.status, got.json(), seen) == (200, {"hello": "world"}, ["GET"])


async def test_a_step_limited_to_get_also_serves_head_and_not_post(caller: Any) -> None:
    seen: list[str] = []

    class GetOnly:
        @hookimpl
        def panther_endpoint_steps(self) -> Step:
            def wrap(inner: Handler) -> Handler:
                async def step(request: Request) -> Any:
                    seen.append(request.method)
                    return await inner(request)

                return step

            return Step(Stage.CACHE, wrap, methods=frozenset({"GET"}))

    client = caller(Panther(__name__, configs={}, urls={"hello": hello}, plugins=[GetOnly()]))
    for method in ("GET", "HEAD", "POST"):
        assert (await client.request(method, "/hello")).status == 200
    assert seen == ["GET", "HEAD"]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("not a step", "return panther.plan.Step objects"),
        (Step("throttle", lambda inner: inner), "stage must be a panther.plan.Stage"),  # type: ignore[arg-type]
        (Step(Stage.CACHE, lambda inner: inner, methods=frozenset({"get"})), r"methods \['get'\] are not among"),
        (Step(Stage.CACHE, lambda inner: None), "returned None from wrap"),  # type: ignore[arg-type,return-value]
    ],
)
def test_a_step_that_could_never_work_is_refused_at_startup(step: Any, message: str) -> None:
    class Broken:
        @hookimpl
        def panther_endpoint_steps(self) -> Any:
            return step

    with pytest.raises(PantherError, match=message):
        Panther(__name__, configs={}, urls={"hello": hello}, plugins=[Broken()])


async def test_permissions_are_enforced_by_the_core_without_any_plugin(caller: Any) -> None:
    async def never(request: Any) -> bool:
        return False

    @API(permissions=[never])
    async def view() -> str:
        return "secret"

    app = Panther(__name__, configs={}, urls={"v": view}, disable_plugins=["db", "ws", "auth", "cache", "tasks"])
    got = await caller(app).get("/v")
    assert (got.status, got.json()) == (403, {"detail": "Permission Denied"})


# --- Authentication that knows its scope type -----------------------------------------------------------------


class Token:
    """A declaration only the plugin below understands."""


class ScopeAwareAuth:
    def __init__(self) -> None:
        self.scopes: list[str] = []

    @hookimpl
    def panther_authentication(self, auth: Any, endpoint: EndpointPlan) -> Any:
        if not isinstance(auth, Token):
            return None
        self.scopes.append(endpoint.scope_type)
        source = "header" if endpoint.scope_type == "http" else "query"

        async def authenticate(connection: Any) -> str:
            return f"user from {source}"

        return authenticate


async def test_authentication_is_told_whether_it_serves_http_or_websocket(caller: Any) -> None:
    @API(auth=Token())
    async def me(request: Request) -> Any:
        return request.user

    auth = ScopeAwareAuth()
    app = Panther(__name__, configs={}, urls={"me": me}, plugins=[auth])
    assert (await caller(app).get("/me")).json() == "user from header"

    plan = EndpointPlan(path="ws", endpoint=object(), options=me.api.options, scope_type="websocket")
    authenticate = resolve_authentication(app, Token(), plan)
    assert authenticate is not None and await authenticate(None) == "user from query"
    assert auth.scopes == ["http", "websocket"]


# --- After the app is built: the compiled route table ---------------------------------------------------------


async def test_app_built_sees_the_compiled_route_table(caller: Any) -> None:
    seen: dict[str, Any] = {}

    @API(methods=["POST"])
    async def create(request: Request, id: int) -> None: ...

    class Describe:
        @hookimpl
        def panther_app_built(self, app: Panther) -> None:
            seen["routes"] = {
                route.path: (route.scope_type, route.plan.methods if route.plan else None, sorted(route.handlers))
                for route in app.routes
            }
            seen["resolves"] = app.router.match("/books/7") is not None

        @hookimpl
        def panther_routes(self) -> dict[str, Any]:
            return {"docs": hello}

    app = Panther(
        __name__,
        configs={},
        urls={"books/<id>": create, "rooms/<room>/<seat>": Channel},
        plugins=[Describe(), ChannelPlugin()],
    )
    assert seen["routes"] == {
        "books/<id>": ("http", ("POST",), ["OPTIONS", "POST"]),
        "rooms/<room>/<seat>": ("websocket", None, ["websocket"]),
        "docs": (
            "http",
            ("GET", "POST", "PUT", "PATCH", "DELETE"),
            sorted([*["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], "OPTIONS"]),
        ),
    }
    assert seen["resolves"] is True
    assert (await caller(app).get("/docs")).json() == {"hello": "world"}


# --- Per-app plugin state -------------------------------------------------------------------------------------

COUNTER: StashKey[dict[str, int]] = StashKey("counter")


class Counting:
    """Counts requests per app in the app's stash; its limit comes from that app's config."""

    @hookimpl
    def panther_config_defaults(self) -> dict[str, Any]:
        return {"COUNT_LIMIT": 1}

    @hookimpl
    def panther_configure(self, app: Panther) -> None:
        app.stash[COUNTER] = {"n": 0, "limit": app.config.COUNT_LIMIT}

    @hookimpl
    def panther_endpoint_steps(self, app: Panther) -> Step:
        state = app.stash[COUNTER]

        def wrap(inner: Handler) -> Handler:
            async def counted(request: Request) -> Response:
                state["n"] += 1
                response: Response = await inner(request)
                response.headers["X-Count"] = f"{state['n']}/{state['limit']}"
                return response

            return counted

        return Step(Stage.THROTTLE, wrap)


async def test_two_apps_keep_their_plugin_state_apart(caller: Any) -> None:
    plugin = Counting()
    first = Panther(__name__, configs={"COUNT_LIMIT": 5}, urls={"hello": hello}, plugins=[plugin])
    second = Panther(__name__, configs={"COUNT_LIMIT": 9}, urls={"hello": hello}, plugins=[plugin])
    assert (await caller(first).get("/hello")).header("x-count") == "1/5"
    assert (await caller(first).get("/hello")).header("x-count") == "2/5"
    assert (await caller(second).get("/hello")).header("x-count") == "1/9"
    assert first.stash[COUNTER] is not second.stash[COUNTER]


def test_stash_is_typed_by_key_and_says_what_is_missing() -> None:
    stash = Stash()
    key: StashKey[int] = StashKey("answer")
    assert key not in stash and stash.get(key) is None and stash.get(key, 0) == 0
    stash[key] = 42
    assert stash[key] == 42 and len(stash) == 1
    with pytest.raises(KeyError, match=r"StashKey\('other'\) is not set on this app"):
        stash[StashKey[int]("other")]


# --- Every hook documents when it is called and each of its parameters ----------------------------------------


@pytest.mark.parametrize("name", hookspecs.panther_hook_names())
def test_every_hook_documents_when_it_is_called_and_its_parameters(name: str) -> None:
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""
    assert re.search(r"\bcalled\b", doc, re.IGNORECASE), f"{name}: say when it is called"
    for parameter in inspect.signature(spec).parameters:
        assert f":param {parameter}:" in doc, f"{name}: document `{parameter}` with a `:param {parameter}:` field"
