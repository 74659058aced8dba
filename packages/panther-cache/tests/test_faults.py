"""Redis going away mid-run and coming back, against a Redis server this test starts, stops and restarts itself (on
a port of its own: the shared server the rest of the suite uses is never touched)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from panther import Panther
from panther.app import API
from panther.caching.state import STATE
from panther.test import APIClient
from panther.test.processes import free_port
from panther.test.services import in_ci
from panther.throttling import Throttle

pytestmark = pytest.mark.slow


class RedisServer:
    """A throw-away ``redis-server`` on ``port``, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            command, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        """Freeze the server: connections stay open and nothing answers (a hung server, a lost network)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed (scripts/services start installs it)"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@API(throttling=Throttle(2, timedelta(hours=1)))
async def limited():
    return {"ok": True}


runs: list[int] = []


@API(cache=timedelta(hours=1))
async def cached():
    runs.append(1)
    return {"run": len(runs)}


def build(server: RedisServer, **cache: object) -> Panther:
    redis = {"host": "127.0.0.1", "port": server.port, "socket_connect_timeout": 1}
    app = Panther(__name__, configs={"REDIS": redis, "CACHE": cache}, urls={"limited": limited, "cached": cached})
    app.stash[STATE].guard.interval = 0.1  # type: ignore[union-attr]  # wait less for the server to come back
    return app


async def back_up(app: Panther, within: float = 10) -> None:
    guard = app.stash[STATE].guard
    assert guard is not None
    deadline = time.monotonic() + within
    while guard.down:
        assert time.monotonic() < deadline, "Redis was not noticed to be back"
        await asyncio.sleep(0.05)


async def test_an_outage_fails_open_logs_once_and_recovers(call, redis_server, caplog) -> None:
    caplog.set_level(logging.INFO, logger="panther")
    runs.clear()
    app = build(redis_server)
    async with APIClient(app):
        assert [(await call(app, "/limited")).status for _ in range(3)] == [200, 200, 429]
        assert (await call(app, "/cached")).json() == {"run": 1}
        assert (await call(app, "/cached")).json() == {"run": 1}

        redis_server.stop()
        during = [await call(app, path) for _ in range(20) for path in ("/limited", "/cached")]
        assert {answer.status for answer in during} == {200}  # no 500, no 429: nothing can be counted
        assert during[-1].json() == {"run": 21}  # the cache is bypassed, the endpoint answers
        failures = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
        assert len(failures) == 1 and failures[0].levelno == logging.ERROR

        redis_server.start()  # empty: a restarted server without persistence
        await back_up(app)
        assert [(await call(app, "/limited")).status for _ in range(3)] == [200, 200, 429]
        assert (await call(app, "/cached")).json() == {"run": 22}
        assert (await call(app, "/cached")).json() == {"run": 22}
        assert sum("Redis answers again" in r.getMessage() for r in caplog.records) == 1

        redis_server.stop()  # a second outage is logged again, once
        for _ in range(5):
            assert (await call(app, "/limited")).status == 200
        assert sum("Redis is unreachable" in r.getMessage() for r in caplog.records) == 2
        redis_server.start()
        await back_up(app)


async def test_an_outage_can_fail_closed(call, redis_server) -> None:
    app = build(redis_server, on_redis_error="deny")
    async with APIClient(app):
        assert (await call(app, "/limited")).status == 200
        redis_server.stop()
        answers = [await call(app, "/limited") for _ in range(5)]
        assert {a.status for a in answers} == {503}
        assert answers[0].json() == {"detail": "Service Unavailable"} and answers[0].headers["retry-after"] == "1"
        assert (await call(app, "/cached")).status == 200  # caching has nothing to refuse: bypassed
        redis_server.start()
        await back_up(app)
        assert (await call(app, "/limited")).status == 200


async def test_a_server_that_stops_answering_is_an_outage_after_redis_timeout(call, redis_server) -> None:
    runs.clear()
    app = build(redis_server, redis_timeout=0.3)
    async with APIClient(app):
        assert (await call(app, "/limited")).status == 200
        redis_server.pause()
        try:
            started = time.monotonic()
            answers = await asyncio.gather(*(call(app, path) for path in ("/limited", "/cached") * 5))
            elapsed = time.monotonic() - started
            assert {a.status for a in answers} == {200}
            assert elapsed < 2.5  # each waited at most ~2 x redis_timeout (one retry), not forever
            assert (await call(app, "/limited")).status == 200  # now known to be down: no wait at all
        finally:
            redis_server.resume()
        await back_up(app)
        # Redis ran the commands that timed out once it resumed (they were sent): a new client shows it counts again.
        fresh = ("10.7.7.7", 1)
        assert [(await call(app, "/limited", client=fresh)).status for _ in range(3)] == [200, 200, 429]
