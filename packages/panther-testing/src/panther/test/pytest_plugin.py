"""The pytest plugin of panther-testing: client fixtures, an app factory, throw-away plugins, redis/mongodb markers.

pytest loads it through the ``pytest11`` entry point; a project adds nothing to its conftest.py.

Fixtures: ``panther_app`` (the app under test: an ``app`` fixture if the project defines one, else the test
module's or class's ``app`` attribute), ``api_client`` / ``ws_client`` (clients of that app, started and closed
around the test), ``panther_app_factory`` (builds ``Panther`` apps with test-friendly defaults and closes their
clients), ``panther_plugin`` (registers a plugin for the apps the factory builds in one test), ``redis_url`` /
``mongodb_url``. Markers: ``@pytest.mark.redis`` / ``@pytest.mark.mongodb`` skip a test when the server is not
reachable, and fail it under ``CI=true``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
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


# --- Markers ------------------------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    # Panther's tests are async: unless the project chose an asyncio mode itself, run `async def` tests without
    # a marker on each (pytest-asyncio's "auto" mode), so the README's test passes in a fresh project as written.
    if config.getoption("asyncio_mode", None) is None and "asyncio_mode" not in config.inicfg:
        config.option.asyncio_mode = "auto"
    for service in SERVICES.values():
        config.addinivalue_line(
            "markers",
            f"{service.marker}: needs a {service.title} server at ${service.env} "
            "(skipped when absent, a failure under CI=true)",
        )


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
def redis_url(request: pytest.FixtureRequest) -> str:
    """The test Redis URL (``$PANTHER_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``); skips like the
    ``redis`` marker when the server is not reachable."""
    return require(request.config, SERVICES["redis"])


@pytest.fixture
def mongodb_url(request: pytest.FixtureRequest) -> str:
    """The test MongoDB URL (``$PANTHER_TEST_MONGODB_URL``, default ``mongodb://127.0.0.1:27017``); skips like
    the ``mongodb`` marker when the server is not reachable."""
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
