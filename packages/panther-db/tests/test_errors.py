"""``DatabaseError``: panther-db's error, at upstream's import path too."""

from __future__ import annotations

from typing import Any

from panther import Panther
from panther.app import API
from panther.db.errors import DatabaseError
from panther.exceptions import BaseError
from panther.test import APIClient


def test_upstream_import_path_is_the_same_class() -> None:
    from panther.exceptions import DatabaseError as upstream_path

    assert upstream_path is DatabaseError
    assert not issubclass(DatabaseError, BaseError)  # not an API error: nothing about it reaches the client


async def test_an_unhandled_database_error_is_a_500() -> None:
    @API()
    async def fails() -> Any:
        raise DatabaseError("down")

    async with APIClient(Panther(__name__, configs={}, urls={"x": fails})) as client:
        response = await client.get("/x")
    assert (response.status_code, response.data) == (500, {"detail": "Internal Server Error"})
