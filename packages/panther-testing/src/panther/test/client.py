"""``APIClient``: calls an ASGI app in-process, the way a server would, and returns what it answered.

No network and no server: each request builds an ASGI ``http`` scope, feeds the body to the app and collects the
messages it sends (a streamed response is collected to its end). The app's lifespan starts once, on the first
request or on ``async with``, and shuts down on ``close()``.

Upstream tests run unchanged: a request carries only the headers the test gives plus what HTTP needs (``host``, and
``content-length``/``content-type`` when there is a body); response headers read with the names apps write
(``Content-Type``); ``cookies`` is upstream's list of ``(b'Set-Cookie', ...)`` pairs. Cookies the app sets are sent
back on later requests only with ``APIClient(app, keep_cookies=True)``.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Callable, Coroutine, Iterator, Mapping
from functools import cached_property
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self
from urllib.parse import quote, unquote

import orjson

from panther.test import lifespan as lifespans
from panther.test.cookies import CookieJar, parse_set_cookie
from panther.test.encoding import FilesArg, FormArg, HeadersArg, QueryArg, encode_body, encode_headers, encode_query
from panther.test.lifespan import AnyASGIApp
from panther.types import Message

__all__ = ["APIClient", "ClientResponse", "ResponseCookies", "ResponseHeaders"]

HOST = "testserver"
CLIENT_ADDRESS = ("127.0.0.1", 8585)  # upstream's test client's: tests compare request.client with it

#: Every client not closed yet, so the pytest plugin can close the ones a test forgot.
open_clients: weakref.WeakSet[Any] = weakref.WeakSet()


def display_name(name: str) -> str:
    """``content-type`` → ``Content-Type``: the names as apps write them (ASGI carries them lower-case)."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


class ResponseHeaders(Mapping[str, str]):
    """Response headers, looked up case-insensitively. A repeated header reads as its last value; ``getlist`` gives
    them all.

    The names read back as apps write them (``list(headers) == ['Content-Type', 'Content-Length']``, as upstream's
    client gave them), and compare equal to a plain dict whatever the case of its keys.
    """

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        #: ``(name, value)`` as sent: names lower-case, as ASGI requires.
        self.raw = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw]
        self._last = dict(self.raw)

    def __getitem__(self, name: str) -> str:
        return self._last[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return (display_name(name) for name in self._last)

    def __len__(self) -> int:
        return len(self._last)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._last

    def getlist(self, name: str) -> list[str]:
        key = name.lower()
        return [value for raw_name, value in self.raw if raw_name == key]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._last == {str(key).lower(): value for key, value in other.items()}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ResponseHeaders({self.raw!r})"


class ResponseCookies(list[tuple[bytes, bytes]]):
    """The cookies a response sets, in upstream's shape: ``[(b'Set-Cookie', b'a=1; Path=/; SameSite=lax'), ...]``.

    By name too: ``cookies['a']``, ``cookies.get('a')`` and ``'a' in cookies`` read the value a cookie is set to (a
    deleted cookie has the value it was deleted with, often ``""``), and ``cookies == {'a': '1'}`` compares those.
    """

    def __init__(self, headers: list[str]) -> None:
        super().__init__((b"Set-Cookie", header.encode("latin-1")) for header in headers)
        parsed = (parse_set_cookie(header) for header in headers)
        self.values: dict[str, str] = {cookie.name: cookie.unquoted for cookie in parsed if cookie is not None}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.values[key]
        return super().__getitem__(key)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    def __contains__(self, item: object) -> bool:
        return item in self.values if isinstance(item, str) else super().__contains__(item)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.values == dict(other)
        return super().__eq__(other)


class ClientResponse:
    """What the app answered: ``status_code``, ``headers``, ``body`` (bytes), ``data`` (parsed) and ``cookies``."""

    def __init__(self, status_code: int, headers: ResponseHeaders, body: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.body = body
        #: The cookies this response sets (see ``ResponseCookies``).
        self.cookies = ResponseCookies(headers.getlist("set-cookie"))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @cached_property
    def data(self) -> Any:
        """The body parsed by content type, as upstream's client did: JSON → Python objects (``None`` when empty),
        HTML and plain text → str, a ``StreamingResponse``'s stream (``application/octet-stream`` without
        ``Content-Length``) → str when it is UTF-8; anything else → bytes (``text`` decodes any body)."""
        mime = self.content_type.partition(";")[0]
        mime = mime.strip().lower()
        if mime == "application/json" or mime.endswith("+json"):
            return orjson.loads(self.body) if self.body else None
        if mime in ("text/html", "text/plain"):
            return self.text
        if mime == "application/octet-stream" and "content-length" not in self.headers:
            try:
                return self.body.decode("utf-8")
            except UnicodeDecodeError:
                return self.body  # binary content: text would be a lie
        return self.body

    @property
    def text(self) -> str:
        charset = "utf-8"
        for parameter in self.content_type.split(";")[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        return self.body.decode(charset, "replace")

    def json(self) -> Any:
        return orjson.loads(self.body)

    def __repr__(self) -> str:
        return f"<ClientResponse {self.status_code} {self.content_type or '-'} {len(self.body)} bytes>"


_P = ParamSpec("_P")


def _fixed_method(
    method: str, request: Callable[Concatenate[APIClient, str, _P], Coroutine[Any, Any, ClientResponse]]
) -> Callable[Concatenate[APIClient, _P], Coroutine[Any, Any, ClientResponse]]:
    """``request`` with its ``method`` argument fixed: ``client.post(...)`` is ``client.request("POST", ...)``.

    Type checkers see ``request``'s parameters (minus ``method``); so does ``inspect.signature`` (and ``help``).
    """

    async def call(self: APIClient, /, *args: _P.args, **kwargs: _P.kwargs) -> ClientResponse:
        send: Callable[..., Coroutine[Any, Any, ClientResponse]] = self.request  # a subclass's override included
        return await send(method, *args, **kwargs)

    signature = inspect.signature(request)
    self_parameter, _method, *parameters = signature.parameters.values()
    call.__signature__ = signature.replace(parameters=[self_parameter, *parameters])  # type: ignore[attr-defined]
    call.__name__ = method.lower()
    call.__qualname__ = f"APIClient.{call.__name__}"
    call.__doc__ = f"``request({method!r}, path, ...)``: see ``request``."
    return call


class AppClient:
    """What the test clients share: the app, its lifespan (started once, on ``startup()``; shut down on ``close()``)
    and ``async with``. A client registers in ``open_clients`` when it is built and leaves it on ``close()``.
    """

    def __init__(self, app: AnyASGIApp, lifespan: bool) -> None:
        self.app = app
        self.run_lifespan = lifespan
        self._lifespan: lifespans.Lifespan | None = None
        self._closed = False
        open_clients.add(self)

    async def startup(self) -> None:
        """Start the app's lifespan (once; requests and connections do it for you).

        Raises ``LifespanError`` if its startup fails.
        """
        if self._closed:
            raise RuntimeError("This client is closed; create a new one.")
        if self.run_lifespan and self._lifespan is None:
            self._lifespan = await lifespans.acquire(self.app)

    async def close(self) -> None:
        """Close what the client still has open, then shut the app down (unless another open client still uses it)."""
        self._closed = True
        open_clients.discard(self)
        await self._close_open()
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is not None:
            await lifespans.release(lifespan)

    async def _close_open(self) -> None:
        """Close what is still open through this client, before the app shuts down (nothing, by default)."""

    async def __aenter__(self) -> Self:
        await self.startup()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class APIClient(AppClient):
    """An HTTP client for an ASGI app (usually a ``Panther``), run in the test's event loop.

    ``headers`` are sent with every request; ``cookies`` seed the cookie jar (``client.cookies``), whose cookies are
    sent with every request they match; with ``keep_cookies=True`` the cookies responses set are stored in it too, as
    a browser would (upstream's client kept none, so by default a test's requests carry only what it gives them).
    ``lifespan=False`` skips the lifespan startup/shutdown. Use ``async with APIClient(app) as client:`` or call
    ``await client.close()`` at the end, so the app shuts down.
    """

    def __init__(
        self,
        app: AnyASGIApp,
        *,
        headers: HeadersArg | None = None,
        cookies: Mapping[str, str] | None = None,
        keep_cookies: bool = False,
        lifespan: bool = True,
    ) -> None:
        self.headers = encode_headers(headers)
        self.cookies = CookieJar()
        self.cookies.update(cookies or {})
        self.keep_cookies = keep_cookies
        super().__init__(app, lifespan)

    # --- Requests -----------------------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        headers: HeadersArg | None = None,
        query_params: QueryArg | None = None,
        content_type: str | None = None,
        *,
        data: FormArg | None = None,
        files: FilesArg | None = None,
    ) -> ClientResponse:
        """Send one request and return the response once the app has finished.

        ``payload``: dict/list/model → JSON, bytes/str → sent as they are (``content_type`` defaults to
        ``application/json``). ``files`` → multipart/form-data, with ``data`` as its fields; ``data`` alone → an
        urlencoded form. ``query_params`` may repeat a key with a list value; ``path`` may carry its own query.
        """
        await self.startup()
        method = method.upper()
        path, inline_query = split_path(path)
        query = b"&".join(q for q in (inline_query, encode_query(query_params)) if q)
        dumps = getattr(getattr(self.app, "render_context", None), "dumps", None)  # the app's own JSON encoders
        body, body_type = encode_body(payload, content_type, data=data, files=files, dumps=dumps)
        if body_type is None and method in ("POST", "PUT", "PATCH"):
            body_type = "application/json"

        # Only what HTTP needs besides the test's own headers (upstream tests compare request.headers exactly).
        request_headers = [(b"host", HOST.encode())]
        if body:
            request_headers.append((b"content-length", str(len(body)).encode()))
        if body_type is not None:
            request_headers.append((b"content-type", body_type.encode("latin-1")))
        request_headers = override_headers(override_headers(request_headers, self.headers), encode_headers(headers))
        cookie = self.cookies.header_for(unquote(path))
        if cookie is not None:
            sent = [value.decode("latin-1") for name, value in request_headers if name == b"cookie"]
            request_headers = [(name, value) for name, value in request_headers if name != b"cookie"]
            request_headers.append((b"cookie", "; ".join([cookie, *sent]).encode("latin-1")))

        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode("ascii"),
            "query_string": query,
            "root_path": "",
            "headers": request_headers,
            "client": CLIENT_ADDRESS,
            "server": (HOST, 80),
            "state": dict(self._lifespan.state) if self._lifespan is not None else {},
        }
        response = await _exchange(self.app, scope, body)
        if self.keep_cookies:
            self.cookies.store(response.headers.getlist("set-cookie"), scope["path"])
        return response

    async def get(
        self, path: str, headers: HeadersArg | None = None, query_params: QueryArg | None = None
    ) -> ClientResponse:
        return await self.request("GET", path, headers=headers, query_params=query_params)

    async def head(
        self, path: str, headers: HeadersArg | None = None, query_params: QueryArg | None = None
    ) -> ClientResponse:
        return await self.request("HEAD", path, headers=headers, query_params=query_params)

    async def options(
        self, path: str, headers: HeadersArg | None = None, query_params: QueryArg | None = None
    ) -> ClientResponse:
        return await self.request("OPTIONS", path, headers=headers, query_params=query_params)

    async def delete(
        self,
        path: str,
        headers: HeadersArg | None = None,
        query_params: QueryArg | None = None,
        *,
        payload: Any = None,
        content_type: str | None = None,
    ) -> ClientResponse:
        return await self.request("DELETE", path, payload, headers, query_params, content_type)

    post = _fixed_method("POST", request)
    put = _fixed_method("PUT", request)
    patch = _fixed_method("PATCH", request)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "started" if self._lifespan is not None else "not started"
        return f"<APIClient {state} app={self.app!r}>"


def split_path(path: str) -> tuple[str, bytes]:
    """``(raw path, query string)`` of a test's path: a leading ``/`` added, characters URLs cannot hold escaped
    (``%`` escapes already there are kept, so ``/a%2Fb`` stays one segment)."""
    path, _, query = path.partition("?")
    if not path.startswith("/"):
        path = "/" + path
    return quote(path, safe="/:@!$&'()*+,;=-._~%"), quote(query, safe="/?:@!$&'()*+,;=-._~%").encode("ascii")


Headers = list[tuple[bytes, bytes]]


def override_headers(defaults: Headers, given: Headers) -> Headers:
    """``defaults`` minus the names in ``given``, then ``given`` (which may repeat a name)."""
    names = {name for name, _ in given}
    return [header for header in defaults if header[0] not in names] + given


async def _exchange(app: AnyASGIApp, scope: dict[str, Any], body: bytes) -> ClientResponse:
    """Run the app for one request; ``http.disconnect`` is only ever received once the response is complete."""
    request_sent = False
    complete = asyncio.Event()
    start: Message | None = None
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await complete.wait()  # a real client stays connected until it has the whole response
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            if start is not None:
                raise RuntimeError("The app sent http.response.start twice.")
            start = message
        elif message["type"] == "http.response.body":
            if start is None:
                raise RuntimeError("The app sent http.response.body before http.response.start.")
            if complete.is_set():
                raise RuntimeError("The app sent http.response.body after the response was complete.")
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                complete.set()

    await app(scope, receive, send)
    if start is None:
        raise RuntimeError(f"The app returned without answering {scope['method']} {scope['path']}.")
    if not complete.is_set():
        raise RuntimeError(f"The app returned before finishing the response to {scope['method']} {scope['path']}.")
    return ClientResponse(int(start["status"]), ResponseHeaders(list(start.get("headers", []))), b"".join(chunks))
