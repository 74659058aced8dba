"""``File``/``Image`` fields: saved under the media folder when a model is stored, opened lazily when loaded.

A stored file field is the sub-document ``{"path", "file_name", "content_type", "size"}``, ``path`` relative to
the media folder (``BASE_DIR / MEDIA_DIR``) so the project can move. Files are saved into
``<media>/<collection>/`` under the sanitised client name, made unique by ``File.save`` (which never overwrites
and creates the file atomically). Loading builds a ``File`` (or ``Image``, or the field's own subclass) that opens
the saved file only when it is read: loading a thousand documents opens and reads nothing.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from panther.exceptions import DatabaseError
from panther.file_handler import File

_stored_classes: dict[type[File], type[File]] = {}


class _StoredFileMixin:
    """Reads a saved file from disk on first access instead of from an upload spool."""

    _spool: Any
    _saved_path: str | None

    def _buffer(self) -> Any:
        if self._spool is None and self._saved_path is not None:
            # The saved file itself is the content; it is read-only (assign `.file` to replace the content).
            self._spool = open(self._saved_path, "rb")  # noqa: SIM115 - lives as long as the File, like a spool
        return super()._buffer()  # type: ignore[misc]

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


def stored_class(cls: type[File]) -> type[File]:
    """The lazy-loading variant of ``cls`` (a subclass, so ``Image`` fields still validate)."""
    stored = _stored_classes.get(cls)
    if stored is None:
        stored = type(f"Stored{cls.__name__}", (_StoredFileMixin, cls), {"__module__": __name__})
        _stored_classes[cls] = stored
    return stored


def load_file(cls: type[File], value: Any, media_root: Path) -> Any:
    """The field value for a stored sub-document (anything else, e.g. ``None``, is returned as is)."""
    if not isinstance(value, dict) or "path" not in value:
        return value
    path = Path(value["path"])
    instance = stored_class(cls).model_construct(
        file_name=value.get("file_name") or path.name,
        content_type=value.get("content_type") or "application/octet-stream",
    )
    instance._saved_path = str(path if path.is_absolute() else media_root / path)
    instance._size = int(value.get("size") or 0)
    return instance


async def store_file(file: Any, media_root: Path, collection: str) -> dict[str, Any] | None:
    """Save ``file`` (if not saved yet) and return the sub-document that is stored for it."""
    if file is None:
        return None
    if not isinstance(file, File):
        raise DatabaseError(f"a file field holds a File, not {type(file).__name__}")
    # File.save writes to disk: off the event loop. A file loaded from the database returns its existing path.
    stored_path = await asyncio.to_thread(_save, file, media_root, collection)
    return {"path": stored_path, "file_name": file.file_name, "content_type": file.content_type, "size": file.size}


def _save(file: File, media_root: Path, collection: str) -> str:
    folder = media_root / collection
    os.makedirs(folder, exist_ok=True)
    path = Path(file.save(str(folder) + os.sep)).resolve()
    try:
        return str(path.relative_to(media_root.resolve()))
    except ValueError:  # saved elsewhere by the application before it was stored: keep it where it is
        return str(path)
