"""File primitives: the optional Fernet codec, atomic replacement, and the inter-process lock."""

from __future__ import annotations

import os
from typing import Any

from panther.exceptions import DatabaseError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class Codec:
    """Turns the bytes PantherDB writes into the bytes on disk and back: unchanged, or Fernet-encrypted.

    The key is used as it is (a Fernet key, as upstream pantherdb did) so that existing encrypted files open.
    """

    __slots__ = ("_fernet",)

    def __init__(self, secret_key: bytes | str | None) -> None:
        self._fernet: Any = None
        if not secret_key:
            return
        try:
            from cryptography.fernet import Fernet
        except ImportError:  # pragma: no cover - cryptography is a dependency of panther-db
            raise DatabaseError("an encrypted PantherDB needs the `cryptography` package") from None
        key = secret_key.encode() if isinstance(secret_key, str) else secret_key
        try:
            self._fernet = Fernet(key)
        except (TypeError, ValueError):
            raise DatabaseError(
                "SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with `cryptography.fernet.Fernet.generate_key()`",
            ) from None

    @property
    def encrypted(self) -> bool:
        return self._fernet is not None

    def encode(self, data: bytes) -> bytes:
        return data if self._fernet is None else self._fernet.encrypt(data)

    def decode(self, data: bytes) -> bytes | None:
        """Return the plaintext, or ``None`` if ``data`` was not encrypted with this key."""
        if self._fernet is None:
            return data
        from cryptography.fernet import InvalidToken

        try:
            plain: bytes = self._fernet.decrypt(data)
        except InvalidToken:
            return None
        return plain


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(path: str) -> None:
    """Make a rename in the folder of ``path`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes) -> os.stat_result:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file, never a mix.

    Returns the new file's stat (the rename keeps its inode, size and mtime).
    """
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        write_all(fd, data)
        os.fsync(fd)
        stat = os.fstat(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path)
    return stat


class FileLock:
    """A lock shared by every process that opens the database: ``flock`` on a side file, kept open.

    Shared for reads, exclusive for writes. The kernel releases it when a process dies, so a crash never leaves the
    database locked.
    """

    __slots__ = ("_fd", "path")

    def __init__(self, path: str) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            # Also: Windows cannot rename over a file other processes hold open, which compaction does.
            raise DatabaseError("PantherDB needs a POSIX system (Linux, macOS): it relies on flock(2)")
        self.path = path
        self._fd: int | None = None

    def acquire(self, exclusive: bool) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self._fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def release(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the file. In a forked child this does not unlock the parent, which holds its own descriptor."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
