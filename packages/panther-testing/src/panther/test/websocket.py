"""``WebsocketClient``: opens WebSocket connections to an ASGI app in-process and talks to it from a test.

Each connection runs the app as a background task fed through queues. ``async with client.connect("/ws") as ws``
gives a connection to ``send``/``receive`` on; leaving the block disconnects and waits for the app, so an error
inside the app fails the test. ``await client.connect("/ws")`` is upstream Panther's form: it runs the connection
until the app closes it or goes quiet and returns the ASGI messages the app sent. Upstream's synchronous form works
in plain (non-async) tests too: ``responses = client.connect("/ws"); responses[0]["type"]``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections import deque
from collections.abc import Generator, Iterator, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote

import orjson

from panther.test.client import CLIENT_ADDRESS, HOST, AppClient, override_headers, split_path
from panther.test.cookies import CookieJar
from panther.test.encoding import HeadersArg, QueryArg, encode_headers, encode_query
from panther.test.lifespan import AnyASGIApp
from panther.types import Message

__all__ = ["WebsocketClient", "WebsocketClosed", "WebsocketConnection", "WebsocketRejected"]

#: How long leaving a connection waits for the app to return after the disconnect before cancelling it.
CLOSE_TIMEOUT = 5.0
#: How long ``await client.connect(...)`` waits for another message before it disconnects.
IDLE_TIMEOUT = 0.2
#: Close code for a connection that ended without a close message (RFC 6455 "abnormal closure").
ABNORMAL_CLOSURE = 1006


class WebsocketRejected(Exception):
    """The app refused the connection: it closed it before accepting it (``code``, ``reason``; a server answers
    the handshake with 403), or answered the handshake with an HTTP response (``status_code``, ``headers``,
    ``body``, ``json()``; ``code`` is then ``None``)."""

    def __init__(
        self,
        code: int | None,
        reason: str = "",
        *,
        status_code: int = 403,
        headers: list[tuple[bytes, bytes]] | None = None,
        body: bytes = b"",
    ) -> None:
        if code is None:
            message = f"The app refused the handshake with HTTP {status_code}" + (f": {body[:200]!r}" if body else "")
        else:
            message = f"The app rejected the connection with code {code}" + (f": {reason}" if reason else "")
        super().__init__(message)
        self.code = code
        self.reason = reason
        #: The HTTP status the client got: 403 for a close before accepting, as servers answer.
        self.status_code = status_code
        self.headers = list(headers or [])
        self.body = body

    def json(self) -> Any:
        """The refusal's body, parsed as JSON."""
        return orjson.loads(self.body)


class WebsocketClosed(Exception):
    """The app closed the connection (or returned) while the test expected a message."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"The app closed the connection with code {code}" + (f": {reason}" if reason else ""))
        self.code = code
        self.reason = reason


class WebsocketConnection:
    """One connection to the app: an async context manager, or awaitable for the messages the app sent.

    Outside an event loop (a plain test, as upstream's tests were) it also reads as the list of those messages:
    indexing, iterating, ``len()`` or ``==`` run the connection to its end first, without the lifespan, as upstream's
    client did. Inside async code that raises ``TypeError`` (it would block the loop): ``await`` it instead.
    """

    def __init__(self, client: WebsocketClient, scope: dict[str, Any]) -> None:
        self.client = client
        self.scope = scope
        #: Every ASGI message the app sent, in order (``websocket.accept``, ``websocket.send``, ...).
        self.messages: list[Message] = []
        self.subprotocol: str | None = None
        self.response_headers: list[tuple[bytes, bytes]] = []
        #: Set once the app closed the connection.
        self.close_code: int | None = None
        self.close_reason = ""
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._inbox: deque[Message] = deque()  # sent by the app, not yet received by the test
        self._arrived = asyncio.Event()
        self._disconnect: Message | None = None  # once the app has received it
        self._closed_by_test = False
        self._task: asyncio.Task[None] | None = None

    # --- The app's side ---------------------------------------------------------------------------------------

    async def _app_receive(self) -> Message:
        if self._disconnect is not None:  # a gone client keeps answering "disconnected"
            return self._disconnect
        message = await self._to_app.get()
        if message["type"] == "websocket.disconnect":
            self._disconnect = message
        return message

    async def _app_send(self, message: Message) -> None:
        if self._disconnect is not None:
            return  # the client has gone; a server drops what is sent to a closed socket
        self.messages.append(dict(message))
        self._inbox.append(message)
        self._arrived.set()

    async def _run(self) -> None:
        await self.client.app(self.scope, self._app_receive, self._app_send)

    # --- Opening and closing ----------------------------------------------------------------------------------

    async def _start(self, lifespan_startup: bool = True) -> None:
        if self._task is not None:
            raise RuntimeError("This connection was already opened; call client.connect(...) again.")
        if lifespan_startup:
            await self.client.startup()
        lifespan = self.client._lifespan
        self.scope["state"] = dict(lifespan.state) if lifespan is not None else {}
        self._task = asyncio.create_task(self._run())
        self.client._connections.add(self)
        await self._to_app.put({"type": "websocket.connect"})

    async def __aenter__(self) -> Self:
        await self._start()
        first = await self._next()
        if first is None:
            await self.close()
            raise WebsocketRejected(ABNORMAL_CLOSURE, "the app returned without accepting the connection")
        if first["type"] == "websocket.close":
            self._record_close(first)
            await self.close()
            raise WebsocketRejected(self.close_code or 1000, self.close_reason)
        if first["type"] == "websocket.http.response.start":
            raise await self._http_refusal(first)
        if first["type"] != "websocket.accept":
            await self.close()
            raise RuntimeError(f"The app sent {first['type']!r} before accepting the connection.")
        self.subprotocol = first.get("subprotocol")
        self.response_headers = list(first.get("headers") or [])
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            await self.close()
            return
        try:
            await self.close()
        except Exception as app_error:  # the test's own exception is the one to show; mention the app's
            exc.add_note(f"The app also raised while the connection closed: {app_error!r}")

    async def _http_refusal(self, start: Message) -> WebsocketRejected:
        """Read the refusal's body (``websocket.http.response.body`` messages) and disconnect."""
        body = b""
        while True:
            message = await self._next()
            if message is None or message["type"] != "websocket.http.response.body":
                break
            body += bytes(message.get("body") or b"")
            if not message.get("more_body", False):
                break
        self.close_code = ABNORMAL_CLOSURE  # no WebSocket was ever opened
        await self.close()
        return WebsocketRejected(
            None, status_code=int(start["status"]), headers=list(start.get("headers") or []), body=body
        )

    def __await__(self) -> Generator[Any, None, list[Message]]:
        return self.collect().__await__()

    async def collect(self, idle_timeout: float = IDLE_TIMEOUT, *, lifespan_startup: bool = True) -> list[Message]:
        """Connect, take what the app sends until it closes, returns or sends nothing for ``idle_timeout``
        seconds, then disconnect; return every ASGI message the app sent (upstream's ``connect`` result)."""
        await self._start(lifespan_startup)
        try:
            while self.close_code is None:
                try:
                    async with asyncio.timeout(idle_timeout):
                        message = await self._next()
                except TimeoutError:
                    break
                if message is None:
                    break
                if message["type"] == "websocket.close":
                    self._record_close(message)
        except BaseException:  # the app raised: that error is the result, and the connection is over
            self._closed_by_test = True
            self.client._connections.discard(self)
            raise
        await self.close()
        return self.messages

    def _collected(self) -> list[Message]:
        if self._task is not None:
            return self.messages
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.collect(lifespan_startup=False))
        raise TypeError(
            "a connection is read synchronously only outside async code (upstream's plain tests); here use "
            "`messages = await client.connect(...)` or `async with client.connect(...) as ws:`"
        )

    def __getitem__(self, index: Any) -> Any:
        return self._collected()[index]

    def __iter__(self) -> Iterator[Message]:
        return iter(self._collected())

    def __len__(self) -> int:
        return len(self._collected())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return self._collected() == other
        return other is self

    __hash__ = object.__hash__  # kept in the client's set of open connections

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Disconnect and wait for the app to return (cancelled after ``CLOSE_TIMEOUT`` seconds); its errors
        propagate. After the app closed the connection, its close code is the one sent back, as servers do."""
        if self._task is None or self._closed_by_test:
            return
        self._closed_by_test = True
        if self._disconnect is None:
            await self._to_app.put({"type": "websocket.disconnect", "code": self.close_code or code, "reason": reason})
        await self._finish()

    async def _finish(self) -> None:
        task = self._task
        assert task is not None
        self.client._connections.discard(self)
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=CLOSE_TIMEOUT)
            if not done:  # an app that never looks at the socket again; a server would drop it too
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                return
        task.result()

    # --- Talking ----------------------------------------------------------------------------------------------

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app."""
        self._check_open()
        if isinstance(data, str):
            await self._to_app.put({"type": "websocket.receive", "text": data})
        elif isinstance(data, (bytes, bytearray, memoryview)):
            await self._to_app.put({"type": "websocket.receive", "bytes": bytes(data)})
        else:
            raise TypeError(f"send() takes str or bytes, not {type(data).__name__}; use send_json() for objects.")

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as JSON, in a text message (``mode="text"``) or a binary one (``mode="binary"``)."""
        encoded = orjson.dumps(data)
        await self.send(encoded.decode() if mode == "text" else encoded)

    async def receive(self) -> str | bytes:
        """The app's next message: ``str`` for text, ``bytes`` for binary.

        Raises ``WebsocketClosed`` (with ``.code``/``.reason``) once the app has closed the connection. To bound
        the wait, use ``async with asyncio.timeout(1): await ws.receive()``; no message is lost by timing out.
        """
        if self.close_code is not None:
            raise WebsocketClosed(self.close_code, self.close_reason)
        message = await self._next()
        if message is None:
            self.close_code = ABNORMAL_CLOSURE
            raise WebsocketClosed(ABNORMAL_CLOSURE, "the app returned without closing the connection")
        if message["type"] == "websocket.close":
            self._record_close(message)
            raise WebsocketClosed(self.close_code or 1000, self.close_reason)
        if message["type"] != "websocket.send":
            raise RuntimeError(f"The app sent {message['type']!r} on an open connection.")
        text = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    async def receive_text(self) -> str:
        data = await self.receive()
        if not isinstance(data, str):
            raise TypeError(f"Expected a text message, got {len(data)} bytes of binary.")
        return data

    async def receive_bytes(self) -> bytes:
        data = await self.receive()
        if not isinstance(data, bytes):
            raise TypeError(f"Expected a binary message, got text: {data[:80]!r}")
        return data

    async def receive_json(self) -> Any:
        return orjson.loads(await self.receive())

    def _check_open(self) -> None:
        if self._task is None:
            raise RuntimeError("The connection is not open: use `async with client.connect(...) as ws:`.")
        if self.close_code is not None:
            raise WebsocketClosed(self.close_code, self.close_reason)
        if self._closed_by_test:
            raise RuntimeError("The connection was closed by the test.")

    def _record_close(self, message: Message) -> None:
        self.close_code = int(message.get("code") or 1000)
        self.close_reason = message.get("reason") or ""

    async def _next(self) -> Message | None:
        """The app's next message; ``None`` once it returned; its exception if it raised.

        Safe to cancel (``asyncio.timeout`` around ``receive``): a message is only taken when it is returned.
        """
        task = self._task
        assert task is not None
        while not self._inbox:
            if task.done():
                task.result()
                return None
            self._arrived.clear()
            waiter = asyncio.ensure_future(self._arrived.wait())
            try:
                await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        return self._inbox.popleft()


class WebsocketClient(AppClient):
    """Opens WebSocket connections to an ASGI app (usually a ``Panther``), in the test's event loop.

    ``headers`` are sent with every connection; ``cookies`` (a mapping, or an ``APIClient``'s ``client.cookies``
    to share its session) become the ``Cookie`` header. The app's lifespan starts on the first connection and is
    shared with other open clients of the app; ``close()`` (or leaving ``async with``) shuts it down.
    """

    def __init__(
        self,
        app: AnyASGIApp,
        *,
        headers: HeadersArg | None = None,
        cookies: Mapping[str, str] | CookieJar | None = None,
        lifespan: bool = True,
        http_response_extension: bool = True,
    ) -> None:
        self.headers = encode_headers(headers)
        #: Offer ASGI's ``websocket.http.response`` extension, as uvicorn does: the app may then refuse a
        #: handshake with an HTTP response (``WebsocketRejected.status_code``) instead of a bare close.
        self.http_response_extension = http_response_extension
        if isinstance(cookies, CookieJar):
            self.cookies = cookies
        else:
            self.cookies = CookieJar()
            self.cookies.update(cookies or {})
        self._connections: set[WebsocketConnection] = set()
        super().__init__(app, lifespan)

    def connect(
        self,
        path: str,
        headers: HeadersArg | None = None,
        query_params: QueryArg | None = None,
        subprotocols: list[str] | None = None,
    ) -> WebsocketConnection:
        """A connection to ``path``: ``async with`` it to talk, or ``await`` it for the messages the app sent."""
        raw_path, inline_query = split_path(path)
        query = b"&".join(q for q in (inline_query, encode_query(query_params)) if q)
        request_headers = [
            (b"host", HOST.encode()),
            (b"connection", b"Upgrade"),
            (b"upgrade", b"websocket"),
            (b"sec-websocket-version", b"13"),
            (b"sec-websocket-key", base64.b64encode(os.urandom(16))),
        ]
        if subprotocols:
            request_headers.append((b"sec-websocket-protocol", ", ".join(subprotocols).encode("latin-1")))
        cookie = self.cookies.header_for(unquote(raw_path))
        if cookie is not None:
            request_headers.append((b"cookie", cookie.encode("latin-1")))
        request_headers = override_headers(override_headers(request_headers, self.headers), encode_headers(headers))
        scope: dict[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("ascii"),
            "query_string": query,
            "root_path": "",
            "headers": request_headers,
            "client": CLIENT_ADDRESS,
            "server": (HOST, 80),
            "subprotocols": list(subprotocols or []),
        }
        if self.http_response_extension:
            scope["extensions"] = {"websocket.http.response": {}}
        return WebsocketConnection(self, scope)

    async def _close_open(self) -> None:
        """The connections still open."""
        for connection in list(self._connections):
            await connection.close()

    def __repr__(self) -> str:
        return f"<WebsocketClient app={self.app!r}>"
