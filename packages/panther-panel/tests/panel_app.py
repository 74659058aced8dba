"""The app the browser test serves with uvicorn: the panel at ``/panel/`` over ``PANEL_DATABASE`` (a PantherDB file
path, or a MongoDB URL and database name as ``mongodb://host:port/name``)."""

from __future__ import annotations

import os
from typing import Any

from panther import Panther
from panther.app import API
from panther.db import Model
from panther.panel.urls import url_routing


class Book(Model):
    title: str
    pages: int = 0
    published: bool = False


@API(input_model=Book)
async def books() -> list[Any]:
    return []


def _database() -> dict[str, Any]:
    target = os.environ["PANEL_DATABASE"]
    if target.startswith("mongodb://"):
        host, _, name = target.rpartition("/")
        return {"engine": {"class": "mongodb", "host": host, "database": name}}
    return {"engine": {"class": "pantherdb", "path": target}}


app = Panther(
    __name__,
    configs={"SECRET_KEY": os.environ["PANEL_SECRET_KEY"], "DATABASE": _database()},
    urls={"panel/": url_routing, "books/": books},
)
