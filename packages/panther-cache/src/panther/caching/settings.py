"""The ``CACHE`` setting: where throttles count and responses are kept, and how much memory they may use.

::

    CACHE = {
        "backend": None,            # None: Redis when REDIS is set, else memory; or "memory" / "redis"
        "key_prefix": "panther:",   # Redis keys start with it
        "max_entries": 10_000,      # memory response cache: entries (least recently used evicted first)
        "max_bytes": 64 * 2**20,    # memory response cache: bytes of bodies
        "max_clients": 100_000,     # memory throttles: clients counted per endpoint and window
        "on_redis_error": "allow",  # when Redis fails, throttled requests are "allow"ed or "deny"ed (503)
        "redis_timeout": 1.0,       # seconds a throttle or cache waits for Redis before it counts as down
    }

Every key is optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from panther.exceptions import PantherError

__all__ = ["CacheSettings"]

MiB = 2**20
_BACKENDS = (None, "memory", "redis")
_ON_REDIS_ERROR = ("allow", "deny")


@dataclass(frozen=True, slots=True)
class CacheSettings:
    backend: str | None = None
    key_prefix: str = "panther:"
    max_entries: int = 10_000
    max_bytes: int = 64 * MiB
    max_clients: int = 100_000
    on_redis_error: str = "allow"
    redis_timeout: float = 1.0

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | None) -> CacheSettings:
        """Read and check ``CACHE``; a mistake is a ``PantherError`` that says what to change."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise PantherError(f"CACHE must be a dict such as {{'backend': 'memory'}}, got {value!r}.")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise PantherError(f"CACHE has unknown keys {unknown}; known keys: {sorted(known)}.")
        settings = cls(**value)
        settings._check()
        return settings

    def _check(self) -> None:
        if self.backend not in _BACKENDS:
            raise PantherError(f"CACHE['backend'] must be None, 'memory' or 'redis', got {self.backend!r}.")
        if self.on_redis_error not in _ON_REDIS_ERROR:
            raise PantherError(f"CACHE['on_redis_error'] must be 'allow' or 'deny', got {self.on_redis_error!r}.")
        if not isinstance(self.key_prefix, str):
            raise PantherError(f"CACHE['key_prefix'] must be a str, got {self.key_prefix!r}.")
        timeout = self.redis_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise PantherError(f"CACHE['redis_timeout'] must be a positive number of seconds, got {timeout!r}.")
        for name in ("max_entries", "max_bytes", "max_clients"):
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise PantherError(f"CACHE[{name!r}] must be a positive int, got {number!r}.")
