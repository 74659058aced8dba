"""Stored responses: what is kept of a response (status, headers, body bytes) and where (memory or Redis).

A response is kept as it would be sent: its body rendered once with the app's encoders, its headers as the app
would write them (content type included, length recomputed), so a hit answers the same bytes, binary bodies
included. Responses that set cookies, error responses and responses that stream or read the request (files) are
not kept.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from panther.caching.responses import EncodedHeaders, StoredResponse

if TYPE_CHECKING:
    from panther.response import RenderContext, Response

__all__ = ["CachedResponse", "MemoryResponses", "RedisResponses", "freeze"]

_SKIPPED_HEADERS = frozenset((b"content-length", b"set-cookie"))


class CachedResponse(NamedTuple):
    status: int
    #: Header lines as the app wrote them, without Content-Length (recomputed) and never with Set-Cookie.
    headers: EncodedHeaders
    body: bytes

    def response(self) -> StoredResponse:
        """A new response sending exactly this (later steps may still add headers to it)."""
        return StoredResponse(self.body, self.status, self.headers)

    def encode(self) -> bytes:
        """One Redis value: the status and headers as a JSON line, then the body's bytes as they are."""
        headers = [[name.decode("latin-1"), value.decode("latin-1")] for name, value in self.headers]
        return orjson.dumps([self.status, headers]) + b"\n" + self.body

    @classmethod
    def decode(cls, value: bytes) -> CachedResponse:
        meta, _, body = value.partition(b"\n")  # JSON never contains a raw newline
        status, headers = orjson.loads(meta)
        return cls(status, [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers], body)


def freeze(response: Response, context: RenderContext) -> CachedResponse | None:
    """What to keep of ``response``, or ``None`` when it must not be cached."""
    if not 200 <= response.status_code < 400 or response.reads_request:
        return None
    body = response.render(context)
    if body is None:  # streams its body
        return None
    headers = []
    for line in response.raw_headers(len(body)):
        name = line[0]
        if name in _SKIPPED_HEADERS:
            if name == b"set-cookie":  # one user's cookie must not reach another
                return None
            continue
        headers.append(line)
    return CachedResponse(response.status_code, headers, body)


class MemoryResponses:
    """An LRU of responses with expiry, bounded by entry count and body bytes (one per app)."""

    __slots__ = ("_entries", "max_bytes", "max_entries", "size")

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0  # bytes of the bodies kept
        self._entries: OrderedDict[Any, tuple[float, CachedResponse]] = OrderedDict()

    def get(self, key: Any, now: float) -> CachedResponse | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, cached = found
        if expires <= now:
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return cached

    def set(self, key: Any, cached: CachedResponse, expires: float) -> None:
        size = len(cached.body)
        if size > self.max_bytes:
            return
        if key in self._entries:
            self._remove(key)
        self._entries[key] = (expires, cached)
        self.size += size
        while len(self._entries) > self.max_entries or self.size > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.size -= len(evicted.body)

    def _remove(self, key: Any) -> None:
        _, cached = self._entries.pop(key)
        self.size -= len(cached.body)

    def __len__(self) -> int:
        return len(self._entries)


class RedisResponses:
    """Responses in Redis under ``<prefix>cache:<route>:<digest of the request's key>``, expired by Redis."""

    __slots__ = ("client", "prefix")

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    async def get(self, key: str) -> CachedResponse | None:
        value = await self.client.get(key)
        return None if value is None else CachedResponse.decode(value)

    async def set(self, key: str, cached: CachedResponse, ttl_ms: int) -> None:
        await self.client.set(key, cached.encode(), px=ttl_ms)
