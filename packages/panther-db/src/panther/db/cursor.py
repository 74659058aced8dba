"""``Cursor``: the lazy result of ``Model.find(...)``, read asynchronously in batches.

Nothing is fetched until the cursor is iterated (``async for``), materialised (``await cursor.to_list()``) or
indexed (``await cursor[0]``). Documents come in batches and each batch's references are loaded with one query per
reference field. An endpoint may return a cursor (``return await User.find()`` or ``Response(data=cursor)``):
the request pipeline awaits ``__panther_materialize__`` before rendering, so no thread is needed per document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, Generic, Self, TypeVar, overload

from pydantic import BaseModel

from panther.db.documents import load_models
from panther.db.engines.base import BaseDatabaseConnection, Filter, Sort
from panther.db.filters import prepare_sort
from panther.db.layout import layout_of
from panther.exceptions import DatabaseError

M = TypeVar("M", bound=BaseModel)

#: Documents per batch when iterating a model with references (one reference query per field per batch).
BATCH_SIZE = 100
#: Documents per batch when iterating a model without references.
PLAIN_BATCH_SIZE = 1000


class Cursor(Generic[M]):
    """Matching models of ``cls``. ``sort``/``skip``/``limit`` change the query and return the cursor itself.

    ``to_list()`` keeps its result: later ``to_list()``, ``async for`` and indexing reuse it, and the query can no
    longer change. Without it, each ``async for`` runs the query again, holding one batch at a time.
    """

    __slots__ = ("_connection", "_limit", "_query", "_results", "_skip", "_sort", "cls", "filter")

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
        """A new cursor over this one's matches that also meet ``conditions``, in the same order and window."""
        narrowed: Cursor[M] = await self.cls.find(  # type: ignore[attr-defined]
            {"$and": [clause for clause in (self.filter, *conditions) if clause]}
        )
        narrowed._sort, narrowed._skip, narrowed._limit = self._sort, self._skip, self._limit
        return narrowed

    def _check_unread(self) -> None:
        if self._results is not None:
            raise DatabaseError("this cursor has already been read; start a new one with Model.find(...)")

    # --- reading ------------------------------------------------------------------------------------------------

    async def to_list(self) -> list[M]:
        """All the models, fetched once (later calls return the same list)."""
        if self._results is None:
            results: list[M] = []
            async for batch in self._batches(None):
                results.extend(batch)
            self._results = results
        return self._results

    async def __panther_materialize__(self) -> list[M]:
        """What an endpoint's response sends for this cursor (called by the request pipeline)."""
        return await self.to_list()

    async def __aiter__(self) -> AsyncIterator[M]:
        if self._results is not None:
            for model in self._results:
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
    def __getitem__(self, index: int) -> Awaitable[M]: ...

    @overload
    def __getitem__(self, index: slice) -> Cursor[M]: ...

    def __getitem__(self, index: int | slice) -> Awaitable[M] | Cursor[M]:
        """``await cursor[i]`` is the i-th model (``IndexError`` if there is none); ``cursor[a:b]`` is a cursor
        over that range (a new query with skip/limit)."""
        if isinstance(index, slice):
            return self._slice(index)
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"cursor indices must be integers or slices, not {type(index).__name__}")
        return self._item(index)

    def _slice(self, index: slice) -> Cursor[M]:
        start, stop, step = index.start or 0, index.stop, index.step
        if step not in (None, 1) or start < 0 or (stop is not None and stop < 0):
            raise DatabaseError("cursor slices take non-negative bounds and no step")
        cursor = Cursor(self.cls, self._connection, self.filter, self._query)
        cursor._sort = list(self._sort)
        cursor._skip = self._skip + start
        unbounded = float("inf")
        available = max(self._limit - start, 0) if self._limit else unbounded
        wanted = max(stop - start, 0) if stop is not None else unbounded
        count = min(available, wanted)
        if count == 0:
            cursor._query = None  # an empty range; a limit of 0 would mean "no limit"
        cursor._limit = 0 if count in (0, unbounded) else int(count)
        return cursor

    async def _item(self, index: int) -> M:
        if self._results is not None:
            return self._results[index]
        if index < 0:
            return (await self.to_list())[index]
        if self._limit and index >= self._limit:
            raise IndexError("cursor index out of range")
        found = await self._slice(slice(index, index + 1)).to_list()
        if not found:
            raise IndexError("cursor index out of range")
        return found[0]

    async def count(self) -> int:
        """How many documents match the filter (skip and limit ignored, like pagination's total)."""
        if self._query is None:
            return 0
        return await self._connection.count(layout_of(self.cls).collection, self._query)

    def __repr__(self) -> str:
        return f"<Cursor of {self.cls.__name__} filter={self.filter!r}>"
