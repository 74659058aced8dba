"""Redis outages: noticed on the first failed call, logged once, waited out in the background.

While Redis is down, throttles and caches do not call it at all (each request would otherwise wait for its own
connection error): throttles let requests through (or refuse them with 503 when ``CACHE['on_redis_error']`` is
``'deny'``) and the response cache is bypassed. A background task pings Redis every ``interval`` seconds and, once
it answers, the app uses it again and logs that it is back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["RedisGuard"]

logger = logging.getLogger("panther")


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    # OSError: a socket error redis-py did not wrap; TimeoutError: an operation that ran out of time.
    return (RedisError, OSError, TimeoutError)


class RedisGuard:
    """The state of one app's Redis connection as its throttles and caches see it."""

    __slots__ = ("_probe", "client", "down", "errors", "interval", "on_error")

    def __init__(self, client: Any, on_error: str, interval: float = 1.0) -> None:
        self.client = client
        self.on_error = on_error
        self.interval = interval
        self.errors = _redis_errors()
        self.down = False
        self._probe: asyncio.Task[None] | None = None

    def failed(self, exc: BaseException) -> None:
        """Record a failed call: the first one of an outage is logged and starts waiting for Redis to return."""
        if self.down:
            return
        self.down = True
        degraded = "throttled requests are refused (503)" if self.on_error == "deny" else "throttling is off"
        logger.error(
            "Redis is unreachable (%s: %s): %s and the response cache is bypassed until it answers again.",
            type(exc).__name__,
            exc,
            degraded,
        )
        self._probe = asyncio.get_running_loop().create_task(self._wait_for_redis())

    async def _wait_for_redis(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.client.ping()
            except self.errors:
                continue
            self.down = False
            self._probe = None
            logger.warning("Redis answers again: throttling and response caching use it again.")
            return

    async def close(self) -> None:
        """Stop waiting for Redis (at shutdown)."""
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            try:
                await probe
            except asyncio.CancelledError:
                pass
