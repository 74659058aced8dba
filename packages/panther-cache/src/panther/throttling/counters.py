"""Where a throttled endpoint counts its clients: in this process's memory or in Redis.

Both count a request only when it is allowed, so a client that keeps knocking while refused does not push its
wait further out, and both decide and count in one step that nothing can interleave with: in memory there is no
``await`` between the read and the write; in Redis one Lua script reads, decides and increments (one round trip),
so N concurrent requests against a rate of R let exactly R through, from any number of processes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import islice
from typing import Any

from panther.throttling.throttle import Decision, Throttle, decide, retry_after

__all__ = ["MemoryCounter", "RedisCounter"]


def _remaining(count: int, previous: int, rate: int, now: float, seconds: float, window: int, sliding: bool) -> int:
    used: float = count
    if sliding and previous:
        used += previous * ((window + 1) * seconds - now) / seconds
    return max(0, math.floor(rate - used))


class MemoryCounter:
    """One endpoint's counts in memory: this window's and the previous one's; older windows are dropped whole.

    At most ``max_clients`` clients are counted per window: past that the tenth of them seen first in the window is
    forgotten, so memory stays bounded whatever the number of clients (use Redis for more).
    """

    __slots__ = (
        "current",
        "end",
        "hit",
        "max_clients",
        "previous",
        "rate",
        "reset",
        "reset_line",
        "seconds",
        "sliding",
        "start",
        "window",
    )

    #: ``hit(key, now)``: count one request of ``key`` at ``now``; the requests it has left, or -1 when it is refused.
    hit: Callable[[str, float], int]

    def __init__(self, throttle: Throttle, max_clients: int) -> None:
        self.rate = throttle.rate
        self.seconds = throttle.seconds
        self.sliding = throttle.sliding
        self.max_clients = max_clients
        self.window = -1
        #: The current window is [start, end) on the epoch clock.
        self.start = self.end = 0.0
        self.current: dict[str, int] = {}
        self.previous: dict[str, int] = {}
        self.reset = 0
        #: The ``X-RateLimit-Reset`` header line of the current window, encoded once per window.
        self.reset_line = (b"x-ratelimit-reset", b"0")
        # The fixed window's runs on every request of the endpoint, so it does as little as it can.
        self.hit = self._hit_sliding if self.sliding else self._hit_fixed

    def _hit_fixed(self, key: str, now: float) -> int:
        if not self.start <= now < self.end:
            self._roll(now)
        current = self.current
        count = current.get(key, 0)
        if count >= self.rate:
            return -1
        if not count and len(current) >= self.max_clients:
            current = self._forget_oldest()
        current[key] = count + 1
        return self.rate - count - 1

    def _hit_sliding(self, key: str, now: float) -> int:
        if not self.start <= now < self.end:
            self._roll(now)
        current = self.current
        count = current.get(key, 0)
        previous = self.previous.get(key, 0)
        if not decide(count, previous, self.rate, now, self.seconds, self.window, True):
            return -1
        if not count and len(current) >= self.max_clients:
            current = self._forget_oldest()
        current[key] = count + 1
        return _remaining(count + 1, previous, self.rate, now, self.seconds, self.window, True)

    def _forget_oldest(self) -> dict[str, int]:
        # A tenth at a time, rebuilding the dict: deleting its first key one by one would leave the dict scanning
        # ever more empty slots to find the next first key.
        current = self.current
        self.current = current = dict(islice(current.items(), max(1, len(current) // 10), None))
        return current

    def retry_after(self, key: str, now: float) -> int:
        """Seconds before ``key``'s next request may be allowed (after ``hit`` refused it)."""
        previous = self.previous.get(key, 0) if self.sliding else 0
        count = self.current.get(key, 0)
        return retry_after(count, previous, self.rate, now, self.seconds, self.window, self.sliding)

    def decision(self, key: str, now: float) -> Decision:
        """``hit`` with everything a client is told."""
        remaining = self.hit(key, now)
        if remaining < 0:
            return Decision(False, 0, self.reset, self.retry_after(key, now))
        return Decision(True, remaining, self.reset, 0)

    def _roll(self, now: float) -> None:
        window = int(now // self.seconds)
        # A clock that stepped back keeps counting in the newest window; the same window can come back here when a
        # duration that is not a whole number of seconds rounds its end down.
        if window <= self.window:
            return
        self.previous = self.current if window == self.window + 1 else {}
        self.current = {}
        self.window = window
        self.start = window * self.seconds
        self.end = (window + 1) * self.seconds
        self.reset = math.ceil(self.end)
        self.reset_line = (b"x-ratelimit-reset", b"%d" % self.reset)

    def __len__(self) -> int:
        return len(self.current) + len(self.previous)


# KEYS[1]: the client's counter of this window; KEYS[2] (sliding only): its counter of the previous window.
# ARGV[1]: rate; ARGV[2]: weight of the previous window (0 to 1); ARGV[3]: lifetime of this window's counter, ms.
# Returns {allowed (0/1), count in this window (after the increment), count in the previous window}.
SCRIPT = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = 0
if #KEYS > 1 then previous = tonumber(redis.call('GET', KEYS[2]) or '0') end
if count + 1 + previous * tonumber(ARGV[2]) > tonumber(ARGV[1]) then
  return {0, count, previous}
end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, count, previous}
"""


class RedisCounter:
    """One endpoint's counts in Redis, shared by every process using the same Redis.

    Keys: ``<prefix>throttle:{<route>|<client>}:<window>``; the braces keep a client's two counters in one Redis
    Cluster slot. A counter expires when it can no longer be read (its window, plus the next one when sliding).
    """

    __slots__ = ("prefix", "rate", "script", "seconds", "sliding")

    def __init__(self, throttle: Throttle, script: Any, prefix: str) -> None:
        self.rate = throttle.rate
        self.seconds = throttle.seconds
        self.sliding = throttle.sliding
        self.script = script
        self.prefix = prefix

    async def hit(self, key: str, now: float) -> Decision:
        rate, seconds, sliding = self.rate, self.seconds, self.sliding
        window = int(now // seconds)
        end = (window + 1) * seconds
        base = f"{self.prefix}{{{key}}}:"
        lifetime = end - now + (seconds if sliding else 0)
        if sliding:
            keys = [f"{base}{window}", f"{base}{window - 1}"]
            weight = repr((end - now) / seconds)
        else:
            keys = [f"{base}{window}"]
            weight = "0"
        allowed, count, previous = await self.script(keys=keys, args=[rate, weight, math.ceil(lifetime * 1000) + 1000])
        if not allowed:
            return Decision(False, 0, math.ceil(end), retry_after(count, previous, rate, now, seconds, window, sliding))
        return Decision(True, _remaining(count, previous, rate, now, seconds, window, sliding), math.ceil(end), 0)
