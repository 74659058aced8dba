"""The contract between the query layer (``Model``) and a database engine: raw documents in, raw documents out.

An engine knows nothing about models. The query layer hands it collection names, filters and documents already in
the engine's own form (ids converted with ``native_id``, references stored as ids, files stored as paths) and turns
what it returns back into models. A third-party engine subclasses ``BaseDatabaseConnection``, implements the
abstract methods and is offered to apps through the ``panther_db_engines`` hook (or named by its dotted path in
``DATABASE``).

Filters and updates use MongoDB's language (``$in``, ``$gt``, ``$set``, ``$inc``, ...): it is what users write in
``Model.find(...)`` and ``Model.update_one(...)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from panther.db.ordering import sort_documents
from panther.exceptions import DatabaseError

if TYPE_CHECKING:
    from panther.configs import Config

Document = dict[str, Any]
Filter = dict[str, Any]
Sort = list[tuple[str, int]]

#: The default of ``DATABASE['prefetch']``: the most matches ``await Model.find()`` reads ahead (see ``Cursor``).
PREFETCH_LIMIT = 10_000


class BaseDatabaseConnection(ABC):
    """One app's connection to one database.

    Created when the app is built (``from_config``), opened at lifespan startup (``open``: check the database is
    usable, so a mistake fails the startup) and closed at shutdown. Operations may also be called before ``open``
    (scripts and tests that skip the lifespan), so engines connect lazily.
    """

    #: Shown in logs and error messages.
    name: ClassVar[str] = "database"

    #: Where ``File`` fields are saved (``BASE_DIR / MEDIA_DIR``); set by the db plugin.
    media_root: Path = Path("media")
    #: How many matches ``await Model.find()`` reads ahead for synchronous use (``DATABASE['prefetch']``; 0: none).
    prefetch_limit: int = PREFETCH_LIMIT

    @classmethod
    def from_config(cls, options: Mapping[str, Any], config: Config) -> Self:
        """Build the connection from the ``DATABASE['engine']`` options (minus ``class``) and the app's config.

        Raise ``panther.exceptions.PantherError`` saying what to change; a ``TypeError`` (an unknown option) is
        reported by the caller with the option's name.
        """
        return cls(**options)

    async def open(self) -> None:  # noqa: B027 - optional: engines that connect lazily need nothing here
        """Check that the database can be used; raise ``PantherError`` with what to change if not."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections and files. The connection may be used again afterwards (it reopens lazily)."""

    # --- ids ----------------------------------------------------------------------------------------------------

    @abstractmethod
    def native_id(self, value: Any) -> Any:
        """Return ``value`` (a string id, or already native) as the engine stores ``_id``; ``ValueError`` if it
        cannot be one (the query layer then answers "no match" or 400, never 500)."""

    def json_encoders(self) -> Mapping[type, Callable[[Any], Any]]:
        """Encoders for engine-specific types that may reach a response (e.g. MongoDB's ``ObjectId``)."""
        return {}

    # --- reading ------------------------------------------------------------------------------------------------

    @abstractmethod
    async def find_one(self, collection: str, filter: Filter) -> Document | None: ...

    @abstractmethod
    async def first(self, collection: str, filter: Filter) -> Document | None:
        """The first matching document in insertion (``_id``) order."""

    @abstractmethod
    async def last(self, collection: str, filter: Filter) -> Document | None:
        """The last matching document in insertion (``_id``) order."""

    @abstractmethod
    def find(
        self,
        collection: str,
        filter: Filter,
        *,
        sort: Sort | None = None,
        skip: int = 0,
        limit: int = 0,
        batch_size: int | None = None,
    ) -> AsyncIterator[list[Document]]:
        """Yield the matching documents in batches of at most ``batch_size`` (``None``: one batch with all).

        ``limit`` 0 means no limit. Implemented as an async generator; a consumer that stops early closes it.
        """

    @abstractmethod
    async def count(self, collection: str, filter: Filter) -> int: ...

    def sort_documents(self, documents: list[Document], sort: Sort) -> None:
        """Sort ``documents`` in place, in the order ``find(sort=sort)`` would give them.

        Cursors use it to sort results they already hold. The default is MongoDB's order of values
        (``panther.db.ordering``); an engine that orders differently overrides it.
        """
        sort_documents(documents, sort)

    async def aggregate(self, collection: str, pipeline: Sequence[Mapping[str, Any]]) -> list[Document]:
        raise DatabaseError(f"{self.name} does not support aggregate(); use MongoDB for aggregation pipelines.")

    # --- writing ------------------------------------------------------------------------------------------------

    @abstractmethod
    async def insert_one(self, collection: str, document: Document) -> Any:
        """Insert ``document`` (an ``_id`` is generated unless present); return its native ``_id``."""

    @abstractmethod
    async def insert_many(self, collection: str, documents: list[Document]) -> list[Any]:
        """Insert ``documents``; return their native ``_id``s in order."""

    @abstractmethod
    async def update_one(self, collection: str, filter: Filter, update: Document) -> int:
        """Apply ``update`` (``$set``, ``$unset``, ``$inc``, ``$push``, ...) to the first match; return matches."""

    @abstractmethod
    async def update_many(self, collection: str, filter: Filter, update: Document) -> int:
        """Apply ``update`` to every match; return how many matched."""

    @abstractmethod
    async def delete_one(self, collection: str, filter: Filter) -> int: ...

    @abstractmethod
    async def delete_many(self, collection: str, filter: Filter) -> int: ...

    @abstractmethod
    async def find_one_or_insert(self, collection: str, filter: Filter, document: Document) -> tuple[Document, bool]:
        """Return ``(match, False)``, or insert ``document`` and return ``(it with its _id, True)``.

        Concurrent calls must not insert twice where the database can prevent it (a unique index on MongoDB).
        """

    @abstractmethod
    async def drop(self, collection: str) -> None: ...

    # --- upstream compatibility (``panther.db.connections.db``) -------------------------------------------------

    @property
    def session(self) -> Any:
        """The engine's own database object (``PantherDB``, or pymongo's ``AsyncDatabase``)."""
        return None

    @property
    def client(self) -> Any:
        return None

    @property
    def is_defined(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
