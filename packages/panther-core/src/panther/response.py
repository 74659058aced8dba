"""Responses: what an endpoint returns, rendered to bytes and sent over ASGI.

``Response`` holds Python data and renders it as JSON with the app's encoder; ``HTMLResponse``,
``PlainTextResponse``, ``TemplateResponse``, ``RedirectResponse``, ``StreamingResponse`` and ``FileResponse``
change the content type and how the body is produced. Rendering needs the app's JSON encoder and templates, which
the app passes to ``send`` as a ``RenderContext``; outside an app a default context is used.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias
from urllib.parse import quote

from panther.cookies import Cookie
from panther.encoders import JSONDumps, default_dumps
from panther.exceptions import APIError
from panther.types import Receive, Send

if TYPE_CHECKING:
    import jinja2
    from pydantic import BaseModel

    from panther.request import Request

__all__ = [
    "Cookie",
    "FileResponse",  # noqa: F822 - provided lazily by the module's __getattr__
    "HTMLResponse",
    "IterableDataTypes",
    "PlainTextResponse",
    "RedirectResponse",
    "RenderContext",
    "Response",
    "ResponseDataTypes",
    "StreamingResponse",
    "TemplateResponse",
]

ResponseDataTypes: TypeAlias = (
    list[Any] | tuple[Any, ...] | set[Any] | dict[Any, Any] | int | float | str | bool | bytes | Any | None
)
IterableDataTypes: TypeAlias = list[Any] | tuple[Any, ...] | set[Any] | Iterable[Any]


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What rendering a response needs from its app: the JSON encoder and the template environment."""

    dumps: JSONDumps = default_dumps
    templates: jinja2.Environment | None = None

    def template_environment(self) -> jinja2.Environment:
        if self.templates is not None:
            return self.templates
        # Outside an app (the shared default context): built per call rather than cached on a shared object.
        from panther.templates import build_environment

        return build_environment(["."])


DEFAULT_CONTEXT = RenderContext()

CONTENT_LENGTH = b"content-length"  # also used by the app, which sends plain JSON without a Response
_CONTENT_TYPE = b"content-type"
# RFC 9110: these statuses have no content, and a Content-Length on them is wrong (204) or misleading (304).
NO_CONTENT = frozenset((204, 304))


class Response:
    """A response whose ``data`` is sent as JSON (``bytes`` are sent as they are, ``None`` as an empty body)."""

    content_type: str = "application/json"
    # The encoded header, computed once per class (see __init_subclass__) instead of once per response.
    _content_type_header: ClassVar[tuple[bytes, bytes]] = (b"content-type", b"application/json")
    __slots__ = ("_cookies", "_headers", "_lines", "data", "pagination", "status_code")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._content_type_header = _encoded_content_type(cls.content_type)

    def __init__(
        self,
        data: ResponseDataTypes = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        pagination: Any = None,
        set_cookies: Cookie | Iterable[Cookie] | None = None,
    ) -> None:
        self.data = data
        self.status_code = status_code
        self.pagination = pagination
        # Headers and cookies are usually absent: their containers are created on first use.
        self._headers: dict[str, str] | None = dict(headers) if headers else None
        self._cookies: list[Cookie] | None = _cookie_list(set_cookies) if set_cookies else None
        self._lines: list[tuple[bytes, bytes]] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The response headers (mutable), ``Content-Type`` included as in upstream Panther."""
        headers = self._headers
        if headers is None:
            headers = self._headers = {}
        lines = getattr(self, "_lines", None)  # a subclass may not call Response.__init__
        if lines:  # encoded lines join the dict, which is from then on what is sent
            self._lines = None
            headers.update((name.decode("latin-1"), value.decode("latin-1")) for name, value in lines)
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = self.content_type
        return headers

    @headers.setter
    def headers(self, value: Mapping[str, str]) -> None:
        self._headers = dict(value)
        self._lines = None

    def add_header_lines(self, lines: list[tuple[bytes, bytes]]) -> None:
        """Add header lines that are already encoded (``[(b"x-name", b"value"), ...]``, names lower-case), sent
        after the others as they are.

        For a step that adds the same headers to many responses (a throttle's limits): the lines are built once
        and no per-response encoding or checking is done, so they must not come from the request. Reading
        ``headers`` afterwards folds them into the dict.
        """
        current = getattr(self, "_lines", None)
        self._lines = lines if current is None else current + lines

    @property
    def set_cookies(self) -> list[Cookie]:
        """Cookies to set (mutable)."""
        if self._cookies is None:
            self._cookies = []
        return self._cookies

    @set_cookies.setter
    def set_cookies(self, value: Iterable[Cookie]) -> None:
        self._cookies = list(value)

    # --- Rendering --------------------------------------------------------------------------------------------

    #: Whether ``prepare(request)`` must be called before rendering (only responses that read request headers).
    reads_request: ClassVar[bool] = False

    def prepare(self, request: Request) -> None:
        """Read what sending needs from the request, before ``render`` (nothing here; ``FileResponse`` reads the
        Range and conditional headers)."""

    def render(self, context: RenderContext = DEFAULT_CONTEXT) -> bytes | None:
        """Return the body as bytes (``None`` for responses that stream their body in ``send_rendered``)."""
        data = self.data
        if data is None:
            return b""
        if isinstance(data, bytes):
            return data
        return context.dumps(data)

    @property
    def body(self) -> bytes:
        """The rendered body, with the JSON encoders of the app serving the current request."""
        from panther.context import current_render_context

        return self.render(current_render_context() or DEFAULT_CONTEXT) or b""

    def raw_headers(self, body_length: int | None) -> list[tuple[bytes, bytes]]:
        """The ASGI header list: content type, content length, user headers, one Set-Cookie per cookie, then the
        lines of ``add_header_lines``."""
        lines = getattr(self, "_lines", None)  # a subclass may not call Response.__init__
        if (
            self._headers is None
            and self._cookies is None
            and body_length is not None
            and self.status_code not in NO_CONTENT
        ):  # most responses: nothing but the body's type and length
            if lines:
                return [self._content_type_header, (CONTENT_LENGTH, b"%d" % body_length), *lines]
            return [self._content_type_header, (CONTENT_LENGTH, b"%d" % body_length)]
        if self.status_code in NO_CONTENT:  # no content: neither a type nor a length
            headers = []
            typed = False
        else:
            headers = [self._content_type_header]
            typed = True
            if body_length is not None:
                headers.append((CONTENT_LENGTH, b"%d" % body_length))
        if self._headers:
            for name, value in self._headers.items():
                lowered = name.lower()
                if lowered == "content-type":
                    if typed:
                        headers[0] = (_CONTENT_TYPE, str(value).encode("latin-1"))
                elif lowered != "content-length":
                    text = str(value)
                    if "\n" in text or "\r" in text or "\n" in name or "\r" in name:
                        # A value taken from a request would otherwise end the header and start others.
                        raise ValueError(f"Response header {name!r} contains a line break (header injection).")
                    headers.append((lowered.encode("latin-1"), text.encode("latin-1")))
        if self._cookies:
            for cookie in self._cookies:
                headers.append((b"set-cookie", cookie.header_value().encode("latin-1")))
        if lines:
            headers += lines
        return headers

    @property
    def bytes_headers(self) -> list[tuple[bytes, bytes]]:
        return self.raw_headers(len(self.body))

    async def send(self, send: Send, receive: Receive, context: RenderContext = DEFAULT_CONTEXT) -> None:
        """Render and send the response (what the app does for every request)."""
        await self.send_rendered(send, receive, self.render(context), context)

    async def send_rendered(
        self, send: Send, receive: Receive, body: bytes | None, context: RenderContext = DEFAULT_CONTEXT
    ) -> None:
        """Send a body already produced by ``render`` (the app renders first so a failure can still become a 500)."""
        if not body or self.status_code in NO_CONTENT:
            body = b""  # ASGI servers refuse a body on 204/304
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers(len(body))})
        await send({"type": "http.response.body", "body": body})

    async def send_head(self, send: Send, body: bytes | None) -> None:
        """Answer a HEAD request: the headers a GET would get, no body."""
        headers = self.raw_headers(None if body is None else len(body))
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def serialize_output(self, output_model: type[BaseModel]) -> None:
        """Replace ``data`` by its ``output_model`` form (what ``@API(output_model=...)`` does), as upstream's.

        ``data`` is a dict, a model or an iterable of them; the model's ``async to_response(instance, data)`` is used
        when it has one.
        """
        from panther.output import serialize_output

        self.data = await serialize_output(output_model, self.data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} status_code={self.status_code}>"


def _cookie_list(cookies: Cookie | Iterable[Cookie]) -> list[Cookie]:
    return [cookies] if isinstance(cookies, Cookie) else list(cookies)


def _encoded_content_type(content_type: str) -> tuple[bytes, bytes]:
    return (_CONTENT_TYPE, content_type.encode("latin-1"))


class HTMLResponse(Response):
    content_type = "text/html; charset=utf-8"
    __slots__ = ()

    def render(self, context: RenderContext = DEFAULT_CONTEXT) -> bytes:
        data = self.data
        if data is None:
            return b""
        if isinstance(data, (bytes, bytearray, memoryview)):
            return bytes(data)  # str() of a bytearray would be its repr
        return str(data).encode()


class PlainTextResponse(HTMLResponse):
    content_type = "text/plain; charset=utf-8"
    __slots__ = ()


class TemplateResponse(HTMLResponse):
    """Render a Jinja2 template (``name=`` from the app's ``TEMPLATES_DIR``, or inline ``source=``), autoescaped."""

    __slots__ = ("context", "name", "source")

    def __init__(
        self,
        source: str | None = None,
        name: str | None = None,
        context: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        status_code: int = 200,
        set_cookies: Cookie | Iterable[Cookie] | None = None,
    ) -> None:
        if (source is None) == (name is None):
            raise TypeError("TemplateResponse needs exactly one of `source=` or `name=`.")
        super().__init__(data=None, status_code=status_code, headers=headers, set_cookies=set_cookies)
        self.source = source
        self.name = name
        self.context = dict(context or {})

    def render(self, context: RenderContext = DEFAULT_CONTEXT) -> bytes:
        import jinja2

        environment = context.template_environment()
        try:
            template = (
                environment.from_string(self.source)
                if self.source is not None
                else environment.get_template(self.name or "")
            )
        except jinja2.TemplateNotFound as exc:
            raise APIError(detail=f"Template `{exc.name}` not found") from exc
        return template.render(self.context).encode()


class RedirectResponse(Response):
    __slots__ = ()

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        status_code: int = 307,
        set_cookies: Cookie | Iterable[Cookie] | None = None,
    ) -> None:
        super().__init__(data=None, status_code=status_code, headers=headers, set_cookies=set_cookies)
        # Header values are latin-1 on the wire: percent-encode the rest (`/café/日本`), keep what is already encoded.
        self.headers["Location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;~")


class StreamingResponse(Response):
    """Stream the items of a sync or async generator: bytes as they are, ``str`` encoded, anything else as JSON.

    Streaming stops when the client disconnects; a sync generator is advanced in a worker thread so a slow producer
    does not block the event loop.
    """

    content_type = "application/octet-stream"
    __slots__ = ()

    def render(self, context: RenderContext = DEFAULT_CONTEXT) -> None:
        return None

    async def send_rendered(
        self, send: Send, receive: Receive, body: bytes | None, context: RenderContext = DEFAULT_CONTEXT
    ) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers(None)})
        # The stream and a watcher for `http.disconnect` race: a client that leaves stops the stream even while the
        # generator is waiting for its next item (server-sent events), instead of keeping it alive forever.
        stream = asyncio.create_task(self._stream(send, context))
        watcher = asyncio.create_task(_wait_for_disconnect(receive))
        try:
            await asyncio.wait((stream, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
            if not stream.done():
                stream.cancel()
            # Wait for the cancelled tasks so the generator's `finally` has run before the request ends.
            results = await asyncio.gather(stream, watcher, return_exceptions=True)
        error = results[0]
        if isinstance(error, BaseException) and not isinstance(error, asyncio.CancelledError):
            raise error  # the response has started: the server can only abort the connection

    async def _stream(self, send: Send, context: RenderContext) -> None:
        data = self.data
        try:
            async for chunk in _iterate(data):
                await send({"type": "http.response.body", "body": _chunk_bytes(chunk, context), "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            close = getattr(data, "aclose", None) or getattr(data, "close", None)
            if close is not None:
                try:
                    result = close()
                    if inspect.isawaitable(result):
                        await result
                except ValueError:
                    pass  # a sync generator still running in its worker thread: it is dropped with the task


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


_DONE = object()


async def _iterate(source: Any) -> Any:
    if isinstance(source, AsyncIterable):
        async for item in source:
            yield item
        return
    iterator = iter(source)
    while (item := await asyncio.to_thread(next, iterator, _DONE)) is not _DONE:
        yield item


def _chunk_bytes(chunk: Any, context: RenderContext) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)  # binary, not a JSON list of ints
    if chunk is None:
        return b""
    if isinstance(chunk, str):
        return chunk.encode()
    return context.dumps(chunk)


def __getattr__(name: str) -> Any:
    # FileResponse lives in its own module (range requests, ETags, containment) and is imported on first use.
    if name == "FileResponse":
        from panther.file_response import FileResponse

        return FileResponse
    raise AttributeError(f"module 'panther.response' has no attribute {name!r}")
