"""The Redis subscriber's retry loop, with a stand-in client that fails on cue (the real server is exercised in
``test_redis.py`` and ``test_cluster.py``; a server that stays down for a while cannot be staged on a shared one)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from panther.websocket.listener import RedisListener


class FlakyPubSub:
    def __init__(self, server: FlakyServer) -> None:
        self.server = server
        self.closed = False

    async def subscribe(self, channel: str) -> None:
        self.server.attempts.append(asyncio.get_running_loop().time())
        if self.server.refusals:
            self.server.refusals -= 1
            raise ConnectionRefusedError("Redis is down")

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        while self.server.queue:
            item = self.server.queue.pop(0)
            if isinstance(item, Exception):
                raise item
            yield {"type": "message", "data": item}
        await asyncio.Event().wait()  # subscribed, nothing more to read

    async def aclose(self) -> None:
        self.closed = True


class FlakyServer:
    def __init__(self, queue: list[Any], refusals: int = 0) -> None:
        self.queue = queue
        self.refusals = refusals
        self.attempts: list[float] = []

    def pubsub(self, **options: Any) -> FlakyPubSub:
        return FlakyPubSub(self)


async def test_lost_subscription_is_retried_with_backoff_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    received: list[Any] = []

    async def handle(data: Any) -> None:
        if data == b"bad":
            raise ValueError("a bug in delivery")
        received.append(data)

    server = FlakyServer([b"one", b"bad", ConnectionError("Connection closed by server."), b"two"])
    listener = RedisListener(server, "chan", handle, retry_delays=(0.02, 0.05))
    with caplog.at_level(logging.WARNING, logger="panther"):
        await listener.start()
        server.refusals = 3  # down for three more attempts after the first loss
        for _ in range(200):
            await asyncio.sleep(0.01)
            if received == [b"one", b"two"]:
                break
        await listener.stop()
    assert received == [b"one", b"two"]  # the failing message did not end the subscription
    # The start, then 3 refused attempts and the one that worked, each waiting twice as long, up to 0.05 s.
    gaps = [b - a for a, b in zip(server.attempts[1:], server.attempts[2:])]
    assert len(server.attempts) == 5 and len(gaps) == 3
    assert 0.035 <= gaps[0] < 0.045 + 0.2 and all(0.045 <= gap < 0.05 + 0.2 for gap in gaps[1:])
    text = caplog.text
    assert "lost its Redis subscription" in text and text.count("cannot subscribe") == 3
    assert "subscribed to 'chan' again" in text and "a bug in delivery" in text
    assert not listener.subscribed.is_set()


async def test_a_failed_first_subscription_fails_the_start() -> None:
    listener = RedisListener(FlakyServer([], refusals=1), "chan", lambda data: asyncio.sleep(0))
    with pytest.raises(ConnectionRefusedError):
        await listener.start()
    assert not listener.subscribed.is_set()
