"""The plugin driven by a raw ASGI driver: exactly the messages a server exchanges, with nothing in between."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from panther.websocket import GenericWebsocket

closed_with: list[int] = []


class Echo(GenericWebsocket):
    async def connect(self, seat: int) -> None:
        await self.accept()

    async def receive(self, data: str | bytes) -> None:
        await self.send(data)

    async def disconnect(self, code: int) -> None:
        closed_with.append(code)


class Driver:
    """Feeds ``incoming`` to the app one message at a time and records what it sends."""

    def __init__(self, app: Any, path: str, incoming: list[dict[str, Any]], **scope: Any) -> None:
        self.app = app
        self.scope = {"type": "websocket", "path": path, "query_string": b"", "headers": [], **scope}
        self.incoming = list(incoming)
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if not self.incoming:
            await asyncio.sleep(3600)  # a client that says nothing more
        return self.incoming.pop(0)

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def run(self) -> list[dict[str, Any]]:
        async with asyncio.timeout(5):
            await self.app(self.scope, self.receive, self.send)
        return self.sent


@pytest.fixture
def app(panther_app_factory: Any) -> Any:
    closed_with.clear()
    return panther_app_factory(urls={"echo/<seat>": Echo})


async def test_a_conversation(app: Any) -> None:
    sent = await Driver(
        app,
        "/echo/1",
        [
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "text": "hi"},
            {"type": "websocket.receive", "bytes": b"\x01"},
            {"type": "websocket.receive", "text": None, "bytes": b"\x02"},  # ASGI allows the other key as None
            {"type": "websocket.disconnect", "code": 1001},
        ],
    ).run()
    assert sent == [
        {"type": "websocket.accept", "subprotocol": None, "headers": []},
        {"type": "websocket.send", "text": "hi"},
        {"type": "websocket.send", "bytes": b"\x01"},
        {"type": "websocket.send", "bytes": b"\x02"},
    ]
    assert closed_with == [1001]


async def test_a_disconnect_without_a_code_means_1005(app: Any) -> None:
    await Driver(app, "/echo/1", [{"type": "websocket.connect"}, {"type": "websocket.disconnect"}]).run()
    assert closed_with == [1005]


async def test_a_client_that_leaves_before_the_handshake(app: Any) -> None:
    assert await Driver(app, "/echo/1", [{"type": "websocket.disconnect", "code": 1006}]).run() == []
    assert closed_with == []


async def test_a_server_without_the_http_response_extension_gets_a_close(app: Any) -> None:
    sent = await Driver(app, "/echo/x", [{"type": "websocket.connect"}]).run()
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


async def test_with_the_extension_a_refusal_is_an_http_response(app: Any) -> None:
    extensions = {"websocket.http.response": {}}
    sent = await Driver(app, "/echo/x", [{"type": "websocket.connect"}], extensions=extensions).run()
    body = b'{"detail":"Path variable `x` is not `int`"}'
    assert sent == [
        {
            "type": "websocket.http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
        },
        {"type": "websocket.http.response.body", "body": body},
    ]


async def test_the_client_gone_before_the_close_frame(panther_app_factory: Any) -> None:
    class ClosesLate(GenericWebsocket):
        async def connect(self) -> None:
            await self.accept()
            await self.close(4000)

    app = panther_app_factory(urls={"late": ClosesLate})

    class GoneDriver(Driver):
        async def send(self, message: dict[str, Any]) -> None:
            if message["type"] == "websocket.close":
                raise OSError("the client is gone")  # what uvicorn raises (ClientDisconnected)
            await super().send(message)

    sent = await GoneDriver(app, "/late", [{"type": "websocket.connect"}]).run()
    assert [m["type"] for m in sent] == ["websocket.accept"]
