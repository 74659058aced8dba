"""The ``websocket`` scope handler of one app: route the connection, run the global middlewares, run its endpoint.

The global chain (``app.ws_middlewares``: ``WS_MIDDLEWARES`` and the plugins') is built once, when the app is
finished, around a dispatch that runs the connection's endpoint flow — so middlewares see every connection,
including one to a path no WebSocket endpoint serves, which is refused (404 where the server can answer with HTTP,
otherwise a close).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from panther import status
from panther.middlewares.base import build_chain
from panther.websocket.connection import CONNECTED, Websocket
from panther.websocket.routes import refuse

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.types import Receive, Scope, Send
    from panther.websocket.registry import Connections

__all__ = ["WebsocketServer"]

logger = logging.getLogger("panther")


class WebsocketServer:
    """``await server(scope, receive, send)`` for every ``websocket`` scope of ``app``."""

    def __init__(self, app: Panther, connections: Connections) -> None:
        self.app = app
        self.connections = connections
        self._chain: Callable[..., Any] | None = None

    def build_chain(self, middlewares: Sequence[type]) -> None:
        """Wrap the dispatch in the app's global WebSocket middlewares (called once, when the app is built)."""
        self._chain = build_chain(_run_flow, middlewares, self.app) if middlewares else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":  # the client left before the handshake
            return
        app = self.app
        flow: Any  # the route's handler takes the connection (typed for HTTP requests in Route)
        found = app.router.match(scope["path"])
        if found is not None and found[0].scope_type == "websocket":
            route, variables = found
            connection: Websocket = route.endpoint(scope, receive, send, app)
            if variables:  # a static route's empty dict is shared: leave `path_variables` to make its own
                connection._path_variables = variables
            flow = route.handlers["websocket"]
        else:
            connection = Websocket(scope, receive, send, app)
            flow = _not_found
        connection._flow = flow
        connection._registry = self.connections
        try:
            if self._chain is None:
                await flow(connection)
            else:
                await self._chain(connection=connection)
        except Exception:  # raised by a middleware; the flow handles the endpoint's own errors
            logger.exception("A WebSocket middleware raised on %s", scope["path"])
            if connection.state == CONNECTED:
                await refuse(connection, 500, {"detail": "Internal Server Error"}, status.WS_1011_INTERNAL_ERROR)
            else:
                await connection.close(status.WS_1011_INTERNAL_ERROR)
        finally:
            connection._forget()


async def _run_flow(connection: Websocket) -> Websocket:
    """The innermost handler of the global chain: the endpoint's flow (with its own middlewares)."""
    assert connection._flow is not None
    return await connection._flow(connection)


async def _not_found(connection: Websocket) -> Websocket:
    await refuse(connection, 404, {"detail": "Not Found"}, status.WS_1000_NORMAL_CLOSURE)
    return connection
