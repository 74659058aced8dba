"""The database's error, importable from upstream's path ``panther.exceptions.DatabaseError`` as well."""

from __future__ import annotations

__all__ = ["DatabaseError"]


class DatabaseError(Exception):
    """An error raised by a database engine or a model query (bad filter, failed validation, unreachable server)."""
