"""Reaching connections from anywhere in the app — an HTTP endpoint, a background task, another socket.

Each function acts on the connections of one app: ``app=`` when given, else the app serving the current request
or lifespan (``panther.context.current_app``). With ``REDIS`` configured the message reaches the connection in
whichever worker process holds it; without, only the connections of this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from panther import status
from panther.context import current_app
from panther.websocket.connection import _check_group, encode_frame
from panther.websocket.state import WEBSOCKETS

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.websocket.registry import Connections

__all__ = ["close_websocket_connection", "send_message_to_group", "send_message_to_websocket"]


async def send_message_to_websocket(connection_id: str, data: Any, *, app: Panther | None = None) -> None:
    """Send ``data`` to connection ``connection_id`` (``str`` as text, ``bytes`` as binary, anything else as
    JSON). An id no worker holds (the connection ended) is ignored."""
    app = app or current_app()
    await _connections(app).send(connection_id, encode_frame(data, app.render_context.dumps))


async def close_websocket_connection(
    connection_id: str, code: int = status.WS_1000_NORMAL_CLOSURE, reason: str = "", *, app: Panther | None = None
) -> None:
    """Close connection ``connection_id`` with ``code`` and ``reason``."""
    await _connections(app or current_app()).close(connection_id, code, reason)


async def send_message_to_group(
    group: str, data: Any, *, exclude: str | None = None, app: Panther | None = None
) -> None:
    """Send ``data`` to every connection in ``group`` (see ``Websocket.join``), except the connection id
    ``exclude`` (e.g. the sender's own). The message is encoded once for all of them."""
    _check_group(group)
    app = app or current_app()
    await _connections(app).broadcast(group, encode_frame(data, app.render_context.dumps), exclude)


def _connections(app: Panther) -> Connections:
    state = app.stash.get(WEBSOCKETS)
    if state is None:
        raise RuntimeError(
            "This app has no WebSocket connections: the `ws` plugin (panther-ws) is disabled or not installed."
        )
    return state.connections
