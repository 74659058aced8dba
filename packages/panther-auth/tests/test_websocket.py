"""WebSocket endpoints authenticate through ``panther.building.resolve_authentication``, as panther-ws does: the
JWT classes work on a connection object (headers, query parameters, cookies, like a request).

The plugin below is a stand-in for panther-ws with only what matters here: it resolves the endpoint's ``auth`` and
``permissions`` for a ``'websocket'`` plan and refuses the connection before accepting it (HTTP 403 under a real
server) when either says no.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
import pytest

from panther.app import EndpointOptions
from panther.authentications import CookieJWTAuthentication, JWTAuthentication, QueryParamJWTAuthentication
from panther.authentications.state import AUTH
from panther.base_request import BaseRequest
from panther.building import resolve_authentication
from panther.exceptions import APIError, AuthorizationAPIError
from panther.permissions import IsAuthenticated
from panther.pipeline import per_request_callable
from panther.plan import EndpointPlan
from panther.plugins import hookimpl
from panther.routings import Route
from panther.test import WebsocketClient
from panther.test.websocket import WebsocketRejected


class Socket:
    """What a ``GenericWebsocket`` declares, for the stand-in plugin."""

    auth: ClassVar[Any] = None
    permissions: ClassVar[list[Any]] = []


class MiniWebsockets:
    def __init__(self) -> None:
        self.plans: list[EndpointPlan] = []

    @hookimpl
    def panther_build_route(self, app: Any, path: str, endpoint: Any, variables: tuple[str, ...]) -> Route | None:
        if not (isinstance(endpoint, type) and issubclass(endpoint, Socket)):
            return None
        plan = EndpointPlan(path, endpoint, EndpointOptions(), variables, scope_type="websocket")
        plan.authentication = resolve_authentication(app, endpoint.auth, plan)
        plan.permissions = [per_request_callable(p) for p in endpoint.permissions]
        self.plans.append(plan)

        async def connect(scope: Any, receive: Any, send: Any) -> None:
            connection = BaseRequest(scope, receive, send, app)
            await receive()  # websocket.connect
            try:
                if plan.authentication is not None:
                    connection.user = await plan.authentication(connection)
                for permission in plan.permissions:
                    if await permission(connection) is not True:
                        raise AuthorizationAPIError
            except APIError:
                await send({"type": "websocket.close", "code": 1000})  # before accept: a 403 handshake
                return
            await send({"type": "websocket.accept"})
            user = connection.user
            await send({"type": "websocket.send", "text": orjson.dumps({"user": getattr(user, "id", None)}).decode()})
            await send({"type": "websocket.close", "code": 1000})

        return Route(path, endpoint, {"websocket": connect}, scope_type="websocket", plan=plan)

    @hookimpl
    def panther_scope_handlers(self, app: Any) -> Any:
        async def handler(scope: Any, receive: Any, send: Any) -> None:
            route, _ = app.router.match(scope["path"])
            await route.handlers["websocket"](scope, receive, send)

        return {"websocket": handler}


class QuerySocket(Socket):
    auth = QueryParamJWTAuthentication
    permissions: ClassVar[list[Any]] = [IsAuthenticated]


class HeaderSocket(Socket):
    auth = JWTAuthentication


class CookieSocket(Socket):
    auth = CookieJWTAuthentication
    permissions: ClassVar[list[Any]] = [IsAuthenticated]


@pytest.fixture
def plugin() -> MiniWebsockets:
    return MiniWebsockets()


@pytest.fixture
def app(auth_app, panther_plugin, plugin):
    panther_plugin(plugin)
    # panther-ws (when installed) serves WebSockets itself; the stand-in replaces it here.
    urls = {"query": QuerySocket, "header": HeaderSocket, "cookie": CookieSocket}
    return auth_app(urls=urls, DISABLED_PLUGINS=["ws"])


@pytest.fixture
def tokens(app) -> dict[str, str]:
    return app.stash[AUTH].jwt().pair("1")


def sent_user(messages: list[dict[str, Any]]) -> Any:
    assert messages[0]["type"] == "websocket.accept", messages
    return orjson.loads(messages[1]["text"])["user"]


async def test_plans_are_websocket_plans(app, plugin):
    assert {plan.scope_type for plan in plugin.plans} == {"websocket"}
    assert all(plan.authentication is not None for plan in plugin.plans)


async def test_query_param_token(app, tokens):
    async with WebsocketClient(app) as client:
        messages = await client.connect("/query/", query_params={"authorization": tokens["access_token"]})
    assert sent_user(messages) == "1"


@pytest.mark.parametrize(
    "query",
    [None, {"authorization": "garbage"}, {"authorization": ""}],
    ids=["anonymous", "garbage", "empty"],
)
async def test_refused_before_accept(app, query):
    async with WebsocketClient(app) as client:
        with pytest.raises(WebsocketRejected):
            async with client.connect("/query/", query_params=query):
                pass


async def test_refresh_and_revoked_tokens_are_refused(app, tokens):
    async with WebsocketClient(app) as client:
        with pytest.raises(WebsocketRejected):
            async with client.connect("/query/", query_params={"authorization": tokens["refresh_token"]}):
                pass
        await JWTAuthentication.revoke_token(tokens["access_token"], app=app)
        with pytest.raises(WebsocketRejected):
            async with client.connect("/query/", query_params={"authorization": tokens["access_token"]}):
                pass


async def test_header_and_cookie_tokens(app, tokens):
    async with WebsocketClient(app) as client:
        messages = await client.connect("/header/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert sent_user(messages) == "1"
        assert sent_user(await client.connect("/header/")) is None  # no token, no permission: anonymous
        messages = await client.connect("/cookie/", headers={"Cookie": f"access_token={tokens['access_token']}"})
        assert sent_user(messages) == "1"
        with pytest.raises(WebsocketRejected):  # a refresh cookie alone
            async with client.connect("/cookie/", headers={"Cookie": f"refresh_token={tokens['refresh_token']}"}):
                pass
