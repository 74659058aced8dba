"""The built-in ``redis`` plugin: one client per app from ``REDIS``, checked at startup and closed at shutdown."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from panther import Panther
from panther.exceptions import PantherError
from panther.plugins import hookimpl

# `redis` is an optional dependency of the core (the `redis` extra); without it these tests have nothing to run.
needs_redis = pytest.mark.skipif(
    importlib.util.find_spec("redis") is None, reason="needs the optional `redis` package (pip install redis)"
)


def test_no_redis_setting_no_client() -> None:
    assert Panther(__name__, configs={}, urls={}).redis is None


def test_a_setting_that_is_not_a_dict_fails_at_startup() -> None:
    with pytest.raises(PantherError, match="REDIS must be a dict"):
        Panther(__name__, configs={"REDIS": "redis://x"}, urls={})


@needs_redis
def test_an_option_redis_does_not_take_fails_at_startup() -> None:
    with pytest.raises(PantherError, match="does not take"):
        Panther(__name__, configs={"REDIS": {"hots": "127.0.0.1"}}, urls={})


@needs_redis
async def test_unreachable_server_fails_the_lifespan_startup(lifespan: Any) -> None:
    app = Panther(__name__, configs={"REDIS": {"host": "127.0.0.1", "port": 1, "socket_connect_timeout": 0.5}}, urls={})
    sent = await lifespan(app, "startup")
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "Cannot reach Redis" in sent[0]["message"]


@needs_redis
async def test_client_is_shared_with_plugins_and_each_app_has_its_own(redis_url: str) -> None:
    seen: list[Any] = []

    class UsesRedis:
        @hookimpl
        def panther_configure(self, app: Panther) -> None:
            seen.append(app.redis)

    server = redis_url.rsplit("/", 1)[0]
    db1 = Panther(__name__, configs={"REDIS": {"url": f"{server}/1"}}, urls={}, plugins=[UsesRedis()])
    db2 = Panther(__name__, configs={"REDIS": {"url": f"{server}/2"}}, urls={}, plugins=[UsesRedis()])
    assert seen == [db1.redis, db2.redis] and db1.redis is not db2.redis
    for app in (db1, db2):
        await app.startup()
    try:
        await db1.redis.set("panther-test-key", "one")
        await db2.redis.set("panther-test-key", "two")
        assert await db1.redis.get("panther-test-key") == b"one"
        assert await db2.redis.get("panther-test-key") == b"two"
    finally:
        await db1.redis.delete("panther-test-key")
        await db2.redis.delete("panther-test-key")
        for app in (db1, db2):
            await app.shutdown()
