"""``Cursor``: the result of ``await Model.find(...)``, usable with ``for`` as upstream apps do and with ``async for``.

A synchronous ``for`` cannot await a query, so ``await Model.find(...)`` reads the matching documents then, up to
the app's ``DATABASE['prefetch']`` (``PREFETCH_LIMIT``, 10 000, by default): ``for book in cursor``, ``list(cursor)``,
``cursor[0]`` and ``cursor[1:3]`` work on those, with ``sort``/``skip``/``limit`` chained after the ``await``
applied in memory (in the engine's order). The documents become models only when they are read; references were
loaded with the prefetch (one query per reference field). Up to 1 000 matches take one query; a bigger result is
first probed with a skip, so a huge collection costs one batch of 1 001 documents and a skip, not 10 000 documents.

When more documents match (or ``prefetch`` is 0) the cursor is *streaming*: ``async for`` reads it lazily in
batches, ``await cursor.to_list()`` reads it all, and the synchronous operations raise ``TypeError`` saying so.
Nothing loops forever.

Measured on 10 000 small documents (CPU time of the app's process, best of 9, PantherDB / MongoDB):
``list(await Book.find())`` 37 / 42 ms against 32 / 36 ms for ``await cursor.to_list()`` on a cursor that reads
nothing ahead, holding the models once (9 / 14 MB at peak). With 10 001 documents the probe costs 2 / 3 ms, then
``async for`` streams them (4 / 8 MB at peak). The price is paid by narrowing after the ``await``:
``(await Book.find()).sort('pages').limit(10)`` on 10 000 documents costs 19 / 24 ms against 4 / 1 ms server-side
(``where()`` does not prefetch, and ``DATABASE['prefetch'] = 0`` turns reading ahead off).

As upstream's cursors, it has no ``len()`` (``await Model.count(...)`` counts) and is always truthy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Generic, NoReturn, Self, TypeVar, overload

from pydantic import BaseModel

from panther.db.documents import load_models, resolve_references, validate_loaded
from panther.db.engines.base import PREFETCH_LIMIT, BaseDatabaseConnection, Document, Filter, Sort
from panther.db.filters import prepare_sort
from panther.db.layout import layout_of
from panther.exceptions import DatabaseError

M = TypeVar("M", bound=BaseModel)

__all__ = ["BATCH_SIZE", "PLAIN_BATCH_SIZE", "PREFETCH_LIMIT", "Cursor"]

#: Documents per batch when iterating a model with references (one reference query per field per batch).
BATCH_SIZE = 100
#: Documents per batch when iterating a model without references.
PLAIN_BATCH_SIZE = 1000


class _Prefetched(Generic[M]):
    """Every document matching a cursor's filter, in the engine's natural order, read by ``await Model.find``.

    ``raw`` are the documents as stored (what in-memory sorting compares); ``loaded`` the same documents with their
    references replaced by models (the same objects when the model has no reference or file field), validated into
    models one by one when first read.
    """

    __slots__ = ("loaded", "models", "raw")

    def __init__(self, raw: list[Document], loaded: list[Document]) -> None:
        self.raw = raw
        self.loaded = loaded
        self.models: list[M | None] = [None] * len(raw)


class Cursor(Generic[M]):
    """Matching models of ``cls``. ``sort``/``skip``/``limit`` change the query and return the cursor itself.

    Once read (iterated, indexed, ``to_list()``), a cursor keeps its result and its query can no longer change; a
    streaming cursor is the exception: each ``async for`` runs the query again, holding one batch at a time.
    """

    __slots__ = ("_connection", "_limit", "_prefetched", "_query", "_results", "_skip", "_sort", "cls", "filter")

    def __init__(
        self,
        cls: type[M],
        connection: BaseDatabaseConnection,
        filter: Mapping[str, Any],
        query: Filter | None,
    ) -> None:
        #: The model class and the filter as the user wrote it (pagination counts with ``cls.count(filter)``).
        self.cls = cls
        self.filter = dict(filter)
        self._connection = connection
        self._query = query  # None: the filter cannot match anything (e.g. an invalid ObjectId)
        self._sort: Sort = []
        self._skip = 0
        self._limit = 0
        self._results: list[M] | None = None
        self._prefetched: _Prefetched[M] | None = None

    async def prefetch(self, limit: int | None = None) -> Self:
        """Read every match now if there are at most ``limit`` (default: the app's ``DATABASE['prefetch']``;
        ``Model.find`` does it); otherwise stay streaming."""
        limit = self._connection.prefetch_limit if limit is None else limit
        if self._query is None:
            self._prefetched = _Prefetched([], [])
            return self
        if limit <= 0:
            return self  # prefetching is off: the cursor streams
        layout = layout_of(self.cls)
        # Most finds match few documents: one query answers them. A bigger result is first probed for a
        # (limit+1)-th match, so a huge collection costs one small batch and a skip, not `limit` documents.
        raw = await self._fetch(layout.collection, 0, min(limit, PLAIN_BATCH_SIZE) + 1)
        if len(raw) > min(limit, PLAIN_BATCH_SIZE):
            if limit <= PLAIN_BATCH_SIZE or await self._fetch(layout.collection, limit, 1):
                return self  # too many to hold: the cursor streams
            raw = await self._fetch(layout.collection, 0, limit + 1)
            if len(raw) > limit:  # inserted meanwhile
                return self
        loaded = raw
        if not layout.plain:
            loaded = [dict(doc) for doc in raw]  # loading replaces reference and file values; sorting needs them
            if layout.references:
                await resolve_references(layout, loaded, self._connection)
        self._prefetched = _Prefetched(raw, loaded)
        return self

    async def _fetch(self, collection: str, skip: int, limit: int) -> list[Document]:
        documents: list[Document] = []
        async for batch in self._connection.find(collection, self._query or {}, skip=skip, limit=limit):
            documents.extend(batch)
        return documents

    @property
    def prefetched(self) -> bool:
        """Whether the matches are held (synchronous use works), rather than streamed."""
        return self._prefetched is not None or self._results is not None

    # --- shaping the query --------------------------------------------------------------------------------------

    def sort(self, key: str | list[Any] | tuple[Any, ...], direction: int | None = None) -> Self:
        """``sort('age', -1)``, ``sort('name')`` or ``sort([('age', -1), ('name', 1)])``."""
        self._check_unread()
        self._sort = prepare_sort(key, direction)
        return self

    def skip(self, count: int) -> Self:
        self._check_unread()
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise DatabaseError(f"skip() takes a non-negative integer, not {count!r}")
        self._skip = count
        return self

    def limit(self, count: int) -> Self:
        """At most ``count`` models (0: no limit)."""
        self._check_unread()
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise DatabaseError(f"limit() takes a non-negative integer, not {count!r}")
        self._limit = count
        return self

    async def where(self, *conditions: Mapping[str, Any]) -> Cursor[M]:
        """A new cursor over this one's matches that also meet ``conditions``, in the same order and window.

        It is not prefetched (``ListAPI`` narrows with it, then pages on the server): read it with ``async for``,
        ``await .to_list()``, or ``await .prefetch()`` first for synchronous use.
        """
        merged = {"$and": [clause for clause in (self.filter, *conditions) if clause]}
        query = self.cls._query(self._connection, merged, {})  # type: ignore[attr-defined]
        narrowed = Cursor(self.cls, self._connection, merged, query)
        narrowed._sort, narrowed._skip, narrowed._limit = self._sort, self._skip, self._limit
        return narrowed

    def _check_unread(self) -> None:
        if self._results is not None:
            raise DatabaseError("this cursor has already been read; start a new one with Model.find(...)")

    # --- reading ------------------------------------------------------------------------------------------------

    def _held(self) -> list[M] | None:
        """The models in the cursor's order and window if the matches are held (computed once), else ``None``."""
        if self._results is not None:
            return self._results
        prefetched = self._prefetched
        if prefetched is None:
            if self._query is None:  # matches nothing: nothing to hold back
                self._results = []
            return self._results
        order = list(range(len(prefetched.raw)))
        if self._sort:
            by_position = {id(doc): position for position, doc in enumerate(prefetched.raw)}
            documents = list(prefetched.raw)
            self._connection.sort_documents(documents, self._sort)
            order = [by_position[id(doc)] for doc in documents]
        order = order[self._skip : self._skip + self._limit if self._limit else None]
        missing = [position for position in order if prefetched.models[position] is None]
        if missing:
            models = validate_loaded(self.cls, [prefetched.loaded[position] for position in missing], self._connection)
            for position, model in zip(missing, models, strict=True):
                prefetched.models[position] = model
        self._results = [prefetched.models[position] for position in order]  # type: ignore[misc]
        return self._results

    def _streaming(self, operation: str) -> NoReturn:
        limit = self._connection.prefetch_limit
        raise TypeError(
            f"{operation} needs the matches held in memory, and {self!r} streams (more than "
            f"DATABASE['prefetch'] = {limit} match, or it was never prefetched): use `async for`, "
            "`await cursor.to_list()`, or narrow it (a filter, `await cursor[a:b].to_list()`)."
        )

    async def to_list(self) -> list[M]:
        """All the models, fetched once (later calls return the same list)."""
        held = self._held()
        if held is not None:
            return held
        results: list[M] = []
        async for batch in self._batches(None):
            results.extend(batch)
        self._results = results
        return results

    async def __panther_materialize__(self) -> list[M]:
        """What an endpoint's response sends for this cursor (called by the request pipeline)."""
        return await self.to_list()

    def __iter__(self) -> Iterator[M]:
        """``for model in cursor``: the prefetched matches (``TypeError`` on a streaming cursor)."""
        held = self._held()
        if held is None:
            self._streaming("`for` over a cursor")
        return iter(held)

    def __contains__(self, model: object) -> bool:
        held = self._held()
        if held is None:
            self._streaming("`in`")
        return model in held

    async def __aiter__(self) -> AsyncIterator[M]:
        held = self._held()
        if held is not None:
            for model in held:
                yield model
            return
        async for batch in self._batches(BATCH_SIZE):
            for model in batch:
                yield model

    async def _batches(self, size: int | None) -> AsyncIterator[list[M]]:
        if self._query is None:
            return
        layout = layout_of(self.cls)
        if size is not None and not layout.references:
            size = max(size, PLAIN_BATCH_SIZE)  # no reference queries to bound: fewer, bigger round trips
        batches = self._connection.find(
            layout.collection, self._query, sort=self._sort, skip=self._skip, limit=self._limit, batch_size=size
        )
        try:
            async for docs in batches:
                yield await load_models(self.cls, docs, self._connection)
        finally:
            close = getattr(batches, "aclose", None)  # an engine's async generator: stop its server cursor now
            if close is not None:
                await close()

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> Cursor[M]: ...

    def __getitem__(self, index: int | slice) -> M | Cursor[M]:
        """``cursor[i]`` is the i-th model (``IndexError`` if there is none), as upstream's; ``cursor[a:b]`` is a
        cursor over that range."""
        if isinstance(index, slice):
            return self._slice(index)
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"cursor indices must be integers or slices, not {type(index).__name__}")
        held = self._held()
        if held is None:
            self._streaming("`cursor[i]`")
        try:
            return held[index]
        except IndexError:
            raise IndexError("cursor index out of range") from None

    def _slice(self, index: slice) -> Cursor[M]:
        start, stop, step = index.start or 0, index.stop, index.step
        if step not in (None, 1) or start < 0 or (stop is not None and stop < 0):
            raise DatabaseError("cursor slices take non-negative bounds and no step")
        cursor = Cursor(self.cls, self._connection, self.filter, self._query)
        cursor._prefetched = self._prefetched
        cursor._sort = list(self._sort)
        cursor._skip = self._skip + start
        unbounded = float("inf")
        available = max(self._limit - start, 0) if self._limit else unbounded
        wanted = max(stop - start, 0) if stop is not None else unbounded
        count = min(available, wanted)
        if count == 0:
            cursor._query = None  # an empty range; a limit of 0 would mean "no limit"
            cursor._prefetched = _Prefetched([], [])
        cursor._limit = 0 if count in (0, unbounded) else int(count)
        return cursor

    def __len__(self) -> int:
        # Upstream's cursors had no len(); saying what to use beats Python's bare "has no len()".
        raise TypeError(
            "a cursor has no len(): use `await Model.count(...)`, or `len(await cursor.to_list())` for its window"
        )

    def __bool__(self) -> bool:
        return True  # as upstream's: a cursor is truthy even when nothing matched (test with `await Model.exists()`)

    async def count(self) -> int:
        """How many documents match the filter (skip and limit ignored, like pagination's total)."""
        if self._query is None:
            return 0
        if self._prefetched is not None:
            return len(self._prefetched.raw)
        return await self._connection.count(layout_of(self.cls).collection, self._query)

    def __repr__(self) -> str:
        return f"<Cursor of {self.cls.__name__} filter={self.filter!r}>"
