"""The ``THROTTLE`` step of a throttled endpoint: count the request, refuse it with 429 past the rate, and tell the
client its allowance (``X-RateLimit-*`` headers) on every answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from panther.exceptions import APIError, ThrottlingAPIError
from panther.plan import Handler, Stage, Step
from panther.throttling.counters import SCRIPT, MemoryCounter, RedisCounter
from panther.throttling.throttle import Decision, Throttle

if TYPE_CHECKING:
    from panther.caching.state import CacheState
    from panther.request import Request
    from panther.response import Response

__all__ = ["throttle_step"]


def throttle_step(route: str, throttle: Throttle, state: CacheState) -> Step:
    """The step counting ``route``'s requests against ``throttle`` (one bucket per client, whatever the method)."""
    build_key = throttle.build_cache_key
    key_of: Callable[[Any], str] = state.identity if _default_key(throttle) else lambda r: str(build_key(r))
    limit = str(throttle.rate)
    if state.redis is None:
        wrap = _memory(MemoryCounter(throttle, state.settings.max_clients), key_of, limit, state)
    else:
        counter = RedisCounter(throttle, state.redis.register_script(SCRIPT), f"{state.settings.key_prefix}throttle:")
        wrap = _redis(counter, f"{route}|", key_of, limit, state)
    return Step(Stage.THROTTLE, wrap)


def _default_key(throttle: Throttle) -> bool:
    return type(throttle).build_cache_key is Throttle.build_cache_key


def _memory(
    counter: MemoryCounter, key_of: Callable[[Any], str], limit: str, state: CacheState
) -> Callable[[Handler], Handler]:
    def wrap(inner: Handler) -> Handler:
        async def throttled(request: Request) -> Response:
            decision = counter.hit(key_of(request), state.clock())
            if not decision.allowed:
                raise _refused(limit, decision)
            return await _answer(inner, request, limit, decision)

        return throttled

    return wrap


def _redis(
    counter: RedisCounter, scope: str, key_of: Callable[[Any], str], limit: str, state: CacheState
) -> Callable[[Handler], Handler]:
    guard = state.guard
    assert guard is not None

    def wrap(inner: Handler) -> Handler:
        async def throttled(request: Request) -> Response:
            if not guard.down:
                try:
                    decision = await counter.hit(scope + key_of(request), state.clock())
                except guard.errors as exc:
                    guard.failed(exc)
                else:
                    if not decision.allowed:
                        raise _refused(limit, decision)
                    return await _answer(inner, request, limit, decision)
            if guard.on_error == "deny":
                raise APIError(detail="Service Unavailable", status_code=503, headers={"Retry-After": "1"})
            return await inner(request)  # fail open: nothing is counted while Redis is away

        return throttled

    return wrap


async def _answer(inner: Handler, request: Request, limit: str, decision: Decision) -> Response:
    try:
        response: Response = await inner(request)
    except APIError as exc:  # the endpoint's own errors were allowed requests too
        exc.headers.update(_headers(limit, decision))
        raise
    response.headers.update(_headers(limit, decision))
    return response


def _headers(limit: str, decision: Decision) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": limit,
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset),
    }


def _refused(limit: str, decision: Decision) -> ThrottlingAPIError:
    return ThrottlingAPIError(headers={"Retry-After": str(decision.retry_after), **_headers(limit, decision)})
