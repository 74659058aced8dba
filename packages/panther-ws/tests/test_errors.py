"""An exception in an endpoint ends only its own connection, with a close code that says why, and is logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from panther import status
from panther.exceptions import AuthorizationAPIError, WebsocketError
from panther.test import WebsocketClient, WebsocketClosed, WebsocketRejected
from panther.websocket import GenericWebsocket

ended: list[tuple[str, int]] = []


class Fragile(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()

    async def receive(self, data: str | bytes) -> None:
        if data == "crash":
            raise KeyError("boom")
        if data == "ws-error":
            raise WebsocketError("going away", status_code=status.WS_1001_GOING_AWAY)
        if data == "api-error":
            raise AuthorizationAPIError("not yours")
        await self.send(f"ok:{data}")

    async def disconnect(self, code: int) -> None:
        ended.append((self.connection_id, code))


class CrashesInConnect(GenericWebsocket):
    async def connect(self) -> None:
        raise RuntimeError("connect failed")


class CrashesAfterAccept(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()
        raise RuntimeError("connect failed late")


class RefusesWithAnAPIError(GenericWebsocket):
    async def connect(self) -> None:
        raise AuthorizationAPIError("members only")


class BadDisconnect(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()

    async def disconnect(self, code: int) -> None:
        raise ValueError("cleanup failed")


URLS = {
    "fragile": Fragile,
    "connect": CrashesInConnect,
    "late": CrashesAfterAccept,
    "refuses": RefusesWithAnAPIError,
    "bad-disconnect": BadDisconnect,
}


@pytest.fixture
def app(panther_app_factory: Any) -> Any:
    return panther_app_factory(urls=URLS)


def _tracebacks(caplog: pytest.LogCaptureFixture, kind: type[BaseException]) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info and r.exc_info[0] is kind and r.levelno >= logging.ERROR]


async def test_exception_in_receive_closes_with_1011_and_the_others_carry_on(
    ws_client: WebsocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    ended.clear()
    async with ws_client.connect("/fragile") as other, ws_client.connect("/fragile") as ws:
        await ws.send("crash")
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
        assert closed.value.code == 1011
        await other.send("still here")
        assert await other.receive() == "ok:still here"
    assert len(_tracebacks(caplog, KeyError)) == 1
    assert sorted(code for _, code in ended) == [1000, 1011]


async def test_websocket_error_closes_with_its_own_code_without_a_traceback(
    ws_client: WebsocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with ws_client.connect("/fragile") as ws:
        await ws.send("ws-error")
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (1001, "going away")
    assert not [r for r in caplog.records if r.exc_info]


async def test_api_error_after_accept_is_a_policy_violation(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/fragile") as ws:
        await ws.send("api-error")
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
    assert (closed.value.code, closed.value.reason) == (1008, "not yours")


async def test_exception_in_connect_before_accept_is_a_logged_500(
    ws_client: WebsocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/connect"):
            pytest.fail("must not open")
    assert (rejected.value.status_code, rejected.value.json()) == (500, {"detail": "Internal Server Error"})
    assert len(_tracebacks(caplog, RuntimeError)) == 1


async def test_exception_in_connect_after_accept_closes_with_1011(
    ws_client: WebsocketClient, caplog: pytest.LogCaptureFixture
) -> None:
    async with ws_client.connect("/late") as ws:
        with pytest.raises(WebsocketClosed) as closed:
            await ws.receive()
    assert closed.value.code == 1011
    assert len(_tracebacks(caplog, RuntimeError)) == 1


async def test_api_error_in_connect_refuses_with_its_status(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/refuses"):
            pytest.fail("must not open")
    assert (rejected.value.status_code, rejected.value.json()) == (403, {"detail": "members only"})


async def test_exception_in_disconnect_is_logged(ws_client: WebsocketClient, caplog: pytest.LogCaptureFixture) -> None:
    async with ws_client.connect("/bad-disconnect"):
        pass
    assert len(_tracebacks(caplog, ValueError)) == 1


async def test_websocket_error_raised_before_accept_refuses_with_its_code(panther_app_factory: Any) -> None:
    """Upstream called a `log()` method that does not exist and crashed with AttributeError."""

    class Raises(GenericWebsocket):
        async def connect(self) -> None:
            raise WebsocketError("no entry", status_code=4001)

    async with WebsocketClient(panther_app_factory(urls={"r": Raises})) as client:
        with pytest.raises(WebsocketRejected) as rejected:
            async with client.connect("/r"):
                pytest.fail("must not open")
    assert (rejected.value.code, rejected.value.reason) == (4001, "no entry")
