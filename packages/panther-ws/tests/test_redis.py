"""Delivery through Redis pub/sub, in one process: two apps on one channel stand for two workers.

(``test_cluster.py`` proves the same with two real uvicorn processes.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import redis.asyncio as aioredis

from panther.test import WebsocketClient, WebsocketClosed
from panther.websocket import (
    GenericWebsocket,
    close_websocket_connection,
    send_message_to_group,
    send_message_to_websocket,
)
from panther.websocket.registry import decode_message, encode_message
from panther.websocket.state import WEBSOCKETS

pytestmark = pytest.mark.panther_redis


class Room(GenericWebsocket):
    async def connect(self, room: str) -> None:
        await self.accept()
        await self.join(room)
        await self.send({"id": self.connection_id})


URLS = {"rooms/<room>": Room}


async def opened(client: WebsocketClient, path: str) -> tuple[Any, str]:
    ws = await client.connect(path).__aenter__()
    return ws, (await ws.receive_json())["id"]


async def quiet(ws: Any, seconds: float = 0.1) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await ws.receive()
    except TimeoutError:
        return True
    return False


@pytest.fixture
def workers(panther_app_factory: Any, redis_configs: dict[str, Any]) -> tuple[Any, Any]:
    return panther_app_factory(urls=URLS, configs=redis_configs), panther_app_factory(urls=URLS, configs=redis_configs)


async def test_a_message_from_another_worker_arrives(workers: tuple[Any, Any]) -> None:
    holder, other = workers
    async with WebsocketClient(holder) as client, WebsocketClient(other) as other_client:
        ws, connection_id = await opened(client, "/rooms/a")
        await other_client.startup()  # the sending worker is running too
        await send_message_to_websocket(connection_id, {"hello": "from B"}, app=other)
        await send_message_to_websocket(connection_id, b"\x00\x01\xff", app=other)
        await send_message_to_websocket(connection_id, "text stays text", app=other)
        assert await ws.receive_json() == {"hello": "from B"}
        assert await ws.receive() == b"\x00\x01\xff"
        assert await ws.receive() == "text stays text"
        await close_websocket_connection(connection_id, code=4200, reason="bye from B", app=other)
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
        assert (closed.value.code, closed.value.reason) == (4200, "bye from B")
        await ws.close()


async def test_an_app_without_websocket_routes_publishes_to_the_workers_that_have_some(
    panther_app_factory: Any, redis_configs: dict[str, Any]
) -> None:
    holder = panther_app_factory(urls=URLS, configs=redis_configs)
    api_only = panther_app_factory(urls={}, configs=redis_configs)  # e.g. an HTTP service of its own
    async with WebsocketClient(holder) as client, WebsocketClient(api_only) as api_client:
        ws, connection_id = await opened(client, "/rooms/a")
        await api_client.startup()
        assert api_only.stash[WEBSOCKETS].listener is None  # nothing to deliver there: no subscription
        await send_message_to_websocket(connection_id, "from the API service", app=api_only)
        await send_message_to_group("a", "to the room, from the API service", app=api_only)
        assert await ws.receive() == "from the API service"
        assert await ws.receive() == "to the room, from the API service"
        await ws.close()


async def test_group_broadcast_reaches_members_in_every_worker_once(workers: tuple[Any, Any]) -> None:
    first, second = workers
    async with WebsocketClient(first) as one, WebsocketClient(second) as two:
        a, a_id = await opened(one, "/rooms/lobby")
        b, _ = await opened(two, "/rooms/lobby")
        c, _ = await opened(two, "/rooms/elsewhere")
        await send_message_to_group("lobby", "everyone", app=first)
        assert await a.receive() == "everyone"
        assert await b.receive() == "everyone"
        assert await quiet(a) and await quiet(c)  # the sender's worker delivered its own members once
        await send_message_to_group("lobby", "not a", exclude=a_id, app=second)
        assert await b.receive() == "not a"
        assert await quiet(a)
        for ws in (a, b, c):
            await ws.close()


async def test_the_listener_survives_a_lost_subscription(
    panther_app_factory: Any, panther_redis_url: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The holder's connections carry a name of their own, so the test can cut just them on the shared server.
    name = channel.replace(":", "-")
    holder = panther_app_factory(
        urls=URLS, configs={"REDIS": {"url": panther_redis_url, "client_name": name}, "WS_REDIS_CHANNEL": channel}
    )
    other = panther_app_factory(urls=URLS, configs={"REDIS": {"url": panther_redis_url}, "WS_REDIS_CHANNEL": channel})
    async with WebsocketClient(holder) as client, WebsocketClient(other) as other_client:
        ws, connection_id = await opened(client, "/rooms/a")
        await other_client.startup()
        listener = holder.stash[WEBSOCKETS].listener
        assert listener is not None and listener.subscribed.is_set()
        admin = aioredis.Redis.from_url(panther_redis_url)
        try:
            with caplog.at_level(logging.WARNING, logger="panther"):
                # As if Redis restarted, for this subscriber only.
                subscribers = [c for c in await admin.client_list() if c["name"] == name and int(c["sub"]) > 0]
                assert len(subscribers) == 1
                await admin.client_kill_filter(_id=subscribers[0]["id"])
                for _ in range(100):  # it notices, logs, and subscribes again
                    await asyncio.sleep(0.05)
                    if "again" in caplog.text and listener.subscribed.is_set():
                        break
            assert "lost its Redis subscription" in caplog.text
            assert f"subscribed to {channel!r} again" in caplog.text
            assert (await admin.pubsub_numsub(channel))[0][1] == 2  # both workers, nothing duplicated
        finally:
            await admin.aclose()
        await send_message_to_websocket(connection_id, "after the outage", app=other)
        assert await ws.receive() == "after the outage"
        await ws.close()


async def test_malformed_messages_on_the_channel_are_ignored(
    workers: tuple[Any, Any], panther_redis_url: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    holder, _ = workers
    async with WebsocketClient(holder) as client:
        ws, connection_id = await opened(client, "/rooms/a")
        publisher = aioredis.Redis.from_url(panther_redis_url)
        try:
            for junk in (b"not json", b'{"action": "explode"}', b'{"action": "send", "target": 1}', b"[]"):
                await publisher.publish(channel, junk)
            await publisher.publish(channel, encode_message("send", connection_id, "still listening"))
        finally:
            await publisher.aclose()
        assert await ws.receive() == "still listening"
        assert caplog.text.count("malformed message") == 4
        await ws.close()


async def test_startup_fails_clearly_when_redis_is_unreachable(panther_app_factory: Any, channel: str) -> None:
    app = panther_app_factory(
        urls=URLS, configs={"REDIS": {"url": "redis://127.0.0.1:1/0"}, "WS_REDIS_CHANNEL": channel}
    )
    with pytest.raises(Exception, match="Redis"):
        await app.startup()


def test_messages_round_trip() -> None:
    for frame in ("text", "", "ünï\x00", b"", b"\x00\xff\x10"):
        decoded = decode_message(encode_message("send", "id", frame))
        assert decoded["frame"] == frame and type(decoded["frame"]) is type(frame)
    decoded = decode_message(encode_message("close", "id", code=4000, reason="r").decode())  # decode_responses
    assert (decoded["code"], decoded["reason"]) == (4000, "r")
    group = decode_message(encode_message("group", "g", "x", origin="o", exclude="e"))
    assert (group["target"], group["origin"], group["exclude"]) == ("g", "o", "e")
