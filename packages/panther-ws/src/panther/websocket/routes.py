"""Building a ``GenericWebsocket``'s route, and the life of each of its connections.

Everything about an endpoint is decided when the app is built: the binding of ``connect``'s parameters to the
path variables, the authentication (``auth`` or ``WS_AUTHENTICATION``, through the plugins that understand it),
the permissions and the endpoint's own middlewares. A connection then runs: authentication → permissions → path
variables → ``connect`` → one ``receive`` per message until it ends → ``disconnect``.

A refusal before ``accept()`` answers the handshake with an HTTP error (``{"detail": ...}``) where the server
supports the ``websocket.http.response`` extension (uvicorn does), otherwise with a close, which servers turn into
a 403. An exception in ``connect`` or ``receive`` is logged with its traceback and closes only that connection
with 1011.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from panther import status
from panther.building import resolve_authentication
from panther.exceptions import APIError, AuthorizationAPIError, PantherError, WebsocketError
from panther.middlewares.base import WebsocketMiddleware, build_chain, load_middlewares
from panther.parameters import Binding, bind_parameters
from panther.pipeline import per_request_callable
from panther.plan import EndpointPlan
from panther.routings import Route
from panther.websocket.connection import ACCEPTED, CLOSED, CONNECTED, REJECTED, Websocket
from panther.websocket.endpoint import GenericWebsocket

if TYPE_CHECKING:
    from panther.main import Panther

__all__ = ["build_route", "refuse"]

logger = logging.getLogger("panther")

Flow = Callable[[Websocket], Awaitable[Websocket]]

HTTP_RESPONSE_EXTENSION = "websocket.http.response"
#: RFC 6455's code for a close without a status: what ASGI says a disconnect without ``code`` means.
NO_STATUS_RECEIVED = 1005
_JSON = (b"content-type", b"application/json")


def build_route(
    app: Panther, path: str, endpoint: type[GenericWebsocket], variables: tuple[str, ...], default_auth: Any
) -> Route:
    """The route of a ``GenericWebsocket`` class: its plan (``scope_type="websocket"``) and its connection flow."""
    where = f"{path}/" if path else "/"
    options = endpoint.options
    plan = EndpointPlan(path=path, endpoint=endpoint, options=options, variables=variables, scope_type="websocket")
    plan.authentication = resolve_authentication(app, _effective_auth(options.auth, default_auth, where), plan)
    plan.permissions = [per_request_callable(permission) for permission in options.permissions]
    plan.middlewares = load_middlewares(
        options.middlewares, where=f"middlewares of '{where}'", base=WebsocketMiddleware
    )
    binding = bind_parameters(endpoint.connect, variables, where, skip_first=True)
    flow = _flow(plan, binding)
    # The route's handler takes the connection (the scope handler builds it), not an HTTP request.
    handlers: dict[str, Any] = {"websocket": build_chain(flow, plan.middlewares, app) if plan.middlewares else flow}
    return Route(path, endpoint, handlers, scope_type="websocket", plan=plan)


def _effective_auth(auth: Any, default: Any, where: str) -> Any:
    """``None``: the ``WS_AUTHENTICATION`` setting; ``False``: none; ``True``: the setting, which must be set."""
    if auth is False:
        return None
    if auth is None or auth is True:
        if auth is True and default is None:
            raise PantherError(f"'{where}' declares `auth = True` but WS_AUTHENTICATION is not set in configs.")
        return default
    return auth


def _flow(plan: EndpointPlan, binding: Binding) -> Flow:
    auth = plan.authentication
    permissions = tuple(plan.permissions)

    async def run(connection: Websocket) -> Websocket:
        try:
            if auth is not None:
                connection.user = await auth(connection)
            for permission in permissions:
                # Refuse unless the permission answers exactly True: a forgotten `return` must not let anyone in.
                if await permission(connection) is not True:
                    raise AuthorizationAPIError
            kwargs = binding.arguments(connection.path_variables, connection)
        except Exception as exc:
            await _refuse_for(connection, exc)
            return connection
        assert isinstance(connection, GenericWebsocket)
        try:
            await connection.connect(**kwargs)
            if connection.state == CONNECTED:  # neither accepted nor closed: refused, as upstream did
                await connection.close()
            elif connection.state == ACCEPTED:
                await _receive_messages(connection)
        except Exception as exc:
            await _fail(connection, exc)
        finally:
            if connection._connection_id is not None:  # it was accepted
                await _ended(connection)
        return connection

    return run


async def _receive_messages(connection: GenericWebsocket) -> None:
    receive = connection.asgi_receive
    on_message = connection.receive
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            await on_message(text if text is not None else message.get("bytes") or b"")
            if connection.state != ACCEPTED:  # closed by the endpoint (or from elsewhere) meanwhile
                return
        elif kind == "websocket.disconnect":
            if connection.state == ACCEPTED:
                connection.state = CLOSED
                connection._close_code = int(message.get("code") or NO_STATUS_RECEIVED)
                connection._forget()
            return


async def _ended(connection: GenericWebsocket) -> None:
    connection._forget()
    try:
        await connection.disconnect(connection._close_code or status.WS_1000_NORMAL_CLOSURE)
    except Exception:
        logger.exception("%s.disconnect() raised", type(connection).__qualname__)


async def _fail(connection: Websocket, exc: Exception) -> None:
    """An exception in ``connect`` or ``receive``: this connection ends, the server and the others go on."""
    if isinstance(exc, WebsocketError):  # raised on purpose: its status code is the close code (a refusal if early)
        await connection.close(exc.status_code, str(exc.detail))
    elif isinstance(exc, APIError):
        if connection.state == CONNECTED:
            await _refuse_for(connection, exc)
        else:
            await connection.close(status.WS_1008_POLICY_VIOLATION, str(exc.detail))
    else:
        logger.exception("%s raised in %s", type(connection).__qualname__, connection.path)
        if connection.state == CONNECTED:
            await refuse(connection, 500, {"detail": "Internal Server Error"}, status.WS_1011_INTERNAL_ERROR)
        else:
            await connection.close(status.WS_1011_INTERNAL_ERROR)


async def _refuse_for(connection: Websocket, exc: Exception) -> None:
    if isinstance(exc, APIError):
        await refuse(connection, exc.status_code, exc.body, status.WS_1008_POLICY_VIOLATION, exc.headers)
    else:
        logger.exception("Refused a WebSocket connection to %s", connection.path)
        await refuse(connection, 500, {"detail": "Internal Server Error"}, status.WS_1011_INTERNAL_ERROR)


async def refuse(
    connection: Websocket, status_code: int, body: Any, close_code: int, headers: dict[str, str] | None = None
) -> None:
    """Refuse the handshake: an HTTP response where the server supports it, else a close (a 403 on the wire)."""
    extensions = connection.scope.get("extensions") or {}
    if HTTP_RESPONSE_EXTENSION not in extensions:
        await connection.close(close_code)
        return
    connection.state = REJECTED
    content = orjson.dumps(body)
    raw_headers = [_JSON, (b"content-length", b"%d" % len(content))]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    send = connection.asgi_send
    try:
        await send({"type": "websocket.http.response.start", "status": status_code, "headers": raw_headers})
        await send({"type": "websocket.http.response.body", "body": content})
    except OSError:  # the client is already gone
        pass
