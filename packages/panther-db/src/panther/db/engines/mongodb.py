"""``MongoDBConnection``: MongoDB through pymongo's native asyncio client (``AsyncMongoClient``), no threads.

pymongo is imported only when this engine is configured (``pip install 'panther-db[mongodb]'``). The client is
created on first use and closed at the app's shutdown; every operation awaits the driver, and cursors are read
batch by batch with ``to_list(n)``, so nothing blocks the event loop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import Any, ClassVar, ParamSpec, TypeVar
from urllib.parse import urlsplit

from panther.db.engines.base import BaseDatabaseConnection, Document, Filter, Sort
from panther.db.errors import DatabaseUnavailable
from panther.exceptions import PantherError

logger = logging.getLogger("panther")

_SCHEMES = ("mongodb://", "mongodb+srv://")
#: How long an operation waits for a reachable server before it is answered 503 (pymongo's own default is 30 s).
#: ``serverSelectionTimeoutMS`` in DATABASE['engine'] or in the connection string changes it.
SERVER_SELECTION_TIMEOUT_MS = 5000

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _unavailable(exc: Exception) -> DatabaseUnavailable:
    logger.error("MongoDB is unavailable: %s: %s", type(exc).__name__, exc)
    return DatabaseUnavailable()


def _answers_503(method: Callable[_P, Coroutine[Any, Any, _T]]) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """A lost server (pymongo's ``ConnectionFailure``: refused, timed out, no primary) becomes a 503."""

    @functools.wraps(method)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        from pymongo.errors import ConnectionFailure

        try:
            return await method(*args, **kwargs)
        except ConnectionFailure as exc:
            raise _unavailable(exc) from None

    return wrapper


def _import_pymongo() -> Any:
    try:
        import pymongo
    except ImportError:
        raise PantherError(
            "DATABASE uses MongoDB but pymongo is not installed: pip install 'panther-db[mongodb]'."
        ) from None
    return pymongo


def _database_from_uri(host: str) -> str | None:
    if host.startswith("mongodb+srv://"):
        # parse_uri would resolve the SRV record (network I/O) just to read the path; read it directly.
        return urlsplit(host).path.lstrip("/") or None
    from pymongo import uri_parser
    from pymongo.errors import ConfigurationError

    try:
        return uri_parser.parse_uri(host)["database"]
    except ConfigurationError as exc:
        raise PantherError(f"DATABASE['engine']['host'] is not a valid MongoDB connection string: {exc}.") from None


class MongoDBConnection(BaseDatabaseConnection):
    """``DATABASE = {'engine': {'class': 'panther.db.connections.MongoDBConnection', 'host': 'mongodb://...'}}``.

    ``host`` is a connection string (replica sets, credentials and options pass through to the driver) or a host
    name. The database is ``database=`` or the one named in the connection string. Other keyword arguments go to
    ``AsyncMongoClient``; ``tz_aware`` defaults to True so datetimes come back timezone-aware (in UTC).
    """

    name: ClassVar[str] = "MongoDB"

    def __init__(
        self,
        host: str = "mongodb://127.0.0.1:27017",
        database: str | None = None,
        **client_kwargs: Any,
    ) -> None:
        self._pymongo = _import_pymongo()
        if not isinstance(host, str) or not host:
            raise PantherError(f"DATABASE['engine']['host'] must be a MongoDB connection string, got {host!r}.")
        uri_database = _database_from_uri(host) if host.startswith(_SCHEMES) else None
        self.database = database or uri_database
        if not self.database:
            raise PantherError(
                "DATABASE: name the MongoDB database with 'database': '<name>' in DATABASE['engine'] "
                "(or at the end of the connection string: mongodb://host:27017/<name>)."
            )
        self.host = host
        defaults: dict[str, Any] = {"tz_aware": True}
        if "serverselectiontimeoutms" not in host.lower():  # a keyword would override the connection string's
            defaults["serverSelectionTimeoutMS"] = SERVER_SELECTION_TIMEOUT_MS
        self.client_kwargs = {**defaults, **client_kwargs}
        self._client: Any = None
        self._database: Any = None
        self._collections: dict[str, Any] = {}
        from bson import ObjectId
        from bson.errors import InvalidId
        from pymongo.errors import DuplicateKeyError

        self._object_id: type = ObjectId
        self._invalid_id: type[Exception] = InvalidId
        self._duplicate_key: type[Exception] = DuplicateKeyError

    # --- connection ---------------------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                self._client = self._pymongo.AsyncMongoClient(self.host, **self.client_kwargs)
            except (TypeError, self._pymongo.errors.ConfigurationError) as exc:
                raise PantherError(f"DATABASE: AsyncMongoClient rejected the engine options: {exc}.") from None
            self._database = self._client[self.database]
        return self._client

    @property
    def session(self) -> Any:
        """pymongo's ``AsyncDatabase`` (e.g. ``db.session['User'].create_index('username', unique=True)``)."""
        if self._database is None:
            self.client  # noqa: B018 - creates the client and the database handle
        return self._database

    def _collection(self, name: str) -> Any:
        collection = self._collections.get(name)
        if collection is None:
            collection = self._collections[name] = self.session[name]
        return collection

    async def open(self) -> None:
        try:
            await self.client.admin.command("ping")
        except self._pymongo.errors.PyMongoError as exc:
            await self.close()
            where = self._safe_host()
            raise PantherError(f"Cannot reach MongoDB at {where} ({exc}); check DATABASE or start it.") from None

    async def close(self) -> None:
        client, self._client, self._database = self._client, None, None
        self._collections.clear()
        if client is not None:
            await client.close()

    def _safe_host(self) -> str:
        # Never print credentials from the connection string.
        if "@" in self.host:
            scheme, _, rest = self.host.partition("://")
            return f"{scheme}://***@{rest.rpartition('@')[2]}"
        return self.host

    # --- ids ----------------------------------------------------------------------------------------------------

    def native_id(self, value: Any) -> Any:
        if isinstance(value, self._object_id):
            return value
        try:
            return self._object_id(value)
        except (self._invalid_id, TypeError):
            raise ValueError(f"{value!r} is not a valid ObjectId") from None

    def json_encoders(self) -> Mapping[type, Callable[[Any], Any]]:
        return {self._object_id: str}

    # --- reading ------------------------------------------------------------------------------------------------

    @_answers_503
    async def find_one(self, collection: str, filter: Filter) -> Document | None:
        return await self._collection(collection).find_one(filter)

    @_answers_503
    async def first(self, collection: str, filter: Filter) -> Document | None:
        return await self._collection(collection).find_one(filter, sort=[("_id", 1)])

    @_answers_503
    async def last(self, collection: str, filter: Filter) -> Document | None:
        return await self._collection(collection).find_one(filter, sort=[("_id", -1)])

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
        from pymongo.errors import ConnectionFailure

        cursor = self._collection(collection).find(filter, sort=sort or None, skip=skip, limit=limit)
        try:
            if batch_size is None:
                docs = await cursor.to_list()
                if docs:
                    yield docs
                return
            while batch := await cursor.to_list(batch_size):
                yield batch
        except ConnectionFailure as exc:
            raise _unavailable(exc) from None
        finally:
            await cursor.close()

    @_answers_503
    async def count(self, collection: str, filter: Filter) -> int:
        return await self._collection(collection).count_documents(filter)

    @_answers_503
    async def aggregate(self, collection: str, pipeline: Sequence[Mapping[str, Any]]) -> list[Document]:
        cursor = await self._collection(collection).aggregate(list(pipeline))
        return await cursor.to_list()

    # --- writing ------------------------------------------------------------------------------------------------

    @_answers_503
    async def insert_one(self, collection: str, document: Document) -> Any:
        return (await self._collection(collection).insert_one(document)).inserted_id

    @_answers_503
    async def insert_many(self, collection: str, documents: list[Document]) -> list[Any]:
        if not documents:
            return []
        return list((await self._collection(collection).insert_many(documents)).inserted_ids)

    @_answers_503
    async def update_one(self, collection: str, filter: Filter, update: Document) -> int:
        return (await self._collection(collection).update_one(filter, update)).matched_count

    @_answers_503
    async def update_many(self, collection: str, filter: Filter, update: Document) -> int:
        # matched, like update_one (upstream returned modified_count here).
        return (await self._collection(collection).update_many(filter, update)).matched_count

    @_answers_503
    async def delete_one(self, collection: str, filter: Filter) -> int:
        return (await self._collection(collection).delete_one(filter)).deleted_count

    @_answers_503
    async def delete_many(self, collection: str, filter: Filter) -> int:
        return (await self._collection(collection).delete_many(filter)).deleted_count

    @_answers_503
    async def find_one_or_insert(self, collection: str, filter: Filter, document: Document) -> tuple[Document, bool]:
        target = self._collection(collection)
        if not document:
            found = await target.find_one(filter)
            if found is not None:
                return found, False
            document = {**document, "_id": await self.insert_one(collection, dict(document))}
            return document, True
        # One atomic upsert: with a unique index on the filtered fields the server lets exactly one concurrent
        # caller insert (it retries the others as matches); a DuplicateKeyError still means "someone else won".
        try:
            result = await target.update_one(filter, {"$setOnInsert": document}, upsert=True)
        except self._duplicate_key:
            result = None
        if result is not None and result.upserted_id is not None:
            return {"_id": result.upserted_id, **document}, True
        found = await target.find_one(filter)
        if found is None:  # deleted in between: extremely unlikely, and an insert is still the right answer
            return {**document, "_id": await self.insert_one(collection, dict(document))}, True
        return found, False

    @_answers_503
    async def drop(self, collection: str) -> None:
        await self._collection(collection).drop()

    def __repr__(self) -> str:
        return f"<MongoDBConnection host={self._safe_host()!r} database={self.database!r}>"
