"""What the ``ws`` plugin keeps per app, in ``app.stash[WEBSOCKETS]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from panther.stash import StashKey
from panther.websocket.listener import RedisListener
from panther.websocket.registry import Connections
from panther.websocket.server import WebsocketServer

__all__ = ["WEBSOCKETS", "WebsocketState"]


@dataclass(slots=True)
class WebsocketState:
    """One app's WebSocket objects: its connections, its scope handler and the ``WS_AUTHENTICATION`` setting."""

    connections: Connections
    server: WebsocketServer
    default_auth: Any = None
    #: The Redis subscriber while the app runs with ``REDIS`` (``listener.subscribed`` is set while subscribed).
    listener: RedisListener | None = None


WEBSOCKETS: StashKey[WebsocketState] = StashKey("websockets")
