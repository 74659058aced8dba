"""The pytest plugin as a project sees it: fixtures without a conftest, the app lookup, throw-away plugins, markers.

Each test writes a small test project and runs pytest on it in-process; the plugin is loaded through its
``pytest11`` entry point, exactly as in a user's project.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

import panther.main  # noqa: F401 - imported once here, not again by every in-process run (they unload new modules)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

APP_MODULE = """
from panther import Panther
from panther.app import API

@API()
async def hello():
    return {"hello": "world"}

app = Panther(__name__, configs={}, urls={"hello/": hello})
"""


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    # In-process runs unload the modules they import; hypothesis's plugin would import hypothesis (~1 s) each time.
    return project.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeini(INI)
    for name in ("CI", "PANTHER_TEST_REDIS_URL", "PANTHER_TEST_MONGODB_URL"):
        monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:  # bound, then released: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_fixtures_work_without_a_conftest(project: pytest.Pytester) -> None:
    project.makepyfile(
        APP_MODULE
        + """
from panther.test import APIClient, WebsocketClient

async def test_module_app(api_client):
    assert isinstance(api_client, APIClient)
    response = await api_client.get("/hello/")
    assert response.status_code == 200 and response.data == {"hello": "world"}

async def test_ws_client(ws_client, panther_app):
    assert isinstance(ws_client, WebsocketClient) and ws_client.app is panther_app is app

async def test_factory(panther_app_factory):
    other = panther_app_factory(urls={"hi/": hello}, configs={"TIMEZONE": "Asia/Tehran"})
    assert other is not app and other.config.TIMEZONE == "Asia/Tehran"
    async with APIClient(other) as client:
        assert (await client.get("/hi/")).data == {"hello": "world"}

def test_sync_tests_can_build_apps(panther_app_factory):
    assert panther_app_factory().urls == {}
"""
    )
    run(project).assert_outcomes(passed=4)


def test_an_app_fixture_wins_over_the_module_app(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
import pytest
from panther.app import API

@API()
async def other():
    return "from the fixture"

@pytest.fixture
async def app(panther_app_factory):  # async fixtures work too
    return panther_app_factory(urls={"hello/": other})
"""
    )
    project.makepyfile(
        APP_MODULE
        + """
async def test_it(api_client):
    assert (await api_client.get("/hello/")).data == "from the fixture"
"""
    )
    run(project).assert_outcomes(passed=1)


def test_a_missing_app_says_what_to_define(project: pytest.Pytester) -> None:
    project.makepyfile("async def test_it(api_client):\n    pass\n")
    result = run(project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*need the app under test: define an `app` fixture*"])


def test_factory_closes_the_clients_a_test_left_open(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
from panther.test import APIClient

EVENTS = []

async def test_leaves_a_client_open(panther_app_factory):
    app = panther_app_factory()
    app.on_startup(lambda: EVENTS.append("startup"))
    app.on_shutdown(lambda: EVENTS.append("shutdown"))
    await APIClient(app).startup()
    assert EVENTS == ["startup"]

def test_it_was_shut_down():
    assert EVENTS == ["startup", "shutdown"]
"""
    )
    run(project).assert_outcomes(passed=2)


def test_throw_away_plugin_only_for_one_test(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
from panther.app import API
from panther.plugins import hookimpl

@API()
async def ping():
    return "pong"

class Routes:
    @hookimpl
    def panther_routes(self, app):
        return {"ping/": ping}

async def test_registered(panther_plugin, panther_app_factory):
    routes = Routes()
    assert panther_plugin(routes) is routes  # returned, so it also works as a class decorator
    app = panther_app_factory()
    assert app.plugins.pm.is_registered(routes)
    assert app.router.match("/ping/") is not None

def test_gone_in_the_next_test(panther_app_factory):
    app = panther_app_factory()
    assert app.router.match("/ping/") is None
"""
    )
    run(project).assert_outcomes(passed=2)


SERVICE_TESTS = """
import pytest

@pytest.mark.{marker}
def test_marked():
    pass

def test_fixture({marker}_url):
    assert {marker}_url

def test_unmarked():
    pass
"""


@pytest.mark.parametrize(
    ("marker", "env", "title", "scheme"),
    [
        ("redis", "PANTHER_TEST_REDIS_URL", "Redis", "redis"),
        ("mongodb", "PANTHER_TEST_MONGODB_URL", "MongoDB", "mongodb"),
    ],
)
def test_service_markers_skip_locally_and_fail_under_ci(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    closed_port: int,
    marker: str,
    env: str,
    title: str,
    scheme: str,
) -> None:
    monkeypatch.setenv(env, f"{scheme}://127.0.0.1:{closed_port}/0")
    project.makepyfile(SERVICE_TESTS.format(marker=marker))
    reason = f"{title} not reachable at {scheme}://127.0.0.1:{closed_port} (set {env})"

    result = run(project, "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines([f"SKIPPED * {reason}"])

    monkeypatch.setenv("CI", "true")
    result = run(project)
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines([f"*{reason}; CI=true*"])


def test_service_markers_run_when_the_server_answers(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, listening_port: int
) -> None:
    url = f"redis://127.0.0.1:{listening_port}/0"
    monkeypatch.setenv("PANTHER_TEST_REDIS_URL", url)
    monkeypatch.setenv("CI", "true")
    project.makepyfile(
        f"""
import pytest

@pytest.mark.redis
def test_marked(redis_url):
    assert redis_url == {url!r}
"""
    )
    run(project).assert_outcomes(passed=1)


def test_markers_are_registered(project: pytest.Pytester) -> None:
    result = run(project, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.redis: needs a Redis server*", "@pytest.mark.mongodb: needs a MongoDB*"])


def test_async_tests_run_in_a_project_without_any_asyncio_setting(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        from panther import Panther
        from panther.app import API

        @API()
        async def hello():
            return {"hello": "world"}

        app = Panther(__name__, configs={}, urls={"hello/": hello})

        async def test_hello(api_client):
            assert (await api_client.get("/hello/")).data == {"hello": "world"}
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_a_projects_own_asyncio_mode_is_kept(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makepyfile(test_strict="async def test_unmarked():\n    pass\n")
    result = run(pytester)
    assert result.parseoutcomes().get("passed", 0) == 0  # strict mode: an unmarked coroutine is not run
