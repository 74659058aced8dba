"""Fixtures for panther-cache's tests: a clock the test moves, requests from chosen client addresses, and a Redis
key prefix of each test's own (removed afterwards) so parallel suites sharing the server never collide."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import pytest_asyncio

from panther.caching.state import STATE

#: A window start for every duration the tests use (a multiple of a day, in seconds since the epoch).
START = 1_800_000_000 - 1_800_000_000 % 86_400


class Clock:
    """A clock the test moves: ``clock.now`` seconds since the epoch."""

    def __init__(self, now: float = START) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def install(self, app: Any) -> Any:
        """Make ``app``'s throttles and caches read this clock; returns the app."""
        app.stash[STATE].clock = self
        return app


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def limits(self) -> tuple[str | None, str | None, str | None]:
        """``(X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset)``."""
        return tuple(self.headers.get(f"x-ratelimit-{name}") for name in ("limit", "remaining", "reset"))  # type: ignore[return-value]


async def call(
    app: Any,
    path: str,
    method: str = "GET",
    client: tuple[str, int] | None = ("10.1.1.1", 40000),
    headers: Iterable[tuple[str, str]] = (),
    query: bytes = b"",
) -> Answer:
    """One request as a server would send it, from ``client`` (the app's lifespan is the caller's business)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers],
        "client": client,
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []
    requested = False
    complete = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await complete.wait()  # like a client: gone only once it has the whole response
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            complete.set()

    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    headers_out = {name.decode("latin-1"): value.decode("latin-1") for name, value in start["headers"]}
    return Answer(start["status"], headers_out, body)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(name="call")
def call_fixture() -> Any:
    """``await call(app, path, method="GET", client=(ip, port), headers=[...], query=b"")`` → ``Answer``."""
    return call


@pytest_asyncio.fixture
async def redis_prefix(panther_redis_url: str) -> AsyncIterator[str]:
    """A key prefix of this test's own on the test Redis; its keys are deleted after the test."""
    import redis.asyncio as aioredis

    prefix = f"panther-cache-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = aioredis.Redis.from_url(panther_redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
def redis_configs(panther_redis_url: str, redis_prefix: str) -> Any:
    """``redis_configs(**cache)``: configs for an app throttling and caching in the test Redis, under this test's
    key prefix (``CACHE`` keys may be added)."""

    def configs(redis: dict[str, Any] | None = None, **cache: Any) -> dict[str, Any]:
        return {"REDIS": redis or {"url": panther_redis_url}, "CACHE": {"key_prefix": redis_prefix, **cache}}

    return configs
