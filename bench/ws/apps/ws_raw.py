"""The floor: a hand-written ASGI WebSocket app. Echoes every text message; `broadcast:...` goes to every socket."""

from __future__ import annotations

from typing import Any

connections: set[Any] = set()  # the send callables of the open sockets


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    connections.add(send)
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is not None and text.startswith("broadcast:"):
                for member in list(connections):
                    try:
                        await member({"type": "websocket.send", "text": text})
                    except OSError:
                        pass
            else:
                await send({"type": "websocket.send", "text": text})
    finally:
        connections.discard(send)
