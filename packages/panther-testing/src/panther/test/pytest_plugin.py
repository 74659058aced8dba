"""The pytest plugin of panther-testing: client fixtures, an app factory, throw-away plugins, server markers.

pytest loads it through the ``pytest11`` entry point (name ``panther``); a project adds nothing to its conftest.py.

Fixtures: ``panther_app`` (the app under test: an ``app`` fixture if the project defines one, else the test
module's or class's ``app`` attribute), ``api_client`` / ``ws_client`` (clients of that app, started and closed
around the test), ``panther_app_factory`` (builds ``Panther`` apps with test-friendly defaults and closes their
clients), ``panther_plugin`` (registers a plugin for the apps the factory builds in one test),
``panther_redis_url`` / ``panther_mongodb_url``. Markers: ``@pytest.mark.panther_redis`` /
``@pytest.mark.panther_mongodb`` skip a test when the server is not reachable, and fail it under ``CI=true``.

Installing it changes nothing for tests that do not use it: what it adds is prefixed ``panther_`` (as pytest-django
prefixes ``django_``), except the two client fixtures, which keep upstream Panther's names (a project's own
``api_client`` or ``ws_client`` fixture overrides them, as any conftest fixture overrides a plugin's). A coroutine test
that uses one of these fixtures is run by pytest-asyncio; every other test follows the project's own asyncio settings.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pytest
import pytest_asyncio

from panther.test import lifespan as lifespans
from panther.test.client import APIClient, open_clients
from panther.test.services import SERVICES, Service, in_ci, reachable
from panther.test.websocket import WebsocketClient

if TYPE_CHECKING:
    from panther.main import Panther

__all__ = ["AppFactory"]

T = TypeVar("T")

_PLUGINS = pytest.StashKey[list[object]]()
_REACHABLE = pytest.StashKey[dict[str, bool]]()

#: The fixtures this plugin defines; a coroutine test that uses one (directly or through another fixture) runs
#: under pytest-asyncio.
FIXTURES = frozenset(
    {
        "api_client",
        "ws_client",
        "panther_app",
        "panther_app_factory",
        "panther_plugin",
        "panther_redis_url",
        "panther_mongodb_url",
    }
)


class AppFactory(Protocol):
    """What ``panther_app_factory`` returns."""

    def __call__(
        self,
        urls: Mapping[str, Any] | None = None,
        configs: str | ModuleType | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        plugins: Iterable[object] = (),
        disable_plugins: Iterable[str] = (),
    ) -> Panther: ...


# --- Configuration ------------------------------------------------------------------------------------------------


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    # pytest-asyncio (a dependency of this package) warns in every run of a project that leaves
    # `asyncio_default_fixture_loop_scope` unset. Declare that option's default as "fixture-scope", the value its
    # own warning gives for keeping today's behaviour: async fixtures run exactly as before, the warning is gone,
    # and a value the project sets still wins. (Plugins are registered by now, so this declaration comes last.)
    if early_config.pluginmanager.hasplugin("asyncio"):
        parser.addini(
            "asyncio_default_fixture_loop_scope",
            type="string",
            help="default scope of the asyncio event loop used to execute async fixtures "
            "(panther-testing: 'fixture-scope' when unset)",
            default="fixture-scope",
        )


def pytest_configure(config: pytest.Config) -> None:
    for service in SERVICES.values():
        config.addinivalue_line(
            "markers",
            f"{service.marker}: needs a {service.title} server at ${service.env} "
            "(skipped when absent, a failure under CI=true)",
        )


@pytest.hookimpl(wrapper=True, trylast=True)  # inside pytest-asyncio's wrapper: it sees the marker added here
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> Generator[None, Any, Any]:
    collected = yield
    for item in collected if isinstance(collected, list) else [collected]:
        if (
            isinstance(item, pytest.Function)
            and inspect.iscoroutinefunction(item.obj)
            and item.get_closest_marker("asyncio") is None
            and uses_panther_fixtures(item)
        ):
            item.add_marker(pytest.mark.asyncio)
    return collected


def uses_panther_fixtures(item: pytest.Function) -> bool:
    """Whether ``item`` uses a fixture of this plugin (not a project's fixture of the same name)."""
    info = getattr(item, "_fixtureinfo", None)  # pytest's resolved fixtures of the item (it has no public accessor)
    if info is None:
        return not FIXTURES.isdisjoint(item.fixturenames)
    for name in FIXTURES.intersection(info.names_closure):
        definitions = info.name2fixturedefs.get(name, ())
        if definitions and getattr(definitions[-1].func, "__module__", None) == __name__:
            return True
    return False


# --- Servers ------------------------------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)  # before fixtures are set up: a skipped test should not build anything
def pytest_runtest_setup(item: pytest.Item) -> None:
    for service in SERVICES.values():
        if item.get_closest_marker(service.marker) is not None:
            require(item.config, service)


def require(config: pytest.Config, service: Service) -> str:
    """Return the service's URL; skip the test when the server is not reachable (fail it under ``CI=true``)."""
    cache = config.stash.setdefault(_REACHABLE, {})  # checked once per URL and session
    url = service.url
    if url not in cache:
        cache[url] = reachable(url, service.default_port)
    if not cache[url]:
        reason = service.unreachable_reason()
        if in_ci():
            pytest.fail(f"{reason}; CI=true, so a missing server fails the test instead of skipping it.", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture
def panther_redis_url(request: pytest.FixtureRequest) -> str:
    """The test Redis URL (``$PANTHER_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``); skips like the
    ``panther_redis`` marker when the server is not reachable."""
    return require(request.config, SERVICES["redis"])


@pytest.fixture
def panther_mongodb_url(request: pytest.FixtureRequest) -> str:
    """The test MongoDB URL (``$PANTHER_TEST_MONGODB_URL``, default ``mongodb://127.0.0.1:27017``); skips like
    the ``panther_mongodb`` marker when the server is not reachable."""
    return require(request.config, SERVICES["mongodb"])


# --- Apps ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def panther_plugin(request: pytest.FixtureRequest) -> Callable[[T], T]:
    """``register(plugin)``: pass ``plugin`` (a module, class or object with ``@hookimpl`` functions) to every app
    ``panther_app_factory`` builds in this test, registered after the app's other plugins. Returns the plugin, so
    it also works as a class decorator."""
    registered = request.node.stash.setdefault(_PLUGINS, [])

    def register(plugin: T) -> T:
        registered.append(plugin)
        return plugin

    return register


@pytest_asyncio.fixture
async def panther_app_factory(request: pytest.FixtureRequest) -> AsyncIterator[AppFactory]:
    """Build ``Panther`` apps: ``panther_app_factory(urls={...}, configs={...}, plugins=[...])``.

    Defaults: no URLs, empty configs (a dict or a configs module also work), the test module as ``name``; plugins
    registered with ``panther_plugin`` are added. Clients of these apps still open after the test are closed.
    """
    apps: list[Any] = []
    module = getattr(request, "module", None)
    default_name = module.__name__ if module is not None and module.__name__ in sys.modules else None

    def build(
        urls: Mapping[str, Any] | None = None,
        configs: str | ModuleType | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        plugins: Iterable[object] = (),
        disable_plugins: Iterable[str] = (),
    ) -> Panther:
        from panther.main import Panther

        app = Panther(
            name or default_name,
            configs={} if configs is None else configs,
            urls={} if urls is None else urls,
            plugins=[*plugins, *request.node.stash.get(_PLUGINS, [])],
            disable_plugins=disable_plugins,
        )
        apps.append(app)
        return app

    yield build
    for client in list(open_clients):
        if any(client.app is app for app in apps):
            await client.close()
    for app in apps:  # started by a client the test dropped without closing it
        await lifespans.shutdown_app(app)


@pytest.fixture
def panther_app(request: pytest.FixtureRequest) -> Any:
    """The app under test: the project's ``app`` fixture if there is one, else ``app`` on the test class or
    module."""
    try:
        return request.getfixturevalue("app")
    except pytest.FixtureLookupError:
        pass
    for holder in (getattr(request, "instance", None), getattr(request, "module", None)):
        app = getattr(holder, "app", None)
        if app is not None:
            return app
    pytest.fail(
        "api_client/ws_client need the app under test: define an `app` fixture (in the test module or a "
        "conftest.py) or a module-level `app = Panther(...)`.",
        pytrace=False,
    )


@pytest_asyncio.fixture
async def api_client(panther_app: Any) -> AsyncIterator[APIClient]:
    """An ``APIClient`` of the app under test, started before the test and closed after it."""
    async with APIClient(panther_app) as client:
        yield client


@pytest_asyncio.fixture
async def ws_client(panther_app: Any) -> AsyncIterator[WebsocketClient]:
    """A ``WebsocketClient`` of the app under test; connections left open are closed after the test."""
    async with WebsocketClient(panther_app) as client:
        yield client
