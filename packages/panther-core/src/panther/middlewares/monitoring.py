"""Monitoring: one line per request (or WebSocket connection) on the ``monitoring`` logger.

Each line is ``METHOD | path | client | seconds | status``; a request whose endpoint raised is logged with the
status it was answered with.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from panther.exceptions import ClientDisconnected
from panther.middlewares.base import HTTPMiddleware, WebsocketMiddleware

if TYPE_CHECKING:
    from panther.request import Request
    from panther.response import Response

logger = logging.getLogger("monitoring")


class MonitoringMiddleware(HTTPMiddleware):
    async def __call__(self, request: Request) -> Response:
        start = time.perf_counter()
        status: Any = 500
        try:
            response = await self.dispatch(request=request)
            status = response.status_code
            return response
        except ClientDisconnected:
            status = 499  # nginx's "client closed request": nothing was answered, and nothing went wrong here
            raise
        finally:
            duration = time.perf_counter() - start
            client = request.client or "-"  # a server may not know the peer (e.g. a Unix socket)
            logger.info("%s | %s | %s | %.6f | %s", request.method, request.path, client, duration, status)


class WebsocketMonitoringMiddleware(WebsocketMiddleware):
    async def __call__(self, connection: Any) -> Any:
        start = time.perf_counter()
        logger.info("WS | %s | %s | - | connecting", connection.path, connection.client)
        try:
            return await self.dispatch(connection=connection)
        finally:
            duration = time.perf_counter() - start
            state = getattr(connection, "state", "closed")
            logger.info("WS | %s | %s | %.6f | %s", connection.path, connection.client, duration, state)
