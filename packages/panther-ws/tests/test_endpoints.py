"""GenericWebsocket endpoints: routing, the handshake, path variables, sending and closing."""

from __future__ import annotations

from typing import Any

import pytest

from panther.app import API
from panther.exceptions import PantherError
from panther.test import APIClient, WebsocketClient, WebsocketClosed, WebsocketRejected
from panther.websocket import GenericWebsocket


class Echo(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()

    async def receive(self, data: str | bytes) -> None:
        await self.send(data)


class Seat(GenericWebsocket):
    async def connect(self, room: str, seat: int) -> None:
        await self.accept()
        await self.send({"room": room, "seat": seat, "types": [type(room).__name__, type(seat).__name__]})


class Info(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept(subprotocol="chat.v2", headers={"X-Server": "panther"})
        await self.send(
            {
                "path": self.path,
                "query": dict(self.query_params),
                "token": self.headers["x-token"],
                "client": str(self.client),
                "state": self.state,
                "is_connected": self.is_connected,
                "id_length": len(self.connection_id),
            }
        )


class Kinds(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept(headers=[("x-one", "1"), (b"x-two", b"2")])
        await self.send("text")
        await self.send(b"\x00\xffbinary")
        await self.send({"json": [1, 2]})
        await self.send_text("send_text")
        await self.send_bytes(b"send_bytes")
        await self.send_json(["send_json"])
        await self.close(4000, "done")


class Ignores(GenericWebsocket):
    """Neither accepts nor closes: refused."""


class Refuses(GenericWebsocket):
    async def connect(self) -> None:
        await self.close(4003, "not today")


class ClosesOnBye(GenericWebsocket):
    closed: list[int] = []

    async def connect(self) -> None:
        await self.accept()

    async def receive(self, data: str | bytes) -> None:
        if data == "bye":
            await self.close(4001, "bye")
            await self.close(4002, "twice")  # closing twice does nothing

    async def disconnect(self, code: int) -> None:
        type(self).closed.append(code)


@API()
async def hello() -> dict[str, str]:
    return {"hello": "world"}


URLS = {
    "echo": Echo,
    "rooms/<room>/<seat>": Seat,
    "info": Info,
    "kinds": Kinds,
    "ignores": Ignores,
    "refuses": Refuses,
    "bye": ClosesOnBye,
    "hello": hello,
}


@pytest.fixture
def app(panther_app_factory: Any) -> Any:
    return panther_app_factory(urls=URLS)


async def test_echo_text_and_bytes(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/echo/") as ws:
        await ws.send("héllo")
        assert await ws.receive() == "héllo"
        await ws.send(b"\x00\x01\xfe")
        assert await ws.receive() == b"\x00\x01\xfe"


async def test_path_variables_are_cast_by_annotation(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/rooms/blue/12") as ws:
        assert await ws.receive_json() == {"room": "blue", "seat": 12, "types": ["str", "int"]}


async def test_a_bad_path_variable_refuses_the_handshake_with_400(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/rooms/blue/twelve"):
            pytest.fail("must not open")
    assert rejected.value.status_code == 400
    assert rejected.value.json() == {"detail": "Path variable `twelve` is not `int`"}


async def test_without_the_http_response_extension_a_refusal_is_a_close(app: Any) -> None:
    async with WebsocketClient(app, http_response_extension=False) as client:
        with pytest.raises(WebsocketRejected) as rejected:
            async with client.connect("/rooms/blue/twelve"):
                pytest.fail("must not open")
    assert rejected.value.code == 1008  # policy violation, not upstream's 1000; a server answers 403


async def test_accept_with_subprotocol_and_headers_dict(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/info?a=1&b=2", headers={"X-Token": "t0k"}, subprotocols=["chat.v2"]) as ws:
        info = await ws.receive_json()
        assert ws.subprotocol == "chat.v2"
        assert (b"x-server", b"panther") in ws.response_headers
    assert info == {
        "path": "/info",
        "query": {"a": "1", "b": "2"},
        "token": "t0k",
        "client": "127.0.0.1:8585",
        "state": "Accepted",
        "is_connected": True,
        "id_length": 32,
    }


async def test_send_kinds_and_close_code(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/kinds") as ws:
        assert (b"x-one", b"1") in ws.response_headers and (b"x-two", b"2") in ws.response_headers
        assert await ws.receive() == "text"
        assert await ws.receive() == b"\x00\xffbinary"
        assert await ws.receive_json() == {"json": [1, 2]}
        assert await ws.receive() == "send_text"
        assert await ws.receive() == b"send_bytes"
        assert await ws.receive_json() == ["send_json"]
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (4000, "done")


async def test_connect_that_neither_accepts_nor_closes_is_refused(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/ignores"):
            pytest.fail("must not open")
    assert rejected.value.code == 1000


async def test_close_before_accept_rejects_with_its_code(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/refuses"):
            pytest.fail("must not open")
    assert (rejected.value.code, rejected.value.reason) == (4003, "not today")


async def test_server_close_is_idempotent_and_disconnect_gets_the_code(ws_client: WebsocketClient) -> None:
    ClosesOnBye.closed = []
    async with ws_client.connect("/bye") as ws:
        await ws.send("bye")
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (4001, "bye")
    assert ClosesOnBye.closed == [4001]


async def test_client_close_reaches_disconnect(ws_client: WebsocketClient) -> None:
    ClosesOnBye.closed = []
    async with ws_client.connect("/bye") as ws:
        await ws.close(4321)
    assert ClosesOnBye.closed == [4321]


async def test_http_request_to_a_websocket_route_is_426(app: Any) -> None:
    async with APIClient(app) as client:
        response = await client.get("/echo/")
    assert response.status_code == 426
    assert response.data == {"detail": "This service requires use of the WebSocket protocol."}


@pytest.mark.parametrize("path", ["/hello", "/nowhere/at/all"])
async def test_websocket_to_an_http_route_or_no_route_is_refused_cleanly(ws_client: WebsocketClient, path: str) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect(path):
            pytest.fail("must not open")
    assert (rejected.value.status_code, rejected.value.json()) == (404, {"detail": "Not Found"})


async def test_no_route_without_the_extension_is_a_normal_close(app: Any) -> None:
    client = WebsocketClient(app, http_response_extension=False)
    assert await client.connect("/nowhere") == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    await client.close()


async def test_upstream_awaited_connect_returns_the_messages(app: Any) -> None:
    client = WebsocketClient(app)
    messages = await client.connect("/kinds")
    await client.close()
    assert [m["type"] for m in messages] == ["websocket.accept"] + ["websocket.send"] * 6 + ["websocket.close"]


def test_connect_must_take_every_path_variable(panther_app_factory: Any) -> None:
    class Lacks(GenericWebsocket):
        async def connect(self) -> None: ...

    with pytest.raises(PantherError, match=r"does not take the path variable `seat`"):
        panther_app_factory(urls={"x/<seat>": Lacks})


@pytest.mark.parametrize("hook", ["connect", "receive", "disconnect"])
def test_hooks_must_be_async(hook: str) -> None:
    def sync_hook(self: Any, *args: Any) -> None: ...

    with pytest.raises(PantherError, match=rf"Sync.{hook}\(\) must be an `async def`"):
        type("Sync", (GenericWebsocket,), {hook: sync_hook})


def test_the_route_records_a_websocket_plan(app: Any) -> None:
    route = app.router.match("/rooms/a/1")[0]
    assert route.scope_type == "websocket" and route.endpoint is Seat
    assert route.plan.scope_type == "websocket" and route.plan.variables == ("room", "seat")
    assert route.plan.path == "rooms/<room>/<seat>" and route.plan.methods == ()


async def test_state_before_accept_and_errors_for_misuse(panther_app_factory: Any) -> None:
    seen: dict[str, Any] = {}

    class Misuse(GenericWebsocket):
        async def connect(self) -> None:
            seen["state"] = (self.state, self.is_connected, self.is_rejected)
            for what, call in (("id", lambda: self.connection_id), ("send", lambda: self.send_text("x"))):
                try:
                    result = call()
                    if hasattr(result, "__await__"):
                        await result
                except RuntimeError as exc:
                    seen[what] = str(exc)
            await self.accept()
            try:
                await self.accept()
            except RuntimeError as exc:
                seen["accept twice"] = str(exc)
            await self.close()
            seen["after close"] = (self.state, self.is_connected)
            try:
                await self.send("late")
            except RuntimeError as exc:
                seen["send after close"] = str(exc)

    app = panther_app_factory(urls={"m": Misuse})
    async with WebsocketClient(app) as client:
        await client.connect("/m")
    assert seen["state"] == ("Connected", False, False)
    assert "accept()" in seen["id"] and "accepted" in seen["send"]
    assert "already accepted" in seen["accept twice"]
    assert seen["after close"] == ("Closed", False)
    assert "closed" in seen["send after close"]


async def test_a_rejected_connection_says_so(panther_app_factory: Any) -> None:
    seen = {}

    class Rejects(GenericWebsocket):
        async def connect(self) -> None:
            await self.close()
            seen["rejected"] = (self.is_rejected, self.state)

    async with WebsocketClient(panther_app_factory(urls={"r": Rejects})) as client:
        await client.connect("/r")
    assert seen["rejected"] == (True, "Rejected")


async def test_app_json_encoders_are_used_for_send(panther_app_factory: Any) -> None:
    from decimal import Decimal

    class Money(GenericWebsocket):
        async def connect(self) -> None:
            await self.accept()
            await self.send({"price": Decimal("1.50"), "tags": {"a"}})

    async with WebsocketClient(panther_app_factory(urls={"m": Money})) as client, client.connect("/m") as ws:
        assert await ws.receive_json() == {"price": "1.50", "tags": ["a"]}


async def test_a_long_close_reason_is_cut_to_what_a_close_frame_holds(panther_app_factory: Any) -> None:
    class Long(GenericWebsocket):
        async def connect(self) -> None:
            await self.accept()
            await self.close(4000, "é" * 100)

    async with WebsocketClient(panther_app_factory(urls={"l": Long})) as client, client.connect("/l") as ws:
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
    assert len(closed.value.reason.encode()) <= 123 and closed.value.reason == "é" * 61
