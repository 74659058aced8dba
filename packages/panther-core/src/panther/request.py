"""The HTTP request: method, body reading with a size limit, and ``data`` parsed by content type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ValidationError

from panther.base_request import Address, BaseRequest, Headers
from panther.exceptions import (
    BadRequestAPIError,
    ClientDisconnected,
    RequestEntityTooLargeAPIError,
    UnprocessableEntityError,
)
from panther.file_handler import File
from panther.multipart import parse_content_type, parse_multipart, parse_urlencoded
from panther.types import Receive, Scope, Send

if TYPE_CHECKING:
    from panther.main import Panther

__all__ = ["Address", "Headers", "Request"]

_NOT_READ: Any = object()
_HTTP1 = frozenset(("1.0", "1.1"))
#: Methods whose requests almost never have a body: checked for one before asking the server.
_USUALLY_BODILESS = frozenset(("GET", "HEAD", "DELETE", "OPTIONS"))


class Request(BaseRequest):
    """An HTTP request. ``await read_body()`` reads the body once; ``data`` parses it by content type:
    JSON (``application/json`` with parameters, ``+json`` types), form data, multipart (files become
    ``panther.file_handler.File``), otherwise the raw bytes."""

    # Slots are set in __init__ (cheap); attributes set on few requests live in the instance __dict__ instead.
    __slots__ = ("_body", "_content_type", "max_body_size", "method", "validated_data")

    #: Set by the app when reading the body failed; raised after the middlewares ran so they see its response.
    body_error: Exception | None = None
    #: Uploaded files of a multipart body, closed by the app once the response is sent.
    uploads: list[Any] | None = None
    _data: Any = _NOT_READ

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        app: Panther | None = None,
        max_body_size: int | None = None,
    ) -> None:
        # BaseRequest.__init__ inlined: this runs for every request.
        self.scope = scope
        self.asgi_receive = receive
        self.asgi_send = send
        self.app = app
        self.user: Any = None
        self._path_variables: dict[str, str] | None = None
        self.method: str = scope["method"]
        self.max_body_size = max_body_size
        self.validated_data: Any = None
        self._body: bytes = _NOT_READ
        # The raw Content-Type, picked out while the body is read (so validation needs no header parsing).
        self._content_type: Any = _NOT_READ

    # --- Body ---------------------------------------------------------------------------------------------------

    async def read_body(self) -> bytes:
        """Read the whole body (once). Multipart bodies are parsed while they stream in instead of being buffered.

        Raises ``RequestEntityTooLargeAPIError`` (413) past ``MAX_REQUEST_BODY_SIZE`` and ``ClientDisconnected``
        when the client goes away.
        """
        if self._body is not _NOT_READ:
            return self._body
        # The headers needed here are picked from the raw list: building `self.headers` would decode every header
        # of every request, and most handlers never look at them.
        headers = self.scope["headers"]
        if self.method in _USUALLY_BODILESS and _has_no_body(headers, self.scope.get("http_version", "1.1")):
            # Not asking the server for a body that cannot exist saves a round through its flow control.
            self._body = b""
            return self._body
        message = await self.asgi_receive()
        if message["type"] != "http.request":
            raise ClientDisconnected
        first: bytes = message.get("body", b"")
        complete = not message.get("more_body", False)
        if complete and not first:
            self._body = b""
            return self._body
        limit = self.max_body_size
        content_type = self._content_type = _header(headers, b"content-type")
        if complete:  # the whole body in one message (the common case): its length is the truth
            if limit is not None and len(first) > limit:
                raise RequestEntityTooLargeAPIError
        else:  # streamed: what is announced too big is refused before the rest is read; `_stream` checks the rest
            declared = _header(headers, b"content-length")
            if declared is not None and not declared.isdigit():
                raise BadRequestAPIError(detail="Invalid Content-Length header")
            if limit is not None and ((declared is not None and int(declared) > limit) or len(first) > limit):
                raise RequestEntityTooLargeAPIError
        if content_type is not None and content_type != b"application/json" and _is_multipart(content_type):
            self._body = b""
            rest = None if complete else self._stream(limit, len(first))
            data = await parse_multipart(_chain(first, rest), content_type.decode("latin-1"))
            self._data = data
            self.uploads = [value for _, value in data.multi_items() if isinstance(value, File)]
            return self._body
        if complete:
            self._body = first
            return first
        chunks = [first]
        async for chunk in self._stream(limit, len(first)):
            chunks.append(chunk)
        self._body = b"".join(chunks)
        return self._body

    async def _stream(self, limit: int | None, received: int) -> AsyncIterator[bytes]:
        """The rest of the body, chunk by chunk, after ``received`` bytes were read."""
        receive = self.asgi_receive
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ClientDisconnected
            chunk = message.get("body", b"")
            if chunk:
                received += len(chunk)
                if limit is not None and received > limit:
                    raise RequestEntityTooLargeAPIError
                yield chunk
            if not message.get("more_body", False):
                return

    def close_uploads(self) -> None:
        """Close the spooled files of a multipart body (their temporary files are removed)."""
        for upload in self.uploads or ():
            upload.close()

    @property
    def body(self) -> bytes:
        if self._body is _NOT_READ:
            if self.body_error is not None:  # the app answers the error; middlewares just see no body
                return b""
            raise RuntimeError("The body has not been read yet: `await request.read_body()` first.")
        return self._body

    @property
    def data(self) -> Any:
        """The parsed body (cached). Malformed JSON → 400."""
        if self._data is _NOT_READ:
            self._data = self._parse(self.body)
        return self._data

    def _content_type_value(self) -> str:
        raw = self._content_type
        if raw is _NOT_READ:  # the body was empty, or read by someone else: look the header up
            return self.headers.get("content-type") or ""
        return raw.decode("latin-1") if raw else ""

    def _is_json_body(self, content_type: str) -> bool:
        return content_type == "application/json" or not content_type or _is_json(parse_content_type(content_type)[0])

    def _parse(self, body: bytes) -> Any:
        content_type = self._content_type_value()
        if content_type == "application/json" or not content_type:
            return _load_json(body)
        mime, _ = parse_content_type(content_type)
        if _is_json(mime):
            return _load_json(body)
        if mime == "application/x-www-form-urlencoded":
            return parse_urlencoded(body)
        return body

    def validate_data(self, model: type[BaseModel]) -> BaseModel:
        """Validate the body against ``model``, store the instance in ``validated_data`` and return it.

        Malformed JSON → 400 ``{"detail": "Malformed JSON body: ..."}``; invalid fields → 400
        ``{"field.sub": "message"}``; a body that is neither JSON nor a form → 422.
        """
        try:
            if self._content_type == b"application/json" or self._is_json_body(self._content_type_value()):
                # Straight from bytes, whether or not `data` was parsed already (a middleware may have read it),
                # so the same body always gives the same answer: pydantic parses and validates in one pass, in JSON
                # mode whatever the charset parameter says.
                body = self._body if self._body is not _NOT_READ else self.body  # `body` explains a missing read
                validated = model.model_validate_json(body or b"{}")
            else:
                data = self.data
                if isinstance(data, bytes):
                    raise UnprocessableEntityError(detail="Content-Type is not valid")
                validated = model.model_validate(data if data is not None else {})
        except ValidationError as exc:
            raise BadRequestAPIError(detail=validation_errors(exc)) from None
        self.validated_data = validated
        return validated


async def _chain(first: bytes, rest: AsyncIterator[bytes] | None) -> AsyncIterator[bytes]:
    if first:
        yield first
    if rest is not None:
        async for chunk in rest:
            yield chunk


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    # ASGI servers give header names lowercased (Starlette relies on it too): compared as they are.
    for key, value in headers:
        if key == name:
            return value
    return None


def _has_no_body(headers: list[tuple[bytes, bytes]], http_version: str) -> bool:
    """HTTP/1 without Content-Length (or with 0) and without Transfer-Encoding has no body (RFC 9112 §6.3)."""
    if http_version not in _HTTP1:
        return False
    for name, value in headers:
        if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
            return False
    return True


def _is_multipart(content_type: bytes) -> bool:
    return content_type[:19].lower() == b"multipart/form-data"


def _is_json(mime: str) -> bool:
    return mime == "application/json" or mime.endswith("+json")


#: The deepest nesting a JSON body may have. orjson reads 1 024 levels but writes only 254, so a deeper body that an
#: endpoint sends back (echoed, stored and listed) would fail only then, as a 500; it is refused here as a 400.
MAX_JSON_DEPTH = 128


def _load_json(body: bytes) -> Any:
    if not body:
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestAPIError(detail=f"Malformed JSON body: {exc}") from None
    # Counting brackets is a fast scan; only a body with that many can be nested that deep, and only it is walked.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _too_deep(data):
        raise BadRequestAPIError(detail=f"JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _too_deep(data: Any) -> bool:
    level: list[Any] = [data]
    for _ in range(MAX_JSON_DEPTH):
        level = [
            child
            for node in level
            if isinstance(node, (dict, list))
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return False
    return True


def validation_errors(exc: ValidationError) -> str | dict[str, str]:
    """Pydantic errors as ``{"field.sub": "message"}`` (upstream's shape).

    A JSON syntax error is not about any field: it is returned as the ``"Malformed JSON body: ..."`` string, which
    the caller sends as ``{"detail": ...}`` like the same error found by ``request.data``.
    """
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        if error["type"] == "json_invalid":
            return f"Malformed JSON body: {error.get('ctx', {}).get('error', error['msg'])}"
        location = ".".join(str(part) for part in error["loc"]) or "body"
        errors.setdefault(location, error["msg"])
    return errors
