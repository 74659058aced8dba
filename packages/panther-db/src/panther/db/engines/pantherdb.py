"""``PantherDBConnection``: the embedded default engine, one PantherDB file per app (zero setup)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from panther.db.engines.base import BaseDatabaseConnection, Document, Filter, Sort
from panther.db.pantherdb import PantherDB
from panther.db.pantherdb.query import sort_documents
from panther.exceptions import DatabaseError, PantherError

if TYPE_CHECKING:
    from panther.configs import Config

DEFAULT_FILE = "database.pdb"


class PantherDBConnection(BaseDatabaseConnection):
    """The embedded engine: ``DATABASE = {'engine': {'class': 'pantherdb', 'path': ..., 'encryption': False}}``.

    (``'class'`` may also be upstream's ``'panther.db.connections.PantherDBConnection'``.)

    ``path`` defaults to ``BASE_DIR / 'database.pdb'`` (a relative path is taken from ``BASE_DIR``). With
    ``encryption=True`` the file is encrypted with ``SECRET_KEY``, which must be a Fernet key. Ids are 24-hex strings.
    """

    name: ClassVar[str] = "PantherDB"

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        encryption: bool = False,
        *,
        secret_key: str | bytes | None = None,
    ) -> None:
        if encryption and not secret_key:
            raise PantherError(
                "DATABASE: PantherDB `encryption` needs SECRET_KEY; set it to a Fernet key "
                "(`panther.utils.generate_secret_key()`)."
            )
        self.path = Path(path if path is not None else DEFAULT_FILE)
        self.encryption = bool(encryption)
        try:
            self._db = PantherDB(self.path, secret_key=secret_key if encryption else None)
        except DatabaseError as exc:
            raise PantherError(f"DATABASE: {exc} (used because `encryption` is True).") from None

    @classmethod
    def from_config(cls, options: Mapping[str, Any], config: Config) -> Self:
        options = dict(options)
        base_dir = Path(config.BASE_DIR or ".")
        path = options.pop("path", None)
        if path is not None and not isinstance(path, str | os.PathLike):
            raise PantherError(f"DATABASE['engine']['path'] must be a file path, got {path!r}.")
        options["path"] = base_dir / (path if path is not None else DEFAULT_FILE)
        options.setdefault("secret_key", config.SECRET_KEY)
        return cls(**options)

    async def open(self) -> None:
        # An existing file is read now, so a wrong key or a damaged file fails the startup, not the first request.
        # A missing one is left alone: it is created by the first write.
        if not self.path.exists():
            return
        try:
            await self._db.collection_names()
        except DatabaseError as exc:
            about_key = self.encryption or "SECRET_KEY" in str(exc)
            hint = " Check SECRET_KEY and `encryption` in DATABASE." if about_key else ""
            raise PantherError(f"DATABASE: {exc}.{hint}") from None

    async def close(self) -> None:
        await self._db.close()

    def native_id(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if type(value).__name__ == "ObjectId":  # an id copied from MongoDB
            return str(value)
        raise ValueError(f"{value!r} is not an id")

    async def find_one(self, collection: str, filter: Filter) -> Document | None:
        return await self._db.find_one(collection, filter)

    async def first(self, collection: str, filter: Filter) -> Document | None:
        return await self._db.first(collection, filter)

    async def last(self, collection: str, filter: Filter) -> Document | None:
        return await self._db.last(collection, filter)

    async def find(
        self,
        collection: str,
        filter: Filter,
        *,
        sort: Sort | None = None,
        skip: int = 0,
        limit: int = 0,
        batch_size: int | None = None,
    ) -> AsyncIterator[list[Document]]:
        # One call to the engine (it answers from memory; more calls would only add round trips to its worker),
        # handed out in batches so that references are still loaded batch by batch.
        docs = await self._db.find(collection, filter, sort=sort, skip=skip, limit=limit or None)
        step = batch_size or len(docs) or 1
        for start in range(0, len(docs), step):
            yield docs[start : start + step]

    async def count(self, collection: str, filter: Filter) -> int:
        return await self._db.count(collection, filter)

    def sort_documents(self, documents: list[Document], sort: Sort) -> None:
        sort_documents(documents, sort)  # the order the engine's own find(sort=...) gives

    async def insert_one(self, collection: str, document: Document) -> str:
        return (await self._db.insert_one(collection, document))["_id"]

    async def insert_many(self, collection: str, documents: list[Document]) -> list[str]:
        return [doc["_id"] for doc in await self._db.insert_many(collection, documents)]

    async def update_one(self, collection: str, filter: Filter, update: Document) -> int:
        return await self._db.update_one(collection, filter, update)

    async def update_many(self, collection: str, filter: Filter, update: Document) -> int:
        return await self._db.update_many(collection, filter, update)

    async def delete_one(self, collection: str, filter: Filter) -> int:
        return await self._db.delete_one(collection, filter)

    async def delete_many(self, collection: str, filter: Filter) -> int:
        return await self._db.delete_many(collection, filter)

    async def find_one_or_insert(self, collection: str, filter: Filter, document: Document) -> tuple[Document, bool]:
        return await self._db.find_one_or_insert(collection, filter, document)

    async def drop(self, collection: str) -> None:
        await self._db.drop(collection)

    @property
    def session(self) -> PantherDB:
        return self._db

    def __repr__(self) -> str:
        return f"<PantherDBConnection path={str(self.path)!r} encrypted={self.encryption}>"
