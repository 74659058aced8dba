"""Uploaded files: ``File`` (any content) and ``Image`` (``image/*`` only), spooled to disk when they grow big.

The content lives in a ``tempfile.SpooledTemporaryFile``: in memory up to ``spool_max_size`` bytes (1 MiB by
default), then in an anonymous temporary file, so a large upload never has to fit in memory.

Compatibility with earlier Panther versions:

* ``File(file_name=..., content_type=..., file=b"...")`` still works; the given bytes are moved into the spool.
* Reading ``.file`` still gives the whole content as ``bytes``; it is read from the spool on each access (nothing
  is cached, so a big upload is only held in memory while the caller holds that value). Prefer ``read()`` in
  chunks or ``save()`` for big files. Assigning ``.file`` replaces the content.
* Serialising a ``File`` (``model_dump()``, ``model_dump_json()``, a response body) gives its metadata
  ``{"file_name", "content_type", "size"}``, never the content: a response must not carry an upload back by
  accident, and megabytes of bytes are no use in JSON anyway.

When a ``File`` is validated into an ``Image`` field (the body parser only builds ``File``), the ``Image`` shares
the same content: closing one closes the other.
"""

from __future__ import annotations

import copy
import os
import shutil
from datetime import datetime
from itertools import chain
from tempfile import SpooledTemporaryFile
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, PrivateAttr, ValidationInfo, field_validator, model_serializer, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler
from typing_extensions import TypedDict  # pydantic needs this TypedDict (not typing's) before Python 3.12

from panther.exceptions import UnsupportedMediaTypeAPIError

__all__ = ["DEFAULT_SPOOL_MAX_SIZE", "File", "FileMetadata", "Image", "safe_file_name"]

DEFAULT_SPOOL_MAX_SIZE = 1024 * 1024
"""Bytes kept in memory before a file's content moves to a temporary file on disk."""

_COPY_CHUNK_SIZE = 1024 * 1024
_FALLBACK_NAME = "upload"
# Room left under the usual 255-byte file-name limit for the clash suffix ("_YYYYMMDD_HHMMSS_NNN").
_MAX_NAME_BYTES = 200
_MAX_CLASH_ATTEMPTS = 10_000


class FileMetadata(TypedDict):
    """What a serialised ``File`` looks like (``model_dump()``, JSON responses)."""

    file_name: str
    content_type: str
    size: int


class File(BaseModel):
    """An uploaded file: its client-supplied name and content type, and its content in a spooled buffer.

    Use it like a binary file (``read``, ``seek``, ``tell``, ``write``, ``close``, ``with file: ...``),
    or ``save()`` it to disk.
    """

    file_name: str
    content_type: str
    # Only an input: the bytes are moved into the spool when the model is built (see the module docstring).
    file: bytes | None = None

    _spool: SpooledTemporaryFile[bytes] | None = PrivateAttr(default=None)
    _spool_max_size: int = PrivateAttr(default=DEFAULT_SPOOL_MAX_SIZE)
    _size: int = PrivateAttr(default=0)
    _saved_path: str | None = PrivateAttr(default=None)

    @classmethod
    def create_empty(
        cls,
        file_name: str,
        content_type: str,
        *,
        spool_max_size: int = DEFAULT_SPOOL_MAX_SIZE,
    ) -> Self:
        """Return an empty file to ``write()`` into, e.g. chunk by chunk while a request body streams in."""
        instance = cls(file_name=file_name, content_type=content_type)
        instance._spool_max_size = spool_max_size
        return instance

    def model_post_init(self, context: Any, /) -> None:
        # Keep the content in one place only: the spool. `__getattr__` below serves `.file` from it.
        content = self.__dict__.pop("file", None)
        if content:
            self.write(content)
            self.seek(0)

    @model_validator(mode="wrap")
    @classmethod
    def _accept_other_file_instances(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        # The body parser builds `File`s; a handler declaring `photo: Image` must accept them (and run Image's
        # checks) without copying the content, so the new instance takes over the same spool.
        if isinstance(data, File) and not isinstance(data, cls):
            instance = handler({"file_name": data.file_name, "content_type": data.content_type})
            instance._spool = data._buffer()
            instance._spool_max_size = data._spool_max_size
            instance._size = data._size
            instance._saved_path = data._saved_path
            return instance
        return handler(data)

    @model_serializer(mode="plain")
    def _serialize_metadata(self) -> FileMetadata:
        return {"file_name": self.file_name, "content_type": self.content_type, "size": self.size}

    if not TYPE_CHECKING:  # hidden from type checkers, which keep seeing the `file: bytes | None` field

        def __getattr__(self, name: str) -> Any:
            if name == "file":
                return self._read_all()
            return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "file":
            self._replace_content(value)
            return
        super().__setattr__(name, value)

    def __repr_args__(self) -> Any:
        yield "file_name", self.file_name
        yield "content_type", self.content_type
        yield "size", self.size

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        # The spool cannot be deep-copied (it may be an OS file); copy the content into a new one instead.
        duplicate = type(self).create_empty(
            copy.deepcopy(self.file_name, memo),
            copy.deepcopy(self.content_type, memo),
            spool_max_size=self._spool_max_size,
        )
        position = self.tell()
        self.seek(0)
        try:
            shutil.copyfileobj(self._buffer(), duplicate._buffer(), _COPY_CHUNK_SIZE)
        finally:
            self.seek(position)
        duplicate._size = self._size
        duplicate.seek(position)
        return duplicate

    # --- file-like API ---

    def _buffer(self) -> SpooledTemporaryFile[bytes]:
        if self._spool is None:
            # Lives as long as the File; closed by close()/__exit__ (or the garbage collector, like any file).
            self._spool = SpooledTemporaryFile(max_size=self._spool_max_size, mode="w+b")  # noqa: SIM115
        return self._spool

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write ``data`` at the current position; the content moves to disk once it outgrows the spool size."""
        buffer = self._buffer()
        written = buffer.write(data)
        # Tracked here so that `size` stays cheap and still answers after close().
        self._size = max(self._size, buffer.tell())
        return written

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes by default) from the current position."""
        return self._buffer().read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the current position, like ``io.IOBase.seek``; return the new position."""
        return self._buffer().seek(offset, whence)

    def tell(self) -> int:
        """Return the current position."""
        return self._buffer().tell()

    def close(self) -> None:
        """Release the content (memory, or the temporary file on disk). Reading afterwards raises ValueError."""
        self._buffer().close()

    @property
    def closed(self) -> bool:
        return self._buffer().closed

    @property
    def size(self) -> int:
        """Size of the content in bytes."""
        return self._size

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _read_all(self) -> bytes:
        buffer = self._buffer()
        position = buffer.tell()
        buffer.seek(0)
        try:
            return buffer.read()
        finally:
            buffer.seek(position)

    def _replace_content(self, content: bytes | bytearray | memoryview | None) -> None:
        if content is not None and not isinstance(content, bytes | bytearray | memoryview):
            raise TypeError(f"File.file must be bytes or None, not {type(content).__name__}")
        if self._spool is not None:
            self._spool.close()
        self._spool = None
        self._size = 0
        self._saved_path = None
        if content:
            self.write(content)
            self.seek(0)

    # --- saving ---

    def save(self, path: str | os.PathLike[str] | None = None, overwrite: bool = False) -> str:
        """Write the content to disk and return the path written; later calls return that same path unchanged.

        ``path`` may be a directory (a ``str`` ending with ``/``, or an existing directory) to save into under the
        sanitised client file name, a full file path, or ``None`` for the current directory. Parent directories
        are created. An existing file is never replaced unless ``overwrite``: ``_YYYYMMDD_HHMMSS`` (then ``_N``)
        is added to the name instead, the file being created atomically so concurrent saves cannot collide.
        The client's ``file_name`` is only ever used as a bare name, never as a path.
        """
        if self._saved_path is not None:
            return self._saved_path

        target = self._target_path(path)
        directory = os.path.dirname(target)
        if directory:
            os.makedirs(directory, exist_ok=True)

        fd, saved_path = self._open_target(target, overwrite)
        buffer = self._buffer()
        position = buffer.tell()
        try:
            with os.fdopen(fd, "wb") as destination:
                buffer.seek(0)
                shutil.copyfileobj(buffer, destination, _COPY_CHUNK_SIZE)
        except BaseException:
            # Do not leave a half-written file behind under a name that looks complete.
            try:
                os.unlink(saved_path)
            except OSError:
                pass
            raise
        finally:
            buffer.seek(position)

        self._saved_path = saved_path
        return saved_path

    def _target_path(self, path: str | os.PathLike[str] | None) -> str:
        name = safe_file_name(self.file_name)
        if path is None:
            return name
        raw = os.fspath(path)
        separators = (os.sep, os.altsep) if os.altsep else (os.sep,)
        if raw.endswith(separators) or os.path.isdir(raw):
            return os.path.join(raw, name)
        return raw

    @staticmethod
    def _open_target(target: str, overwrite: bool) -> tuple[int, str]:
        binary = getattr(os, "O_BINARY", 0)
        if overwrite:
            return os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | binary, 0o666), target

        directory, name = os.path.split(target)
        stem, extension = os.path.splitext(name)
        timestamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        candidates = chain(
            (name, f"{stem}_{timestamp}{extension}"),
            (f"{stem}_{timestamp}_{n}{extension}" for n in range(1, _MAX_CLASH_ATTEMPTS)),
        )
        for candidate in candidates:
            candidate_path = os.path.join(directory, candidate)
            try:
                # O_EXCL: the name is ours only if we created it, even with other saves racing for it.
                return os.open(candidate_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | binary, 0o666), candidate_path
            except FileExistsError:
                continue
        raise FileExistsError(f"Could not find a free file name for {target!r}")


class Image(File):
    """An uploaded image: a ``File`` whose content type is ``image/*``.

    Any other content type raises ``UnsupportedMediaTypeAPIError`` (415), also when a handler's input model
    declares an ``Image`` field and the client sent something else: the error propagates out of pydantic's
    validation, so the client gets a 415 instead of a generic validation error.
    """

    @field_validator("content_type")
    @classmethod
    def _must_be_an_image(cls, content_type: str, info: ValidationInfo) -> str:
        main_type, _, subtype = content_type.partition("/")
        if main_type.strip().lower() != "image" or not subtype.strip():
            file_name = info.data.get("file_name", "")
            raise UnsupportedMediaTypeAPIError(
                detail=f"{file_name!r} is not an image: content type is {content_type!r}, expected 'image/*'"
            )
        return content_type


def safe_file_name(file_name: str) -> str:
    """Return a bare, harmless file name built from a client-supplied one (``"upload"`` if nothing is left).

    Only the last path component is kept (``/`` and ``\\`` both count as separators), control characters and
    NULs are dropped, leading dots are stripped (no hidden files, no ``..``) and the name is shortened to fit
    file-system limits while keeping its extension.
    """
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip().lstrip(".").strip()
    if len(name.encode()) > _MAX_NAME_BYTES:
        stem, extension = os.path.splitext(name)
        if len(extension.encode()) > 16:  # not a real extension: cut the whole name
            stem, extension = name, ""
        budget = _MAX_NAME_BYTES - len(extension.encode())
        name = stem.encode()[:budget].decode("utf-8", "ignore") + extension
    return name or _FALLBACK_NAME
