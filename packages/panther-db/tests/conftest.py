"""Fixtures for the behavioural suite, which runs on both engines.

``engine`` is parametrised over ``pantherdb`` (a file under ``tmp_path``) and ``mongodb`` (the real server from
``$PANTHER_TEST_MONGODB_URL``, a unique database per test, dropped afterwards; marked ``panther_mongodb``, so it is
skipped when no server answers and fails under ``CI=true``). ``make_app`` builds apps on that engine and starts
their lifespan; ``app`` is one such app with no routes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from panther import Panther
from panther.db.context import DB
from panther.test import lifespan as lifespans


@dataclass
class Engine:
    name: str
    tmp_path: Path
    mongodb_url: str | None = None

    def database(self, label: str = "main") -> dict[str, Any]:
        """A ``DATABASE`` setting for a database of its own (one per ``label`` in a test)."""
        if self.name == "pantherdb":
            return {"engine": {"class": "pantherdb", "path": str(self.tmp_path / f"{label}.pdb")}}
        return {"engine": {"class": "mongodb", "host": self.mongodb_url, "database": self.mongo_name(label)}}

    def mongo_name(self, label: str) -> str:
        return f"panther_test_{self.run}_{label}"

    def __post_init__(self) -> None:
        self.run = uuid.uuid4().hex[:12]


@pytest.fixture(params=["pantherdb", pytest.param("mongodb", marks=pytest.mark.panther_mongodb)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "mongodb":
        return Engine("mongodb", tmp_path, request.getfixturevalue("panther_mongodb_url"))
    return Engine("pantherdb", tmp_path)


MakeApp = Callable[..., Awaitable[Panther]]


@pytest_asyncio.fixture
async def make_app(engine: Engine, tmp_path: Path) -> AsyncIterator[MakeApp]:
    """``await make_app(urls=None, label='main', **configs)``: an app on the engine under test, lifespan started.

    Apps built with the same ``label`` share a database; the apps are shut down (and MongoDB databases dropped)
    after the test.
    """
    started: list[tuple[Panther, str, lifespans.Lifespan]] = []

    async def build(urls: dict[str, Any] | None = None, label: str = "main", **configs: Any) -> Panther:
        settings = {"BASE_DIR": str(tmp_path), "DATABASE": engine.database(label), **configs}
        app = Panther(__name__, configs=settings, urls=urls or {})
        # The ASGI lifespan, shared with the test clients of this app (they join it instead of starting it again).
        started.append((app, label, await lifespans.acquire(app)))
        return app

    yield build
    for app, label, lifespan in reversed(started):
        if engine.name == "mongodb":
            await app.stash[DB].client.drop_database(engine.mongo_name(label))
        await lifespans.release(lifespan)


@pytest_asyncio.fixture
async def app(make_app: MakeApp) -> Panther:
    return await make_app()
