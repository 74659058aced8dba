"""WebSocket middlewares: global (``WS_MIDDLEWARES`` and plugins') around every connection, then the endpoint's own."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from panther.middlewares import WebsocketMiddleware, WebsocketMonitoringMiddleware
from panther.plugins import hookimpl
from panther.test import WebsocketClient, WebsocketClosed, WebsocketRejected
from panther.websocket import GenericWebsocket

trail: list[str] = []


def named(name: str) -> type[WebsocketMiddleware]:
    class Recorder(WebsocketMiddleware):
        async def __call__(self, connection: Any) -> Any:
            trail.append(f"{name}>{type(connection).__name__}")
            result = await self.dispatch(connection=connection)
            trail.append(f"<{name}:{connection.state}")
            return result

    Recorder.__name__ = Recorder.__qualname__ = name
    return Recorder


First, Second, Own, FromPlugin = named("first"), named("second"), named("own"), named("plugin")


class Echo(GenericWebsocket):
    middlewares = [Own]

    async def connect(self) -> None:
        trail.append("connect")
        await self.accept()

    async def receive(self, data: str | bytes) -> None:
        await self.send(data)


class Plugin:
    @hookimpl
    def panther_ws_middlewares(self) -> list[type]:
        return [FromPlugin]


@pytest.fixture
def app(panther_app_factory: Any) -> Any:
    trail.clear()
    return panther_app_factory(urls={"echo": Echo}, configs={"WS_MIDDLEWARES": [First, Second]}, plugins=[Plugin()])


async def test_order_global_then_endpoint_middlewares(ws_client: WebsocketClient, app: Any) -> None:
    assert app.ws_middlewares == [FromPlugin, First, Second]
    async with ws_client.connect("/echo") as ws:
        await ws.send("x")
        assert await ws.receive() == "x"
    assert trail == [
        "plugin>Echo",
        "first>Echo",
        "second>Echo",
        "own>Echo",
        "connect",
        "<own:Closed",
        "<second:Closed",
        "<first:Closed",
        "<plugin:Closed",
    ]


async def test_global_middlewares_see_refused_connections(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected):
        async with ws_client.connect("/missing"):
            pass
    assert trail == [
        "plugin>Websocket",
        "first>Websocket",
        "second>Websocket",
        "<second:Rejected",
        "<first:Rejected",
        "<plugin:Rejected",
    ]


async def test_a_middleware_may_refuse(panther_app_factory: Any) -> None:
    class Gate(WebsocketMiddleware):
        async def __call__(self, connection: Any) -> Any:
            if connection.query_params.get("key") != "open":
                await connection.close(4003)
                return connection
            return await self.dispatch(connection=connection)

    app = panther_app_factory(urls={"echo": Echo}, configs={"WS_MIDDLEWARES": [Gate]})
    async with WebsocketClient(app) as client:
        with pytest.raises(WebsocketRejected) as rejected:
            async with client.connect("/echo"):
                pass
        assert rejected.value.code == 4003
        async with client.connect("/echo?key=open") as ws:
            await ws.send("in")
            assert await ws.receive() == "in"


async def test_a_middleware_that_raises_ends_only_that_connection(
    panther_app_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Explodes(WebsocketMiddleware):
        async def __call__(self, connection: Any) -> Any:
            if connection.query_params.get("explode") == "before":
                raise RuntimeError("before")
            result = await self.dispatch(connection=connection)
            if connection.query_params.get("explode") == "after":
                raise RuntimeError("after")
            return result

    app = panther_app_factory(urls={"echo": Echo}, configs={"WS_MIDDLEWARES": [Explodes]})
    async with WebsocketClient(app) as client:
        with pytest.raises(WebsocketRejected) as rejected:
            async with client.connect("/echo?explode=before"):
                pass
        assert rejected.value.status_code == 500
        async with client.connect("/echo?explode=after") as ws:
            await ws.send("fine")
            assert await ws.receive() == "fine"
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == ["before", "after"]


async def test_monitoring_middleware_logs_connect_and_close(
    panther_app_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = panther_app_factory(urls={"echo": Echo}, configs={"WS_MIDDLEWARES": [WebsocketMonitoringMiddleware]})
    with caplog.at_level(logging.INFO, logger="monitoring"):
        async with WebsocketClient(app) as client, client.connect("/echo") as ws:
            await ws.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "monitoring"]
    assert lines[0].startswith("WS | /echo | 127.0.0.1:8585 | - |")
    assert lines[1].startswith("WS | /echo | 127.0.0.1:8585 |") and lines[1].endswith("| Closed")


async def test_an_endpoint_middleware_must_be_a_websocket_middleware(panther_app_factory: Any) -> None:
    from panther.exceptions import PantherError
    from panther.middlewares import HTTPMiddleware

    class Wrong(GenericWebsocket):
        middlewares = [HTTPMiddleware]

    with pytest.raises(PantherError, match="WebsocketMiddleware"):
        panther_app_factory(urls={"w": Wrong})


async def test_closed_by_the_server_is_seen_by_middlewares(panther_app_factory: Any) -> None:
    class Bye(GenericWebsocket):
        middlewares = [Own]

        async def connect(self) -> None:
            await self.accept()
            await self.close(4000)

    trail.clear()
    async with WebsocketClient(panther_app_factory(urls={"bye": Bye})) as client, client.connect("/bye") as ws:
        with pytest.raises(WebsocketClosed):
            await ws.receive()
    assert trail == ["own>Bye", "<own:Closed"]
