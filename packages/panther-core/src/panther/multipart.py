"""Form body parsers: streamed ``multipart/form-data`` (on python-multipart), urlencoded forms and Content-Type.

``parse_multipart`` feeds the body to python-multipart chunk by chunk as it arrives; file parts are written into
spooled ``File`` objects as their bytes come in, so an upload never has to sit whole in memory. Plain fields are
decoded to ``str``. Any mistake in the body is answered with a 400 that says what is wrong, and every ``File``
created for the failed request is closed.

Writes to a spool that has moved to disk are plain blocking writes (to the OS page cache, in practice), done in
the event loop like the rest of the parsing.
"""

from __future__ import annotations

import codecs
import inspect
import re
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser

from panther.datastructures import MultiDict, parse_query_string
from panther.exceptions import BadRequestAPIError, RequestEntityTooLargeAPIError, UnsupportedMediaTypeAPIError
from panther.file_handler import DEFAULT_SPOOL_MAX_SIZE, File

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks  # only defined for type checkers

__all__ = ["parse_content_type", "parse_multipart", "parse_urlencoded"]

DEFAULT_MAX_FIELDS = 1000
DEFAULT_MAX_FIELD_SIZE = 1024 * 1024
DEFAULT_MAX_PART_HEADER_SIZE = 8 * 1024
DEFAULT_MAX_PART_HEADERS = 16

# One `key=value` parameter, the value a token or a quoted string (which may hold `;`).
_PARAMETER = re.compile(r'\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
# Only `\"` and `\\` are unescaped: a Windows path sent unescaped (`C:\Users\a.txt`) must keep its backslashes.
_QUOTED_PAIR = re.compile(r'\\(["\\])')

# Recent python-multipart versions cap part headers themselves (8 headers of 4 KiB by default, too few for our
# limits); older ones take no such arguments. Our callbacks enforce our limits either way.
_PARSER_TAKES_HEADER_LIMITS = "max_header_size" in inspect.signature(MultipartParser.__init__).parameters


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a Content-Type (or Content-Disposition) value into its lower-cased type and its parameters.

    ``'multipart/form-data; charset=utf-8; boundary="x y"'`` gives
    ``('multipart/form-data', {'charset': 'utf-8', 'boundary': 'x y'})``. Parameter names are lower-cased,
    quoted values unquoted, the first of repeated parameters wins and malformed segments are skipped.
    """
    media_type, _, rest = value.partition(";")
    params: dict[str, str] = {}
    position, length = 0, len(rest)
    while position < length:
        match = _PARAMETER.match(rest, position)
        if match is not None:
            key, raw = match.group(1).lower(), match.group(2).strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
            params.setdefault(key, raw)
            position = match.end()
        separator = rest.find(";", position)
        if separator == -1:
            break
        position = separator + 1
    return media_type.strip().lower(), params


def parse_urlencoded(body: bytes) -> MultiDict[str]:
    """Parse an ``application/x-www-form-urlencoded`` body; repeated keys are kept, bad escapes never raise.

    The format is the query-string one, so this shares ``parse_query_string`` (python-multipart's
    ``QuerystringParser`` would only split the body and leave the percent-decoding to us).
    """
    return parse_query_string(body)


async def parse_multipart(
    chunks: AsyncIterable[bytes],
    content_type: str,
    *,
    spool_max_size: int = DEFAULT_SPOOL_MAX_SIZE,
    max_fields: int = DEFAULT_MAX_FIELDS,
    max_part_header_size: int = DEFAULT_MAX_PART_HEADER_SIZE,
    max_part_headers: int = DEFAULT_MAX_PART_HEADERS,
    max_field_size: int = DEFAULT_MAX_FIELD_SIZE,
) -> MultiDict[str | File]:
    """Parse a ``multipart/form-data`` body read from ``chunks`` as it streams in.

    Parts with a ``filename`` become ``File`` objects (content type ``application/octet-stream`` when the part
    has none), spooled to disk past ``spool_max_size`` bytes and positioned at their start; other parts become
    ``str`` (UTF-8, or the part's ``charset``). Repeated names are all kept. Limits: ``max_fields`` parts in all,
    ``max_part_headers`` headers of ``max_part_header_size`` bytes in total per part, ``max_field_size`` bytes
    per text field (files are not limited here: the request body size limit applies).

    Raises ``BadRequestAPIError`` (400) for a malformed body or too many fields, ``RequestEntityTooLargeAPIError``
    (413) for an oversized text field and ``UnsupportedMediaTypeAPIError`` (415) when ``content_type`` is not
    ``multipart/form-data``. On any error every ``File`` already created is closed.
    """
    media_type, params = parse_content_type(content_type)
    if media_type != "multipart/form-data":
        raise UnsupportedMediaTypeAPIError(detail=f"Expected a multipart/form-data body, got {media_type!r}")
    boundary = params.get("boundary", "")
    if not boundary:
        raise _malformed("the Content-Type header has no boundary parameter")
    if not boundary.isascii():
        raise _malformed("the boundary is not ASCII")

    collector = _FormCollector(
        spool_max_size=spool_max_size,
        max_fields=max_fields,
        max_part_header_size=max_part_header_size,
        max_part_headers=max_part_headers,
        max_field_size=max_field_size,
    )
    limits: dict[str, int] = {}
    if _PARSER_TAKES_HEADER_LIMITS:
        # Slack over our own limits, so our clearer messages normally win; the parser's caps stay a backstop.
        limits = {"max_header_count": max_part_headers + 1, "max_header_size": max_part_header_size + 1024}
    try:
        parser = MultipartParser(boundary.encode("ascii"), collector.callbacks(), **limits)
    except FormParserError as exc:  # e.g. a boundary longer than python-multipart accepts
        raise _malformed(f"invalid boundary ({exc})") from exc
    try:
        async for chunk in chunks:
            if chunk:
                parser.write(chunk)
        parser.finalize()
        if not collector.finished:
            raise _malformed("the body ends before the closing boundary")
    except FormParserError as exc:  # python-multipart's own parse errors
        collector.close_files()
        reason = str(exc)
        if collector.part_count == 0:  # its message alone ("Expected boundary character ...") is cryptic here
            reason = f"the body does not start with the boundary of the Content-Type header ({reason})"
        raise _malformed(reason) from exc
    except BaseException:  # our 400/413s, a client disconnect, a cancelled task: release the spools either way
        collector.close_files()
        raise
    return MultiDict(collector.pairs)


def _malformed(reason: str) -> BadRequestAPIError:
    return BadRequestAPIError(detail=f"Malformed multipart body: {reason}")


def _decode_header(value: bytes) -> str:
    # Browsers send raw UTF-8 in part headers (file names); anything else is read as latin-1 so it never fails.
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _decode_extended_value(value: str) -> str | None:
    """Decode an RFC 8187 ``charset'language'percent-encoded`` value (``filename*=``); ``None`` if invalid."""
    charset, _, rest = value.partition("'")
    _language, separator, encoded = rest.partition("'")
    if not separator:
        return None
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (LookupError, UnicodeDecodeError):
        return None


class _FormCollector:
    """python-multipart callbacks that turn parts into ``(name, str | File)`` pairs and enforce the limits."""

    def __init__(
        self,
        *,
        spool_max_size: int,
        max_fields: int,
        max_part_header_size: int,
        max_part_headers: int,
        max_field_size: int,
    ) -> None:
        self.spool_max_size = spool_max_size
        self.max_fields = max_fields
        self.max_part_header_size = max_part_header_size
        self.max_part_headers = max_part_headers
        self.max_field_size = max_field_size

        self.pairs: list[tuple[str, str | File]] = []
        self.files: list[File] = []
        self.finished = False
        self.part_count = 0

        # State of the part being read.
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.header_size = 0
        self.name = ""
        self.file: File | None = None
        self.field = bytearray()
        self.charset = "utf-8"

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def close_files(self) -> None:
        for file in self.files:
            file.close()

    def on_part_begin(self) -> None:
        self.part_count += 1
        if self.part_count > self.max_fields:
            raise BadRequestAPIError(detail=f"Too many fields in the multipart body (at most {self.max_fields})")
        self.headers = []
        self.header_size = 0
        self.file = None
        self.field = bytearray()

    def _count_header_bytes(self, amount: int) -> None:
        self.header_size += amount
        if self.header_size > self.max_part_header_size:
            raise _malformed(f"the headers of a part are larger than {self.max_part_header_size} bytes")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers.append((bytes(self.header_field).strip().lower(), bytes(self.header_value).strip()))
        self.header_field.clear()
        self.header_value.clear()
        if len(self.headers) > self.max_part_headers:
            raise _malformed(f"a part has more than {self.max_part_headers} headers")

    def on_headers_finished(self) -> None:
        headers: dict[bytes, bytes] = {}
        for key, value in self.headers:
            headers.setdefault(key, value)  # a repeated header: the first one counts

        disposition = headers.get(b"content-disposition")
        if disposition is None:
            raise _malformed("a part has no Content-Disposition header")
        disposition_type, params = parse_content_type(_decode_header(disposition))
        if disposition_type != "form-data":
            raise _malformed(f"a part's Content-Disposition is {disposition_type!r}, expected 'form-data'")
        name = params.get("name")
        if name is None:
            raise _malformed("a part's Content-Disposition has no name")
        self.name = name

        content_type = _decode_header(headers.get(b"content-type", b"")).strip()
        if "filename" in params or "filename*" in params:
            # RFC 6266: the extended `filename*` wins when it can be decoded.
            extended = params.get("filename*")
            file_name = _decode_extended_value(extended) if extended is not None else None
            if file_name is None:
                file_name = params.get("filename", "")
            self.file = File.create_empty(
                file_name,
                content_type or "application/octet-stream",
                spool_max_size=self.spool_max_size,
            )
            self.files.append(self.file)
        else:
            charset = parse_content_type(content_type)[1].get("charset", "utf-8")
            try:
                self.charset = codecs.lookup(charset).name
            except LookupError:
                raise _malformed(f"field {name!r} has an unknown charset {charset!r}") from None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file is not None:
            self.file.write(memoryview(data)[start:end])
            return
        self.field += memoryview(data)[start:end]
        if len(self.field) > self.max_field_size:
            raise RequestEntityTooLargeAPIError(
                detail=f"Form field {self.name!r} is larger than {self.max_field_size} bytes"
            )

    def on_part_end(self) -> None:
        if self.file is not None:
            self.file.seek(0)
            self.pairs.append((self.name, self.file))
            self.file = None
            return
        try:
            value = self.field.decode(self.charset)
        except UnicodeDecodeError:
            raise _malformed(f"field {self.name!r} is not valid {self.charset}") from None
        self.pairs.append((self.name, value))

    def on_end(self) -> None:
        self.finished = True
