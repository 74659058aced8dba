"""One WebSocket connection: the request-like object an endpoint's ``self`` is, and what it can send.

``Websocket`` carries everything a request has (headers, query parameters, path variables, client, ``user``) plus
the connection's life: ``state`` goes ``Connected`` → ``Accepted`` → ``Closed``, or ``Connected`` → ``Rejected``
when it is closed (or refused) before ``accept()``. An accepted connection has a ``connection_id`` that reaches it
from anywhere in the app, in any worker (``send_message_to_websocket``), and may join named groups.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from panther import status
from panther.base_request import BaseRequest

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.types import Receive, Scope, Send
    from panther.websocket.registry import Connections

__all__ = ["ACCEPTED", "CLOSED", "CONNECTED", "REJECTED", "Websocket", "encode_frame"]

logger = logging.getLogger("panther")

CONNECTED = "Connected"
ACCEPTED = "Accepted"
CLOSED = "Closed"
REJECTED = "Rejected"

#: A close frame carries at most 125 bytes: the 2-byte code and a reason of 123 bytes of UTF-8.
MAX_REASON_BYTES = 123

#: What is sent on the wire: ``str`` as a text message, ``bytes`` as a binary one.
Frame = str | bytes
HeadersArg = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]


def encode_frame(data: Any, dumps: Callable[[Any], bytes] = orjson.dumps) -> Frame:
    """What ``send(data)`` puts on the wire: ``str`` as text, ``bytes`` as binary, anything else as JSON text."""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    return dumps(data).decode()


class Websocket(BaseRequest):
    """A WebSocket connection. Endpoints subclass ``GenericWebsocket``, which adds the ``connect``/``receive``
    hooks; this class is what middlewares receive for a path no endpoint serves."""

    __slots__ = ("_close_code", "_connection_id", "_flow", "_groups", "_registry", "state")

    def __init__(self, scope: Scope, receive: Receive, send: Send, app: Panther | None = None) -> None:
        super().__init__(scope, receive, send, app)
        #: ``Connected`` (handshake pending), ``Accepted``, ``Closed`` or ``Rejected``.
        self.state = CONNECTED
        self._connection_id: str | None = None
        self._close_code: int | None = None
        self._groups: set[str] = set()
        self._registry: Connections | None = None
        self._flow: Callable[..., Any] | None = None

    # --- State ----------------------------------------------------------------------------------------------------

    @property
    def connection_id(self) -> str:
        """The id that reaches this connection from anywhere (set by ``accept()``, unique across workers)."""
        if self._connection_id is None:
            raise RuntimeError("This connection has no id until it is accepted: call `await self.accept()` first.")
        return self._connection_id

    @property
    def is_connected(self) -> bool:
        """Accepted and not closed yet."""
        return self.state == ACCEPTED

    @property
    def is_rejected(self) -> bool:
        """Closed (or refused) before it was accepted."""
        return self.state == REJECTED

    @property
    def groups(self) -> frozenset[str]:
        """The groups this connection is a member of."""
        return frozenset(self._groups)

    # --- Handshake ------------------------------------------------------------------------------------------------

    async def accept(self, subprotocol: str | None = None, headers: HeadersArg | None = None) -> None:
        """Accept the connection, optionally choosing one of the client's subprotocols and adding response
        headers (a dict, or a list of ``(name, value)`` pairs)."""
        if self.state != CONNECTED:
            raise RuntimeError(f"accept() on a connection that is already {self.state.lower()}.")
        await self.asgi_send(
            {"type": "websocket.accept", "subprotocol": subprotocol, "headers": _encode_headers(headers)}
        )
        self._connection_id = uuid.uuid4().hex
        self.state = ACCEPTED
        if self._registry is not None:
            self._registry.add(self)

    async def close(self, code: int = status.WS_1000_NORMAL_CLOSURE, reason: str = "") -> None:
        """Close the connection; before ``accept()`` this rejects it (a server answers the handshake with 403).
        Closing a closed connection does nothing."""
        if self.state in (CLOSED, REJECTED):
            return
        self.state = CLOSED if self.state == ACCEPTED else REJECTED
        self._close_code = code
        self._forget()
        try:
            await self.asgi_send({"type": "websocket.close", "code": code, "reason": _truncate(reason)})
        except OSError:  # the client is already gone (uvicorn's ClientDisconnected): it is closed either way
            logger.debug("WebSocket %s: the client left before the close frame", self.path)

    # --- Sending --------------------------------------------------------------------------------------------------

    async def send(self, data: Any = None) -> None:
        """Send ``str`` as a text message, ``bytes`` as a binary one and anything else as JSON text (with the
        app's encoders)."""
        # Builds the message itself rather than calling send_text/send_bytes: one coroutine less per message.
        if self.state != ACCEPTED:
            raise RuntimeError(self._not_open("send"))
        if isinstance(data, str):
            await self.asgi_send({"type": "websocket.send", "text": data})
        elif isinstance(data, (bytes, bytearray, memoryview)):
            await self.asgi_send({"type": "websocket.send", "bytes": bytes(data)})
        else:
            await self.asgi_send({"type": "websocket.send", "text": self.dumps(data).decode()})

    async def send_text(self, text_data: str) -> None:
        if self.state != ACCEPTED:
            raise RuntimeError(self._not_open("send"))
        await self.asgi_send({"type": "websocket.send", "text": text_data})

    async def send_bytes(self, bytes_data: bytes) -> None:
        if self.state != ACCEPTED:
            raise RuntimeError(self._not_open("send"))
        await self.asgi_send({"type": "websocket.send", "bytes": bytes_data})

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as JSON in a text message."""
        await self.send_text(self.dumps(data).decode())

    async def send_frame(self, frame: Frame) -> None:
        """Send what ``encode_frame`` made (a message encoded once for many connections)."""
        if isinstance(frame, str):
            await self.send_text(frame)
        else:
            await self.send_bytes(frame)

    @property
    def dumps(self) -> Callable[[Any], bytes]:
        """The app's JSON encoder (plugins' types included)."""
        return self.app.render_context.dumps if self.app is not None else orjson.dumps

    # --- Groups ---------------------------------------------------------------------------------------------------

    async def join(self, group: str) -> None:
        """Join ``group``: ``send_message_to_group(group, data)`` from any worker then reaches this connection.
        Left automatically when the connection ends."""
        if self.state != ACCEPTED:
            raise RuntimeError(self._not_open("join a group"))
        _check_group(group)
        self._groups.add(group)
        if self._registry is not None:
            self._registry.join(self, group)

    async def leave(self, group: str) -> None:
        """Leave ``group`` (nothing happens if this connection is not a member)."""
        self._groups.discard(group)
        if self._registry is not None:
            self._registry.leave(self, group)

    # --- Internals ------------------------------------------------------------------------------------------------

    def _forget(self) -> None:
        if self._registry is not None:
            self._registry.discard(self)
        self._groups.clear()

    def _not_open(self, what: str) -> str:
        if self.state == CONNECTED:
            return f"Cannot {what} before the connection is accepted: call `await self.accept()` first."
        return f"Cannot {what} on a connection that is {self.state.lower()}."

    def __repr__(self) -> str:
        ident = f" {self._connection_id}" if self._connection_id else ""
        return f"<{type(self).__name__} {self.path!r} {self.state}{ident}>"


def _encode_headers(headers: HeadersArg | None) -> list[tuple[bytes, bytes]]:
    """ASGI wants a list of byte pairs; upstream passed a dict through, which crashed uvicorn."""
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    result = []
    for name, value in pairs:
        raw_name = name if isinstance(name, bytes) else str(name).encode("latin-1")
        raw_value = value if isinstance(value, bytes) else str(value).encode("latin-1")
        if b"\r" in raw_name + raw_value or b"\n" in raw_name + raw_value:
            raise ValueError(f"Header {raw_name!r} contains a line break.")
        result.append((raw_name.lower(), raw_value))
    return result


def _truncate(reason: str) -> str:
    encoded = reason.encode()
    if len(encoded) <= MAX_REASON_BYTES:
        return reason
    return encoded[:MAX_REASON_BYTES].decode("utf-8", "ignore")


def _check_group(group: str) -> None:
    if not isinstance(group, str) or not group:
        raise ValueError(f"A group name is a non-empty string, got {group!r}.")
