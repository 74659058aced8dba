"""``FileResponse``: send a file from disk, streamed, with validators, range requests and path containment.

A relative path starts at the working directory, as upstream's did (or at ``root=``). The file must resolve
(symlinks included) to a regular file inside that root; anything else answers 404 as a missing file would, so a
client learns nothing about the rest of the disk. The file is
read in chunks in a worker thread, never whole and never on the event loop.

Supported: ``ETag`` and ``Last-Modified`` with ``If-None-Match`` / ``If-Modified-Since`` (304), and one byte range
``Range: bytes=a-b | a- | -n`` (206, or 416 when it lies past the end), honouring ``If-Range``. A Range header with
several ranges is answered with the whole file (200): RFC 9110 lets a server ignore Range, and a multipart/byteranges
body would cost more than it saves for the clients that ask for it. A malformed Range header is ignored the same way.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal
from urllib.parse import quote

from panther.cookies import Cookie
from panther.response import DEFAULT_CONTEXT, RenderContext, Response
from panther.types import Receive, Send

if TYPE_CHECKING:
    from panther.base_request import Headers
    from panther.request import Request

__all__ = ["FileResponse"]

DEFAULT_CHUNK_SIZE = 64 * 1024

# A file with no known extension is identified by its first bytes; the longest signature checked is 12 bytes.
_SNIFF_SIZE = 16
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x1f\x8b", "application/gzip"),
)
_OCTET_STREAM = "application/octet-stream"
_COMPRESSED = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}

# O_NOFOLLOW refuses a last path component swapped for a symlink after the containment check; O_NONBLOCK keeps
# opening a FIFO from waiting for a writer (it is then refused as not a regular file). Reads of a file ignore it.
_OPEN_FLAGS = os.O_RDONLY
for _flag in ("O_NOFOLLOW", "O_NONBLOCK", "O_CLOEXEC", "O_BINARY"):
    _OPEN_FLAGS |= getattr(os, _flag, 0)

_RANGE_SPEC = re.compile(r"(\d*)-(\d*)", re.ASCII)
# RFC 5987 attr-char: what may stay unescaped in `filename*=UTF-8''...`.
_ATTR_CHARS = "!#$&+-.^_`|~"

_NOT_FOUND = b'{"detail":"Not Found"}'
_NOT_SATISFIABLE = b'{"detail":"Range Not Satisfiable"}'
_JSON = b"application/json"


@dataclass(slots=True)
class _Found:
    """The opened file and what the headers need from it."""

    file: BinaryIO
    size: int
    mtime: float
    etag: str
    content_type: str


class FileResponse(Response):
    """Send the file at ``file_path``, relative to the working directory (as upstream) or to ``root=`` when given.

    ``filename=`` names the file for the client (``Content-Disposition``, non-ASCII names encoded per RFC 6266/5987);
    ``content_disposition`` is ``"attachment"`` (save it, the default when ``filename`` is given) or ``"inline"``
    (show it). Headers passed in ``headers=`` win over the computed ones, except ``Content-Length``.
    """

    content_type = _OCTET_STREAM
    __slots__ = (
        "_method",
        "_request_headers",
        "chunk_size",
        "content_disposition",
        "file_path",
        "filename",
        "root",
    )

    def __init__(
        self,
        file_path: str | os.PathLike[str],
        headers: Mapping[str, str] | None = None,
        status_code: int = 200,
        *,
        root: str | os.PathLike[str] | None = None,
        filename: str | None = None,
        content_disposition: Literal["inline", "attachment"] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        set_cookies: Cookie | Iterable[Cookie] | None = None,
    ) -> None:
        if content_disposition not in (None, "inline", "attachment"):
            raise ValueError(f"content_disposition must be 'inline' or 'attachment', got {content_disposition!r}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive number of bytes, got {chunk_size!r}")
        super().__init__(data=None, status_code=status_code, headers=headers, set_cookies=set_cookies)
        self.file_path = os.fspath(file_path)
        self.root = None if root is None else os.fspath(root)
        self.filename = filename
        self.content_disposition = content_disposition
        self.chunk_size = chunk_size
        self._method = "GET"
        self._request_headers: Headers | None = None  # set by prepare(); without a request, no Range or validators

    # --- Response API -------------------------------------------------------------------------------------------

    reads_request = True

    def prepare(self, request: Request) -> None:
        self._method = request.method
        self._request_headers = request.headers

    def render(self, context: RenderContext = DEFAULT_CONTEXT) -> None:
        return None  # the body is streamed from disk by send_rendered, off the event loop

    async def send_rendered(
        self, send: Send, receive: Receive, body: bytes | None, context: RenderContext = DEFAULT_CONTEXT
    ) -> None:
        await self._answer(send, receive)

    async def send_head(self, send: Send, body: bytes | None) -> None:
        await self._answer(send, None)

    # --- Answering ----------------------------------------------------------------------------------------------

    async def _answer(self, send: Send, receive: Receive | None) -> None:
        """Send the file, a part of it, 304, 404 or 416; without a body when ``receive`` is ``None`` (HEAD)."""
        found = await asyncio.to_thread(_open_inside, self._candidate(), self._root_dir(), self._guessed_type())
        if found is None:
            await self._send_small(send, 404, _NOT_FOUND, [], with_body=receive is not None)
            return
        try:
            headers = self._file_headers(found)
            if self.status_code == 200 and self._method in ("GET", "HEAD"):
                if self._not_modified(found):
                    validators = [header for header in headers if header[0] in (b"etag", b"last-modified")]
                    await self._send_small(send, 304, None, validators, with_body=receive is not None)
                    return
                wanted = self._wanted_range(found)
                if wanted == "unsatisfiable":
                    extra = [(b"content-range", f"bytes */{found.size}".encode())]
                    await self._send_small(send, 416, _NOT_SATISFIABLE, extra, with_body=receive is not None)
                    return
            else:
                wanted = None
            status, start, length = self.status_code, 0, found.size
            if wanted is not None:
                start, end = wanted
                status, length = 206, end - start + 1
                headers.append((b"content-range", f"bytes {start}-{end}/{found.size}".encode()))
            headers.insert(1, (b"content-length", str(length).encode()))
            await send({"type": "http.response.start", "status": status, "headers": self._with_user_headers(headers)})
            if receive is None:
                await send({"type": "http.response.body", "body": b""})
            else:
                await _stream(send, receive, found.file, start, length, self.chunk_size)
        finally:
            found.file.close()

    async def _send_small(
        self,
        send: Send,
        status: int,
        body: bytes | None,
        headers: list[tuple[bytes, bytes]],
        *,
        with_body: bool,
    ) -> None:
        """An answer with a small fixed body: JSON for 404/416, none for 304 (which keeps the file's validators)."""
        if body is not None:
            headers = [(b"content-type", _JSON), (b"content-length", str(len(body)).encode()), *headers]
        # None of these carries the file: the user's Content-Type/Disposition would describe a body that isn't there.
        headers = self._with_user_headers(headers, keep_content_headers=False)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": (body or b"") if with_body else b""})

    # --- Helpers ------------------------------------------------------------------------------------------------

    def _root_dir(self) -> Path:
        base = Path.cwd()  # upstream's base: its BASE_DIR was the directory the app was started from
        return base if self.root is None else base / self.root  # an absolute root= replaces base

    def _candidate(self) -> Path:
        return self._root_dir() / self.file_path  # an absolute file_path replaces the root (then must be inside it)

    def _guessed_type(self) -> str | None:
        for name in (self.file_path, self.filename):
            if name:
                guessed, encoding = mimetypes.guess_type(name, strict=False)
                if encoding:
                    # `x.tar.gz` is sent as the gzip file it is: a Content-Encoding would make clients unpack it.
                    return _COMPRESSED.get(encoding, _OCTET_STREAM)
                if guessed:
                    return guessed
        return None

    def _file_headers(self, found: _Found) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"content-type", found.content_type.encode("latin-1")),
            (b"last-modified", formatdate(found.mtime, usegmt=True).encode()),
            (b"etag", found.etag.encode()),
            (b"accept-ranges", b"bytes"),
        ]
        disposition = self.content_disposition or ("attachment" if self.filename else None)
        if disposition:
            value = disposition if self.filename is None else f"{disposition}; {_filename_parameters(self.filename)}"
            headers.append((b"content-disposition", value.encode("latin-1")))
        return headers

    def _with_user_headers(
        self, headers: list[tuple[bytes, bytes]], keep_content_headers: bool = True
    ) -> list[tuple[bytes, bytes]]:
        user_headers = self._headers  # only what the user set (`headers` would add the class's default type)
        if user_headers:
            overridden = {name.lower() for name in user_headers}
            if not keep_content_headers:  # dropped below, so they replace nothing (a 404 keeps its JSON type)
                overridden -= {"content-type", "content-disposition"}
            result = [(name, value) for name, value in headers if name.decode() not in overridden]
            for name, value in user_headers.items():
                lowered = name.lower()
                if lowered == "content-length":
                    continue
                if not keep_content_headers and lowered in ("content-type", "content-disposition"):
                    continue
                result.append((lowered.encode("latin-1"), str(value).encode("latin-1")))
            headers = result
        for cookie in self._cookies or ():
            headers.append((b"set-cookie", cookie.header_value().encode("latin-1")))
        lines = getattr(self, "_lines", None)  # Response.add_header_lines
        if lines:
            headers += lines
        return headers

    def _not_modified(self, found: _Found) -> bool:
        if self._request_headers is None:
            return False
        if_none_match = self._request_headers.get("if-none-match")
        if if_none_match is not None:
            # RFC 9110 §13.1.2: weak comparison, and If-Modified-Since is ignored when If-None-Match is present.
            tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
            return "*" in tags or found.etag in tags
        if_modified_since = self._request_headers.get("if-modified-since")
        if if_modified_since is not None:
            since = _parse_http_date(if_modified_since)
            return since is not None and int(found.mtime) <= since
        return False

    def _wanted_range(self, found: _Found) -> tuple[int, int] | Literal["unsatisfiable"] | None:
        """The one byte range to send (inclusive), ``"unsatisfiable"`` (416), or ``None``: send the whole file."""
        if self._request_headers is None:
            return None
        ranges = self._request_headers.getlist("range")
        if len(ranges) != 1:
            return None  # none, or repeated Range headers: as with several ranges, the whole file
        header = ranges[0]
        if_range = self._request_headers.get("if-range")
        if if_range is not None and not _if_range_matches(if_range.strip(), found):
            return None  # the client's copy is stale: it needs the whole new file
        return parse_range(header, found.size)


def parse_range(header: str, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """Parse a ``Range`` header for a file of ``size`` bytes into an inclusive ``(start, end)``.

    Returns ``None`` (serve the whole file) for a malformed header, another unit or several ranges, and
    ``"unsatisfiable"`` when the one range asked for starts past the end (or asks for the last 0 bytes).
    """
    unit, _, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in ranges:
        return None
    match = _RANGE_SPEC.fullmatch(ranges.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None  # invalid syntax per RFC 9110 §14.1.1, so ignored
        if start >= size:
            return "unsatisfiable"
        return start, min(int(last), size - 1) if last else size - 1
    if not last:
        return None  # "bytes=-"
    suffix = int(last)
    if suffix == 0 or size == 0:
        return "unsatisfiable"
    return max(size - suffix, 0), size - 1


def _open_inside(candidate: Path, root: Path, guessed_type: str | None) -> _Found | None:
    """Open ``candidate`` if it resolves to a regular file inside ``root``; ``None`` otherwise (runs in a thread)."""
    try:
        real_root = os.path.realpath(root)
        real = os.path.realpath(candidate)
        if os.path.commonpath([real_root, real]) != real_root:
            return None
        fd = os.open(real, _OPEN_FLAGS)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path, or paths on different drives
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # a directory, FIFO, device...
            os.close(fd)
            return None
    except OSError:
        os.close(fd)
        return None
    file = os.fdopen(fd, "rb", buffering=0)
    try:
        content_type = guessed_type or _sniff(file)
    except OSError:
        file.close()
        return None
    return _Found(
        file=file,
        size=info.st_size,
        mtime=info.st_mtime,
        etag=f'"{info.st_size:x}-{info.st_mtime_ns:x}"',
        content_type=content_type,
    )


def _sniff(file: BinaryIO) -> str:
    head = file.read(_SNIFF_SIZE) or b""
    file.seek(0)
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return _OCTET_STREAM


async def _stream(send: Send, receive: Receive, file: BinaryIO, start: int, length: int, chunk_size: int) -> None:
    """Send ``length`` bytes of ``file`` from ``start``, one chunk per message; stop if the client goes away."""
    disconnected = asyncio.Event()

    async def watch_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        disconnected.set()

    watcher = asyncio.create_task(watch_disconnect())
    try:
        if start:
            await asyncio.to_thread(file.seek, start)
        remaining = length
        while remaining > 0 and not disconnected.is_set():
            chunk = await asyncio.to_thread(_read, file, min(chunk_size, remaining))
            if not chunk:
                # The file shrank after its length was sent: nothing valid can follow, the server closes the connection.
                return
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
        if length == 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()


def _read(file: BinaryIO, size: int) -> bytes:
    # An unbuffered read may return less than asked for; keep going until `size` bytes or the end of the file.
    parts = []
    while size > 0:
        part = file.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _if_range_matches(if_range: str, found: _Found) -> bool:
    if if_range.startswith('"'):
        return if_range == found.etag  # strong comparison, RFC 9110 §13.1.5
    if if_range.startswith("W/"):
        return False
    since = _parse_http_date(if_range)
    return since is not None and since == int(found.mtime)


def _parse_http_date(value: str) -> int | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" means UTC too, but parses as a naive datetime
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _filename_parameters(filename: str) -> str:
    """``filename="..."`` with an ASCII fallback, plus ``filename*=UTF-8''...`` when the name is not plain ASCII."""
    # Control characters (CR/LF above all) would end the header; they are dropped from both forms.
    cleaned = "".join(ch for ch in filename if unicodedata.category(ch) != "Cc")
    fallback = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode("ascii")
    fallback = fallback.replace("\\", "_").replace('"', "_") or "download"
    parameters = f'filename="{fallback}"'
    if fallback != cleaned:
        parameters += f"; filename*=UTF-8''{quote(cleaned, safe=_ATTR_CHARS)}"
    return parameters
