"""Starlette's `WebSocketEndpoint`, as its documentation writes it; the broadcast keeps a set of sockets, the usual
recipe (Starlette leaves cross-process delivery to the user)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

connections: set[WebSocket] = set()


class Echo(WebSocketEndpoint):
    encoding = "text"

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        connections.add(websocket)

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        if data.startswith("broadcast:"):
            for member in list(connections):
                try:
                    await member.send_text(data)
                except Exception:
                    pass
        else:
            await websocket.send_text(data)

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        connections.discard(websocket)


app = Starlette(routes=[WebSocketRoute("/ws", Echo)])
