"""Reaching connections from anywhere in the app, and groups — in one process, without Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from panther.app import API
from panther.request import Request
from panther.test import APIClient, WebsocketClient, WebsocketClosed
from panther.websocket import (
    GenericWebsocket,
    close_websocket_connection,
    send_message_to_group,
    send_message_to_websocket,
)
from panther.websocket.state import WEBSOCKETS


class Room(GenericWebsocket):
    async def connect(self, room: str) -> None:
        await self.accept()
        await self.join(room)
        await self.send({"id": self.connection_id})

    async def receive(self, data: str | bytes) -> None:
        if data == "leave":
            await self.leave(self.path_variables["room"])
            await self.send("left")
        elif data == "groups":
            await self.send(sorted(self.groups))
        else:  # everyone else in the room
            await send_message_to_group(self.path_variables["room"], data, exclude=self.connection_id)


@API(methods=["POST"])
async def push(request: Request) -> dict[str, bool]:
    body = request.data
    if "group" in body:
        await send_message_to_group(body["group"], body["data"])
    elif body.get("close"):
        await close_websocket_connection(body["id"], code=body["code"], reason=body["reason"])
    else:
        await send_message_to_websocket(body["id"], body["data"])
    return {"ok": True}


@pytest.fixture
def app(panther_app_factory: Any) -> Any:
    return panther_app_factory(urls={"rooms/<room>": Room, "push": push})


async def connected(client: WebsocketClient, path: str) -> tuple[Any, str]:
    ws = await client.connect(path).__aenter__()
    return ws, (await ws.receive_json())["id"]


async def test_send_and_close_from_an_http_endpoint(app: Any) -> None:
    async with APIClient(app) as http, WebsocketClient(app) as client:
        ws, connection_id = await connected(client, "/rooms/a")
        assert (await http.post("/push", payload={"id": connection_id, "data": {"n": 1}})).status_code == 200
        assert await ws.receive_json() == {"n": 1}
        await http.post("/push", payload={"id": connection_id, "data": "plain"})
        assert await ws.receive() == "plain"
        await http.post("/push", payload={"id": connection_id, "close": True, "code": 4100, "reason": "kicked"})
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
        assert (closed.value.code, closed.value.reason) == (4100, "kicked")
        await ws.close()
        assert len(app.stash[WEBSOCKETS].connections) == 0


async def test_bytes_and_text_are_sent_as_they_are(app: Any) -> None:
    async with WebsocketClient(app) as client:
        ws, connection_id = await connected(client, "/rooms/a")
        await send_message_to_websocket(connection_id, b"\x00\xff", app=app)
        await send_message_to_websocket(connection_id, "\x00text", app=app)
        assert await ws.receive() == b"\x00\xff"
        assert await ws.receive() == "\x00text"
        await ws.close()


async def test_an_unknown_id_is_ignored(app: Any) -> None:
    await send_message_to_websocket("no-such-id", "x", app=app)
    await close_websocket_connection("no-such-id", app=app)


async def test_group_broadcast_reaches_members_except_the_sender(app: Any) -> None:
    async with WebsocketClient(app) as client:
        alice, _ = await connected(client, "/rooms/tea")
        bob, _ = await connected(client, "/rooms/tea")
        carol, _ = await connected(client, "/rooms/coffee")
        await alice.send("hi all")
        assert await bob.receive() == "hi all"
        with pytest.raises(TimeoutError):  # neither the sender nor another room
            async with asyncio.timeout(0.05):
                await alice.receive()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await carol.receive()
        await send_message_to_group("tea", {"from": "server"}, app=app)
        assert await alice.receive_json() == {"from": "server"}
        assert await bob.receive_json() == {"from": "server"}
        for ws in (alice, bob, carol):
            await ws.close()


async def test_leaving_a_group_and_leaving_on_disconnect(app: Any) -> None:
    connections = app.stash[WEBSOCKETS].connections
    async with WebsocketClient(app) as client:
        alice, _ = await connected(client, "/rooms/tea")
        bob, _ = await connected(client, "/rooms/tea")
        await alice.send("groups")
        assert await alice.receive_json() == ["tea"]
        await bob.send("leave")
        assert await bob.receive() == "left"
        await send_message_to_group("tea", "only alice", app=app)
        assert await alice.receive() == "only alice"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await bob.receive()
        await alice.close()
        await bob.close()
    assert connections.by_id == {} and connections.by_group == {}


async def test_two_apps_in_one_process_are_independent(panther_app_factory: Any) -> None:
    first = panther_app_factory(urls={"rooms/<room>": Room})
    second = panther_app_factory(urls={"rooms/<room>": Room})
    async with WebsocketClient(first) as one, WebsocketClient(second) as two:
        a, a_id = await connected(one, "/rooms/same")
        b, _ = await connected(two, "/rooms/same")
        await send_message_to_group("same", "for the first app", app=first)
        assert await a.receive() == "for the first app"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await b.receive()
        await send_message_to_websocket(a_id, "wrong app", app=second)  # ids are per app
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await a.receive()
        await a.close()
        await b.close()


async def test_a_failed_delivery_does_not_stop_the_others(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    async with WebsocketClient(app) as client:
        alice, _ = await connected(client, "/rooms/tea")
        bob, _ = await connected(client, "/rooms/tea")
        members = app.stash[WEBSOCKETS].connections.by_group["tea"]
        first = next(iter(members.values()))

        async def broken(message: Any) -> None:
            raise ConnectionResetError("socket gone")

        first.asgi_send = broken
        await send_message_to_group("tea", "survives", app=app)
        receivers = [ws for ws in (alice, bob)]
        got = []
        for ws in receivers:
            try:
                async with asyncio.timeout(0.1):
                    got.append(await ws.receive())
            except TimeoutError:
                pass
        assert got == ["survives"]
        assert "message not delivered" in caplog.text
        await alice.close()
        await bob.close()


async def test_join_needs_an_accepted_connection_and_a_name(panther_app_factory: Any) -> None:
    errors: list[str] = []

    class Early(GenericWebsocket):
        async def connect(self) -> None:
            try:
                await self.join("x")
            except RuntimeError as exc:
                errors.append(str(exc))
            await self.accept()
            try:
                await self.join("")
            except ValueError as exc:
                errors.append(str(exc))
            await self.close()

    async with WebsocketClient(panther_app_factory(urls={"e": Early})) as client:
        await client.connect("/e")
    assert "accepted" in errors[0] and "non-empty" in errors[1]


async def test_without_the_plugin_the_functions_say_so(panther_app_factory: Any) -> None:
    app = panther_app_factory(urls={}, disable_plugins=["ws"])
    with pytest.raises(RuntimeError, match="panther-ws"):
        await send_message_to_websocket("id", "x", app=app)
