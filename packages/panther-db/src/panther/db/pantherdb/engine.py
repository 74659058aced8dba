"""The async face of PantherDB: every file operation runs on the database's own worker thread, never on the loop."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from types import TracebackType
from typing import Any, Self, TypeVar

from panther.db.pantherdb.query import (
    Document,
    check_sort,
    compile_filter,
    compile_update,
    prepare_document,
)
from panther.db.pantherdb.storage import Codec
from panther.db.pantherdb.store import Store
from panther.exceptions import DatabaseError

T = TypeVar("T")
Filter = dict[str, Any]

logger = logging.getLogger("panther.db.pantherdb")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class Worker:
    """One thread running a database's operations in order: in-process serialisation with no lock on the loop.

    A bare thread and a ``SimpleQueue`` cost about half of ``loop.run_in_executor`` per call (measured).
    Between operations it runs ``idle`` (deferred compaction and fsync), which says how long it may sleep; ``stop``
    runs last. A worker that replaces a stopped one first waits for it (``after``): one thread at a time owns the
    database's state.
    """

    def __init__(
        self,
        name: str,
        idle: Callable[[], float | None],
        stop: Callable[[], None],
        after: threading.Thread | None = None,
    ) -> None:
        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._idle = idle
        self._stop = stop
        self._after = after
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def submit(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, function, args))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        if self._after is not None:
            self._after.join()
            self._after = None
        wait: float | None = None
        while True:
            try:
                job = self._jobs.get(timeout=wait)
            except Empty:
                pass  # only deferred work is due
            else:
                if job is None:
                    self._guard(self._stop)
                    return
                loop, future, function, args = job
                try:
                    outcome: tuple[Any, BaseException | None] = (function(*args), None)
                except BaseException as exc:  # handed to the awaiting coroutine, like an executor would
                    outcome = (None, exc)
                try:
                    loop.call_soon_threadsafe(_settle, future, *outcome)
                except RuntimeError:  # the loop is closed: nobody waits for this result any more
                    pass
            wait = self._guard(self._idle)

    @staticmethod
    def _guard(function: Callable[[], T]) -> T | None:
        try:
            return function()
        except Exception:  # a failed compaction or fsync is retried later; operations report their own errors
            logger.exception("PantherDB background work failed")
            return None


def _name(collection: Any) -> str:
    if not isinstance(collection, str) or not collection:
        raise DatabaseError(f"a collection name must be a non-empty string, not {collection!r}")
    return collection


class PantherDB:
    """An embedded document database in one file; see the ``panther.db.pantherdb`` docstring for the design.

    Documents are plain JSON dicts with a string ``_id``. Returned documents are copies.
    Each instance owns a worker thread, started on first use; ``close`` stops it (and compacts the file).
    """

    def __init__(self, path: str | os.PathLike[str], *, secret_key: bytes | str | None = None) -> None:
        self.path = os.fspath(path)
        self._store = Store(self.path, Codec(secret_key))
        self._worker: Worker | None = None
        self._retired: threading.Thread | None = None  # the thread of the last closed worker
        self._worker_lock = threading.Lock()
        self._pid = os.getpid()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __del__(self) -> None:
        worker = getattr(self, "_worker", None)  # None too when __init__ failed
        if worker is not None:
            worker.stop()

    def _get_worker(self) -> Worker:
        if self._pid != os.getpid():  # a forked child: the worker thread and the lock belong to the parent
            self._pid, self._worker, self._retired = os.getpid(), None, None
            self._store.forget_after_fork()
        worker = self._worker
        if worker is None:
            with self._worker_lock:
                if self._worker is None:
                    store = self._store
                    self._worker = Worker(f"pantherdb:{self.path}", store.maintain, store.release, self._retired)
                worker = self._worker
        return worker

    def _read(self, operation: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return self._get_worker().submit(self._store.run, False, operation, *args)

    def _write(self, operation: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return self._get_worker().submit(self._store.run, True, operation, *args)

    # Arguments are validated and copied here, on the caller's side: errors come before any I/O, and a caller that
    # mutates its dict after the call cannot change what gets written.

    async def insert_one(self, collection: str, document: Document) -> Document:
        """Insert ``document`` (an ``_id`` is generated unless it has one) and return the stored document."""
        docs = await self._write(self._store.insert, _name(collection), [prepare_document(document)])
        return docs[0]

    async def insert_many(self, collection: str, documents: list[Document]) -> list[Document]:
        """Insert all ``documents`` in one write: all of them or, on any error, none."""
        docs = [prepare_document(document) for document in documents]
        return await self._write(self._store.insert, _name(collection), docs)

    async def find_one(self, collection: str, filter: Filter | None = None) -> Document | None:
        """Return the first matching document in insertion order, or ``None``."""
        return await self._read(self._store.find_one, _name(collection), compile_filter(filter), False)

    async def find(
        self,
        collection: str,
        filter: Filter | None = None,
        *,
        sort: list[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int | None = None,
    ) -> list[Document]:
        """Return the matching documents in insertion order or by ``sort``; ``limit`` 0 or ``None`` means all."""
        if skip < 0 or (limit is not None and limit < 0):
            raise DatabaseError("skip and limit cannot be negative")
        query, order = compile_filter(filter), check_sort(sort)
        return await self._read(self._store.find, _name(collection), query, order, skip, limit)

    async def first(self, collection: str, filter: Filter | None = None) -> Document | None:
        """Return the first matching document in insertion order."""
        return await self.find_one(collection, filter)

    async def last(self, collection: str, filter: Filter | None = None) -> Document | None:
        """Return the last matching document in insertion order."""
        return await self._read(self._store.find_one, _name(collection), compile_filter(filter), True)

    async def count(self, collection: str, filter: Filter | None = None) -> int:
        return await self._read(self._store.count, _name(collection), compile_filter(filter))

    async def update_one(self, collection: str, filter: Filter | None, update: Document) -> int:
        """Update the first matching document; return how many matched (0 or 1)."""
        query, change = compile_filter(filter), compile_update(update)
        return await self._write(self._store.update, _name(collection), query, change, False)

    async def update_many(self, collection: str, filter: Filter | None, update: Document) -> int:
        """Update every matching document in one write; return how many matched."""
        query, change = compile_filter(filter), compile_update(update)
        return await self._write(self._store.update, _name(collection), query, change, True)

    async def delete_one(self, collection: str, filter: Filter | None) -> int:
        return await self._write(self._store.delete, _name(collection), compile_filter(filter), False)

    async def delete_many(self, collection: str, filter: Filter | None) -> int:
        return await self._write(self._store.delete, _name(collection), compile_filter(filter), True)

    async def find_one_or_insert(
        self,
        collection: str,
        filter: Filter | None,
        document: Document,
    ) -> tuple[Document, bool]:
        """Return ``(match, False)``, or insert ``document`` and return ``(it, True)``, atomically across processes."""
        query, doc = compile_filter(filter), prepare_document(document)
        return await self._write(self._store.find_one_or_insert, _name(collection), query, doc)

    async def drop(self, collection: str) -> None:
        await self._write(self._store.drop, _name(collection))

    async def collection_names(self) -> list[str]:
        return await self._read(self._store.collection_names)

    async def compact(self) -> None:
        """Rewrite the file as one snapshot in upstream's layout and empty the log."""
        await self._write(self._store.compact)

    async def close(self) -> None:
        """Compact, fsync and stop the worker. The instance can still be used: it reopens on the next call."""
        with self._worker_lock:
            worker, self._worker = self._worker, None
            if worker is None or self._pid != os.getpid():
                return
            future = worker.submit(self._store.close)
            worker.stop()
            self._retired = worker.thread
        await future
