"""Where revoked sessions are recorded until their tokens expire: Redis (shared by every worker and server) when
``REDIS`` is configured, otherwise a store in this process's memory.

Both record a session id with the time until which it must stay revoked; ``revoke`` says whether the session was
newly revoked, so a refresh token used twice (two concurrent refreshes, or a stolen token replayed after its
rotation) is detected: only the first use wins.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from panther.exceptions import APIError

__all__ = ["MemoryRevocations", "RedisRevocations", "RevocationStore", "RevocationUnavailable"]

logger = logging.getLogger("panther")

REDIS_PREFIX = "panther:jwt:revoked:"


class RevocationUnavailable(APIError):
    """A revocation could not be recorded: the logout or refresh fails instead of pretending it worked."""

    detail = "Token revocation is unavailable, try again later"
    status_code = 503


class RevocationStore(Protocol):
    #: Whether every process serving the app sees the same revocations.
    shared: bool

    async def revoke(self, key: str, until: float) -> bool:
        """Keep ``key`` revoked until the Unix time ``until``; ``False`` if it was revoked already."""
        ...

    async def is_revoked(self, key: str) -> bool: ...


class MemoryRevocations:
    """Revocations in this process: entries expire with their tokens and are purged as they do.

    An unexpired entry is never dropped to make room: when ``capacity`` unexpired entries are held, a new
    revocation fails with a 503 (and an error in the log saying to configure ``REDIS``), so a logout never
    silently does nothing. Everything runs on the event loop without awaiting, so each operation is atomic.
    """

    shared = False

    def __init__(self, capacity: int, clock: Callable[[], float] = time.time) -> None:
        self.capacity = capacity
        self._clock = clock
        self._until: dict[str, float] = {}
        self._expiries: list[tuple[float, str]] = []  # a heap, earliest expiry first

    def __len__(self) -> int:
        return len(self._until)

    async def revoke(self, key: str, until: float) -> bool:
        now = self._clock()
        self._purge(now)
        current = self._until.get(key)
        if current is not None:
            if until > current:
                self._keep(key, until)
            return False
        if until <= now:  # every token of the session has expired: nothing left to refuse
            return True
        if len(self._until) >= self.capacity:
            logger.error(
                "Token revocation refused: %d sessions are revoked in this process and none has expired yet "
                "(JWT_CONFIG['revocation_capacity']). Configure REDIS to keep revocations in Redis.",
                len(self._until),
            )
            raise RevocationUnavailable
        self._keep(key, until)
        return True

    async def is_revoked(self, key: str) -> bool:
        until = self._until.get(key)
        return until is not None and until > self._clock()

    def _keep(self, key: str, until: float) -> None:
        self._until[key] = until
        heapq.heappush(self._expiries, (until, key))

    def _purge(self, now: float) -> None:
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            until, key = heapq.heappop(expiries)
            if self._until.get(key) == until:  # not extended since
                del self._until[key]


class RedisRevocations:
    """Revocations in the app's Redis (``app.redis``): one key per session with the session's remaining life as
    its TTL, set with ``NX`` so that only the first revocation of a session counts.

    When Redis cannot be reached, requests with a token fail closed with a 503 (a token is never taken as not
    revoked because the store did not answer), and the error is logged.
    """

    shared = True

    def __init__(self, client: Any, prefix: str = REDIS_PREFIX, clock: Callable[[], float] = time.time) -> None:
        from redis.exceptions import RedisError

        self.client = client
        self.prefix = prefix
        self._clock = clock
        self._errors: type[Exception] = RedisError

    async def revoke(self, key: str, until: float) -> bool:
        ttl_ms = math.ceil((until - self._clock()) * 1000)
        if ttl_ms <= 0:
            return True
        try:
            return bool(await self.client.set(self.prefix + key, b"1", px=ttl_ms, nx=True))
        except self._errors as exc:
            raise self._unavailable(exc) from None

    async def is_revoked(self, key: str) -> bool:
        try:
            return bool(await self.client.exists(self.prefix + key))
        except self._errors as exc:
            raise self._unavailable(exc) from None

    @staticmethod
    def _unavailable(exc: Exception) -> RevocationUnavailable:
        logger.error("Token revocation store (Redis) is unavailable: %s: %s", type(exc).__name__, exc)
        return RevocationUnavailable(detail="Authentication is unavailable, try again later")
