"""A response answered from the cache: its body and header lines sent as they were stored, not encoded again."""

from __future__ import annotations

from typing import Any

from panther.response import CONTENT_LENGTH, NO_CONTENT, Response

__all__ = ["EncodedHeaders", "StoredResponse"]

#: ASGI header lines: ``[(b"name", b"value"), ...]`` (names lower-case).
EncodedHeaders = list[tuple[bytes, bytes]]


class StoredResponse(Response):
    """A response answered from the cache: its body bytes and its header lines as they were stored.

    Reading ``headers`` (a middleware, a later step) gives the stored headers (and any added since) as a dict, which
    is then what is sent. Lines added with ``add_header_lines`` (a throttle's limits) are sent after the stored ones.
    """

    __slots__ = ("stored",)

    def __init__(self, body: bytes, status_code: int, stored: EncodedHeaders) -> None:
        self.data = body
        self.status_code = status_code
        self.pagination = None
        self._headers = None
        self._cookies = None
        self._lines = None
        self.stored = stored

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            self._headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in self.stored}
        return Response.headers.fget(self)  # type: ignore[attr-defined]

    @headers.setter
    def headers(self, value: Any) -> None:
        Response.headers.fset(self, value)  # type: ignore[attr-defined]

    def raw_headers(self, body_length: int | None) -> list[tuple[bytes, bytes]]:
        if self._headers is not None or self._cookies is not None:  # changed since it was stored
            self.headers  # noqa: B018 - the stored headers join the dict first (a cookie alone must not drop them)
            return super().raw_headers(body_length)
        headers = self.stored.copy()
        if body_length is not None and self.status_code not in NO_CONTENT:
            headers.append((CONTENT_LENGTH, b"%d" % body_length))
        if self._lines:
            headers += self._lines
        return headers
