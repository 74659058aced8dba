"""The built wheels, as a user gets them.

Their contents: they share the ``panther`` namespace safely (only panther-core ships ``panther/__init__.py``; every
plugin wheel ships only its own sub-packages, since a stray ``__init__.py`` would overwrite the core's on install).

Installed like a release (marked ``slow``: it installs from PyPI into a new virtualenv, about a minute; skip it
locally with ``-m "not slow"``): ``pip install --find-links <wheels> 'panther-core[all]'`` into a fresh virtualenv
resolves to this project's distributions (not PyPI's unrelated ``panther-core``), an app that uses every extra passes
its own tests under the installed pytest plugin without a warning and serves HTTP and WebSocket under uvicorn, and
the install commands the README and ``panther create`` give resolve to this project's wheels.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from panther.test.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "packages/panther-core/pyproject.toml").read_text())["project"]["version"]

#: Each distribution and the top-level entries it may ship under ``panther/``.
EXPECTED = {
    "panther-core": None,  # the core ships panther/__init__.py and its modules
    "panther-db": {"db", "serializer", "generics", "pagination"},
    "panther-ws": {"websocket"},
    "panther-auth": {"authentications", "permissions"},
    "panther-cache": {"throttling", "caching"},
    "panther-tasks": {"background_tasks"},
    "panther-openapi": {"openapi"},
    "panther-panel": {"panel"},
    "panther-testing": {"test"},
}


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with every distribution's wheel, built by hatchling from each package's own configuration (what
    ``hatch build --all`` runs for each package)."""
    out = tmp_path_factory.mktemp("wheelhouse")
    for distribution in EXPECTED:
        subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
            cwd=ROOT / "packages" / distribution,
            check=True,
            capture_output=True,
        )
    return out


@pytest.fixture(scope="module")
def wheels(wheelhouse: Path) -> dict[str, list[str]]:
    """The files of each distribution's wheel (without its metadata)."""
    contents = {}
    for distribution in EXPECTED:
        wheel = next(wheelhouse.glob(f"{distribution.replace('-', '_')}-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            contents[distribution] = [n for n in archive.namelist() if ".dist-info/" not in n]
    return contents


@pytest.mark.slow
def test_every_package_builds_a_wheel(wheels: dict[str, list[str]]) -> None:
    assert set(wheels) == set(EXPECTED)
    for distribution, names in wheels.items():
        assert names, f"{distribution} built an empty wheel"
        assert all(name.startswith("panther/") for name in names), f"{distribution}: files outside panther/"


@pytest.mark.slow
def test_only_core_ships_the_namespace_init(wheels: dict[str, list[str]]) -> None:
    owners = [dist for dist, names in wheels.items() if "panther/__init__.py" in names]
    assert owners == ["panther-core"]
    assert "panther/py.typed" in wheels["panther-core"]


@pytest.mark.slow
def test_plugin_wheels_ship_only_their_sub_packages(wheels: dict[str, list[str]]) -> None:
    core_top = {name.split("/")[1].removesuffix(".py") for name in wheels["panther-core"]}
    for distribution, allowed in EXPECTED.items():
        if allowed is None:
            continue
        top = {name.split("/")[1] for name in wheels[distribution]}
        assert top <= allowed, f"{distribution} ships {sorted(top - allowed)} outside its sub-packages"
        assert not top & core_top, f"{distribution} overlaps the core: {sorted(top & core_top)}"
        for package in top:
            assert f"panther/{package}/__init__.py" in wheels[distribution], f"{package} must be a regular package"
            assert f"panther/{package}/py.typed" in wheels[distribution], f"{package} needs its own py.typed"


def test_the_all_extra_has_every_feature() -> None:
    extras = tomllib.loads((ROOT / "packages/panther-core/pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    (everything,) = extras["all"]
    features = set(re.fullmatch(r"panther-core\[(.*)\]", everything).group(1).split(","))  # type: ignore[union-attr]
    assert features == set(extras) - {"all", "test"}  # `test` is the core's own test suite, not a feature


# --- Installed from the wheels into a fresh virtualenv ------------------------------------------------------------

#: The environment of every command run in the virtualenv: this process's, without what steers pytest or Panther.
CLEAN_ENV = {
    name: value
    for name, value in os.environ.items()
    if not name.startswith(("PYTEST_", "PANTHER_DISABLE_", "PIP_REQUIRE_VIRTUALENV", "VIRTUAL_ENV"))
}


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, stdout: bool = False) -> str:
    """Run a command and return its output (only stdout with ``stdout=True``); fail the test when it fails."""
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env or CLEAN_ENV, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout if stdout else done.stdout + done.stderr


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """A fresh virtualenv with ``panther-core[all]`` installed from the wheels (dependencies from PyPI)."""
    path = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "virtualenv", "--quiet", path)  # virtualenv: works where `venv` lacks ensurepip
    python = path / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--find-links", wheelhouse, "panther-core[all]")
    return python


def resolve(python: Path, *requirements: str | Path, cwd: Path = ROOT) -> dict[str, tuple[str, str]]:
    """What ``pip install *requirements`` would install in a fresh environment: ``{name: (version, url)}``."""
    report = run(
        python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", "-", *requirements,
        cwd=cwd, stdout=True,
    )  # fmt: skip
    return {
        item["metadata"]["name"]: (item["metadata"]["version"], item["download_info"]["url"])
        for item in json.loads(report)["install"]
    }


@pytest.mark.slow
def test_every_distribution_is_installed_from_the_wheels(venv: Path, wheelhouse: Path) -> None:
    listed = json.loads(run(venv, "-m", "pip", "list", "--format", "json", stdout=True))
    versions = {item["name"]: item["version"] for item in listed}
    assert {name: versions.get(name) for name in EXPECTED} == dict.fromkeys(EXPECTED, VERSION)
    # What the extras and the plugins need to work: the drivers, and the WebSocket library uvicorn needs.
    assert {"redis", "pymongo", "websockets", "pyjwt", "pytest", "pytest-asyncio"} <= {
        name.lower() for name in versions
    }
    run(venv, "-m", "pip", "check")


APP = '''\
"""Uses every extra of panther-core[all]: db and mongodb (books in MongoDB), redis (the shared client counts them),
ws (uvicorn speaks WebSocket), auth, cache and tasks (their plugins are active), testing (test_app.py)."""

import os

from pydantic import BaseModel

from panther import Panther
from panther.app import API
from panther.db import Model
from panther.request import Request
from panther.response import Response
from panther.websocket import GenericWebsocket

DATABASE = {"engine": {"class": "mongodb", "host": os.environ["MONGODB_URL"], "database": os.environ["RUN_ID"]}}
REDIS = {"url": os.environ["REDIS_URL"]}
COUNTER = os.environ["RUN_ID"]


class Book(Model):
    title: str


class BookIn(BaseModel):
    title: str


@API(methods=["GET", "POST"], input_model=BookIn)
async def books(request: Request) -> Response:
    if request.method == "POST":
        book = await Book.insert_one(request.validated_data.model_dump())
        await app.redis.incr(COUNTER)
        return Response(data=book, status_code=201)
    return Response(data=await Book.find())


@API()
async def stats() -> dict:
    return {
        "created": int(await app.redis.get(COUNTER) or 0),
        "plugins": sorted(info.name for info in app.plugins.info()),
    }


class Echo(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()


app = Panther(__name__, configs=__name__, urls={"books/": books, "stats/": stats, "echo/": Echo})
'''

APP_TEST = """\
from app import app  # noqa: F401 - the app under test, which api_client finds here


async def test_books_are_stored_and_counted(api_client):
    created = await api_client.post("/books/", payload={"title": "Dune"})
    assert created.status_code == 201, created.data
    assert [book["title"] for book in (await api_client.get("/books/")).data] == ["Dune"]
    stats = (await api_client.get("/stats/")).data
    assert stats["created"] == 1
    assert {"db", "redis", "ws", "auth", "cache", "tasks"} <= set(stats["plugins"])
"""


@pytest.fixture
def project(tmp_path: Path, panther_redis_url: str, panther_mongodb_url: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A project folder with the app and its test, and the environment that points it at the test servers (its
    database and counter are dropped afterwards)."""
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "test_app.py").write_text(APP_TEST)
    run_id = f"panther_wheels_{uuid.uuid4().hex[:12]}"
    env = {**CLEAN_ENV, "REDIS_URL": panther_redis_url, "MONGODB_URL": panther_mongodb_url, "RUN_ID": run_id}
    yield tmp_path, env
    import pymongo
    import redis

    with pymongo.MongoClient(panther_mongodb_url, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(run_id)
    with redis.Redis.from_url(panther_redis_url) as client:
        client.delete(run_id)


def websocket_handshake(port: int, path: str) -> str:
    """The status line the server answers a WebSocket opening handshake with."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


@pytest.mark.slow
def test_an_app_using_every_extra_runs_from_the_wheels(venv: Path, project: tuple[Path, dict[str, str]]) -> None:
    folder, env = project

    # Its own tests, under the pytest plugin of the installed panther-testing: no settings, no warning.
    output = run(venv, "-m", "pytest", "-p", "no:cacheprovider", cwd=folder, env=env)
    assert re.search(r"\b1 passed\b", output), output
    assert not re.search(r"Warning\b|warnings summary", output), output

    # Served by uvicorn, the way the README runs an app.
    port = free_port()
    server = subprocess.Popen(
        [venv.parent / "panther", "run", "app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats/", timeout=2) as response:
                    stats = json.loads(response.read())
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/books/", timeout=5) as response:
            titles = [book["title"] for book in json.loads(response.read())]
        # panther-ws accepts the handshake: uvicorn speaks WebSocket (without a WebSocket library it would serve the
        # upgrade request as plain HTTP), and a WebSocket to an HTTP route is refused with 404.
        handshake = websocket_handshake(port, "/echo/")
        refused = websocket_handshake(port, "/books/")
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=15)
    assert stats["created"] == 1, log  # the book the tests stored, counted in Redis
    assert titles == ["Dune"]
    assert handshake.startswith("HTTP/1.1 101"), (handshake, log)
    assert refused.startswith("HTTP/1.1 404"), (refused, log)
    assert "No supported WebSocket library detected" not in log, log
    assert "Unsupported upgrade request" not in log, log


@pytest.mark.slow
def test_the_documented_install_commands_resolve_to_this_project(venv: Path, wheelhouse: Path, tmp_path: Path) -> None:
    def from_wheelhouse(resolved: dict[str, tuple[str, str]], *names: str) -> None:
        for name in names:
            version, url = resolved[name]
            assert version == VERSION and url.startswith(wheelhouse.as_uri()), (name, version, url)

    # The README, from the wheelhouse: a plugin alone (PyPI has no panther-cache; the core comes from the wheels).
    from_wheelhouse(resolve(venv, "--find-links", wheelhouse, "panther-cache"), "panther-cache", "panther-core")
    # The requirements file `panther create` writes, installed as its header says.
    run(venv.parent / "panther", "create", "shop", "--single-file", cwd=tmp_path)
    resolved = resolve(venv, "--find-links", wheelhouse, "-r", tmp_path / "shop" / "requirements.txt")
    from_wheelhouse(resolved, "panther-core", "panther-db")
    # The README, from a checkout: each distribution by its path.
    resolved = resolve(venv, "./packages/panther-core", "./packages/panther-cache")
    for name in ("panther-core", "panther-cache"):
        version, url = resolved[name]
        assert version == VERSION and url == (ROOT / "packages" / name).as_uri(), (name, version, url)
