"""Authentication and permissions run before ``connect``; a refusal answers the handshake with an HTTP error."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from panther.exceptions import AuthenticationAPIError, PantherError
from panther.plugins import hookimpl
from panther.test import WebsocketClient, WebsocketRejected
from panther.websocket import GenericWebsocket


async def token_auth(connection: Any) -> dict[str, str]:
    """Reads the token from the query string, as browsers cannot set headers on a WebSocket."""
    token = connection.query_params.get("token")
    if token != "good":
        raise AuthenticationAPIError("bad token")
    return {"name": "ada"}


class HeaderAuth:
    async def __call__(self, connection: Any) -> str:
        return f"header:{connection.headers.get('x-user')}"


class WhoAmI(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()
        await self.send({"user": self.user})


class WithOwnAuth(WhoAmI):
    auth = HeaderAuth


class NoAuth(WhoAmI):
    auth = False


calls: list[str] = []


async def allow(connection: Any) -> bool:
    calls.append("allow")
    return True


async def forgets_to_return(connection: Any) -> None:
    calls.append("forgets")


class Deny:
    async def __call__(self, connection: Any) -> bool:
        calls.append("deny")
        return False


async def never_reached(connection: Any) -> bool:
    calls.append("never")
    return True


class Allowed(WhoAmI):
    permissions = [allow]


class Forgetful(WhoAmI):
    permissions = [allow, forgets_to_return, never_reached]


class Denied(WhoAmI):
    permissions = [Deny, never_reached]


URLS = {"me": WhoAmI, "own": WithOwnAuth, "open": NoAuth, "allowed": Allowed, "forgetful": Forgetful, "denied": Denied}


@pytest.fixture
def app(panther_app_factory: Any) -> Any:
    return panther_app_factory(urls=URLS, configs={"WS_AUTHENTICATION": token_auth})


async def test_ws_authentication_setting_sets_the_user(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/me", query_params={"token": "good"}) as ws:
        assert await ws.receive_json() == {"user": {"name": "ada"}}


async def test_authentication_failure_is_401_on_the_handshake(ws_client: WebsocketClient) -> None:
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/me", query_params={"token": "bad"}):
            pytest.fail("must not open")
    assert (rejected.value.status_code, rejected.value.json()) == (401, {"detail": "bad token"})


async def test_class_auth_wins_over_the_setting_and_auth_false_disables_it(ws_client: WebsocketClient) -> None:
    async with ws_client.connect("/own", headers={"X-User": "bob"}) as ws:
        assert await ws.receive_json() == {"user": "header:bob"}
    async with ws_client.connect("/open") as ws:
        assert await ws.receive_json() == {"user": None}


async def test_permissions_grant_only_on_true_and_stop_at_the_first_refusal(ws_client: WebsocketClient) -> None:
    calls.clear()
    async with ws_client.connect("/allowed", query_params={"token": "good"}) as ws:
        assert await ws.receive_json() == {"user": {"name": "ada"}}
    assert calls == ["allow"]
    for path, expected in (("/forgetful", ["allow", "forgets"]), ("/denied", ["deny"])):
        calls.clear()
        with pytest.raises(WebsocketRejected) as rejected:
            async with ws_client.connect(path, query_params={"token": "good"}):
                pytest.fail("must not open")
        assert (rejected.value.status_code, rejected.value.json()) == (403, {"detail": "Permission Denied"})
        assert calls == expected  # upstream went on calling the next permissions after a refusal


async def test_permissions_run_after_authentication(ws_client: WebsocketClient) -> None:
    calls.clear()
    with pytest.raises(WebsocketRejected) as rejected:
        async with ws_client.connect("/denied", query_params={"token": "bad"}):
            pytest.fail("must not open")
    assert rejected.value.status_code == 401 and calls == []


async def test_ws_authentication_as_a_dotted_path(panther_app_factory: Any) -> None:
    assert sys.modules[__name__].HeaderAuth is HeaderAuth  # importable under its name
    app = panther_app_factory(urls={"me": WhoAmI}, configs={"WS_AUTHENTICATION": f"{__name__}.HeaderAuth"})
    async with WebsocketClient(app) as client, client.connect("/me", headers={"X-User": "eve"}) as ws:
        assert await ws.receive_json() == {"user": "header:eve"}


def test_auth_true_without_the_setting_is_a_startup_error(panther_app_factory: Any) -> None:
    class Needs(WhoAmI):
        auth = True

    with pytest.raises(PantherError, match="WS_AUTHENTICATION is not set"):
        panther_app_factory(urls={"n": Needs})


def test_a_sync_auth_is_refused_when_the_class_is_defined() -> None:
    def sync_auth(connection: Any) -> None: ...

    with pytest.raises(PantherError, match="must be an async function"):

        class Bad(GenericWebsocket):
            auth = sync_auth


async def test_an_auth_plugin_sees_a_websocket_plan(panther_app_factory: Any) -> None:
    seen: list[tuple[str, str]] = []

    class QueryTokens:
        @hookimpl
        def panther_authentication(self, app: Any, auth: Any, endpoint: Any) -> Any:
            if auth != "query-token":
                return None
            seen.append((endpoint.path, endpoint.scope_type))

            async def authenticate(connection: Any) -> str:
                return connection.query_params["t"]

            return authenticate

    class Tokened(WhoAmI):
        auth = "query-token"

    app = panther_app_factory(urls={"t": Tokened}, plugins=[QueryTokens()])
    assert seen == [("t", "websocket")]
    assert app.router.match("/t")[0].plan.authentication is not None
    async with WebsocketClient(app) as client, client.connect("/t?t=zed") as ws:
        assert await ws.receive_json() == {"user": "zed"}


async def test_an_auth_that_crashes_is_a_logged_500(panther_app_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(connection: Any) -> None:
        raise ZeroDivisionError("oops")

    class Broken(WhoAmI):
        auth = broken

    async with WebsocketClient(panther_app_factory(urls={"b": Broken})) as client:
        with pytest.raises(WebsocketRejected) as rejected:
            async with client.connect("/b"):
                pytest.fail("must not open")
    assert (rejected.value.status_code, rejected.value.json()) == (500, {"detail": "Internal Server Error"})
    assert any(record.exc_info and record.exc_info[0] is ZeroDivisionError for record in caplog.records)
