"""The database's errors; ``DatabaseError`` is importable from upstream's path ``panther.exceptions.DatabaseError``
as well."""

from __future__ import annotations

from panther import status
from panther.exceptions import APIError

__all__ = ["DatabaseError", "DatabaseUnavailable"]


class DatabaseError(Exception):
    """An error raised by a database engine or a model query (bad filter, failed validation, unreachable server)."""


class DatabaseUnavailable(APIError):
    """The database server cannot be reached (stopped, restarting, network down): answered 503, and the next
    request tries again, so the app recovers by itself when the server is back."""

    detail = "Database is unavailable, try again later"
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
