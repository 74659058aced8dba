"""``Query``: the async query API of every ``Model`` — upstream Panther's classmethods and instance methods.

Filters are a dict positional argument and/or keyword arguments (merged; ``id`` means ``_id``). Every method runs
against the current app's database (``panther.db.context``). A filter that cannot match (an invalid ObjectId)
finds nothing instead of raising: ``find_one`` → ``None``, ``find_one_or_raise`` → 404, ``count`` → 0.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ValidationError

from panther.db.context import connection
from panther.db.cursor import Cursor
from panther.db.documents import invalid, load_one, resolve_references, stored_id, to_document
from panther.db.filters import NoMatch, merge_filter, prepare_filter
from panther.db.layout import Layout, layout_of
from panther.db.updates import prepare_update
from panther.exceptions import DatabaseError, NotFoundAPIError

if TYPE_CHECKING:
    from panther.db.engines.base import BaseDatabaseConnection, Document, Filter


class Query(BaseModel):
    """The base of ``Model``: class-level queries return models (or a ``Cursor``), instance methods change one.

    It declares no field; ``Model`` adds ``id``.
    """

    if TYPE_CHECKING:  # declared by Model; here only for the type checker
        id: str | None

    # --- helpers ------------------------------------------------------------------------------------------------

    @classmethod
    def _query(
        cls, connection: BaseDatabaseConnection, _filter: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
    ) -> Filter | None:
        """The engine filter, or ``None`` when it cannot match anything."""
        try:
            return prepare_filter(layout_of(cls), connection, merge_filter(_filter, kwargs))
        except NoMatch:
            return None

    @classmethod
    async def _validate_new(
        cls, connection: BaseDatabaseConnection, layout: Layout, documents: list[dict[str, Any]]
    ) -> list[Self]:
        if layout.references:
            # References given by id (`author=user.id`) are loaded, one query per field for all the documents.
            await resolve_references(layout, documents, connection)
        try:
            return [cls.model_validate(document) for document in documents]
        except ValidationError as exc:
            raise invalid(cls, exc) from exc

    @classmethod
    async def _load_match(
        cls,
        engine_method: Literal["find_one", "first", "last"],
        _filter: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> Self | None:
        """The document the engine's ``find_one``, ``first`` or ``last`` picks, as a model (``None``: no match)."""
        db = connection()
        query = cls._query(db, _filter, kwargs)
        if query is None:
            return None
        pick: Callable[[str, Filter], Awaitable[Document | None]] = getattr(db, engine_method)
        doc = await pick(layout_of(cls).collection, query)
        return None if doc is None else await load_one(cls, doc, db)

    @classmethod
    async def _update_matches(
        cls,
        engine_method: Literal["update_one", "update_many"],
        _filter: Mapping[str, Any],
        update: Mapping[str, Any],
    ) -> int:
        """Run the engine's ``update_one`` or ``update_many``; returns how many documents matched."""
        db = connection()
        query = cls._query(db, _filter, {})
        layout = layout_of(cls)
        prepared = await prepare_update(cls, layout, db, update)
        if query is None:
            return 0
        run: Callable[[str, Filter, Document], Awaitable[int]] = getattr(db, engine_method)
        return await run(layout.collection, query, prepared.engine_update)

    # --- reading ------------------------------------------------------------------------------------------------

    @classmethod
    async def find_one(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Self | None:
        return await cls._load_match("find_one", _filter, kwargs)

    @classmethod
    async def find_one_or_raise(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Self:
        """Like ``find_one``, but a miss raises ``NotFoundAPIError``: ``404 {"detail": "<Model> Does Not Exist"}``."""
        found = await cls.find_one(_filter, **kwargs)
        if found is None:
            raise NotFoundAPIError(detail=f"{cls.__name__} Does Not Exist")
        return found

    @classmethod
    async def find(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Cursor[Self]:
        """A ``Cursor`` over the matches: ``for``/``async for``, ``cursor[i]``, ``sort``, ``skip``, ``limit``.

        Up to ``panther.db.cursor.PREFETCH_LIMIT`` matches are read now, so plain ``for`` works as upstream's did;
        past that the cursor streams (``async for``, ``await cursor.to_list()``).
        """
        db = connection()
        cursor = Cursor(cls, db, merge_filter(_filter, kwargs), cls._query(db, _filter, kwargs))
        return await cursor.prefetch()

    @classmethod
    async def all(cls) -> Cursor[Self]:
        return await cls.find()

    @classmethod
    async def first(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Self | None:
        """The first match in insertion (``_id``) order."""
        return await cls._load_match("first", _filter, kwargs)

    @classmethod
    async def last(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Self | None:
        """The last match in insertion (``_id``) order."""
        return await cls._load_match("last", _filter, kwargs)

    @classmethod
    async def count(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> int:
        db = connection()
        query = cls._query(db, _filter, kwargs)
        return 0 if query is None else await db.count(layout_of(cls).collection, query)

    @classmethod
    async def exists(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> bool:
        db = connection()
        query = cls._query(db, _filter, kwargs)
        return query is not None and await db.find_one(layout_of(cls).collection, query) is not None

    @classmethod
    async def aggregate(cls, pipeline: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Run a MongoDB aggregation pipeline on the collection; returns raw documents (PantherDB: an error)."""
        return await connection().aggregate(layout_of(cls).collection, pipeline)

    # --- writing ------------------------------------------------------------------------------------------------

    @classmethod
    async def insert_one(cls, _document: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Self:
        """Validate, store and return a new model (with its ``id``)."""
        db = connection()
        layout = layout_of(cls)
        (obj,) = await cls._validate_new(db, layout, [merge_filter(_document, kwargs)])
        doc = await to_document(obj, layout, db)
        obj.id = str(await db.insert_one(layout.collection, doc))
        return obj

    @classmethod
    async def insert_many(cls, documents: Iterable[Mapping[str, Any]]) -> list[Self]:
        db = connection()
        layout = layout_of(cls)
        objs = await cls._validate_new(db, layout, [merge_filter(document, {}) for document in documents])
        docs = [await to_document(obj, layout, db) for obj in objs]
        for obj, new_id in zip(objs, await db.insert_many(layout.collection, docs), strict=True):
            obj.id = str(new_id)
        return objs

    @classmethod
    async def update_one(
        cls, _filter: Mapping[str, Any], _update: Mapping[str, Any] | None = None, /, **kwargs: Any
    ) -> bool:
        """Update the first match; returns whether one matched, as upstream's. Plain keys are set, ``$`` operators
        pass through."""
        return await cls._update_matches("update_one", _filter, {**(_update or {}), **kwargs}) > 0

    @classmethod
    async def update_many(
        cls, _filter: Mapping[str, Any], _update: Mapping[str, Any] | None = None, /, **kwargs: Any
    ) -> int:
        """Update every match; returns how many matched (like ``update_one``)."""
        return await cls._update_matches("update_many", _filter, {**(_update or {}), **kwargs})

    @classmethod
    async def delete_one(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> bool:
        db = connection()
        query = cls._query(db, _filter, kwargs)
        return query is not None and await db.delete_one(layout_of(cls).collection, query) > 0

    @classmethod
    async def delete_many(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> int:
        db = connection()
        query = cls._query(db, _filter, kwargs)
        return 0 if query is None else await db.delete_many(layout_of(cls).collection, query)

    @classmethod
    async def find_one_or_insert(cls, _filter: Mapping[str, Any] | None = None, /, **kwargs: Any) -> tuple[Self, bool]:
        """Return ``(match, False)``, or insert the filter's fields as a new model and return ``(it, True)``.

        With a unique index on the filtered fields (MongoDB), concurrent calls insert one document only.
        """
        db = connection()
        layout = layout_of(cls)
        data = merge_filter(_filter, kwargs)
        query = cls._query(db, data, {})
        if query is not None:
            found = await db.find_one(layout.collection, query)
            if found is not None:
                return await load_one(cls, found, db), False
        (obj,) = await cls._validate_new(db, layout, [dict(data)])
        doc = await to_document(obj, layout, db)
        own = query if query is not None else {"_id": doc.get("_id")}
        stored, created = await db.find_one_or_insert(layout.collection, own, doc)
        if not created:
            return await load_one(cls, stored, db), False
        obj.id = str(stored["_id"])
        return obj, True

    # --- instance methods ---------------------------------------------------------------------------------------

    def _own_filter(self, db: BaseDatabaseConnection) -> Filter:
        if self.id is None:
            raise DatabaseError(f"this {type(self).__name__} is not saved yet (its id is None): insert it first")
        return {"_id": stored_id(db, self.id)}

    async def save(self) -> None:
        """Insert the model (no ``id`` yet) or write all its fields to its document."""
        db = connection()
        layout = layout_of(type(self))
        doc = await to_document(self, layout, db)
        if self.id is None:
            self.id = str(await db.insert_one(layout.collection, doc))
            return
        own = {"_id": doc.pop("_id")}
        if doc:
            matched = await db.update_one(layout.collection, own, {"$set": doc})
        else:
            matched = await db.count(layout.collection, own)
        if not matched:  # deleted meanwhile, or an id chosen by the application: create it
            await db.insert_one(layout.collection, {**own, **doc})

    async def update(self, _update: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        """Update this model's document and the model itself (reloaded only when ``$`` operators were used)."""
        db = connection()
        layout = layout_of(type(self))
        update = await prepare_update(type(self), layout, db, {**(_update or {}), **kwargs})
        await db.update_one(layout.collection, self._own_filter(db), update.engine_update)
        if update.exact:
            for name, value in update.values.items():
                setattr(self, name, value)
        else:
            await self.reload()

    async def delete(self) -> None:
        db = connection()
        await db.delete_one(layout_of(type(self)).collection, self._own_filter(db))

    async def reload(self) -> None:
        """Read the model's fields again from its document (``NotFoundAPIError`` if it was deleted)."""
        db = connection()
        doc = await db.find_one(layout_of(type(self)).collection, self._own_filter(db))
        if doc is None:
            raise NotFoundAPIError(detail=f"{type(self).__name__} Does Not Exist")
        fresh = await load_one(type(self), doc, db)
        for name in type(fresh).model_fields:
            setattr(self, name, getattr(fresh, name))
