"""The pytest plugin as a project sees it: fixtures without a conftest, the app lookup, throw-away plugins, markers,
and a project that does not use the plugin running exactly as without it.

Each test writes a small test project (with no pytest settings, unless it says otherwise) and runs pytest on it
in-process; the plugin is loaded through its ``pytest11`` entry point, exactly as in a user's project.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import panther.main  # noqa: F401 - imported once here, not again by every in-process run (they unload new modules)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

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
import pytest_asyncio
from panther.app import API

@API()
async def other():
    return "from the fixture"

@pytest_asyncio.fixture
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

@pytest.mark.panther_{marker}
def test_marked():
    pass

def test_fixture(panther_{marker}_url):
    assert panther_{marker}_url

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

@pytest.mark.panther_redis
def test_marked(panther_redis_url):
    assert panther_redis_url == {url!r}
"""
    )
    run(project).assert_outcomes(passed=1)


def test_markers_are_registered(project: pytest.Pytester) -> None:
    result = run(project, "--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.panther_redis: needs a Redis server*", "@pytest.mark.panther_mongodb: needs a MongoDB*"]
    )


# --- Asyncio: only for the tests that use the plugin -----------------------------------------------------------


def test_coroutine_tests_using_the_plugin_run_without_any_asyncio_setting(project: pytest.Pytester) -> None:
    project.makepyfile(
        APP_MODULE
        + """
import pytest

async def test_client(api_client):
    assert (await api_client.get("/hello/")).data == {"hello": "world"}

async def test_factory_only(panther_app_factory):
    assert panther_app_factory().urls == {}

@pytest.fixture
def my_app(panther_app_factory):
    return panther_app_factory()

async def test_through_a_project_fixture(my_app):  # uses the plugin through the project's own fixture
    assert my_app.urls == {}

class TestInAClass:
    async def test_method(self, api_client):
        assert (await api_client.get("/hello/")).status_code == 200
"""
    )
    run(project).assert_outcomes(passed=4)


def test_other_coroutine_tests_follow_the_projects_settings(project: pytest.Pytester) -> None:
    # No asyncio_mode: pytest-asyncio's strict mode runs only marked coroutines; a project fixture that happens to be
    # called `api_client` is the project's, so the test using it is not claimed by the plugin either.
    project.makepyfile(
        """
import pytest

@pytest.fixture
def api_client():
    return "the project's own"

async def test_unmarked():
    pass

async def test_own_api_client(api_client):
    pass

@pytest.mark.asyncio
async def test_marked():
    pass
"""
    )
    result = run(project, "-rA")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
    result.stdout.fnmatch_lines(["PASSED *::test_marked", "FAILED *::test_unmarked", "FAILED *::test_own_api_client"])


def test_a_projects_own_asyncio_mode_is_kept(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nasyncio_mode = auto\n")
    project.makeconftest(
        """
import pytest

@pytest.fixture
async def app(panther_app_factory):  # in auto mode, any async fixture works
    return panther_app_factory()
"""
    )
    project.makepyfile(
        """
async def test_unmarked():
    pass

async def test_with_an_async_app_fixture(api_client):
    assert (await api_client.get("/missing/")).status_code == 404
"""
    )
    run(project).assert_outcomes(passed=2)


def test_a_fresh_project_prints_no_warning(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # A separate interpreter, as a user runs it: warnings raised while pytest is configured go straight to stderr.
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    pytester.makepyfile(test_readme=README_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = "\n".join(result.outlines + result.errlines)
    assert not re.search(r"Warning\b|warnings summary", output), output


def test_a_loop_scope_set_by_the_project_wins(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    project.makepyfile("def test_it(pytestconfig):\n    pass\n")
    run(project).stdout.fnmatch_lines(["asyncio: *asyncio_default_fixture_loop_scope=function*"])


README_TEST = (Path(__file__).parent / "test_readme_example.py").read_text()


# --- A project that does not use the plugin -----------------------------------------------------------------------

OWN_NAMES_INI = """
[pytest]
addopts = --strict-markers -rA
markers =
    redis: the project's own meaning (runs without any server)
    mongodb: the project's own meaning (runs without any server)
"""

OWN_NAMES_CONFTEST = """
import pytest

@pytest.fixture
def redis_url():
    return "the project's own"

@pytest.fixture
def mongodb_url():
    return "the project's own too"
"""

OWN_NAMES_TESTS = """
import pytest

@pytest.mark.redis
def test_redis_marker():
    pass

@pytest.mark.mongodb
def test_mongodb_marker(mongodb_url):
    assert mongodb_url == "the project's own too"

def test_redis_url(redis_url):
    assert redis_url == "the project's own"

async def test_unmarked_coroutine():
    pass

@pytest.mark.asyncio
async def test_marked_coroutine(redis_url):
    assert redis_url == "the project's own"
"""


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """``{test name: PASSED/FAILED/SKIPPED/ERROR}`` from a run with ``-rA``."""
    lines = [line.split(" - ")[0].split() for line in result.outlines]
    return {words[1]: words[0] for words in lines if len(words) == 2 and words[0] in RESULT_WORDS}


RESULT_WORDS = {"PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL", "XPASS"}


def test_a_project_with_its_own_markers_and_fixtures_runs_as_without_the_plugin(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    # Servers "down" and CI=true: had the plugin claimed `redis`/`mongodb`, these tests would fail here.
    monkeypatch.setenv("PANTHER_TEST_REDIS_URL", f"redis://127.0.0.1:{closed_port}/0")
    monkeypatch.setenv("PANTHER_TEST_MONGODB_URL", f"mongodb://127.0.0.1:{closed_port}")
    monkeypatch.setenv("CI", "true")
    project.makeini(OWN_NAMES_INI)
    project.makeconftest(OWN_NAMES_CONFTEST)
    project.makepyfile(test_own=OWN_NAMES_TESTS)

    # In separate interpreters: without the plugin, pytest-asyncio warns while pytest is configured, which an
    # in-process run would hand to this test's own warning capture.
    without = outcomes(project.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:panther"))
    with_plugin = outcomes(project.runpytest_subprocess("-p", "no:cacheprovider"))
    assert with_plugin == without
    assert with_plugin == {
        "test_own.py::test_redis_marker": "PASSED",
        "test_own.py::test_mongodb_marker": "PASSED",
        "test_own.py::test_redis_url": "PASSED",
        "test_own.py::test_unmarked_coroutine": "FAILED",  # no asyncio mode set: strict, as without the plugin
        "test_own.py::test_marked_coroutine": "PASSED",
    }
