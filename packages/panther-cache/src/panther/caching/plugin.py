"""The ``cache`` plugin: throttling (``throttling=``, ``THROTTLING``) and response caching (``cache=``).

When the app is built it reads ``THROTTLING``, ``CACHE`` and ``TRUSTED_PROXIES`` into ``app.stash[STATE]`` and gives
each endpoint that asks for it a ``THROTTLE`` step and/or a ``CACHE`` step (GET only); an endpoint that asks for
neither gets nothing, so it costs nothing. Counters and responses live in Redis when the app has ``REDIS`` (shared
by every process), else in this process's memory.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from panther.caching.state import STATE, CacheState
from panther.caching.step import cache_step
from panther.exceptions import PantherError
from panther.plugins import hookimpl
from panther.throttling.step import throttle_step
from panther.throttling.throttle import Throttle

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther
    from panther.plan import EndpointPlan, Step

logger = logging.getLogger("panther")


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"THROTTLING": None, "CACHE": None, "TRUSTED_PROXIES": []}


def check_throttling(value: Any, where: str) -> Any:
    if value is False or isinstance(value, Throttle):
        return value
    raise PantherError(
        f"'{where}': `throttling` must be a Throttle (from panther.throttling import Throttle; "
        f"Throttle(rate=10, duration=timedelta(minutes=1))) or False, got {value!r}."
    )


def check_cache(value: Any, where: str) -> Any:
    if value is False or (isinstance(value, timedelta) and value.total_seconds() > 0):
        return value
    raise PantherError(
        f"'{where}': `cache` must be a positive timedelta (e.g. timedelta(minutes=1)) or False, got {value!r}."
    )


def check_cache_exp_time(value: Any, where: str) -> Any:
    raise PantherError(f"'{where}': `cache_exp_time` was removed; use `cache=timedelta(...)`.")


@hookimpl
def panther_endpoint_options() -> Mapping[str, Callable[[Any, str], Any] | None]:
    return {"throttling": check_throttling, "cache": check_cache, "cache_exp_time": check_cache_exp_time}


@hookimpl
def panther_configure(app: Panther, config: Config) -> None:
    throttle = config.THROTTLING
    if throttle is not None and throttle is not False and not isinstance(throttle, Throttle):
        raise PantherError(f"THROTTLING must be a Throttle(rate, duration) or None, got {throttle!r}.")
    app.stash[STATE] = CacheState.build(app, config)


@hookimpl
def panther_endpoint_steps(app: Panther, endpoint: EndpointPlan) -> list[Step]:
    state = app.stash[STATE]
    steps = []
    throttle = endpoint.option("throttling")
    if throttle is None:
        throttle = app.config.THROTTLING
    if throttle:
        endpoint.extra["throttling"] = throttle
        steps.append(throttle_step(endpoint.path, throttle, state))
        state.throttled += 1
    ttl = endpoint.option("cache")
    if ttl:
        if "GET" not in endpoint.methods:
            raise PantherError(f"'{endpoint.where}' sets `cache` but answers no GET: only GET responses are cached.")
        endpoint.extra["cache"] = ttl
        steps.append(cache_step(endpoint.path, ttl, state, app.render_context))
    return steps


@hookimpl
def panther_lifespan(app: Panther) -> AbstractAsyncContextManager[None]:
    return _running(app.stash[STATE])


@asynccontextmanager
async def _running(state: CacheState) -> AsyncIterator[None]:
    if state.throttled and state.redis is None:
        logger.warning(
            "Throttling counts in this process's memory: each worker process counts separately, so N workers let "
            "N x rate requests through. Set REDIS to share the counts between processes."
        )
    try:
        yield
    finally:
        await state.close()
