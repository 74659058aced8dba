"""Tests for the form body parsers: streamed multipart (any chunking), urlencoded forms and Content-Type parsing."""

import os
import random
from collections.abc import AsyncIterator, Iterable

import pytest

from panther.datastructures import MultiDict
from panther.exceptions import (
    BadRequestAPIError,
    ClientDisconnected,
    RequestEntityTooLargeAPIError,
    UnsupportedMediaTypeAPIError,
)
from panther.file_handler import File
from panther.multipart import parse_content_type, parse_multipart, parse_urlencoded

BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def part(headers: Iterable[str], content: bytes) -> bytes:
    return "".join(f"{header}\r\n" for header in headers).encode() + b"\r\n" + content


def body(*parts: bytes, boundary: str = BOUNDARY, closing: bool = True) -> bytes:
    delimiter = f"--{boundary}".encode()
    data = b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in parts)
    return data + delimiter + b"--\r\n" if closing else data


def field(name: str, value: bytes) -> bytes:
    return part([f'Content-Disposition: form-data; name="{name}"'], value)


def file_part(name: str, filename: str, content: bytes, content_type: str | None = "text/plain") -> bytes:
    headers = [f'Content-Disposition: form-data; name="{name}"; filename="{filename}"']
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}")
    return part(headers, content)


async def stream(data: bytes, sizes: Iterable[int] | None = None) -> AsyncIterator[bytes]:
    """Yield ``data`` in chunks of the given sizes (the rest in one last chunk), like an ASGI body stream."""
    position = 0
    for size in sizes or ():
        yield data[position : position + size]
        position += size
    if position < len(data):
        yield data[position:]


def snapshot(form: MultiDict) -> list[tuple]:
    """A comparable view of a parsed form: files by name, content type and content."""
    return [
        (key, (value.file_name, value.content_type, value.file) if isinstance(value, File) else value)
        for key, value in form.multi_items()
    ]


@pytest.fixture
def created_files(monkeypatch) -> list[File]:
    """Record every File the parser creates, to check none is left open on errors."""
    created: list[File] = []

    class TrackedFile(File):
        @classmethod
        def create_empty(cls, *args, **kwargs):
            file = super().create_empty(*args, **kwargs)
            created.append(file)
            return file

    monkeypatch.setattr("panther.multipart.File", TrackedFile)
    return created


SAMPLE = body(
    field("title", b"Holiday"),
    file_part("photo", "beach.png", b"\x89PNG\r\n\x1a\n\x00binary\r\n--not-a-boundary\r\n", "image/png"),
    field("tag", b"sea"),
    field("tag", b"sun"),
    field("note", b"line 1\r\nline 2\r\n"),
    field("empty", b""),
)
SAMPLE_EXPECTED = [
    ("title", "Holiday"),
    ("photo", ("beach.png", "image/png", b"\x89PNG\r\n\x1a\n\x00binary\r\n--not-a-boundary\r\n")),
    ("tag", "sea"),
    ("tag", "sun"),
    ("note", "line 1\r\nline 2\r\n"),
    ("empty", ""),
]


class TestParseMultipart:
    @pytest.mark.asyncio
    async def test_fields_and_files(self):
        form = await parse_multipart(stream(SAMPLE), CONTENT_TYPE)
        assert isinstance(form, MultiDict)
        assert snapshot(form) == SAMPLE_EXPECTED
        assert form["tag"] == "sun"
        assert form.getlist("tag") == ["sea", "sun"]
        photo = form["photo"]
        assert isinstance(photo, File)
        assert photo.tell() == 0
        assert photo.size == len(SAMPLE_EXPECTED[1][1][2])

    @pytest.mark.asyncio
    async def test_one_byte_chunks(self):
        form = await parse_multipart(stream(SAMPLE, [1] * len(SAMPLE)), CONTENT_TYPE)
        assert snapshot(form) == SAMPLE_EXPECTED

    @pytest.mark.asyncio
    async def test_every_split_position(self):
        for split in range(1, len(SAMPLE)):
            form = await parse_multipart(stream(SAMPLE, [split]), CONTENT_TYPE)
            assert snapshot(form) == SAMPLE_EXPECTED, f"split at {split}"

    @pytest.mark.asyncio
    async def test_random_chunkings(self):
        generator = random.Random(1234)
        for _ in range(200):
            sizes = [generator.randint(0, 40) for _ in range(len(SAMPLE))]  # empty chunks included
            form = await parse_multipart(stream(SAMPLE, sizes), CONTENT_TYPE)
            assert snapshot(form) == SAMPLE_EXPECTED, f"chunk sizes {sizes}"

    @pytest.mark.asyncio
    async def test_lowercase_and_uppercase_header_names(self):
        data = body(
            part(['content-disposition: form-data; name="a"'], b"1"),
            part(['CONTENT-DISPOSITION: form-data; name="b"; filename="b.txt"', "CONTENT-TYPE: text/csv"], b"2"),
        )
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert snapshot(form) == [("a", "1"), ("b", ("b.txt", "text/csv", b"2"))]

    @pytest.mark.asyncio
    async def test_extra_part_headers_are_accepted(self):
        data = body(
            part(
                [
                    'Content-Disposition: form-data; name="text"',
                    "Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: 8bit",
                    "X-Custom: anything",
                ],
                "caf\u00e9".encode(),
            ),
            part(
                [
                    "Content-Type: application/pdf",
                    'Content-Disposition: form-data; name="doc"; filename="a.pdf"',
                    "Content-Transfer-Encoding: binary",
                ],
                b"%PDF",
            ),
        )
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert snapshot(form) == [("text", "caf\u00e9"), ("doc", ("a.pdf", "application/pdf", b"%PDF"))]

    @pytest.mark.asyncio
    async def test_file_without_content_type_is_octet_stream(self):
        data = body(file_part("upload", "data.bin", b"\x00\x01", content_type=None))
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert form["upload"].content_type == "application/octet-stream"

    @pytest.mark.asyncio
    async def test_empty_filename_is_still_a_file(self):
        data = body(file_part("upload", "", b"", content_type="application/octet-stream"))
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert isinstance(form["upload"], File)
        assert form["upload"].file_name == ""
        assert form["upload"].size == 0

    @pytest.mark.asyncio
    async def test_utf8_and_rfc8187_filenames(self):
        data = body(
            file_part("a", "r\u00e9sum\u00e9.pdf", b"1"),
            part(["Content-Disposition: form-data; name=\"b\"; filename*=UTF-8''%E2%82%AC%20rates.txt"], b"2"),
            part(
                ['Content-Disposition: form-data; name="c"; filename="plain.txt"; filename*=utf-8\'\'fancy.txt'], b"3"
            ),
        )
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert [form[name].file_name for name in "abc"] == ["r\u00e9sum\u00e9.pdf", "\u20ac rates.txt", "fancy.txt"]

    @pytest.mark.asyncio
    async def test_quoted_filename_with_semicolon_and_escaped_quote(self):
        data = body(part(['Content-Disposition: form-data; name="f"; filename="a; \\"b\\".txt"'], b"x"))
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert form["f"].file_name == 'a; "b".txt'

    @pytest.mark.asyncio
    async def test_windows_path_filename_keeps_its_backslashes(self):
        data = body(file_part("f", "C:\\Users\\me\\a.txt", b"x"))
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert form["f"].file_name == "C:\\Users\\me\\a.txt"

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "content_type",
        [
            f"multipart/form-data; charset=utf-8; boundary={BOUNDARY}",
            f'multipart/form-data; boundary="{BOUNDARY}"',
            f'multipart/form-data;boundary="{BOUNDARY}";charset=utf-8',
            f"Multipart/Form-Data; BOUNDARY={BOUNDARY}",
            f"multipart/form-data ;  boundary = {BOUNDARY} ",
        ],
    )
    async def test_content_type_variants(self, content_type):
        form = await parse_multipart(stream(SAMPLE), content_type)
        assert snapshot(form) == SAMPLE_EXPECTED

    @pytest.mark.asyncio
    async def test_boundary_with_special_characters(self):
        boundary = "a'()+_,-./:=? b"
        data = body(field("x", b"1"), boundary=boundary)
        form = await parse_multipart(stream(data), f'multipart/form-data; boundary="{boundary}"')
        assert form == {"x": "1"}

    @pytest.mark.asyncio
    async def test_text_field_in_its_declared_charset(self):
        data = body(
            part(
                ['Content-Disposition: form-data; name="a"', "Content-Type: text/plain; charset=iso-8859-1"], b"caf\xe9"
            )
        )
        form = await parse_multipart(stream(data), CONTENT_TYPE)
        assert form["a"] == "caf\u00e9"

    @pytest.mark.asyncio
    async def test_no_parts(self):
        form = await parse_multipart(stream(f"--{BOUNDARY}--\r\n".encode()), CONTENT_TYPE)
        assert form == {}

    @pytest.mark.asyncio
    async def test_epilogue_is_ignored(self):
        form = await parse_multipart(stream(SAMPLE + b"\r\nthis is the epilogue"), CONTENT_TYPE)
        assert snapshot(form) == SAMPLE_EXPECTED

    @pytest.mark.asyncio
    async def test_big_file_goes_to_disk_and_round_trips(self):
        content = os.urandom(3 * 1024 * 1024) + b"\r\n--" + BOUNDARY[:-1].encode() + os.urandom(1000)
        data = body(field("name", b"big"), file_part("blob", "blob.bin", content, "application/octet-stream"))
        sizes = [65536] * (len(data) // 65536)
        form = await parse_multipart(stream(data, sizes), CONTENT_TYPE, spool_max_size=256 * 1024)
        blob = form["blob"]
        assert blob._spool._rolled is True
        assert blob._spool.fileno() >= 0
        assert blob.size == len(content)
        assert blob.read() == content
        assert form["name"] == "big"

    @pytest.mark.asyncio
    async def test_small_file_stays_in_memory(self):
        form = await parse_multipart(stream(SAMPLE), CONTENT_TYPE)
        assert form["photo"]._spool._rolled is False


MALFORMED = {
    "truncated in a file": (
        body(field("a", b"1"), file_part("f", "f.txt", b"partial"), closing=False)[:-2],
        "ends before the closing boundary",
    ),
    "no closing boundary": (body(field("a", b"1"), closing=False), "ends before the closing boundary"),
    "truncated in the headers": (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"'.encode(),
        "ends before the closing boundary",
    ),
    "empty body": (b"", "ends before the closing boundary"),
    "not multipart at all": (b'{"json": true}', "does not start with the boundary"),
    "wrong boundary": (body(field("a", b"1"), boundary="other"), "does not start with the boundary"),
    "missing Content-Disposition": (
        body(file_part("f", "f.txt", b"data"), part(["Content-Type: text/plain"], b"x")),
        "no Content-Disposition",
    ),
    "missing name": (
        body(file_part("f", "f.txt", b"data"), part(['Content-Disposition: form-data; filename="a.txt"'], b"x")),
        "has no name",
    ),
    "not form-data": (
        body(file_part("f", "f.txt", b"data"), part(['Content-Disposition: attachment; name="a"'], b"x")),
        "expected 'form-data'",
    ),
    "invalid utf-8 in a field": (
        body(file_part("f", "f.txt", b"data"), field("a", b"\xff\xfe")),
        "field 'a' is not valid utf-8",
    ),
    "unknown charset": (
        body(part(['Content-Disposition: form-data; name="a"', "Content-Type: text/plain; charset=nope"], b"x")),
        "unknown charset 'nope'",
    ),
    "header line without a colon": (
        body(file_part("f", "f.txt", b"data"), part(["Content-Disposition form-data"], b"x")),
        "invalid character",
    ),
}


class TestMalformedMultipart:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("case", list(MALFORMED))
    async def test_is_a_400_and_closes_every_file(self, case, created_files):
        data, reason = MALFORMED[case]
        for sizes in (None, [1] * len(data)):
            with pytest.raises(BadRequestAPIError) as caught:
                await parse_multipart(stream(data, sizes), CONTENT_TYPE)
            assert caught.value.status_code == 400
            assert caught.value.detail.startswith("Malformed multipart body: ")
            assert reason in caught.value.detail
        assert all(file.closed for file in created_files)

    @pytest.mark.asyncio
    async def test_a_file_on_disk_is_closed_too(self, created_files):
        data = body(file_part("f", "f.bin", os.urandom(200_000)), closing=False)
        with pytest.raises(BadRequestAPIError):
            await parse_multipart(stream(data), CONTENT_TYPE, spool_max_size=1024)
        assert len(created_files) == 1
        assert created_files[0]._spool._rolled is True
        assert created_files[0].closed

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("content_type", "reason"),
        [
            ("multipart/form-data", "no boundary"),
            ("multipart/form-data; boundary=", "no boundary"),
            ('multipart/form-data; boundary=""', "no boundary"),
            ("multipart/form-data; charset=utf-8", "no boundary"),
            ("multipart/form-data; boundary=caf\u00e9", "not ASCII"),
            (f"multipart/form-data; boundary={'x' * 300}", "invalid boundary (Boundary length 300"),
        ],
    )
    async def test_bad_boundary_parameter(self, content_type, reason):
        with pytest.raises(BadRequestAPIError) as caught:
            await parse_multipart(stream(SAMPLE), content_type)
        assert caught.value.detail.startswith("Malformed multipart body: ")
        assert reason in caught.value.detail

    @pytest.mark.asyncio
    async def test_not_form_data_is_a_415(self):
        with pytest.raises(UnsupportedMediaTypeAPIError):
            await parse_multipart(stream(SAMPLE), f"multipart/mixed; boundary={BOUNDARY}")

    @pytest.mark.asyncio
    async def test_too_many_fields(self, created_files):
        data = body(file_part("f", "f.txt", b"data"), field("a", b"1"), field("b", b"2"))
        with pytest.raises(BadRequestAPIError) as caught:
            await parse_multipart(stream(data), CONTENT_TYPE, max_fields=2)
        assert caught.value.detail == "Too many fields in the multipart body (at most 2)"
        assert all(file.closed for file in created_files)
        form = await parse_multipart(stream(data), CONTENT_TYPE, max_fields=3)
        assert len(form.multi_items()) == 3

    @pytest.mark.asyncio
    async def test_too_many_part_headers(self):
        headers = ['Content-Disposition: form-data; name="a"'] + [f"X-{n}: {n}" for n in range(5)]
        data = body(part(headers, b"1"))
        with pytest.raises(BadRequestAPIError) as caught:
            await parse_multipart(stream(data), CONTENT_TYPE, max_part_headers=4)
        assert "more than 4 headers" in caught.value.detail
        assert await parse_multipart(stream(data), CONTENT_TYPE, max_part_headers=6) == {"a": "1"}

    @pytest.mark.asyncio
    @pytest.mark.parametrize("header_length", [300, 5000])
    async def test_part_headers_too_large(self, header_length):
        data = body(part(['Content-Disposition: form-data; name="a"', "X-Big: " + "x" * header_length], b"1"))
        with pytest.raises(BadRequestAPIError) as caught:
            await parse_multipart(stream(data), CONTENT_TYPE, max_part_header_size=200)
        assert caught.value.detail.startswith("Malformed multipart body: ")

    @pytest.mark.asyncio
    async def test_text_field_too_large_is_a_413(self, created_files):
        data = body(file_part("f", "f.txt", b"data"), field("a", b"x" * 101))
        with pytest.raises(RequestEntityTooLargeAPIError) as caught:
            await parse_multipart(stream(data), CONTENT_TYPE, max_field_size=100)
        assert caught.value.status_code == 413
        assert "'a'" in caught.value.detail
        assert all(file.closed for file in created_files)

    @pytest.mark.asyncio
    async def test_client_disconnect_closes_files_and_propagates(self, created_files):
        data = body(file_part("f", "f.bin", b"x" * 1000), closing=False)

        async def disconnecting() -> AsyncIterator[bytes]:
            yield data
            raise ClientDisconnected

        with pytest.raises(ClientDisconnected):
            await parse_multipart(disconnecting(), CONTENT_TYPE)
        assert len(created_files) == 1
        assert created_files[0].closed


class TestParseUrlencoded:
    def test_repeated_keys_and_blank_values(self):
        form = parse_urlencoded(b"a=1&b=&a=2&c")
        assert form == {"a": "2", "b": "", "c": ""}
        assert form.getlist("a") == ["1", "2"]

    def test_escapes(self):
        assert parse_urlencoded(b"name=J%C3%BCrgen+M&x=%zz&y=%") == {"name": "J\u00fcrgen M", "x": "%zz", "y": "%"}

    def test_empty(self):
        assert parse_urlencoded(b"") == {}


class TestParseContentType:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("application/json", ("application/json", {})),
            ("  Application/JSON  ", ("application/json", {})),
            (
                'multipart/form-data; charset=utf-8; boundary="x y"',
                ("multipart/form-data", {"charset": "utf-8", "boundary": "x y"}),
            ),
            ("text/plain;CHARSET=UTF-8", ("text/plain", {"charset": "UTF-8"})),
            ('form-data; name="a;b"; filename="c\\"d"', ("form-data", {"name": "a;b", "filename": 'c"d'})),
            ('form-data; filename="C:\\dir\\x.txt"', ("form-data", {"filename": "C:\\dir\\x.txt"})),
            ("text/plain; junk; charset=utf-8", ("text/plain", {"charset": "utf-8"})),
            ("text/plain; a=1; a=2", ("text/plain", {"a": "1"})),
            ("text/plain; a=", ("text/plain", {"a": ""})),
            ('text/plain; a="unterminated', ("text/plain", {"a": '"unterminated'})),
            ("", ("", {})),
        ],
    )
    def test_parsed(self, value, expected):
        assert parse_content_type(value) == expected
