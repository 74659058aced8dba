"""The chat example: members of a room hear each other and the HTTP announcements; with Redis, across apps."""

import asyncio
import uuid

import pytest

from examples.ws_chat import main
from panther.test import APIClient, WebsocketClient


@pytest.fixture
def app(panther_app_factory):
    return panther_app_factory(urls=main.urls)  # one worker, no Redis


async def test_members_of_a_room_hear_each_other(ws_client, api_client):
    async with ws_client.connect("/chat/tea/") as ann, ws_client.connect("/chat/tea/") as bob:
        ann_id = (await ann.receive_json())["you"]
        await bob.receive_json()
        async with ws_client.connect("/chat/coffee/") as eve:
            await eve.receive_json()
            await ann.send("hello")
            assert await bob.receive_json() == {"from": ann_id, "text": "hello"}

            response = await api_client.post("/rooms/tea/announce/", payload={"text": "closing soon"})
            assert response.status_code == 200
            assert await ann.receive_json() == {"announcement": "closing soon"}
            assert await bob.receive_json() == {"announcement": "closing soon"}
            with pytest.raises(TimeoutError):  # another room hears nothing
                async with asyncio.timeout(0.2):
                    await eve.receive()


async def test_an_empty_announcement_is_a_400(api_client):
    assert (await api_client.post("/rooms/tea/announce/", payload={"text": ""})).status_code == 400


@pytest.mark.panther_redis
async def test_with_redis_a_message_reaches_members_held_by_another_app(panther_app_factory, panther_redis_url):
    # Two apps stand for two workers: each has its own connections, and only Redis links them.
    configs = {"REDIS": {"url": panther_redis_url}, "WS_REDIS_CHANNEL": f"example-chat:{uuid.uuid4().hex}"}
    first = panther_app_factory(urls=main.urls, configs=configs)
    second = panther_app_factory(urls=main.urls, configs=configs)
    async with (
        WebsocketClient(first) as one,
        WebsocketClient(second) as two,
        APIClient(second) as http,
        one.connect("/chat/tea/") as ann,
        two.connect("/chat/tea/") as bob,
    ):
        await ann.receive_json()
        await bob.receive_json()
        await bob.send("from the other worker")
        async with asyncio.timeout(5):
            message = await ann.receive_json()
        assert message["text"] == "from the other worker"
        await http.post("/rooms/tea/announce/", payload={"text": "everyone"})
        async with asyncio.timeout(5):
            assert await ann.receive_json() == {"announcement": "everyone"}
