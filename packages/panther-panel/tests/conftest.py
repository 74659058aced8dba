"""Fixtures of panther-panel's tests: an app with the panel mounted at ``/panel/``, on PantherDB (a file in the
test's directory) or on the real MongoDB (a database of its own per test), with a staff user and a non-staff user.

``panel_app`` is parametrised over both engines; MongoDB's runs are skipped locally without a server (a failure
under ``CI=true``), through panther-testing's ``panther_mongodb_url`` fixture.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio

import panther.authentications.plugin
import panther.db.plugin
import panther.panel.plugin
from panther import Panther
from panther.app import API
from panther.db import Model
from panther.db.context import use_app
from panther.db.models import BaseUser
from panther.panel.urls import url_routing
from panther.test import APIClient

SECRET_KEY = "test-secret-key-of-the-panther-panel-suite"
STAFF_PASSWORD = "correct horse battery staple"


class Book(Model):
    title: str
    pages: int = 0
    published: bool = False
    tags: list[str] = []


@API(input_model=Book)
async def books() -> list[Any]:
    return []


def make_urls() -> dict[str, Any]:
    return {"panel/": url_routing, "books/": books}


@pytest.fixture(params=["pantherdb", pytest.param("mongodb", marks=pytest.mark.panther_mongodb)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A ``DATABASE`` setting: a PantherDB file, or a MongoDB database of its own (dropped afterwards)."""
    if request.param == "pantherdb":
        yield {"engine": {"class": "pantherdb", "path": str(tmp_path / "db.pdb")}}
        return
    url = request.getfixturevalue("panther_mongodb_url")
    name = f"panther_panel_{uuid.uuid4().hex[:12]}"
    yield {"engine": {"class": "mongodb", "host": url, "database": name}}
    import pymongo

    with pymongo.MongoClient(url) as client:
        client.drop_database(name)


@pytest.fixture
def make_panel_app(panther_app_factory: Callable[..., Panther], engine: dict[str, Any]) -> Callable[..., Panther]:
    def build(urls: dict[str, Any] | None = None, **configs: Any) -> Panther:
        settings = {"SECRET_KEY": SECRET_KEY, "DATABASE": engine, **configs}
        return panther_app_factory(
            urls=urls or make_urls(),
            configs=settings,
            plugins=[panther.db.plugin, panther.authentications.plugin, panther.panel.plugin],
        )

    return build


@pytest_asyncio.fixture
async def panel_app(make_panel_app: Callable[..., Panther]) -> AsyncIterator[Panther]:
    app = make_panel_app()
    yield app


async def create_user(app: Panther, username: str, *, staff: bool, password: str = STAFF_PASSWORD) -> BaseUser:
    with use_app(app):
        user = BaseUser(username=username, is_staff=staff)
        await user.set_password(password)
        return await BaseUser.insert_one(user.model_dump(exclude={"id"}))


@pytest.fixture
def panel() -> Any:
    """The tests' helpers (``panel.login``, ``panel.csrf_of``, ``panel.create_user``): conftest modules cannot be
    imported under ``--import-mode=importlib``."""
    return SimpleNamespace(login=login, csrf_of=csrf_of, create_user=create_user, password=STAFF_PASSWORD, Book=Book)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


async def login(client: APIClient, username: str = "admin", password: str = STAFF_PASSWORD, **extra: str) -> Any:
    page = await client.get("/panel/login/")
    return await client.post(
        "/panel/login/",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text), **extra},
    )


@pytest_asyncio.fixture
async def staff_client(panel_app: Panther) -> AsyncIterator[APIClient]:
    """A client logged in as the staff user ``admin`` (its cookies kept, as a browser's)."""
    async with APIClient(panel_app, keep_cookies=True) as client:
        await create_user(panel_app, "admin", staff=True)
        await create_user(panel_app, "visitor", staff=False)
        response = await login(client)
        assert response.status_code == 303, response.text
        yield client
