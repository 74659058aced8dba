"""Turn what a test passes (payload, form fields, files, query parameters, headers) into ASGI request bytes."""

from __future__ import annotations

import mimetypes
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any, TypeAlias, cast
from urllib.parse import urlencode

__all__ = [
    "FileSpec",
    "FilesArg",
    "FormArg",
    "HeadersArg",
    "QueryArg",
    "encode_body",
    "encode_headers",
    "encode_multipart",
    "encode_query",
]

FileContent: TypeAlias = bytes | str | IO[bytes]
#: ``content``, ``(file_name, content)`` or ``(file_name, content, content_type)``.
FileSpec: TypeAlias = FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str | None]
#: ``{"field": FileSpec}`` (a list of specs repeats the field) or ``[("field", FileSpec), ...]``. The values are
#: typed ``Any``: type checkers cannot infer a mixed dict literal against the precise union.
FilesArg: TypeAlias = Mapping[str, Any] | Iterable[tuple[str, Any]]
#: ``{"field": value}`` (a list repeats the field) or ``[("field", value), ...]``.
FormArg: TypeAlias = Mapping[str, Any] | Iterable[tuple[str, Any]]
QueryArg: TypeAlias = Mapping[str, Any] | Iterable[tuple[str, Any]] | str | bytes
HeadersArg: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]

JSON = "application/json"


def _pairs(
    source: Mapping[str, Any] | Iterable[tuple[str, Any]], repeat: tuple[type, ...] = (list, tuple)
) -> list[tuple[str, Any]]:
    """Flatten ``{key: [a, b]}`` and ``[(key, value)]`` into one ``(key, value)`` pair per value."""
    items: Iterable[tuple[str, Any]] = source.items() if isinstance(source, Mapping) else source
    pairs: list[tuple[str, Any]] = []
    for key, value in items:
        if isinstance(value, repeat):
            pairs.extend((key, item) for item in cast("Iterable[Any]", value))
        else:
            pairs.append((key, value))
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):  # True → "true", what JavaScript clients send and Panther's bool casting reads
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def encode_query(query_params: QueryArg | None) -> bytes:
    """URL-encode query parameters; a list value repeats the key (``{"tag": ["a", "b"]}`` → ``tag=a&tag=b``)."""
    if not query_params:
        return b""
    if isinstance(query_params, bytes):
        return query_params.lstrip(b"?")
    if isinstance(query_params, str):
        return query_params.lstrip("?").encode("latin-1")
    return urlencode([(key, _text(value)) for key, value in _pairs(query_params)]).encode("ascii")


def encode_headers(headers: HeadersArg | None) -> list[tuple[bytes, bytes]]:
    """ASGI headers: lower-case names, latin-1 bytes, repeated names kept."""
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name).lower().encode("latin-1"), str(value).encode("latin-1")) for name, value in items]


def encode_body(
    payload: Any = None,
    content_type: str | None = None,
    *,
    data: FormArg | None = None,
    files: FilesArg | None = None,
    dumps: Callable[[Any], bytes] | None = None,
) -> tuple[bytes, str | None]:
    """Return ``(body, content_type)`` for a request.

    ``files`` (with optional ``data`` fields) → ``multipart/form-data``; ``data`` alone → an urlencoded form;
    ``payload`` bytes/str → sent as they are, anything else → JSON (with ``dumps``). ``content_type`` defaults to
    ``application/json``, as upstream Panther's test client did; ``None`` is returned only for an empty body
    without an explicit type.
    """
    if payload is not None and (data is not None or files is not None):
        raise TypeError("Pass either `payload=` or `data=`/`files=`, not both.")
    if files is not None:
        if content_type is not None and not content_type.lower().startswith("multipart/form-data"):
            raise TypeError(f"`files=` are sent as multipart/form-data, not {content_type!r}.")
        body, boundary = encode_multipart(data, files)
        return body, f"multipart/form-data; boundary={boundary}"
    if data is not None:
        form = urlencode([(key, _text(value)) for key, value in _pairs(data)]).encode("ascii")
        return form, content_type or "application/x-www-form-urlencoded"
    if payload is None:
        return b"", content_type
    if isinstance(payload, bytes):
        return payload, content_type or JSON
    if isinstance(payload, str):
        return payload.encode("utf-8"), content_type or JSON
    if dumps is None:
        from panther.encoders import default_dumps

        dumps = default_dumps
    return dumps(payload), content_type or JSON


def encode_multipart(data: FormArg | None, files: FilesArg) -> tuple[bytes, str]:
    """Encode form fields and files as ``multipart/form-data``; returns ``(body, boundary)``.

    A file is ``content``, ``(file_name, content)`` or ``(file_name, content, content_type)``, where content is
    bytes, str or a binary file object; the name defaults to the file object's name or the field name, the type to
    a guess from the name (``application/octet-stream`` when unknown).
    """
    parts: list[tuple[str, str | None, str | None, bytes]] = []  # (field, file name, content type, content)
    for name, value in _pairs(data or {}):
        content = value if isinstance(value, bytes) else _text(value).encode("utf-8")
        parts.append((name, None, None, content))
    for name, spec in _pairs(files, repeat=(list,)):  # a tuple is one file: (name, content[, type])
        parts.append(_file_part(name, spec))

    boundary = uuid.uuid4().hex
    while any(boundary.encode() in part[3] for part in parts):  # astronomically unlikely, but then the body breaks
        boundary = uuid.uuid4().hex
    chunks: list[bytes] = []
    for name, file_name, content_type, content in parts:
        disposition = f'form-data; name="{_quote(name)}"'
        if file_name is not None:
            disposition += f'; filename="{_quote(file_name)}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        chunks += [head.encode("utf-8"), b"\r\n", content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), boundary


def _file_part(field: str, spec: FileSpec) -> tuple[str, str | None, str | None, bytes]:
    file_name: str | None
    content_type: str | None = None
    if isinstance(spec, tuple):
        file_name, content = spec[0], spec[1]
        if len(spec) == 3:
            content_type = spec[2]
    else:
        content = spec
        file_name = getattr(content, "name", None)
        file_name = os.path.basename(file_name) if isinstance(file_name, str) else field
    if file_name is None:
        file_name = field
    if isinstance(content, str):
        raw = content.encode("utf-8")
    elif isinstance(content, bytes):
        raw = content
    else:
        raw = content.read()
    if content_type is None:
        content_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    return field, file_name, content_type, raw


def _quote(value: str) -> str:
    # What browsers do (WHATWG): percent-encode the characters that would end the quoted string or the header.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
