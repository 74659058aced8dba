"""The synchronous engine behind ``PantherDB``: a snapshot plus an operation log on disk, collections in memory.

A ``Store`` is used by one thread at a time (the database's worker); ``run`` wraps every operation in the file lock
and first catches up with what other processes wrote. See the package docstring for the design.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar

import orjson

from panther.db.pantherdb.collection import Collection, derived_id
from panther.db.pantherdb.query import Document, Query, Update, clone, sort_documents
from panther.db.pantherdb.storage import Codec, FileLock, atomic_write, write_all
from panther.exceptions import DatabaseError

T = TypeVar("T")

LOG_FORMAT = 1
FSYNC_INTERVAL = 0.1  # seconds an acknowledged write may stay in the page cache only (power-loss window)
COMPACT_MIN_BYTES = 1 << 20  # a smaller log is never compacted: folding it in would cost more than replaying it


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


class Store:
    """Collections in memory, kept equal to ``snapshot + log`` on disk."""

    def __init__(self, path: str, codec: Codec) -> None:
        self.path = path
        self.log_path = f"{path}.log"
        self.codec = codec
        self._lock = FileLock(f"{path}.lock")
        self.collections: dict[str, Collection] = {}
        # Work counters; tests use them to check that an unchanged file is not read again.
        self.snapshot_loads = 0
        self.log_records_read = 0
        self._log_fd: int | None = None
        self._forget()

    # --- keeping up with the files ------------------------------------------------------------------------------

    def _forget(self) -> None:
        """Drop what is known about the files: the next operation reloads them."""
        self._close_log()
        self._snapshot_key: tuple[int, ...] | None = None  # (inode, size, mtime) of the snapshot read, () if none
        self._snapshot_hash = ""
        self._snapshot_size = 0
        self._log_ino = -1  # inode of the log read (0: there is none)
        self._log_offset = 0  # end of the last whole record read or written
        self._log_size = 0  # size last seen; beyond the offset lies a torn record
        self._log_valid = False  # the log's header names the snapshot, so its records apply
        self._log_records = 0  # records in the log: something for a compaction to fold in
        self._unsynced_since: float | None = None

    def _close_log(self) -> None:
        if self._log_fd is not None:
            fd, self._log_fd = self._log_fd, None
            os.close(fd)

    def _refresh(self) -> None:
        """Catch up with the files: two ``stat`` calls when nothing changed, reading only new log records."""
        try:
            snapshot, log = _stat(self.path), _stat(self.log_path)
            snapshot_key = (snapshot.st_ino, snapshot.st_size, snapshot.st_mtime_ns) if snapshot else ()
            if snapshot_key != self._snapshot_key or (log.st_ino if log else 0) != self._log_ino:
                self._reload()
            elif log is not None and log.st_size != self._log_size:
                if log.st_size < self._log_offset:
                    self._reload()
                else:
                    self._read_log(log.st_size)
        except BaseException:
            self._forget()  # never work on half-read files: the next operation starts over (and fails the same way)
            raise

    def _reload(self) -> None:
        self._forget()
        self.collections = {}
        try:
            with open(self.path, "rb") as file:
                stat = os.fstat(file.fileno())
                data = file.read()
        except FileNotFoundError:
            data, self._snapshot_key = b"", ()
        else:
            self._snapshot_key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        self._load_snapshot(data)
        self._snapshot_hash, self._snapshot_size = _digest(data), len(data)
        try:
            self._log_fd = os.open(self.log_path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            self._log_ino = 0
            return
        stat = os.fstat(self._log_fd)
        self._log_ino = stat.st_ino
        self._read_log(stat.st_size)

    def _load_snapshot(self, data: bytes) -> None:
        self.snapshot_loads += 1
        if not data.strip():  # upstream pantherdb creates an empty file before its first write
            return
        plain = self.codec.decode(data)
        if plain is None:
            hint = " (it is not encrypted)" if data.lstrip().startswith(b"{") else ""
            raise DatabaseError(f"cannot decrypt {self.path}: wrong SECRET_KEY?{hint}")
        try:
            content = orjson.loads(plain)
        except orjson.JSONDecodeError:
            hint = "; it looks encrypted: set SECRET_KEY" if data.startswith(b"gAAAA") else ""
            raise DatabaseError(f"cannot read {self.path}: not a PantherDB file{hint}") from None
        if not isinstance(content, dict) or not all(isinstance(docs, list) for docs in content.values()):
            raise DatabaseError(f"cannot read {self.path}: expected {{collection: [documents]}}")
        for name, docs in content.items():
            collection = self.collections[name] = Collection()
            for position, doc in enumerate(docs):
                if not isinstance(doc, dict):
                    raise DatabaseError(f"cannot read {self.path}: a document of {name!r} is not an object")
                doc_id = doc.get("_id")
                if not isinstance(doc_id, str):
                    doc_id = derived_id(name, position) if doc_id is None else str(doc_id)
                    doc = {**doc, "_id": doc_id}
                collection.insert(doc)

    def _read_log(self, size: int) -> None:
        """Apply the whole records between the offset and ``size``; a torn last record is left for later."""
        assert self._log_fd is not None
        data = os.pread(self._log_fd, size - self._log_offset, self._log_offset)
        self._log_size = self._log_offset + len(data)
        if self._log_offset and not self._log_valid:
            return  # a stale log: its records are already in the snapshot
        lines = data[: data.rfind(b"\n") + 1].split(b"\n")[:-1]
        for number, line in enumerate(lines):
            record = self._decode(line)
            if record is None:
                if self._log_offset == 0:  # the header is written atomically: it cannot be torn
                    raise self._unreadable_header(line)
                if number == len(lines) - 1:
                    break  # a damaged last record is a torn one: it was never acknowledged
                raise DatabaseError(f"{self.log_path} is corrupt at byte {self._log_offset}")
            if self._log_offset == 0:
                if not self._check_header(record):
                    self._log_offset = self._log_size
                    return
            else:
                self._apply(record)
                self._log_records += 1
                self.log_records_read += 1
            self._log_offset += len(line) + 1

    def _decode(self, line: bytes) -> dict[str, Any] | None:
        plain = self.codec.decode(line)
        if plain is None:
            return None
        try:
            record = orjson.loads(plain)
        except orjson.JSONDecodeError:
            return None
        return record if isinstance(record, dict) else None

    def _unreadable_header(self, line: bytes) -> DatabaseError:
        if self.codec.encrypted:
            return DatabaseError(f"cannot decrypt {self.log_path}: wrong SECRET_KEY?")
        hint = "; it looks encrypted: set SECRET_KEY" if line.startswith(b"gAAAA") else ""
        return DatabaseError(f"cannot read {self.log_path}: not a PantherDB log{hint}")

    def _check_header(self, header: dict[str, Any]) -> bool:
        version = header.get("pantherdb")
        if not isinstance(version, int):
            raise DatabaseError(f"{self.log_path} is not a PantherDB log")
        if version > LOG_FORMAT:
            raise DatabaseError(f"{self.log_path} was written by a newer PantherDB (log format {version})")
        # A log naming another snapshot outlived a compaction that crashed before replacing it: the snapshot
        # already holds its records.
        self._log_valid = header.get("snapshot") == self._snapshot_hash
        return self._log_valid

    def _apply(self, record: dict[str, Any]) -> None:
        op, name = record.get("op"), str(record.get("c"))
        collection = self.collections.get(name)
        if op == "insert":
            if collection is None:
                collection = self.collections[name] = Collection()
            for doc in record["docs"]:
                collection.insert(doc)
        elif op == "update":
            if collection is not None:
                for doc in record["docs"]:
                    collection.replace(doc)
        elif op == "delete":
            if collection is not None:
                for doc_id in record["ids"]:
                    collection.delete(doc_id)
        elif op == "drop":
            self.collections.pop(name, None)
        else:
            raise DatabaseError(f"{self.log_path} holds an unknown record {op!r}: written by a newer PantherDB?")

    # --- writing ------------------------------------------------------------------------------------------------

    def _commit(self, record: dict[str, Any]) -> None:
        """Append ``record`` to the log, then apply it in memory. The caller holds the exclusive lock."""
        line = self.codec.encode(orjson.dumps(record)) + b"\n"
        if self._log_fd is None or not self._log_valid:
            self._new_log()
        elif self._log_size > self._log_offset:  # a torn record from a crashed writer: cut it off
            os.ftruncate(self._log_fd, self._log_offset)
        assert self._log_fd is not None
        try:
            write_all(self._log_fd, line)
        except BaseException:
            # Leave whole records only (a full disk, say); the write was not acknowledged.
            os.ftruncate(self._log_fd, self._log_offset)
            raise
        self._log_offset = self._log_size = self._log_offset + len(line)
        self._log_records += 1
        if self._unsynced_since is None:
            self._unsynced_since = time.monotonic()
        self._apply(record)

    def _new_log(self) -> None:
        """Start an empty log that names the current snapshot, replacing a stale or missing one."""
        header = self.codec.encode(orjson.dumps({"pantherdb": LOG_FORMAT, "snapshot": self._snapshot_hash})) + b"\n"
        atomic_write(self.log_path, header)
        self._close_log()
        self._log_fd = os.open(self.log_path, os.O_RDWR | os.O_APPEND)
        self._log_ino = os.fstat(self._log_fd).st_ino
        self._log_offset = self._log_size = len(header)
        self._log_valid, self._log_records = True, 0

    def _compact(self) -> None:
        """Write every collection as a new snapshot (upstream's layout), then start an empty log."""
        content = {name: collection.values() for name, collection in self.collections.items()}
        data = self.codec.encode(orjson.dumps(content))
        # The snapshot goes first: a crash before the log is replaced leaves a log naming the old snapshot,
        # which readers then ignore.
        stat = atomic_write(self.path, data)
        self._snapshot_key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        self._snapshot_hash, self._snapshot_size = _digest(data), len(data)
        self._new_log()
        self._unsynced_since = None  # everything is in the fsynced snapshot

    def _sync(self) -> None:
        if self._unsynced_since is not None and self._log_fd is not None:
            os.fsync(self._log_fd)
        self._unsynced_since = None

    # --- running operations -------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        self._lock.acquire(exclusive)
        try:
            yield
        finally:
            self._lock.release()

    def run(self, exclusive: bool, operation: Callable[..., T], *args: Any) -> T:
        """Run ``operation`` under the file lock, on state that includes every other process's writes."""
        with self._locked(exclusive):
            self._refresh()
            return operation(*args)

    def maintain(self) -> float | None:
        """Deferred work, run by the worker between operations: compact a large log, fsync old writes.

        Returns how long the worker may wait before calling again, ``None`` for "only after the next operation".
        """
        if self._log_records and self._log_offset > max(self._snapshot_size, COMPACT_MIN_BYTES):
            with self._locked(exclusive=True):
                self._refresh()
                if self._log_records and self._log_offset > max(self._snapshot_size, COMPACT_MIN_BYTES):
                    self._compact()
        if self._unsynced_since is None:
            return None
        remaining = self._unsynced_since + FSYNC_INTERVAL - time.monotonic()
        if remaining > 0:
            return remaining
        self._sync()
        return None

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's descriptors (closing them releases nothing the parent holds)."""
        self._lock.close()
        self._forget()

    # --- operations (called through ``run``) ---------------------------------------------------------------------

    def insert(self, name: str, docs: list[Document]) -> list[Document]:
        collection = self.collections.get(name)
        seen: set[str] = set()
        for doc in docs:
            doc_id = doc["_id"]
            if doc_id in seen or (collection is not None and doc_id in collection.docs):
                raise DatabaseError(f"duplicate _id {doc_id!r} in {name!r}")
            seen.add(doc_id)
        if docs:
            self._commit({"op": "insert", "c": name, "docs": docs})
        return [clone(doc) for doc in docs]

    def find_one(self, name: str, query: Query, reverse: bool) -> Document | None:
        collection = self.collections.get(name)
        if collection is None:
            return None
        doc = next(collection.select(query, reverse=reverse), None)
        return None if doc is None else clone(doc)

    def find(
        self,
        name: str,
        query: Query,
        sort: list[tuple[str, int]],
        skip: int,
        limit: int | None,
    ) -> list[Document]:
        collection = self.collections.get(name)
        if collection is None:
            return []
        stop = skip + limit if limit else None
        if sort:
            docs = list(collection.select(query))
            sort_documents(docs, sort)
            docs = docs[skip:stop]
        else:
            docs = list(islice(collection.select(query), skip, stop))
        return [clone(doc) for doc in docs]

    def count(self, name: str, query: Query) -> int:
        collection = self.collections.get(name)
        if collection is None:
            return 0
        if query.everything:
            return len(collection)
        return sum(1 for _ in collection.select(query))

    def update(self, name: str, query: Query, update: Update, many: bool) -> int:
        collection = self.collections.get(name)
        if collection is None:
            return 0
        matched = list(islice(collection.select(query), None if many else 1))
        changed = []
        for old in matched:
            new = clone(old)
            update(new)
            if new != old:
                changed.append(new)
        if changed:
            self._commit({"op": "update", "c": name, "docs": changed})
        return len(matched)

    def delete(self, name: str, query: Query, many: bool) -> int:
        collection = self.collections.get(name)
        if collection is None:
            return 0
        ids = [doc["_id"] for doc in islice(collection.select(query), None if many else 1)]
        if ids:
            self._commit({"op": "delete", "c": name, "ids": ids})
        return len(ids)

    def find_one_or_insert(self, name: str, query: Query, doc: Document) -> tuple[Document, bool]:
        found = self.find_one(name, query, reverse=False)
        if found is not None:
            return found, False
        return self.insert(name, [doc])[0], True

    def drop(self, name: str) -> None:
        if name in self.collections:
            self._commit({"op": "drop", "c": name})

    def collection_names(self) -> list[str]:
        return list(self.collections)

    def compact(self) -> None:
        self._compact()

    def close(self) -> None:
        """Fold the log into the snapshot (so the file is in upstream's layout again) and close the files."""
        with self._locked(exclusive=True):
            self._refresh()
            if self._log_records:
                self._compact()
        self.release()

    def release(self) -> None:
        """Fsync pending writes and close the files; the next operation reopens them."""
        self._sync()
        self._lock.close()
        self._forget()
        self.collections = {}
