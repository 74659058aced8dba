"""The Redis subscriber of one app: reads the app's WebSocket channel and hands each message to its connections.

Started at lifespan startup (a failed first subscription fails the startup, like an unreachable Redis) and stopped
at shutdown. When the subscription is lost — Redis restarted, a network cut — the listener logs it and subscribes
again with exponential backoff; messages published meanwhile are lost (Redis pub/sub keeps nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["RedisListener"]

logger = logging.getLogger("panther")

#: Backoff between attempts to subscribe again: doubles from the first value up to the second (seconds).
RETRY_DELAYS = (0.1, 5.0)


class RedisListener:
    """Subscribes ``redis`` (a ``redis.asyncio`` client) to ``channel`` and awaits ``handle(data)`` per message."""

    def __init__(
        self,
        redis: Any,
        channel: str,
        handle: Callable[[bytes | str], Awaitable[None]],
        retry_delays: tuple[float, float] = RETRY_DELAYS,
    ) -> None:
        self.redis = redis
        self.channel = channel
        self.handle = handle
        self.retry_delays = retry_delays
        #: Set while subscribed (tests and health checks wait on it).
        self.subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        pubsub = await self._subscribe()
        self._task = asyncio.create_task(self._run(pubsub), name=f"panther-ws listener {self.channel}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.subscribed.clear()

    async def _subscribe(self) -> Any:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
        except BaseException:
            await _close(pubsub)
            raise
        self.subscribed.set()
        return pubsub

    async def _run(self, pubsub: Any) -> None:
        first, longest = self.retry_delays
        try:
            while True:
                try:
                    await self._read(pubsub)
                except Exception as exc:
                    logger.warning(
                        "WebSocket delivery lost its Redis subscription to %r (%s: %s); subscribing again",
                        self.channel,
                        type(exc).__name__,
                        exc,
                    )
                self.subscribed.clear()
                await _close(pubsub)
                delay = first
                while True:
                    await asyncio.sleep(delay)
                    try:
                        pubsub = await self._subscribe()
                    except Exception as exc:
                        delay = min(delay * 2, longest)
                        logger.warning(
                            "WebSocket delivery cannot subscribe to %r (%s: %s); next attempt in %.2g s",
                            self.channel,
                            type(exc).__name__,
                            exc,
                            delay,
                        )
                        continue
                    logger.warning("WebSocket delivery subscribed to %r again", self.channel)
                    break
        finally:
            await _close(pubsub)

    async def _read(self, pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            try:
                await self.handle(message["data"])
            except Exception:  # a bug in delivery must not end the subscription
                logger.exception("WebSocket delivery failed for a message on %r", self.channel)
        raise ConnectionError("the subscription ended")


async def _close(pubsub: Any) -> None:
    with contextlib.suppress(Exception):
        await pubsub.aclose()
