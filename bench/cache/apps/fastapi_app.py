"""FastAPI + fastapi-limiter (on pyrate-limiter) + fastapi-cache2, as their documentation sets them up. One module
per backend builds it.

fastapi-cache2's default key is the function and its arguments: every user shares an entry unless the app writes
a key builder. fastapi-limiter's default identifier trusts any X-Forwarded-For header.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_cache import FastAPICache
from fastapi_cache.backends.inmemory import InMemoryBackend
from fastapi_cache.decorator import cache
from fastapi_limiter.depends import RateLimiter
from pyrate_limiter import Duration, Limiter, Rate
from report import report

RATES = [Rate(10**9, Duration.HOUR)]


def build_app(backend: str) -> FastAPI:
    limiter = RateLimiter(limiter=Limiter(RATES))  # in memory; replaced by a Redis bucket at startup below

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if backend == "redis":
            from fastapi_cache.backends.redis import RedisBackend
            from pyrate_limiter import RedisBucket
            from redis.asyncio import Redis

            redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])
            limiter.limiter = Limiter(await RedisBucket.init(RATES, redis, "bench-fastapi-limiter"))
            FastAPICache.init(RedisBackend(redis), prefix="bench-fastapi-cache")
            yield
            await redis.aclose()
        else:
            FastAPICache.init(InMemoryBackend(), prefix="bench-fastapi-cache")
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/json")
    async def json_view() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.get("/json/throttled", dependencies=[Depends(limiter)])
    async def throttled_view() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.get("/report")
    async def report_view() -> dict[str, object]:
        return report()

    @app.get("/report/cached")
    @cache(expire=3600)
    async def cached_report_view() -> dict[str, object]:
        return report()

    return app
