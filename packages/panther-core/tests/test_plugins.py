"""The plugin system: load order, disabling, validation, and every hook proven with a throw-away plugin."""

from __future__ import annotations

import inspect
import sys
import textwrap
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from panther import Panther, hookspecs
from panther.app import API
from panther.cli.main import all_commands
from panther.exceptions import PantherError
from panther.middlewares import HTTPMiddleware, WebsocketMiddleware
from panther.plugins import BUILTIN_PLUGINS, PluginManager, hookimpl
from panther.response import Response


@API()
async def hello() -> dict[str, str]:
    return {"hello": "world"}


def make_app(*plugins: object, configs: dict[str, Any] | None = None, **kwargs: Any) -> Panther:
    return Panther(__name__, configs=configs or {}, urls={"hello": hello}, plugins=plugins, **kwargs)


# --- Hook specs ----------------------------------------------------------------------------------------------


def test_every_hook_is_prefixed_and_documented() -> None:
    names = hookspecs.panther_hook_names()
    assert len(names) >= 12
    for name in names:
        spec = getattr(hookspecs, name)
        doc = inspect.getdoc(spec) or ""
        assert name.startswith("panther_")
        assert len(doc) > 80, f"{name} needs a docstring: when it is called, arguments, result, how results combine"
        assert "called" in doc.lower() or "call" in doc.lower(), name


def test_hooks_are_synchronous() -> None:
    for name in hookspecs.panther_hook_names():
        assert not inspect.iscoroutinefunction(getattr(hookspecs, name)), name


# --- Loading order, disabling, validation ---------------------------------------------------------------------


def test_builtin_plugins_are_registered_by_name() -> None:
    app = make_app()
    assert [name for name in app.plugins.names() if name in BUILTIN_PLUGINS] == list(BUILTIN_PLUGINS)
    info = {i.name: i for i in app.plugins.info()}
    assert info["redis"].distribution == "panther-core"
    assert "panther_lifespan" in info["redis"].hooks


def test_builtin_plugin_can_be_disabled_like_any_other() -> None:
    app = make_app(disable_plugins=["encoders"])
    assert not app.plugins.has("encoders")
    assert app.plugins.has("redis")


class Named:
    """A throw-away plugin object with a name, as users pass to ``plugins=[...]``."""

    def __init__(self, name: str) -> None:
        self.__name__ = name


def test_user_plugin_is_registered_last_and_can_be_disabled_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = Named("mine")
    assert make_app(plugin).plugins.names()[-1] == "mine"
    assert not make_app(plugin, disable_plugins=["mine"]).plugins.has("mine")
    assert not make_app(plugin, configs={"DISABLED_PLUGINS": ["mine"]}).plugins.has("mine")
    monkeypatch.setenv("PANTHER_DISABLE_PLUGINS", "redis, mine")
    names = make_app(plugin).plugins.names()
    assert "mine" not in names and "redis" not in names


def test_misspelled_hook_fails_at_startup_naming_it() -> None:
    class Typo:
        @hookimpl
        def panther_json_encoder(self, app: Any) -> dict[type, Any]:  # missing "s"
            return {}

    with pytest.raises(PantherError, match="panther_json_encoder"):
        make_app(Typo())


def test_hook_with_unknown_argument_fails_at_startup() -> None:
    class WrongArgs:
        @hookimpl
        def panther_routes(self, application: Any) -> dict[str, Any]:
            return {}

    with pytest.raises(PantherError, match="application"):
        make_app(WrongArgs())


@pytest.fixture
def fake_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution 'panther-fake' whose entry point 'fake' in group 'panther' is a module."""
    (tmp_path / "panther_fake_plugin.py").write_text(
        textwrap.dedent(
            """
            from panther.plugins import hookimpl

            @hookimpl
            def panther_config_defaults():
                return {"FAKE_SETTING": 42}
            """
        )
    )
    dist_info = tmp_path / "panther_fake-1.2.3.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: panther-fake\nVersion: 1.2.3\n")
    (dist_info / "entry_points.txt").write_text("[panther]\nfake = panther_fake_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD")
    yield tmp_path
    sys.modules.pop("panther_fake_plugin", None)


def test_entry_points_are_loaded_between_builtins_and_user_plugins(fake_distribution: Path) -> None:
    app = make_app(Named("mine"))
    names = app.plugins.names()
    assert names.index("redis") < names.index("fake") < names.index("mine")
    info = {i.name: i for i in app.plugins.info()}["fake"]
    assert (info.distribution, info.version, info.hooks) == ("panther-fake", "1.2.3", ("panther_config_defaults",))
    assert app.config.FAKE_SETTING == 42


def test_entry_point_plugin_disabled_by_name(fake_distribution: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not make_app(disable_plugins=["fake"]).plugins.has("fake")
    monkeypatch.setenv("PANTHER_DISABLE_PLUGINS", "fake")
    assert not make_app().plugins.has("fake")


def test_autoload_can_be_switched_off(fake_distribution: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert not make_app().plugins.has("fake")
    assert make_app().plugins.has("redis")  # built-ins are not entry points


# --- Configuration hooks --------------------------------------------------------------------------------------


def test_config_defaults_and_configure() -> None:
    seen: list[Any] = []

    class Settings:
        @hookimpl
        def panther_config_defaults(self) -> dict[str, Any]:
            return {"GREETING": "hi", "LIMIT": [1]}

        @hookimpl
        def panther_configure(self, app: Panther, config: Any) -> None:
            seen.append(config.GREETING)
            app.state.greeting = config.GREETING.upper()

    app = make_app(Settings(), configs={"GREETING": "hello"})
    assert seen == ["hello"] and app.state.greeting == "HELLO"
    other = make_app(Settings())
    assert other.config.GREETING == "hi"
    other.config.LIMIT.append(2)
    assert make_app(Settings()).config.LIMIT == [1], "defaults must be copied, not shared between apps"


def test_configure_error_fails_startup() -> None:
    class Strict:
        @hookimpl
        def panther_configure(self, config: Any) -> None:
            raise PantherError("STRICT needs a value")

    with pytest.raises(PantherError, match="STRICT needs a value"):
        make_app(Strict())


def test_code_run_while_an_app_is_built_finds_that_app() -> None:
    from panther.context import current_app

    seen: list[Panther] = []

    class Probe:
        @hookimpl
        def panther_configure(self, app: Panther) -> None:
            seen.append(current_app())

    first = make_app()
    second = make_app(Probe())
    assert seen == [second], "a hook (or a URL module) must see the app being built, not the previous one"
    assert current_app() is second  # afterwards: the app built most recently

    class Broken:
        @hookimpl
        def panther_configure(self, app: Panther) -> None:
            raise PantherError("broken")

    with pytest.raises(PantherError):
        make_app(Broken())
    assert current_app() is second, "an app that failed to build must not stay current"
    assert first is not second


def test_two_plugins_declaring_the_same_key_is_an_error() -> None:
    class A:
        @hookimpl
        def panther_config_defaults(self) -> dict[str, Any]:
            return {"SAME": 1}

    class B:
        @hookimpl
        def panther_config_defaults(self) -> dict[str, Any]:
            return {"SAME": 2}

    with pytest.raises(PantherError, match="SAME"):
        make_app(A(), B())


@pytest.mark.parametrize(("key", "extra"), [("DATABASE", "db"), ("THROTTLING", "cache"), ("BACKGROUND_TASKS", "tasks")])
def test_plugin_setting_without_its_plugin_says_what_to_install(key: str, extra: str) -> None:
    with pytest.raises(PantherError, match=rf"`panther-{extra}`"):
        make_app(configs={key: {"engine": {}} if key == "DATABASE" else True}, disable_plugins=[extra])


# --- Dispatch hooks -------------------------------------------------------------------------------------------


async def test_scope_handler_receives_its_scope_type(caller: Any) -> None:
    received: list[str] = []

    class Websockets:
        @hookimpl
        def panther_scope_handlers(self, app: Panther) -> dict[str, Any]:
            async def handle(scope: Any, receive: Any, send: Any) -> None:
                received.append(scope["path"])
                await send({"type": "websocket.close", "code": 4000})

            return {"websocket": handle}

    app = make_app(Websockets())
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "websocket", "path": "/ws"}, None, send)  # type: ignore[arg-type]
    assert received == ["/ws"] and sent == [{"type": "websocket.close", "code": 4000}]
    assert (await caller(app).get("/hello")).json() == {"hello": "world"}


def test_scope_handler_conflicts_are_errors() -> None:
    class H:
        def __init__(self, kind: str) -> None:
            self.kind = kind

        @hookimpl
        def panther_scope_handlers(self) -> dict[str, Any]:
            async def handle(scope: Any, receive: Any, send: Any) -> None: ...

            return {self.kind: handle}

    with pytest.raises(PantherError, match="websocket"):
        make_app(H("websocket"), H("websocket"))
    with pytest.raises(PantherError, match="http"):
        make_app(H("http"))


async def test_without_a_websocket_plugin_the_connection_is_closed() -> None:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await make_app()({"type": "websocket", "path": "/ws"}, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1000}]


async def test_middleware_hooks(caller: Any) -> None:
    class Stamp(HTTPMiddleware):
        async def __call__(self, request: Any) -> Response:
            response = await self.dispatch(request=request)
            response.headers["X-Plugin"] = "yes"
            return response

    class WSStamp(WebsocketMiddleware):
        pass

    class Adds:
        @hookimpl
        def panther_http_middlewares(self) -> list[type]:
            return [Stamp]

        @hookimpl
        def panther_ws_middlewares(self) -> list[type]:
            return [WSStamp]

    app = make_app(Adds())
    assert (await caller(app).get("/hello")).header("x-plugin") == "yes"
    assert (await caller(app).get("/missing")).header("x-plugin") == "yes"
    assert app.ws_middlewares == [WSStamp]


async def test_routes_hook(caller: Any) -> None:
    @API()
    async def health() -> dict[str, bool]:
        return {"ok": True}

    class Routes:
        @hookimpl
        def panther_routes(self) -> dict[str, Any]:
            return {"_plugin/": {"health": health}}

    app = make_app(Routes())
    assert (await caller(app).get("/_plugin/health")).json() == {"ok": True}

    class Clash:
        @hookimpl
        def panther_routes(self) -> dict[str, Any]:
            return {"hello/": health}

    with pytest.raises(PantherError, match="hello"):
        make_app(Clash())


async def test_json_encoders_hook(caller: Any) -> None:
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    class SubMoney(Money):
        pass

    @API()
    async def price() -> dict[str, Any]:
        return {"price": SubMoney(250), "exact": Decimal("1.10")}

    class Encoders:
        @hookimpl
        def panther_json_encoders(self) -> dict[type, Any]:
            return {Money: lambda m: f"{m.cents / 100:.2f}"}

    app = Panther(__name__, configs={}, urls={"price": price}, plugins=[Encoders()])
    assert (await caller(app).get("/price")).json() == {"price": "2.50", "exact": "1.10"}


async def test_authentication_hook(caller: Any) -> None:
    class Token:
        """A declaration the plugin understands: not callable by itself."""

        def __init__(self, user: str) -> None:
            self.user = user

    class Auth:
        @hookimpl
        def panther_authentication(self, auth: Any) -> Any:
            if not isinstance(auth, Token):
                return None

            async def authenticate(request: Any) -> str:
                return auth.user

            return authenticate

    @API(auth=Token("ada"))
    async def whoami(request: Any) -> dict[str, Any]:
        return {"user": request.user}

    app = Panther(__name__, configs={}, urls={"me": whoami}, plugins=[Auth()])
    assert (await caller(app).get("/me")).json() == {"user": "ada"}
    with pytest.raises(PantherError, match="no installed plugin handles it"):
        Panther(__name__, configs={}, urls={"me": whoami})


def test_auth_declarations_are_validated() -> None:
    def sync_auth(request: Any) -> None: ...

    async def two_args(request: Any, other: Any) -> None: ...

    with pytest.raises(PantherError, match="async"):
        API(auth=sync_auth)
    with pytest.raises(PantherError, match="one argument"):
        API(permissions=[two_args])


# --- Lifespan and CLI hooks -----------------------------------------------------------------------------------


async def test_lifespan_hook_enters_in_order_and_exits_in_reverse(lifespan: Any) -> None:
    events: list[str] = []

    class Resource:
        def __init__(self, name: str) -> None:
            self.__name__ = name

        @hookimpl
        def panther_lifespan(self, app: Panther) -> Any:
            @asynccontextmanager
            async def run() -> Any:
                events.append(f"open {self.__name__}")
                yield
                events.append(f"close {self.__name__}")

            return run()

    app = make_app(Resource("a"), Resource("b"))
    app.on_startup(lambda: events.append("startup"))
    app.on_shutdown(lambda: events.append("shutdown"))
    sent = await lifespan(app, "startup", "shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["open a", "open b", "startup", "shutdown", "close b", "close a"]


async def test_failing_lifespan_fails_startup_with_its_message(lifespan: Any) -> None:
    class Broken:
        @hookimpl
        def panther_lifespan(self) -> Any:
            @asynccontextmanager
            async def run() -> Any:
                raise RuntimeError("database unreachable")
                yield

            return run()

    sent = await lifespan(make_app(Broken()), "startup")
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "database unreachable" in sent[0]["message"]


def test_cli_commands_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    def greet(argv: list[str]) -> int:
        """Say hello."""
        return 0

    class Commands:
        @hookimpl
        def panther_cli_commands(self) -> dict[str, Any]:
            return {"greet": greet}

    real_init = PluginManager.__init__

    def with_commands(self: PluginManager, *args: Any, **kwargs: Any) -> None:
        real_init(self, plugins=[Commands()])

    monkeypatch.setattr(PluginManager, "__init__", with_commands)
    commands = all_commands()
    assert commands["greet"] is greet and "run" in commands


def test_addhooks_lets_a_plugin_add_its_own_hooks() -> None:
    class EngineSpecs:
        @hookspecs.hookspec
        def panther_db_engines(self) -> Any:
            """Return database engine classes."""

    class DBPlugin:
        @hookimpl
        def panther_addhooks(self, pluginmanager: Any) -> None:
            pluginmanager.add_hookspecs(EngineSpecs)

    class ThirdPartyEngine:
        @hookimpl
        def panther_db_engines(self) -> Any:
            return "sqlite"

    app = make_app(DBPlugin(), ThirdPartyEngine())
    assert app.plugins.pm.hook.panther_db_engines() == ["sqlite"]


# --- Hooks are never called per request -----------------------------------------------------------------------


async def test_no_hook_is_called_per_request(caller: Any) -> None:
    calls: list[str] = []

    class Spy:
        @hookimpl
        def panther_json_encoders(self) -> dict[type, Any]:
            calls.append("json_encoders")
            return {}

        @hookimpl
        def panther_http_middlewares(self) -> list[type]:
            calls.append("http_middlewares")
            return []

        @hookimpl
        def panther_authentication(self, auth: Any) -> None:
            calls.append("authentication")

        @hookimpl
        def panther_endpoint_steps(self) -> None:
            calls.append("endpoint_steps")

    app = make_app(Spy())
    built = list(calls)
    for _ in range(5):
        assert (await caller(app).get("/hello")).status == 200
    assert calls == built


# --- Config belongs to the app --------------------------------------------------------------------------------


@API(methods=["POST"])
async def echo(request: Any) -> Any:
    return request.data


async def test_two_apps_with_different_configs_side_by_side(caller: Any) -> None:
    small = Panther(__name__, configs={"MAX_REQUEST_BODY_SIZE": 4}, urls={"echo": echo})
    large = Panther(__name__, configs={"MAX_REQUEST_BODY_SIZE": 1024}, urls={"echo": echo})
    body = b'{"a": 12345}'
    assert (await caller(small).request("POST", "/echo", body=body)).status == 413
    large_answer = await caller(large).request("POST", "/echo", body=body)
    assert (large_answer.status, large_answer.json()) == (200, {"a": 12345})
    assert small.config.MAX_REQUEST_BODY_SIZE == 4 and large.config.MAX_REQUEST_BODY_SIZE == 1024


def test_compat_config_reads_the_latest_app() -> None:
    from panther.configs import config

    make_app(configs={"SECRET_KEY": "first"})
    assert config.SECRET_KEY == "first"
    make_app(configs={"SECRET_KEY": "second"})
    assert config.SECRET_KEY == "second" and config["secret_key"] == "second"
