"""Raw ASGI app: the floor every framework is compared with.

Hand-written dispatch, pydantic for validation and orjson for serialisation: the work every framework has to do
at least, without any framework around it.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Item(BaseModel):
    name: str
    price: float
    tags: list[str]


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        return
    path: str = scope["path"]
    method: str = scope["method"]
    if path == "/json" and method == "GET":
        await _respond(send, 200, orjson.dumps({"message": "Hello, World!"}))
    elif path.startswith("/users/") and path.endswith("/") and method == "GET" and path[7:-1].isdigit():
        await _respond(send, 200, orjson.dumps({"id": int(path[7:-1])}))
    elif path == "/items/" and method == "POST":
        try:
            item = Item.model_validate_json(await _read_body(receive))
        except ValidationError as exc:
            await _respond(send, 422, exc.json().encode())
            return
        await _respond(send, 201, orjson.dumps(item.model_dump()))
    else:
        await _respond(send, 404, b'{"detail":"Not Found"}')


def build() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    return app
