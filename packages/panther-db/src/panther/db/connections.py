"""Upstream's ``panther.db.connections``: the engine classes, and ``db``/``redis`` for the current app.

``db`` is the current app's database connection (``db.session`` is the engine's own database object,
``db.client`` MongoDB's client); ``redis`` is the current app's Redis client (``app.redis``). Both resolve on
every use through ``panther.context.current_app()``, so they follow the app serving the request.
"""

from __future__ import annotations

from typing import Any

from panther.context import current_app
from panther.db.context import connection
from panther.db.engines.base import BaseDatabaseConnection
from panther.db.engines.mongodb import MongoDBConnection
from panther.db.engines.pantherdb import PantherDBConnection

__all__ = ["BaseDatabaseConnection", "MongoDBConnection", "PantherDBConnection", "db", "redis"]


class _CurrentDatabase:
    """Attribute access goes to the current app's connection."""

    __slots__ = ()

    @property
    def is_defined(self) -> bool:
        try:
            connection()
        except Exception:
            return False
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(connection(), name)

    def __repr__(self) -> str:
        return "<db: the current app's database connection>"


class _CurrentRedis:
    """Attribute access goes to the current app's Redis client."""

    __slots__ = ()

    @property
    def is_connected(self) -> bool:
        try:
            return current_app().redis is not None
        except RuntimeError:
            return False

    def __getattr__(self, name: str) -> Any:
        client = current_app().redis
        if client is None:
            raise ValueError("`REDIS` is not found in `configs`")
        return getattr(client, name)

    def __repr__(self) -> str:
        return "<redis: the current app's Redis client>"


db: Any = _CurrentDatabase()
redis: Any = _CurrentRedis()
