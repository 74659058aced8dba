"""The ``CACHE`` step of an endpoint declared with ``cache=timedelta(...)``: answer a GET from the stored response
when there is one, else run the endpoint and keep what it answered for ``cache``.

The key is the route, the path variables, the query string and who asks (the user, else the client address), so
one user never gets a response made for another. The step runs after authentication, permissions and
throttling: a hit is still checked and counted, it only skips the endpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson

from panther.caching.store import RedisResponses, freeze
from panther.plan import Handler, Stage, Step

if TYPE_CHECKING:
    from panther.caching.state import CacheState
    from panther.request import Request
    from panther.response import RenderContext, Response

__all__ = ["GET_ONLY", "cache_step"]

GET_ONLY = frozenset({"GET"})  # HEAD is answered by the GET handler, so it shares GET's entries


def cache_step(route: str, ttl: timedelta, state: CacheState, context: RenderContext) -> Step:
    """The step answering ``route``'s GET requests from the app's response cache."""
    seconds = ttl.total_seconds()
    if state.redis is None:
        wrap = _memory(route, seconds, state, context)
    else:
        wrap = _redis(f"{state.settings.key_prefix}cache:{route}:", seconds, state, context)
    return Step(Stage.CACHE, wrap, methods=GET_ONLY, reads_body=False)


def _memory(route: str, seconds: float, state: CacheState, context: RenderContext) -> Callable[[Handler], Handler]:
    store = state.responses
    identity = state.identity

    def wrap(inner: Handler) -> Handler:
        async def cached(request: Request) -> Response:
            key = (route, *request.path_variables.values(), request.scope.get("query_string", b""), identity(request))
            now = state.clock()
            hit = store.get(key, now)
            if hit is not None:
                return hit.response()
            response = await inner(request)
            kept = freeze(response, context)
            if kept is None:
                return response
            store.set(key, kept, now + seconds)
            return kept.response()

        return cached

    return wrap


def _redis(prefix: str, seconds: float, state: CacheState, context: RenderContext) -> Callable[[Handler], Handler]:
    store = RedisResponses(state.redis, prefix)
    guard = state.guard
    assert guard is not None
    identity = state.identity
    ttl_ms = max(1, round(seconds * 1000))

    def wrap(inner: Handler) -> Handler:
        async def cached(request: Request) -> Response:
            if guard.down:
                return await inner(request)
            key = prefix + _digest(request, identity)
            try:
                hit = await store.get(key)
            except guard.errors as exc:
                guard.failed(exc)
                return await inner(request)
            if hit is not None:
                return hit.response()
            response = await inner(request)
            kept = freeze(response, context)
            if kept is None:
                return response
            try:
                await store.set(key, kept, ttl_ms)
            except guard.errors as exc:
                guard.failed(exc)
            return kept.response()

        return cached

    return wrap


def _digest(request: Request, identity: Callable[[Any], str]) -> str:
    """A fixed-size Redis key for what varies between requests of one route (path variables may hold anything)."""
    parts = [list(request.path_variables.values()), request.scope.get("query_string", b"").decode("latin-1")]
    parts.append(identity(request))
    return hashlib.blake2b(orjson.dumps(parts), digest_size=16).hexdigest()
