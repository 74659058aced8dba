"""The ``ws`` plugin: WebSocket endpoints for the app, and delivery to their connections across workers.

Hooks: ``panther_config_defaults`` (``WS_AUTHENTICATION``, ``WS_REDIS_CHANNEL``), ``panther_configure`` (the
app's registry of connections and its ``websocket`` scope handler, in ``app.stash[WEBSOCKETS]``),
``panther_build_route`` (``GenericWebsocket`` subclasses), ``panther_scope_handlers``, ``panther_app_built`` (the
global middleware chain) and ``panther_lifespan`` (the Redis subscriber, when ``REDIS`` is set).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from panther.building import load_auth_setting
from panther.exceptions import PantherError
from panther.plugins import hookimpl
from panther.websocket.endpoint import GenericWebsocket
from panther.websocket.listener import RedisListener
from panther.websocket.registry import Connections
from panther.websocket.routes import build_route
from panther.websocket.server import WebsocketServer
from panther.websocket.state import WEBSOCKETS, WebsocketState
from panther.websocket.workers import configured_workers

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther
    from panther.routings import Route

logger = logging.getLogger("panther")

DEFAULT_CHANNEL = "panther:websocket"


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"WS_AUTHENTICATION": None, "WS_REDIS_CHANNEL": DEFAULT_CHANNEL}


@hookimpl
def panther_configure(app: Panther, config: Config) -> None:
    if config.get("WS_MIDDLEWARE") is not None:  # upstream's docs spelled it so, and upstream ignored it silently
        raise PantherError("WS_MIDDLEWARE is not a setting: did you mean WS_MIDDLEWARES?")
    channel = config.WS_REDIS_CHANNEL
    if not isinstance(channel, str) or not channel:
        raise PantherError(f"WS_REDIS_CHANNEL must be a non-empty string (a Redis channel name), got {channel!r}.")
    connections = Connections(channel)
    # Publishing needs no subscription: with REDIS set, messages for other workers go out even from an app served
    # without a lifespan. Receiving them needs the subscriber, started with the lifespan.
    connections.redis = app.redis
    app.stash[WEBSOCKETS] = WebsocketState(
        connections=connections,
        server=WebsocketServer(app, connections),
        default_auth=load_auth_setting(config.WS_AUTHENTICATION, "WS_AUTHENTICATION"),
    )


@hookimpl
def panther_build_route(app: Panther, path: str, endpoint: Any, variables: tuple[str, ...]) -> Route | None:
    if isinstance(endpoint, type) and issubclass(endpoint, GenericWebsocket):
        return build_route(app, path, endpoint, variables, app.stash[WEBSOCKETS].default_auth)
    return None


@hookimpl
def panther_scope_handlers(app: Panther) -> Mapping[str, Any]:
    return {"websocket": app.stash[WEBSOCKETS].server}


@hookimpl
def panther_app_built(app: Panther) -> None:
    app.stash[WEBSOCKETS].server.build_chain(app.ws_middlewares)


@hookimpl
def panther_lifespan(app: Panther) -> Any:
    if not any(route.scope_type == "websocket" for route in app.routes):
        return None  # nothing to deliver to; sending from this app still publishes to the workers that have some
    return _delivery(app)


@asynccontextmanager
async def _delivery(app: Panther) -> AsyncIterator[None]:
    """With Redis: subscribe to deliver what other workers publish. Without: warn when several workers would each
    see only their own connections."""
    state = app.stash[WEBSOCKETS]
    connections = state.connections
    listener = None
    if app.redis is not None:
        listener = RedisListener(app.redis, connections.channel, connections.on_message)
        try:
            await listener.start()
        except Exception as exc:
            channel = connections.channel
            raise PantherError(f"WebSocket delivery cannot subscribe to Redis channel {channel!r}: {exc}") from exc
    elif (workers := configured_workers()) > 1:
        logger.warning(
            "%d workers and no REDIS: send_message_to_websocket(), close_websocket_connection() and group "
            "messages reach only the connections of the worker that sends them. Configure REDIS for delivery "
            "across workers.",
            workers,
        )
    state.listener = listener
    try:
        yield
    finally:
        state.listener = None
        if listener is not None:
            await listener.stop()
        connections.by_id.clear()
        connections.by_group.clear()
