"""The ``db`` plugin: one database connection per app, opened and closed with the app's lifespan.

It reads ``DATABASE``, ``USER_MODEL``, ``LOG_QUERIES`` and ``MEDIA_DIR`` when the app is built (``panther_configure``)
and keeps the connection in ``app.stash[DB]``, where models find it. It adds the ``panther_db_engines`` hook so
other plugins can offer engines, and teaches the JSON encoder about models and cursors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson
import pluggy

from panther.db import hookspecs, scaffold
from panther.db.configuration import build_connection, check_log_queries, resolve_user_model
from panther.db.context import DB
from panther.db.cursor import Cursor
from panther.db.engines.base import BaseDatabaseConnection
from panther.db.engines.mongodb import MongoDBConnection
from panther.db.engines.pantherdb import PantherDBConnection
from panther.db.models import Model
from panther.db.query_log import LoggedConnection
from panther.plugins import hookimpl

if TYPE_CHECKING:
    from panther.cli.create import Scaffold
    from panther.configs import Config
    from panther.main import Panther


@hookimpl
def panther_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"DATABASE": None, "USER_MODEL": None, "LOG_QUERIES": False, "MEDIA_DIR": "media"}


@hookimpl
def panther_db_engines() -> Mapping[str, type[BaseDatabaseConnection]]:
    return {"pantherdb": PantherDBConnection, "mongodb": MongoDBConnection}


@hookimpl
def panther_project_scaffolds() -> Mapping[str, Callable[[str], Scaffold]]:
    return {"pantherdb": scaffold.pantherdb, "mongodb": scaffold.mongodb}


@hookimpl
def panther_configure(app: Panther, config: Config) -> None:
    connection = build_connection(app, config)
    app.stash[DB] = LoggedConnection(connection) if check_log_queries(config) else connection  # type: ignore[misc]
    # Resolved once here, so code that needs the user model (authentication) gets a class, as upstream did.
    config["USER_MODEL"] = resolve_user_model(config.USER_MODEL)


@hookimpl
def panther_lifespan(app: Panther) -> AbstractAsyncContextManager[None]:
    return _opened(app.stash[DB])


@asynccontextmanager
async def _opened(connection: BaseDatabaseConnection) -> AsyncIterator[None]:
    await connection.open()
    try:
        yield
    finally:
        await connection.close()


def _encode_model(model: Model) -> orjson.Fragment:
    # pydantic writes the JSON in Rust (ids are strings, files their metadata); orjson embeds it as it is.
    return orjson.Fragment(model.__pydantic_serializer__.to_json(model))


def _encode_cursor(cursor: Cursor[Any]) -> list[Any]:
    results = cursor._held()  # a prefetched cursor (what `await Model.find()` gives), as upstream encoded it
    if results is None:
        # Reading a streaming cursor here would block: the encoder runs inside orjson, which cannot await.
        raise TypeError(
            f"{cursor!r} streams (too many matches to prefetch) and was not read before the response was rendered: "
            "return it as the response data (the pipeline reads it), or use `await cursor.to_list()`."
        )
    return results


@hookimpl
def panther_json_encoders(app: Panther) -> Mapping[type, Callable[[Any], Any]]:
    encoders: dict[type, Callable[[Any], Any]] = {Model: _encode_model, Cursor: _encode_cursor}
    connection = app.stash.get(DB)
    if connection is not None:
        encoders.update(connection.json_encoders())
    return encoders
