"""The scheduler's notion of time: the wall clock, or a manual clock that tests move forward without sleeping.

``BackgroundTasks.of(app).clock = ManualClock(...)`` before the app starts; then ``await clock.advance(60)`` runs
every task due in that minute, in order, and returns when the scheduler is idle again.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]

# Wake up at least this often while waiting for a slot, so a wall-clock change (NTP, a suspended VM) is noticed
# long before a task's minute is over.
MAX_NAP = 30.0


class Clock(Protocol):
    def now(self) -> float:
        """The current time as a Unix timestamp."""
        ...

    async def sleep_until(self, when: float) -> None:
        """Return once ``now() >= when``."""
        ...


class SystemClock:
    """The wall clock; sleeps on the event loop in naps of at most ``MAX_NAP`` seconds."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, when: float) -> None:
        while (delay := when - time.time()) > 0:  # noqa: ASYNC110 - waiting for a time, not for an event
            await asyncio.sleep(min(delay, MAX_NAP))


class _Watched(Protocol):
    @property
    def live_drivers(self) -> int: ...


class ManualClock:
    """A clock that moves only when told to (``advance``). For tests: no sleeping, no flakiness."""

    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._watched: list[_Watched] = []

    def now(self) -> float:
        return self._now

    async def sleep_until(self, when: float) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._order), future))
        try:
            await future
        finally:
            if not future.done():  # cancelled while asleep
                self._sleepers = [entry for entry in self._sleepers if entry[2] is not future]
                heapq.heapify(self._sleepers)

    def watch(self, scheduler: _Watched) -> None:
        """Called by a scheduler using this clock: ``advance`` waits for its drivers to settle."""
        self._watched.append(scheduler)

    def unwatch(self, scheduler: _Watched) -> None:
        if scheduler in self._watched:
            self._watched.remove(scheduler)

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking sleepers one instant at a time, and wait after each instant
        until every task it started has finished (or gone back to sleep)."""
        target = self._now + seconds
        await self.settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            self._now = max(self._now, self._sleepers[0][0])
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
            await self.settle()
        self._now = target
        await self.settle()

    async def settle(self, within: float = 10.0) -> None:
        """Wait until every driver of the watched schedulers sleeps on this clock (or has finished); raise
        ``TimeoutError`` if that takes more than ``within`` seconds."""
        deadline = time.monotonic() + within
        while sum(s.live_drivers for s in self._watched) > len(self._sleepers):
            if time.monotonic() > deadline:
                raise TimeoutError("background tasks did not settle (a task still running after the timeout?)")
            await asyncio.sleep(0.001)
