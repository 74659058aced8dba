"""FileResponse through a real app: streaming, content types, validators, ranges, HEAD and path containment."""

from __future__ import annotations

import asyncio
import os
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from panther import Panther
from panther.app import API
from panther.file_response import FileResponse, parse_range
from panther.request import Request

CONTENT = b"0123456789abcdefghij"  # 20 bytes


@API()
async def serve(request: Request) -> FileResponse:
    query = request.query_params
    return FileResponse(
        query["path"],
        root=query.get("root"),
        filename=query.get("filename"),
        content_disposition=query.get("disposition"),  # type: ignore[arg-type]
        chunk_size=int(query.get("chunk", 64 * 1024)),
    )


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    base = tmp_path / "site"
    (base / "files").mkdir(parents=True)
    (base / "files" / "data.txt").write_bytes(CONTENT)
    (tmp_path / "secret.txt").write_bytes(b"top secret")
    monkeypatch.chdir(base)  # FileResponse's relative paths start at the working directory, as upstream's
    return base


@pytest.fixture
def client(base: Path, caller: Any) -> Any:
    app = Panther(__name__, configs={"BASE_DIR": base}, urls={"file": serve})

    class Client:
        async def get(self, path: str, method: str = "GET", headers: dict[str, str] | None = None, **query: Any):
            query_string = "&".join(f"{key}={value}" for key, value in {"path": path, **query}.items())
            return await caller(app).request(method, "/file", headers=headers or {}, query_string=query_string.encode())

    return Client()


class TestFullFile:
    async def test_sends_the_file_with_its_headers(self, client: Any, base: Path) -> None:
        result = await client.get("files/data.txt")
        assert result.status == 200
        assert result.body == CONTENT
        assert result.header("content-type") == "text/plain"
        assert result.header("content-length") == "20"
        assert result.header("accept-ranges") == "bytes"
        mtime = os.stat(base / "files" / "data.txt").st_mtime
        assert result.header("last-modified") == formatdate(mtime, usegmt=True)
        assert result.header("etag").startswith('"14-')
        assert result.header("content-disposition") is None

    async def test_content_type_from_extension_then_magic_bytes(self, client: Any, base: Path) -> None:
        (base / "page.html").write_text("<p>hi</p>")
        (base / "picture").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
        (base / "README").write_bytes(b"no extension, no signature")
        (base / "backup.tar.gz").write_bytes(b"\x1f\x8b rest")
        assert (await client.get("page.html")).header("content-type") == "text/html"
        assert (await client.get("picture")).header("content-type") == "image/png"
        readme = await client.get("README")  # upstream crashed on a name without an extension
        assert readme.status == 200
        assert readme.header("content-type") == "application/octet-stream"
        assert readme.body == b"no extension, no signature"
        assert (await client.get("backup.tar.gz")).header("content-type") == "application/gzip"

    async def test_empty_file(self, client: Any, base: Path) -> None:
        (base / "empty.txt").write_bytes(b"")
        result = await client.get("empty.txt")
        assert (result.status, result.body, result.header("content-length")) == (200, b"", "0")
        assert result.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}

    async def test_large_file_streams_in_chunks(self, client: Any, base: Path) -> None:
        data = os.urandom(5 * 1024 * 1024)
        (base / "large.bin").write_bytes(data)
        result = await client.get("large.bin")
        assert result.status == 200
        assert result.header("content-length") == str(len(data))
        bodies = [m for m in result.messages if m["type"] == "http.response.body"]
        assert len(bodies) == 80  # 5 MiB / 64 KiB
        assert all(len(m["body"]) == 64 * 1024 for m in bodies)
        assert [m["more_body"] for m in bodies] == [True] * 79 + [False]
        assert result.body == data

    async def test_stops_reading_when_the_client_disconnects(self, base: Path, caller: Any) -> None:
        (base / "large.bin").write_bytes(b"x" * 100_000)
        app = Panther(__name__, configs={"BASE_DIR": base}, urls={"file": serve})
        result = await caller(app).get("/file", query_string=b"path=large.bin&chunk=1000", disconnect_after=2)
        bodies = [m for m in result.messages if m["type"] == "http.response.body"]
        assert 2 <= len(bodies) < 10
        assert bodies[-1]["more_body"] is True

    async def test_content_disposition(self, client: Any) -> None:
        result = await client.get("files/data.txt", filename="report.txt")
        assert result.header("content-disposition") == 'attachment; filename="report.txt"'
        inline = await client.get("files/data.txt", filename="report.txt", disposition="inline")
        assert inline.header("content-disposition") == 'inline; filename="report.txt"'
        only_type = await client.get("files/data.txt", disposition="attachment")
        assert only_type.header("content-disposition") == "attachment"

    async def test_non_ascii_filename_is_rfc_5987_encoded(self, client: Any) -> None:
        result = await client.get("files/data.txt", filename="r%C3%A9sum%C3%A9%20%E2%82%AC.txt")  # "résumé €.txt"
        assert result.header("content-disposition") == (
            "attachment; filename=\"resume .txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.txt"
        )

    async def test_filename_cannot_inject_headers(self, client: Any) -> None:
        result = await client.get("files/data.txt", filename="a%22b%0D%0AX-Evil:%201.txt")
        assert (
            result.header("content-disposition")
            == "attachment; filename=\"a_bX-Evil: 1.txt\"; filename*=UTF-8''a%22bX-Evil%3A%201.txt"
        )
        assert result.header("x-evil") is None

    async def test_user_headers_win_over_computed_ones(self, base: Path, caller: Any) -> None:
        @API()
        async def custom() -> FileResponse:
            return FileResponse("files/data.txt", headers={"Content-Type": "text/csv", "Cache-Control": "max-age=60"})

        app = Panther(__name__, configs={"BASE_DIR": base}, urls={"custom": custom})
        result = await caller(app).get("/custom")
        assert result.header_list("content-type") == ["text/csv"]
        assert result.header("cache-control") == "max-age=60"
        assert result.body == CONTENT


class TestConditionalRequests:
    async def test_matching_etag_gives_304(self, client: Any) -> None:
        etag = (await client.get("files/data.txt")).header("etag")
        result = await client.get("files/data.txt", headers={"If-None-Match": etag})
        assert (result.status, result.body) == (304, b"")
        assert result.header("etag") == etag
        assert result.header("content-length") is None
        listed = await client.get("files/data.txt", headers={"If-None-Match": f'"other", W/{etag}'})
        assert listed.status == 304
        assert (await client.get("files/data.txt", headers={"If-None-Match": "*"})).status == 304

    async def test_other_etag_gives_the_file(self, client: Any) -> None:
        result = await client.get("files/data.txt", headers={"If-None-Match": '"stale"'})
        assert (result.status, result.body) == (200, CONTENT)

    async def test_if_modified_since(self, client: Any, base: Path) -> None:
        mtime = os.stat(base / "files" / "data.txt").st_mtime
        later = await client.get("files/data.txt", headers={"If-Modified-Since": formatdate(mtime + 10, usegmt=True)})
        assert later.status == 304
        earlier = await client.get("files/data.txt", headers={"If-Modified-Since": formatdate(mtime - 10, usegmt=True)})
        assert earlier.status == 200
        garbage = await client.get("files/data.txt", headers={"If-Modified-Since": "yesterday"})
        assert garbage.status == 200

    async def test_if_none_match_takes_precedence_over_if_modified_since(self, client: Any, base: Path) -> None:
        mtime = os.stat(base / "files" / "data.txt").st_mtime
        headers = {"If-None-Match": '"stale"', "If-Modified-Since": formatdate(mtime + 10, usegmt=True)}
        assert (await client.get("files/data.txt", headers=headers)).status == 200


class TestRanges:
    @pytest.mark.parametrize(
        ("header", "content_range", "body"),
        [
            ("bytes=0-4", "bytes 0-4/20", CONTENT[0:5]),
            ("bytes=5-9", "bytes 5-9/20", CONTENT[5:10]),
            ("bytes=15-", "bytes 15-19/20", CONTENT[15:]),
            ("bytes=-3", "bytes 17-19/20", CONTENT[-3:]),
            ("bytes=-50", "bytes 0-19/20", CONTENT),
            ("bytes=10-999", "bytes 10-19/20", CONTENT[10:]),
            ("Bytes = 1-1", "bytes 1-1/20", CONTENT[1:2]),
        ],
    )
    async def test_single_range_gives_206(self, client: Any, header: str, content_range: str, body: bytes) -> None:
        result = await client.get("files/data.txt", headers={"Range": header})
        assert result.status == 206
        assert result.header("content-range") == content_range
        assert result.header("content-length") == str(len(body))
        assert result.body == body

    @pytest.mark.parametrize("header", ["bytes=20-", "bytes=25-30", "bytes=-0"])
    async def test_unsatisfiable_range_gives_416(self, client: Any, header: str) -> None:
        result = await client.get("files/data.txt", headers={"Range": header})
        assert result.status == 416
        assert result.header("content-range") == "bytes */20"
        assert result.json() == {"detail": "Range Not Satisfiable"}

    @pytest.mark.parametrize(
        "header", ["bytes=abc", "bytes=5-2", "items=0-4", "bytes=-", "bytes 0-4", "0-4", "bytes=¹-²", "bytes=0-1,5-6"]
    )
    async def test_malformed_or_multiple_ranges_give_the_whole_file(self, client: Any, header: str) -> None:
        result = await client.get("files/data.txt", headers={"Range": header})
        assert (result.status, result.body) == (200, CONTENT)
        assert result.header("content-range") is None

    async def test_if_range(self, client: Any) -> None:
        etag = (await client.get("files/data.txt")).header("etag")
        fresh = await client.get("files/data.txt", headers={"Range": "bytes=0-1", "If-Range": etag})
        assert (fresh.status, fresh.body) == (206, b"01")
        stale = await client.get("files/data.txt", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
        assert (stale.status, stale.body) == (200, CONTENT)

    def test_parse_range(self) -> None:
        assert parse_range("bytes=0-0", 1) == (0, 0)
        assert parse_range("bytes=0-", 0) == "unsatisfiable"
        assert parse_range("bytes=-1", 0) == "unsatisfiable"
        assert parse_range("bytes= 2-3 ", 10) == (2, 3)


class TestHead:
    async def test_head_sends_headers_only(self, client: Any) -> None:
        result = await client.get("files/data.txt", method="HEAD")
        assert result.status == 200
        assert result.body == b""
        assert result.header("content-length") == "20"
        assert result.header("content-type") == "text/plain"
        assert result.header("etag") is not None

    async def test_head_of_a_range_and_of_a_missing_file(self, client: Any) -> None:
        ranged = await client.get("files/data.txt", method="HEAD", headers={"Range": "bytes=0-4"})
        assert (ranged.status, ranged.body, ranged.header("content-length")) == (206, b"", "5")
        missing = await client.get("nope.txt", method="HEAD")
        assert (missing.status, missing.body) == (404, b"")


class TestContainment:
    @pytest.mark.parametrize(
        "path",
        [
            "../secret.txt",
            "files/../../secret.txt",
            "..%2Fsecret.txt",
            "../../../../../../etc/passwd",
            "/etc/passwd",
            "/etc/hostname",
            "files/%00data.txt",
        ],
    )
    async def test_traversal_gives_404(self, client: Any, path: str) -> None:
        result = await client.get(path)
        assert result.status == 404
        assert result.json() == {"detail": "Not Found"}

    async def test_absolute_path_outside_root_gives_404_inside_is_served(self, client: Any, base: Path) -> None:
        assert (await client.get(str(base.parent / "secret.txt"))).status == 404
        assert (await client.get(str(base / "files" / "data.txt"))).body == CONTENT

    async def test_symlink_out_of_root_gives_404(self, client: Any, base: Path) -> None:
        (base / "escape.txt").symlink_to(base.parent / "secret.txt")
        (base / "escape_dir").symlink_to(base.parent, target_is_directory=True)
        assert (await client.get("escape.txt")).status == 404
        assert (await client.get("escape_dir/secret.txt")).status == 404

    async def test_symlink_inside_root_is_served(self, client: Any, base: Path) -> None:
        (base / "alias.txt").symlink_to(base / "files" / "data.txt")
        assert (await client.get("alias.txt")).body == CONTENT

    async def test_missing_file_and_directory_give_404(self, client: Any) -> None:
        for path in ("missing.txt", "files", "files/", ""):
            result = await client.get(path)
            assert result.status == 404, path
            assert result.json() == {"detail": "Not Found"}

    async def test_404_is_json_even_when_the_user_set_a_content_type(self, base: Path, caller: Any) -> None:
        # Found by the reliability suite: the user's Content-Type (or one a middleware set) was dropped from the
        # 404 together with the JSON one, leaving the detail without a type.
        @API()
        async def pdf() -> FileResponse:
            return FileResponse("missing.pdf", headers={"Content-Type": "application/pdf", "X-Kept": "1"})

        result = await caller(Panther(__name__, configs={"BASE_DIR": base}, urls={"pdf": pdf})).get("/pdf")
        assert result.status == 404
        assert result.header_list("content-type") == ["application/json"]
        assert result.header("x-kept") == "1"
        assert result.json() == {"detail": "Not Found"}

    async def test_root_limits_what_is_served(self, client: Any, base: Path) -> None:
        assert (await client.get("data.txt", root="files")).body == CONTENT
        assert (await client.get("../page.txt", root="files")).status == 404
        (base / "page.txt").write_text("outside files/")
        assert (await client.get("../page.txt", root="files")).status == 404
        assert (await client.get("page.txt")).status == 200

    async def test_fifo_is_not_served(self, client: Any, base: Path) -> None:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        os.mkfifo(base / "pipe")
        result = await asyncio.wait_for(client.get("pipe"), timeout=5)
        assert result.status == 404


async def test_relative_paths_start_at_the_working_directory_as_upstream(
    base: Path, caller: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(base)  # upstream's BASE_DIR was the directory the app started from
    app = Panther(__name__, configs={"BASE_DIR": tmp_path}, urls={"file": serve})
    assert (await caller(app).get("/file", query_string=b"path=files/data.txt")).body == CONTENT
    # Still contained: secret.txt is next to the working directory, not inside it.
    assert (await caller(app).get("/file", query_string=b"path=../secret.txt")).status == 404
    assert (await caller(app).get("/file", query_string=f"path={tmp_path / 'secret.txt'}".encode())).status == 404


async def test_outside_an_app_paths_start_at_the_current_directory(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(base)
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    await FileResponse("files/data.txt").send(send, receive)
    assert messages[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in messages[1:]) == CONTENT


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="content_disposition"):
        FileResponse("x", content_disposition="download")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size"):
        FileResponse("x", chunk_size=0)


def test_is_exported_from_panther_response() -> None:
    from panther import response

    assert response.FileResponse is FileResponse
