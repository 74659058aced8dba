"""The revocation stores: entries live exactly until their tokens expire, the in-process store never drops an
unexpired entry, and only the first revocation of a session counts (refresh-token reuse detection)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from panther import Panther
from panther.authentications.revocation import MemoryRevocations, RedisRevocations, RevocationUnavailable
from panther.authentications.state import AUTH


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class TestMemory:
    async def test_revoked_until_expiry_then_purged(self):
        clock = Clock()
        store = MemoryRevocations(capacity=10, clock=clock)
        assert await store.revoke("a", until=1_100) is True
        assert await store.is_revoked("a") and not await store.is_revoked("b")
        clock.now = 1_099.9
        assert await store.is_revoked("a")
        clock.now = 1_100
        assert not await store.is_revoked("a")
        await store.revoke("b", until=1_200)  # any write purges what has expired
        assert len(store) == 1

    async def test_second_revocation_of_a_session_is_reported(self):
        store = MemoryRevocations(capacity=10, clock=Clock())
        assert await store.revoke("a", until=1_100) is True
        assert await store.revoke("a", until=1_100) is False

    async def test_a_longer_revocation_extends_the_entry(self):
        clock = Clock()
        store = MemoryRevocations(capacity=10, clock=clock)
        await store.revoke("a", until=1_100)
        await store.revoke("a", until=1_500)
        clock.now = 1_200
        await store.revoke("b", until=1_300)  # purges the stale heap item of "a", not "a" itself
        assert await store.is_revoked("a")

    async def test_already_expired_token_needs_no_entry(self):
        store = MemoryRevocations(capacity=1, clock=Clock())
        assert await store.revoke("old", until=900) is True
        assert len(store) == 0

    async def test_full_store_refuses_instead_of_dropping(self, caplog):
        clock = Clock()
        store = MemoryRevocations(capacity=3, clock=clock)
        for key in "abc":
            await store.revoke(key, until=2_000)
        with pytest.raises(RevocationUnavailable) as refused:
            await store.revoke("d", until=2_000)
        assert refused.value.status_code == 503
        assert "Configure REDIS" in caplog.text
        assert all([await store.is_revoked(key) for key in "abc"])  # nothing was dropped to make room
        clock.now = 2_000  # once they expire, there is room again
        assert await store.revoke("d", until=3_000) is True
        assert len(store) == 1

    async def test_bounded_under_churn(self):
        clock = Clock()
        store = MemoryRevocations(capacity=100, clock=clock)
        for i in range(10_000):
            clock.now += 1
            await store.revoke(f"s{i}", until=clock.now + 50)
        assert len(store) <= 50 and len(store._expiries) <= 51


@pytest.mark.panther_redis
class TestRedis:
    @pytest.fixture
    async def client(self, redis_settings: dict[str, Any]) -> Any:
        app = Panther(__name__, configs={"REDIS": redis_settings}, urls={})
        await app.startup()
        yield app.redis
        await app.shutdown()

    async def test_ttl_is_the_remaining_life(self, client):
        store = RedisRevocations(client)
        key = uuid.uuid4().hex
        assert await store.revoke(key, until=time.time() + 60) is True
        assert 59_000 < await client.pttl(store.prefix + key) <= 60_000
        assert await store.is_revoked(key)
        assert await store.revoke(key, until=time.time() + 60) is False
        await client.delete(store.prefix + key)

    async def test_expired_token_writes_nothing(self, client):
        store = RedisRevocations(client)
        key = uuid.uuid4().hex
        assert await store.revoke(key, until=time.time() - 1) is True
        assert not await client.exists(store.prefix + key)

    async def test_entry_expires_with_the_token(self, client):
        import asyncio

        store = RedisRevocations(client)
        key = uuid.uuid4().hex
        await store.revoke(key, until=time.time() + 1)
        assert await store.is_revoked(key)
        await asyncio.sleep(1.2)
        assert not await store.is_revoked(key)


def test_the_app_chooses_redis_when_configured(redis_settings):
    assert isinstance(
        Panther(__name__, configs={"REDIS": redis_settings}, urls={}).stash[AUTH].revocations, RedisRevocations
    )
    assert isinstance(Panther(__name__, configs={}, urls={}).stash[AUTH].revocations, MemoryRevocations)


async def test_unreachable_redis_fails_closed_with_a_503(caplog):
    from panther.redis_client import create_client

    client = create_client({"host": "127.0.0.1", "port": 1, "socket_connect_timeout": 0.2})
    store = RedisRevocations(client)
    for operation in (store.is_revoked("s"), store.revoke("s", until=time.time() + 60)):
        with pytest.raises(RevocationUnavailable) as refused:
            await operation
        assert refused.value.status_code == 503
    assert "Token revocation store (Redis) is unavailable" in caplog.text
    await client.aclose()
