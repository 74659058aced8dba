"""The ``THROTTLE`` step of a throttled endpoint: count the request, refuse it with 429 past the rate, and tell the
client its allowance (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``) on refusals and on the answers to allowed
requests, errors included (on refusals only with ``Throttle(..., headers=False)``).

It runs once per request of the endpoint, so it is kept lean: the limit's header line is encoded when the app is
built, the reset's once per window, and the lines are appended to the response as they are
(``Response.add_header_lines``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from panther.caching.responses import EncodedHeaders
from panther.exceptions import APIError, ThrottlingAPIError
from panther.plan import Handler, Stage, Step
from panther.throttling.counters import SCRIPT, MemoryCounter, RedisCounter
from panther.throttling.throttle import Decision, Throttle

if TYPE_CHECKING:
    from panther.caching.state import CacheState
    from panther.request import Request
    from panther.response import Response

__all__ = ["throttle_step"]

LIMIT = b"x-ratelimit-limit"
REMAINING = b"x-ratelimit-remaining"
RESET = b"x-ratelimit-reset"


def throttle_step(route: str, throttle: Throttle, state: CacheState) -> Step:
    """The step counting ``route``'s requests against ``throttle`` (one bucket per client, whatever the method)."""
    build_key = throttle.build_cache_key
    key_of: Callable[[Any], str] = state.identity if _default_key(throttle) else lambda r: str(build_key(r))
    if state.redis is None:
        counter = MemoryCounter(throttle, state.settings.max_clients)
        wrap = _memory(counter, key_of, throttle.rate, state, throttle.headers)
    else:
        redis_counter = RedisCounter(
            throttle, state.redis.register_script(SCRIPT), f"{state.settings.key_prefix}throttle:"
        )
        wrap = _redis(redis_counter, f"{route}|", key_of, throttle.rate, state, throttle.headers)
    # Without headers on allowed answers the step never touches the response: the endpoint's result need not be
    # wrapped in one for it.
    return Step(Stage.THROTTLE, wrap, reads_body=False, uses_response=throttle.headers)


def _default_key(throttle: Throttle) -> bool:
    return type(throttle).build_cache_key is Throttle.build_cache_key


def _memory(
    counter: MemoryCounter, key_of: Callable[[Any], str], rate: int, state: CacheState, headers: bool
) -> Callable[[Handler], Handler]:
    limit_line = (LIMIT, b"%d" % rate)

    def wrap(inner: Handler) -> Handler:
        # A plain function handing back an awaitable: no coroutine of its own per request.
        def throttled(request: Request) -> Awaitable[Any]:
            key = key_of(request)
            now = state.clock()
            remaining = counter.hit(key, now)
            if remaining < 0:
                raise _refused(rate, Decision(False, 0, counter.reset, counter.retry_after(key, now)))
            if headers:
                return _with_lines(inner, request, [limit_line, (REMAINING, b"%d" % remaining), counter.reset_line])
            return inner(request)

        return throttled

    return wrap


def _redis(
    counter: RedisCounter, scope: str, key_of: Callable[[Any], str], rate: int, state: CacheState, headers: bool
) -> Callable[[Handler], Handler]:
    guard = state.guard
    assert guard is not None
    limit_line = (LIMIT, b"%d" % rate)

    def wrap(inner: Handler) -> Handler:
        async def throttled(request: Request) -> Any:
            if not guard.down:
                try:
                    decision = await counter.hit(scope + key_of(request), state.clock())
                except guard.errors as exc:
                    guard.failed(exc)
                else:
                    if not decision.allowed:
                        raise _refused(rate, decision)
                    if not headers:
                        return await inner(request)
                    lines = [limit_line, (REMAINING, b"%d" % decision.remaining), (RESET, b"%d" % decision.reset)]
                    return await _with_lines(inner, request, lines)
            if guard.on_error == "deny":
                raise APIError(detail="Service Unavailable", status_code=503, headers={"Retry-After": "1"})
            return await inner(request)  # fail open: nothing is counted while Redis is away

        return throttled

    return wrap


async def _with_lines(inner: Handler, request: Request, lines: EncodedHeaders) -> Response:
    """The response of an allowed request, with its limit header lines (errors of the endpoint too: they were
    allowed requests)."""
    try:
        response = await inner(request)
    except APIError as exc:
        exc.headers.update(_text(lines))
        raise
    response.add_header_lines(lines)
    return response


def _text(lines: EncodedHeaders) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in lines}


def _refused(rate: int, decision: Decision) -> ThrottlingAPIError:
    return ThrottlingAPIError(
        headers={
            "Retry-After": str(decision.retry_after),
            "X-RateLimit-Limit": str(rate),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(decision.reset),
        }
    )
