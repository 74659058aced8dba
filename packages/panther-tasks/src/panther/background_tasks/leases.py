"""Once per cluster: Redis leases that let one worker take each run of a scheduled task.

Two keys per task, on the app's ``redis.asyncio`` client:

- ``<prefix>:<name>:<slot>`` — the run of one slot. The first worker to ``SET NX`` it runs the slot; the others
  skip it. It expires once no worker can still try that slot (its grace, plus a margin for clock skew).
- ``<prefix>:<name>:running`` — held while a run is in progress and renewed as it goes, so a slow run in one worker
  delays the next run in any worker instead of overlapping with it. If the worker holding it dies, it expires
  within ``RUNNING_TTL`` seconds and the next slot runs elsewhere.

If Redis fails, the run is skipped and logged: a run is never done twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["RUNNING_TTL", "SKEW", "Leases"]

logger = logging.getLogger("panther.background_tasks")

#: Seconds a slot's key outlives the slot's grace: workers' clocks may disagree by this much.
SKEW = 60.0
#: Lifetime of the "running" key without renewal; renewed every third of it while the run goes on.
RUNNING_TTL = 10.0
#: How often a worker that took a slot checks whether another worker's run of the task has finished.
POLL = 0.1

# Delete / renew the key only if this worker still holds it (it may have expired and been taken since).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"


class Leases:
    """The leases of one app's scheduler on its Redis client."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def slot_key(self, name: str, slot: float) -> str:
        return f"{self.prefix}:{name}:{round(slot * 1000)}"

    async def claim(self, name: str, slot: float, ttl: float) -> bool:
        """Take the run of ``slot``; ``False`` if another worker has it (or Redis failed)."""
        try:
            return bool(await self.redis.set(self.slot_key(name, slot), self.holder, nx=True, px=_ms(ttl)))
        except Exception:
            logger.exception("Background task %r: cannot reach Redis to take its run; skipped", name)
            return False

    @asynccontextmanager
    async def running(self, name: str) -> AsyncIterator[None]:
        """Hold the task's "running" key for the duration of the block (waiting while another worker holds it)."""
        key = f"{self.prefix}:{name}:running"
        while not await self.redis.set(key, self.holder, nx=True, px=_ms(RUNNING_TTL)):  # noqa: ASYNC110
            await asyncio.sleep(POLL)  # another process holds it: nothing to wait on but Redis
        renewer = asyncio.create_task(self._renew(key))
        try:
            yield
        finally:
            renewer.cancel()
            try:
                await asyncio.shield(self.redis.eval(_RELEASE, 1, key, self.holder))
            except Exception:  # it expires by itself
                logger.warning("Background task %r: could not release its running lease", name, exc_info=True)

    async def _renew(self, key: str) -> None:
        while True:
            await asyncio.sleep(RUNNING_TTL / 3)
            try:
                await self.redis.eval(_RENEW, 1, key, self.holder, _ms(RUNNING_TTL))
            except Exception:
                logger.warning("Could not renew %s", key, exc_info=True)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
