"""Real servers: revocation is cluster-wide with Redis (two uvicorn processes sharing the real Redis), and per
process without it, which the app says at startup when it runs with several workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panther.test.processes import free_port as _free_port

pytestmark = pytest.mark.slow

APP = """
import json
import os
from types import SimpleNamespace

from panther import Panther
from panther.app import API
from panther.authentications import JWTAuthentication
from panther.permissions import IsAuthenticated


async def load_user(user_id):
    return SimpleNamespace(id=user_id) if user_id in ("1", "2") else None


class Refreshing(JWTAuthentication):
    token_type = "refresh"


@API(methods=["POST"], auth=False)
async def login(request):
    return await JWTAuthentication.login(SimpleNamespace(id=request.data["id"]))


@API(auth=JWTAuthentication, permissions=[IsAuthenticated])
async def me(request):
    return {"id": request.user.id, "pid": os.getpid()}


@API(methods=["POST"], auth=Refreshing, permissions=[IsAuthenticated])
async def refresh(request):
    return await Refreshing.refresh(request.user)


@API(methods=["POST"], auth=JWTAuthentication, permissions=[IsAuthenticated])
async def logout(request):
    await JWTAuthentication.logout(request.user)
    return {"detail": "Logged out"}


SECRET_KEY = "servers-suite-secret-key-0123456789abcdef"
JWT_CONFIG = {"user_loader": load_user}
if os.environ.get("TEST_REDIS_URL"):
    REDIS = {"url": os.environ["TEST_REDIS_URL"]}
app = Panther(__name__, configs=__name__, urls={"login": login, "me": me, "refresh": refresh, "logout": logout})
"""


class Server:
    def __init__(self, directory: Path, env: dict[str, str], *args: str) -> None:
        self.port = _free_port()
        self.log = directory / f"server-{self.port}.log"
        command = [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(self.port), *args]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.log.read_text()}")
            try:
                self.request("GET", "/me/")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"uvicorn did not start: {self.log.read_text()}")

    def request(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def wait_for_log(self, text: str, count: int, timeout: float = 30) -> int:
        """How often ``text`` is in the log once it is there ``count`` times (or ``timeout`` has passed)."""
        deadline = time.monotonic() + timeout
        while (seen := self.log.read_text().count(text)) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return seen

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and the workers it spawned
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.log.read_text()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    servers: list[Server] = []

    def start_server(panther_redis_url: str | None = None, *args: str) -> Server:
        env = {k: v for k, v in os.environ.items() if k not in ("TEST_REDIS_URL", "WEB_CONCURRENCY")}
        if panther_redis_url:
            env["TEST_REDIS_URL"] = panther_redis_url
        server = Server(tmp_path, env, *args)
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        server.stop()


@pytest.mark.panther_redis
def test_revocation_is_cluster_wide_with_redis(start, redis_settings):
    one, two = start(redis_settings["url"]), start(redis_settings["url"])
    status, tokens = one.request("POST", "/login/", body={"id": "1"})
    assert status == 200
    status, me = two.request("GET", "/me/", tokens["access_token"])
    assert status == 200 and me["id"] == "1"
    assert one.request("GET", "/me/", tokens["access_token"])[1]["pid"] != me["pid"]  # two processes

    assert one.request("POST", "/logout/", tokens["access_token"])[0] == 200
    assert two.request("GET", "/me/", tokens["access_token"]) == (401, {"detail": "Token revoked"})
    assert two.request("POST", "/refresh/", tokens["refresh_token"]) == (401, {"detail": "Token revoked"})

    _, session = two.request("POST", "/login/", body={"id": "2"})
    status, rotated = one.request("POST", "/refresh/", session["refresh_token"])
    assert status == 200
    assert two.request("POST", "/refresh/", session["refresh_token"]) == (401, {"detail": "Token revoked"})
    assert two.request("GET", "/me/", session["access_token"]) == (401, {"detail": "Token revoked"})
    assert two.request("GET", "/me/", rotated["access_token"])[0] == 200


def test_without_redis_revocation_is_per_process_and_workers_are_warned(start):
    one, two = start(), start()
    _, tokens = one.request("POST", "/login/", body={"id": "1"})
    assert one.request("POST", "/logout/", tokens["access_token"])[0] == 200
    assert one.request("GET", "/me/", tokens["access_token"])[0] == 401
    assert two.request("GET", "/me/", tokens["access_token"])[0] == 200  # what the warning is about
    assert "Token revocation is kept in each worker's memory" not in one.stop()  # one worker: nothing to say

    workers = start(None, "--workers", "2")
    warning = "with 2 workers, a logout or a refresh revokes tokens only in the worker that served it"
    assert workers.wait_for_log(warning, count=2) == 2  # each worker says it at its startup
