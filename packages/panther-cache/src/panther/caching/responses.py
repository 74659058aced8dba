"""Responses whose headers are partly or wholly encoded already, so the throttle and the cache add little to a
request: ``Response.raw_headers`` encodes every header of its ``headers`` dict on each response, these append
header lines built once (the throttle's limit, the window's reset, a stored response's whole header list)."""

from __future__ import annotations

from typing import Any

from panther.response import CONTENT_LENGTH, NO_CONTENT, Response

__all__ = ["EncodedHeaders", "ExtraHeadersResponse", "StoredResponse", "add_headers"]

#: ASGI header lines: ``[(b"name", b"value"), ...]`` (names lower-case).
EncodedHeaders = list[tuple[bytes, bytes]]


class ExtraHeadersResponse(Response):
    """A JSON ``Response`` plus header lines sent as they are (``extra``), after its own."""

    __slots__ = ("extra",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra: EncodedHeaders = []

    @property
    def headers(self) -> dict[str, str]:
        """All headers as a dict (the encoded lines join it: a middleware reading or changing the headers sees
        them, and from then on they are sent from the dict)."""
        headers: dict[str, str] = Response.headers.fget(self)  # type: ignore[attr-defined]
        if self.extra:
            headers.update((name.decode("latin-1"), value.decode("latin-1")) for name, value in self.extra)
            self.extra = []
        return headers

    @headers.setter
    def headers(self, value: Any) -> None:
        self._headers = dict(value)
        self.extra = []

    def raw_headers(self, body_length: int | None) -> list[tuple[bytes, bytes]]:
        if (
            self._headers is None
            and self._cookies is None
            and body_length is not None
            and self.status_code not in NO_CONTENT
        ):  # Response.raw_headers' own shortcut, plus ours
            return [self._content_type_header, (CONTENT_LENGTH, b"%d" % body_length), *self.extra]
        headers = Response.raw_headers(self, body_length)
        headers += self.extra
        return headers


class StoredResponse(ExtraHeadersResponse):
    """A response answered from the cache: its body bytes and its header lines as they were stored.

    Reading ``headers`` (a middleware, a later step) gives the stored headers (and any added since) as a dict, which
    is then what is sent.
    """

    __slots__ = ("stored",)

    def __init__(self, body: bytes, status_code: int, stored: EncodedHeaders) -> None:
        self.data = body
        self.status_code = status_code
        self.pagination = None
        self._headers = None
        self._cookies = None
        self.extra = []
        self.stored = stored

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            self._headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in self.stored}
        return ExtraHeadersResponse.headers.fget(self)  # type: ignore[attr-defined]

    @headers.setter
    def headers(self, value: Any) -> None:
        self._headers = dict(value)
        self.extra = []

    def raw_headers(self, body_length: int | None) -> list[tuple[bytes, bytes]]:
        if self._headers is not None or self._cookies is not None:  # changed since it was stored
            return super().raw_headers(body_length)
        headers = self.stored.copy()
        if body_length is not None and self.status_code not in NO_CONTENT:
            headers.append((CONTENT_LENGTH, b"%d" % body_length))
        headers += self.extra
        return headers


_new_extra = object.__new__


def add_headers(response: Response, extra: EncodedHeaders) -> Response:
    """``response`` with ``extra`` header lines: appended as they are when it can take them, else through its
    ``headers`` dict."""
    if type(response) is Response:  # most responses: the same, with a class that appends the lines
        copy = _new_extra(ExtraHeadersResponse)
        copy.data = response.data
        copy.status_code = response.status_code
        copy.pagination = response.pagination
        copy._headers = response._headers
        copy._cookies = response._cookies
        copy.extra = extra
        return copy
    if isinstance(response, ExtraHeadersResponse):
        response.extra = response.extra + extra
        return response
    response.headers.update((name.decode("latin-1"), value.decode("latin-1")) for name, value in extra)
    return response
