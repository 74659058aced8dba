"""WebSocket endpoints for Panther (distribution ``panther-ws``, plugin ``ws``).

``GenericWebsocket`` endpoints are routed from the same URL dict as HTTP endpoints; ``send_message_to_websocket``,
``close_websocket_connection`` and ``send_message_to_group`` reach their connections from anywhere in the app, in
every worker when ``REDIS`` is configured.
"""

from panther.websocket.connection import Websocket
from panther.websocket.endpoint import GenericWebsocket
from panther.websocket.messaging import close_websocket_connection, send_message_to_group, send_message_to_websocket

__all__ = [
    "GenericWebsocket",
    "Websocket",
    "close_websocket_connection",
    "send_message_to_group",
    "send_message_to_websocket",
]
