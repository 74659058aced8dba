"""What the ``cache`` plugin keeps per app (``app.stash[STATE]``): settings, identity, clock, Redis, stores."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from panther.caching.guard import RedisGuard
from panther.caching.identity import Identity, TrustedProxies, make_identity
from panther.caching.settings import CacheSettings
from panther.caching.store import MemoryResponses
from panther.exceptions import PantherError
from panther.stash import StashKey

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther

__all__ = ["STATE", "CacheState"]


class CacheState:
    """One app's throttling and caching: read once when the app is built, used by every endpoint's steps.

    ``redis`` is the client throttles and caches use (``None``: they count and store in memory), a fast-failing
    sibling of ``app.redis`` closed with the app; ``clock`` gives seconds since the epoch (a test may replace it);
    ``throttled`` counts the endpoints with a throttle.
    """

    def __init__(self, settings: CacheSettings, proxies: TrustedProxies, redis: Any) -> None:
        self.settings = settings
        self.proxies = proxies
        self.identity: Identity = make_identity(proxies)
        self.clock: Callable[[], float] = time.time
        self.redis = redis
        self.guard = RedisGuard(redis, settings.on_redis_error) if redis is not None else None
        self.responses = MemoryResponses(settings.max_entries, settings.max_bytes)
        self.throttled = 0

    @classmethod
    def build(cls, app: Panther, config: Config) -> CacheState:
        settings = CacheSettings.from_setting(config.CACHE)
        proxies = TrustedProxies(config.TRUSTED_PROXIES)
        backend = settings.backend or ("redis" if app.redis is not None else "memory")
        if backend == "memory":
            return cls(settings, proxies, None)
        if app.redis is None:
            raise PantherError("CACHE['backend'] is 'redis' but REDIS is not set: configure REDIS = {...}.")
        return cls(settings, proxies, _own_client(app.redis, settings.redis_timeout))

    async def close(self) -> None:
        if self.guard is not None:
            await self.guard.close()
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)


def _own_client(client: Any, timeout: float) -> Any:
    """A client to the app's Redis (same connection settings, its own pool) that fails fast.

    A throttle or cache sits in front of every request of its endpoint: rather than the app client's patient
    retries (seconds of backoff while Redis is down, forever without a socket timeout), one immediate retry (a
    pooled connection a Redis restart closed) and ``timeout`` seconds at most, then the outage is handled. It
    answers bytes whatever ``decode_responses`` says: cached bodies may be binary.
    """
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    pool = client.connection_pool
    kwargs = {
        **pool.connection_kwargs,
        "decode_responses": False,
        "retry": Retry(NoBackoff(), 1),
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    own_pool = type(pool)(connection_class=pool.connection_class, max_connections=pool.max_connections, **kwargs)
    return type(client)(connection_pool=own_pool)


STATE: StashKey[CacheState] = StashKey("cache")
