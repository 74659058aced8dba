"""Shared Redis (built-in plugin ``redis``): one ``redis.asyncio`` client per app, for every plugin that wants it.

Set ``REDIS = {"host": "127.0.0.1", "port": 6379, "db": 0, ...}`` (any ``redis.asyncio.Redis`` keyword) or
``REDIS = {"url": "redis://..."}``. The client is ``app.redis`` (``app.stash[REDIS]``; ``None`` without the setting);
it is checked with a ping at startup and closed at shutdown. ``redis`` is imported only when configured.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from panther.exceptions import PantherError
from panther.plugins import hookimpl
from panther.stash import StashKey

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther

#: The app's ``redis.asyncio.Redis`` client, when ``REDIS`` is set.
REDIS: StashKey[Any] = StashKey("redis")

# Upstream spelled the class in the setting; it is accepted and ignored.
_LEGACY_CLASS = "panther.db.connections.RedisConnection"


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"REDIS": None}


def create_client(settings: Mapping[str, Any]) -> Any:
    """Create a ``redis.asyncio.Redis`` from a ``REDIS`` setting (no connection is made yet)."""
    try:
        import redis.asyncio as aioredis
    except ImportError:
        raise PantherError(
            "REDIS is configured but the `redis` library is not installed: `pip install redis`."
        ) from None
    options = {k: v for k, v in settings.items() if k != "class"}
    if settings.get("class", _LEGACY_CLASS) != _LEGACY_CLASS:
        raise PantherError(f"REDIS: unknown 'class' {settings['class']!r}; remove it.")
    url = options.pop("url", None)
    try:
        return aioredis.Redis.from_url(url, **options) if url else aioredis.Redis(**options)
    except TypeError as exc:
        raise PantherError(f"REDIS has an option redis.asyncio.Redis does not take: {exc}.") from None


@hookimpl(tryfirst=True)  # before other plugins' configure, so they can use app.redis
def panther_configure(app: Panther, config: Config) -> None:
    settings = config.REDIS
    if settings is None:
        return
    if not isinstance(settings, Mapping):
        raise PantherError("REDIS must be a dict such as {'host': '127.0.0.1', 'port': 6379, 'db': 0}.")
    app.stash[REDIS] = create_client(settings)


@hookimpl
def panther_lifespan(app: Panther) -> Any:
    if app.redis is None:
        return None
    return _connected(app)


@asynccontextmanager
async def _connected(app: Panther) -> AsyncIterator[None]:
    client = app.redis
    try:
        await client.ping()
    except Exception as exc:
        raise PantherError(f"Cannot reach Redis ({exc}); check the REDIS setting or start the server.") from exc
    try:
        yield
    finally:
        await client.aclose()
