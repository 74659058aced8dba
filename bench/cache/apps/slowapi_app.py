"""Starlette + slowapi (the `limits` library), as its documentation sets it up. One module per storage builds it.

slowapi's `limits` storages are synchronous: with Redis each throttled request blocks the event loop for its round
trips. Its X-RateLimit headers are off by default (`headers_enabled=False`), as here.
"""

import os

from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def build_app(storage_uri: str) -> Starlette:
    limiter = Limiter(key_func=get_remote_address, storage_uri=storage_uri)

    async def json_view(request: Request) -> JSONResponse:
        return JSONResponse({"message": "Hello, World!"})

    @limiter.limit("1000000000/hour")
    async def throttled_view(request: Request) -> JSONResponse:
        return JSONResponse({"message": "Hello, World!"})

    app = Starlette(routes=[Route("/json", json_view), Route("/json/throttled", throttled_view)])
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)  # type: ignore[arg-type]
    return app


def redis_uri() -> str:
    return os.environ["BENCH_REDIS_URL"]
