"""Database engines: the contract every engine implements, and the two shipped with panther-db."""

from panther.db.engines.base import BaseDatabaseConnection

__all__ = ["BaseDatabaseConnection"]
