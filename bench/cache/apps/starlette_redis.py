"""Starlette with the rate-limit middleware users write themselves: a fixed window per client and path, counted
with INCR + EXPIRE in one pipelined (MULTI/EXEC) round trip to Redis."""

import os
import time

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

RATE = 10**9
WINDOW = 3600


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, paths: set[str]) -> None:
        self.app = app
        self.paths = paths
        self.redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            return await self.app(scope, receive, send)
        client = scope["client"][0] if scope.get("client") else "-"
        key = f"bench-starlette:{client}:{scope['path']}:{int(time.time() // WINDOW)}"
        async with self.redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(key).expire(key, WINDOW).execute()
        if count > RATE:
            response = JSONResponse({"detail": "Too Many Requests"}, status_code=429)
            return await response(scope, receive, send)
        await self.app(scope, receive, send)


async def json_view(request: Request) -> JSONResponse:
    return JSONResponse({"message": "Hello, World!"})


def build() -> Starlette:
    app = Starlette(routes=[Route("/json", json_view), Route("/json/throttled", json_view)])
    app.add_middleware(RateLimitMiddleware, paths={"/json/throttled"})
    return app
