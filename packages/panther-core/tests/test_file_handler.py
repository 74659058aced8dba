"""Tests for File and Image: spooled content, the upstream ``.file`` bytes, serialisation and safe saving."""

import copy
import os
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from pydantic import BaseModel

from panther.exceptions import UnsupportedMediaTypeAPIError
from panther.file_handler import File, Image, safe_file_name


def _big_content(size: int) -> bytes:
    return os.urandom(size)


class TestContent:
    def test_upstream_constructor_and_file_bytes(self):
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        assert file.file == b"hello"
        assert file.read() == b"hello"
        assert file.size == 5

    def test_content_is_only_kept_in_the_spool(self):
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        assert "file" not in file.__dict__
        assert b"hello" not in repr(file).encode()

    def test_file_attribute_keeps_the_position(self):
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello world")
        assert file.read(5) == b"hello"
        assert file.file == b"hello world"
        assert file.tell() == 5
        assert file.read() == b" world"

    def test_no_content(self):
        file = File(file_name="a.txt", content_type="text/plain")
        assert file.file == b""
        assert file.size == 0

    def test_assigning_file_replaces_the_content(self):
        file = File(file_name="a.txt", content_type="text/plain", file=b"old content")
        file.file = b"new"
        assert file.file == b"new"
        assert file.size == 3
        with pytest.raises(TypeError):
            file.file = "not bytes"

    def test_file_like_api(self):
        file = File.create_empty("a.bin", "application/octet-stream")
        assert file.write(b"abc") == 3
        file.write(b"def")
        assert file.tell() == 6
        assert file.seek(1) == 1
        assert file.read(2) == b"bc"
        assert file.seek(-1, os.SEEK_END) == 5
        assert file.read() == b"f"
        assert file.size == 6

    def test_small_content_stays_in_memory(self):
        file = File.create_empty("a.bin", "application/octet-stream", spool_max_size=100)
        file.write(b"x" * 100)
        assert file._spool._rolled is False

    def test_big_content_goes_to_disk_and_round_trips(self):
        content = _big_content(300_000)
        file = File.create_empty("big.bin", "application/octet-stream", spool_max_size=64 * 1024)
        for start in range(0, len(content), 10_000):
            file.write(content[start : start + 10_000])
        assert file._spool._rolled is True
        assert file._spool.fileno() >= 0
        assert file.size == len(content)
        assert file.file == content
        file.seek(0)
        assert file.read() == content

    def test_upstream_constructor_with_big_content_spools_to_disk(self):
        content = _big_content(2 * 1024 * 1024)
        file = File(file_name="big.bin", content_type="application/octet-stream", file=content)
        assert file._spool._rolled is True
        assert file.file == content

    def test_close_and_context_manager(self):
        with File(file_name="a.txt", content_type="text/plain", file=b"hello") as file:
            assert file.read() == b"hello"
        assert file.closed
        assert file.size == 5  # still known for logging / serialisation
        with pytest.raises(ValueError):
            file.read()

    def test_deepcopy_copies_the_content(self):
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        file.seek(2)
        duplicate = copy.deepcopy(file)
        assert duplicate.file == b"hello"
        assert duplicate.tell() == 2
        duplicate.file = b"changed"
        assert file.file == b"hello"


class TestSerialisation:
    def test_model_dump_gives_metadata_only(self):
        file = File(file_name="a.txt", content_type="text/plain", file=b"x" * 10_000)
        assert file.model_dump() == {"file_name": "a.txt", "content_type": "text/plain", "size": 10_000}
        assert orjson.loads(file.model_dump_json()) == file.model_dump()

    def test_nested_in_a_model(self):
        class Upload(BaseModel):
            title: str
            document: File

        upload = Upload(title="t", document=File(file_name="a.txt", content_type="text/plain", file=b"abc"))
        assert upload.model_dump() == {
            "title": "t",
            "document": {"file_name": "a.txt", "content_type": "text/plain", "size": 3},
        }

    def test_repr(self):
        file = File(file_name="a.txt", content_type="text/plain", file=b"abc")
        assert repr(file) == "File(file_name='a.txt', content_type='text/plain', size=3)"

    def test_model_validate_from_a_dict(self):
        file = File.model_validate({"file_name": "a.txt", "content_type": "text/plain", "file": b"abc"})
        assert file.file == b"abc"


class TestImage:
    def test_an_image(self):
        image = Image(file_name="a.png", content_type="image/png", file=b"\x89PNG")
        assert image.file == b"\x89PNG"

    def test_content_type_is_case_insensitive(self):
        assert Image(file_name="a.png", content_type="IMAGE/PNG").content_type == "IMAGE/PNG"

    @pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "image/", "image", "", "x"])
    def test_not_an_image_is_a_415(self, content_type):
        with pytest.raises(UnsupportedMediaTypeAPIError) as caught:
            Image(file_name="a.txt", content_type=content_type, file=b"x")
        assert caught.value.status_code == 415
        assert "'a.txt' is not an image" in caught.value.detail
        assert "image/*" in caught.value.detail

    def test_a_parsed_file_is_accepted_by_an_image_field(self):
        class Avatar(BaseModel):
            picture: Image

        parsed = File.create_empty("me.png", "image/png")
        parsed.write(b"\x89PNG...")
        parsed.seek(0)
        avatar = Avatar(picture=parsed)
        assert type(avatar.picture) is Image
        assert avatar.picture.file == b"\x89PNG..."
        assert avatar.picture.size == 7

    def test_a_parsed_non_image_in_an_image_field_is_a_415(self):
        class Avatar(BaseModel):
            picture: Image

        parsed = File(file_name="notes.txt", content_type="text/plain", file=b"hello")
        # Not wrapped in a ValidationError: the 415 reaches the client as it is.
        with pytest.raises(UnsupportedMediaTypeAPIError):
            Avatar(picture=parsed)

    def test_an_image_is_accepted_by_a_file_field(self):
        class Upload(BaseModel):
            document: File

        image = Image(file_name="a.png", content_type="image/png", file=b"png")
        assert Upload(document=image).document is image


class TestSafeFileName:
    @pytest.mark.parametrize(
        ("client_name", "expected"),
        [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("..\\..\\x", "x"),
            ("/etc/passwd", "passwd"),
            ("C:\\Users\\me\\doc.txt", "doc.txt"),
            ("a\x00b.txt", "ab.txt"),
            ("evil\r\nname.txt", "evilname.txt"),
            (".bashrc", "bashrc"),
            ("...hidden", "hidden"),
            ("..", "upload"),
            (".", "upload"),
            ("", "upload"),
            ("dir/", "upload"),
            ("\x00", "upload"),
            ("  spaced .txt  ", "spaced .txt"),
            ("caf\u00e9.png", "caf\u00e9.png"),
        ],
    )
    def test_sanitised(self, client_name, expected):
        assert safe_file_name(client_name) == expected

    def test_long_names_are_shortened_keeping_the_extension(self):
        name = safe_file_name("\u00e9" * 300 + ".tar")
        assert name.endswith(".tar")
        assert len(name.encode()) <= 200


class TestSave:
    def test_into_the_current_directory(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        path = file.save()
        assert path == "a.txt"
        assert (tmp_path / "a.txt").read_bytes() == b"hello"

    def test_into_a_new_directory_with_a_trailing_slash(self, tmp_path):
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        path = file.save(f"{tmp_path}/uploads/2024/")
        assert path == str(tmp_path / "uploads" / "2024" / "a.txt")
        assert Path(path).read_bytes() == b"hello"

    def test_into_an_existing_directory(self, tmp_path):
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        path = file.save(tmp_path)
        assert path == str(tmp_path / "a.txt")

    def test_to_a_file_path_chosen_by_the_server(self, tmp_path):
        file = File(file_name="../../a.txt", content_type="text/plain", file=b"hello")
        path = file.save(tmp_path / "sub" / "stored.bin")
        assert path == str(tmp_path / "sub" / "stored.bin")
        assert Path(path).read_bytes() == b"hello"

    @pytest.mark.parametrize(
        "client_name",
        ["../../etc/passwd", "..\\..\\x", "/etc/passwd", "\x00", "a/../../b\x00.txt", "..", "../", "~/.ssh/id_rsa"],
    )
    def test_client_names_never_escape_the_directory(self, tmp_path, client_name):
        target = tmp_path / "uploads"
        file = File(file_name=client_name, content_type="text/plain", file=b"data")
        path = Path(file.save(f"{target}/"))
        assert path.parent == target
        assert path.resolve().parent == target.resolve()
        assert path.read_bytes() == b"data"
        assert "\x00" not in path.name
        assert not path.name.startswith(".")

    def test_name_clash_adds_a_timestamp_then_a_counter(self, tmp_path, monkeypatch):
        class FixedDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return cls(2024, 5, 6, 7, 8, 9)

        monkeypatch.setattr("panther.file_handler.datetime", FixedDatetime)
        (tmp_path / "a.txt").write_bytes(b"existing")
        paths = [File(file_name="a.txt", content_type="text/plain", file=b"%d" % n).save(tmp_path) for n in range(3)]
        assert [Path(p).name for p in paths] == [
            "a_20240506_070809.txt",
            "a_20240506_070809_1.txt",
            "a_20240506_070809_2.txt",
        ]
        assert (tmp_path / "a.txt").read_bytes() == b"existing"
        assert [Path(p).read_bytes() for p in paths] == [b"0", b"1", b"2"]

    def test_name_clash_on_a_server_chosen_path(self, tmp_path):
        (tmp_path / "stored.bin").write_bytes(b"existing")
        path = File(file_name="x", content_type="text/plain", file=b"new").save(tmp_path / "stored.bin")
        assert path != str(tmp_path / "stored.bin")
        assert Path(path).name.startswith("stored_") and path.endswith(".bin")
        assert (tmp_path / "stored.bin").read_bytes() == b"existing"

    def test_overwrite(self, tmp_path):
        (tmp_path / "a.txt").write_bytes(b"existing content")
        path = File(file_name="a.txt", content_type="text/plain", file=b"new").save(tmp_path, overwrite=True)
        assert path == str(tmp_path / "a.txt")
        assert (tmp_path / "a.txt").read_bytes() == b"new"

    def test_idempotent(self, tmp_path):
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        first = file.save(tmp_path)
        assert file.save(tmp_path) == first
        assert file.save() == first
        assert os.listdir(tmp_path) == ["a.txt"]

    def test_big_file_is_copied_exactly_and_the_position_kept(self, tmp_path):
        content = _big_content(3 * 1024 * 1024 + 7)
        file = File.create_empty("big.bin", "application/octet-stream", spool_max_size=1024)
        file.write(content)
        file.seek(10)
        path = file.save(tmp_path)
        assert Path(path).read_bytes() == content
        assert file.tell() == 10

    def test_copies_in_chunks(self, tmp_path, monkeypatch):
        file = File(file_name="a.bin", content_type="application/octet-stream", file=b"x" * 5000)
        monkeypatch.setattr("panther.file_handler._COPY_CHUNK_SIZE", 1000)
        reads = []
        spool = file._spool
        original_read = spool.read

        def recording_read(size=-1):
            reads.append(size)
            return original_read(size)

        monkeypatch.setattr(spool, "read", recording_read)
        file.save(tmp_path)
        assert reads and all(0 < size <= 1000 for size in reads)

    def test_a_failed_save_leaves_no_file(self, tmp_path, monkeypatch):
        def failing_copy(source, destination, length=0):
            destination.write(b"partial")
            raise OSError("disk full")

        monkeypatch.setattr("panther.file_handler.shutil.copyfileobj", failing_copy)
        file = File(file_name="a.txt", content_type="text/plain", file=b"hello")
        with pytest.raises(OSError, match="disk full"):
            file.save(tmp_path)
        assert os.listdir(tmp_path) == []
