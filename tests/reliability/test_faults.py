"""Failing services: Redis and MongoDB of the test's own, stopped (or killed) and started again while the app runs.

The app answers a clear 503 within the configured timeout while a service is down, keeps serving what does not
need it, recovers by itself when the service is back, and loses no acknowledged write.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from everything import PASSWORD, create_app
from harness import Driver, Reply
from servers import MongoServer, RedisServer, Server

pytestmark = pytest.mark.slow


def _require(server: type[RedisServer] | type[MongoServer]) -> None:
    reason = server.available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    _require(RedisServer)
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mongo_server(tmp_path: Path) -> Iterator[MongoServer]:
    _require(MongoServer)
    server = MongoServer(tmp_path / "mongo")
    server.start()
    yield server
    server.stop()


def _json(method: str, path: bytes, body: bytes = b"", token: str | None = None) -> tuple:
    headers = [(b"content-type", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return method, path, b"", headers, body


def _login(driver: Driver) -> str:
    reply = driver.http(*_json("POST", b"/login", f'{{"username": "ann", "password": "{PASSWORD}"}}'.encode()))
    assert reply.status == 200, reply.body
    import orjson

    return str(orjson.loads(reply.body)["access_token"])


def _until(call: Callable[[], Reply], status: int, within: float) -> Reply:
    deadline = time.monotonic() + within
    while True:
        reply = call()
        if reply.status == status or time.monotonic() > deadline:
            return reply
        time.sleep(0.1)


def _timed(call: Callable[[], Reply]) -> tuple[Reply, float]:
    start = time.monotonic()
    reply = call()
    return reply, time.monotonic() - start


def test_redis_stopped_answers_503_and_recovers_without_losing_a_logout(tmp_path: Path, redis_server: Server) -> None:
    # Token revocation lives in Redis: without it a token can be neither trusted nor refused.
    driver = Driver(create_app(tmp_path / "app", {"REDIS": {"url": redis_server.url, "socket_connect_timeout": 2}}))
    try:
        revoked, kept = _login(driver), _login(driver)
        assert driver.http(*_json("GET", b"/me", token=kept)).status == 200
        logout = driver.http(*_json("POST", b"/logout", token=revoked))
        assert logout.status == 200, logout.body  # acknowledged: stored in Redis (append-only, synced)
        assert driver.http(*_json("GET", b"/me", token=revoked)).status == 401

        redis_server.stop()
        reply, took = _timed(lambda: driver.http(*_json("GET", b"/me", token=kept)))
        assert reply.status == 503 and b"unavailable" in reply.body, reply.body
        assert took < 5
        assert driver.http("GET", b"/hello").status == 200  # what needs no Redis is served
        # Throttles and caches degrade as configured (CACHE["on_redis_error"] = "allow", the default): served,
        # uncounted and uncached, each within CACHE["redis_timeout"].
        for path in (b"/limited", b"/cached", b"/cached"):
            reply, took = _timed(lambda p=path: driver.http("GET", p))
            assert reply.status == 200 and took < 2, (path, reply.body)

        redis_server.start()  # same port, same data directory
        assert _until(lambda: driver.http(*_json("GET", b"/me", token=kept)), 200, within=10).status == 200
        assert driver.http(*_json("GET", b"/me", token=revoked)).status == 401  # the logout was not lost
        # The cache checks every second in the background whether Redis is back, then caches again.
        deadline = time.monotonic() + 5
        while True:
            misses = driver.app.state.cache_misses
            assert driver.http("GET", b"/cached", b"after").status == 200
            if driver.app.state.cache_misses == misses or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert driver.app.state.cache_misses == misses  # served from the cache
    finally:
        driver.close()


def test_mongodb_killed_answers_503_within_the_timeout_and_loses_no_acknowledged_write(
    tmp_path: Path, mongo_server: Server
) -> None:
    timeout_ms = 1500  # serverSelectionTimeoutMS: 5 000 by default, configurable per app
    engine = {"class": "mongodb", "host": mongo_server.url, "serverSelectionTimeoutMS": timeout_ms, "journal": True}
    driver = Driver(create_app(tmp_path / "app", {"DATABASE": {"engine": engine}}))
    try:
        titles = [f"book {n}" for n in range(25)]
        for title in titles:  # each acknowledged after MongoDB wrote it to its journal
            body = f'{{"title": "{title}", "author": "x", "pages": 10}}'.encode()
            assert driver.http(*_json("POST", b"/books", body)).status == 201

        mongo_server.kill()  # SIGKILL: no clean shutdown, only the journal
        for method, body in (("GET", b""), ("POST", b'{"title": "t", "author": "a", "pages": 1}')):
            reply, took = _timed(lambda m=method, b=body: driver.http(*_json(m, b"/books", b)))
            assert reply.status == 503, reply.body
            assert reply.body == b'{"detail":"Database is unavailable, try again later"}'
            assert took < timeout_ms / 1000 + 2
        assert driver.http("GET", b"/hello").status == 200

        mongo_server.start()
        reply = _until(lambda: driver.http("GET", b"/library", b"limit=100"), 200, within=30)
        assert reply.status == 200, reply.body
        import orjson

        stored = sorted(book["title"] for book in orjson.loads(reply.body)["results"])
        assert stored == sorted(titles)
    finally:
        driver.close()
