"""WebsocketClient against a throw-away plugin that handles ``websocket`` scopes through ``panther_scope_handlers``."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from panther.app import API
from panther.plugins import hookimpl
from panther.response import Cookie, Response
from panther.test import APIClient, WebsocketClient, WebsocketClosed, WebsocketRejected


async def handler(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A tiny WebSocket server: routes on the path, the way a real WebSocket plugin would."""
    assert (await receive())["type"] == "websocket.connect"
    path = scope["path"]
    if path == "/reject":
        await send({"type": "websocket.close", "code": 4001, "reason": "no token"})
        return
    if path == "/deny":
        assert "websocket.http.response" in scope["extensions"]
        await send({"type": "websocket.http.response.start", "status": 401, "headers": [(b"x-why", b"token")]})
        await send({"type": "websocket.http.response.body", "body": b'{"detail":', "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b'"no token"}'})
        return
    subprotocol = scope["subprotocols"][0] if scope["subprotocols"] else None
    await send({"type": "websocket.accept", "subprotocol": subprotocol})
    if path == "/hello":
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        info = {"query": scope["query_string"].decode(), "token": headers.get("x-token")}
        info["cookie"] = headers.get("cookie")
        await send({"type": "websocket.send", "text": orjson.dumps(info).decode()})
        await send({"type": "websocket.close", "code": 4002, "reason": "done"})
        return
    if path == "/crash":
        await receive()
        raise RuntimeError("the handler crashed")
    while True:  # /echo
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


class WebsocketPlugin:
    @hookimpl
    def panther_scope_handlers(self, app: Any) -> dict[str, Any]:
        return {"websocket": handler}


@API()
async def login() -> Response:
    return Response({"ok": True}, set_cookies=Cookie("session", "s1"))


@pytest.fixture
def app(panther_app_factory: Any, panther_plugin: Any) -> Any:
    panther_plugin(WebsocketPlugin())
    return panther_app_factory(urls={"login/": login})


async def test_accept_echo_and_close(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/echo", subprotocols=["chat", "v2"]) as ws:
        assert ws.subprotocol == "chat"
        await ws.send("hi")
        assert await ws.receive() == "hi"
        await ws.send(b"\x00\x01")
        assert await ws.receive() == b"\x00\x01"
        await ws.send_json({"n": 1})
        assert await ws.receive_json() == {"n": 1}
        await ws.close()
    assert ws.messages[0] == {"type": "websocket.accept", "subprotocol": "chat"}


async def test_a_timed_out_receive_loses_nothing(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/echo") as ws:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await ws.receive()
        await ws.send("still here")
        assert await ws.receive_text() == "still here"


async def test_rejected_connection(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/reject"):
            pytest.fail("the connection must not open")
    assert (rejected.value.code, rejected.value.reason) == (4001, "no token")


async def test_refused_with_an_http_response(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/deny"):
            pytest.fail("the connection must not open")
    assert (rejected.value.code, rejected.value.status_code) == (None, 401)
    assert rejected.value.json() == {"detail": "no token"}
    assert (b"x-why", b"token") in rejected.value.headers


async def test_the_http_response_extension_can_be_left_out(app: Any) -> None:
    async with WebsocketClient(app, http_response_extension=False) as client:
        with pytest.raises(KeyError):  # the handler above insists on the extension
            await client.connect("/deny")


async def test_server_close_and_what_was_sent(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/hello?a=1", headers={"X-Token": "t"}, query_params={"b": [2, 3]}) as ws:
        assert await ws.receive_json() == {"query": "a=1&b=2&b=3", "token": "t", "cookie": None}
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (4002, "done")
    with pytest.raises(WebsocketClosed):
        await ws.send("too late")


async def test_errors_in_the_app_surface_when_leaving(ws_client: WebsocketClient) -> None:
    with pytest.raises(RuntimeError, match="the handler crashed"):
        async with ws_client.connect("/crash") as ws:
            await ws.send("go")


async def test_awaited_form_returns_the_messages_sent(app: Any) -> None:
    client = WebsocketClient(app)
    messages = await client.connect("/hello", headers={"X-Token": "t"})
    assert [message["type"] for message in messages] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert messages[-1] == {"type": "websocket.close", "code": 4002, "reason": "done"}
    # An app that waits for the client: collected until it goes quiet, then disconnected.
    assert await client.connect("/echo") == [{"type": "websocket.accept", "subprotocol": None}]
    assert await client.connect("/reject") == [{"type": "websocket.close", "code": 4001, "reason": "no token"}]
    await client.close()


async def test_sharing_the_session_of_an_api_client(app: Any) -> None:
    async with APIClient(app, keep_cookies=True) as http, WebsocketClient(app, cookies=http.cookies) as ws_client:
        await http.get("/login/")
        async with ws_client.connect("/hello") as ws:
            assert (await ws.receive_json())["cookie"] == "session=s1"


def test_upstreams_synchronous_form_in_a_plain_test(app: Any) -> None:
    # Upstream's WebSocket tests were plain unittest methods: `responses = ws.connect(path)` was the message list.
    ws = WebsocketClient(app=app)
    responses = ws.connect("/hello", headers={"X-Token": "t"})
    assert responses[0]["type"] == "websocket.accept"
    assert orjson.loads(responses[1]["text"])["token"] == "t"
    assert responses[2] == {"type": "websocket.close", "code": 4002, "reason": "done"}
    assert len(responses) == 3 and [m["type"] for m in responses][-1] == "websocket.close"
    assert ws.connect("/reject") == [{"type": "websocket.close", "code": 4001, "reason": "no token"}]


async def test_the_synchronous_form_inside_async_code_says_to_await(app: Any) -> None:
    async with WebsocketClient(app) as ws:
        connection = ws.connect("/hello")
        with pytest.raises(TypeError, match=r"await client.connect"):
            connection[0]
        assert len(await connection) == 3
