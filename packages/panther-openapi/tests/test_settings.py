"""The ``OPENAPI`` setting: the document's info and servers, where the plugin mounts the docs, and clear errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from panther import Panther
from panther.app import API
from panther.exceptions import PantherError
from panther.openapi import openapi_document
from panther.test import APIClient

Build = Callable[..., Panther]


@API(methods=["GET"])
async def hello() -> None: ...


def test_defaults(make_app: Build) -> None:
    document = openapi_document(make_app({"hello": hello}))
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Panther API", "version": "1.0.0"}
    assert "servers" not in document


def test_info_and_servers(make_app: Build) -> None:
    setting = {
        "title": "Shop",
        "version": "2.0",
        "summary": "Books.",
        "description": "All the books.",
        "terms_of_service": "https://example.com/terms",
        "contact": {"name": "Ada", "email": "ada@example.com"},
        "license": {"name": "MIT", "identifier": "MIT"},
        "servers": ["https://api.example.com", {"url": "http://127.0.0.1:8000", "description": "local"}],
    }
    document = openapi_document(make_app({"hello": hello}, {"OPENAPI": setting}))
    assert document["info"] == {
        "title": "Shop",
        "version": "2.0",
        "summary": "Books.",
        "description": "All the books.",
        "termsOfService": "https://example.com/terms",
        "contact": {"name": "Ada", "email": "ada@example.com"},
        "license": {"name": "MIT", "identifier": "MIT"},
    }
    assert document["servers"] == [
        {"url": "https://api.example.com"},
        {"url": "http://127.0.0.1:8000", "description": "local"},
    ]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("docs", "OPENAPI must be a dict"),
        ({"tittle": "x"}, "unknown keys 'tittle'"),
        ({"title": ""}, r"OPENAPI\['title'\] must be a non-empty string"),
        ({"version": 2}, r"OPENAPI\['version'\] must be a non-empty string"),
        ({"license": {"url": "x"}}, r"OPENAPI\['license'\] must be a dict with a name"),
        ({"servers": "https://x"}, r"OPENAPI\['servers'\] must be a list"),
        ({"servers": [{"description": "no url"}]}, "neither a URL nor a dict with a 'url'"),
        ({"path": 1}, r"OPENAPI\['path'\] must be a URL prefix"),
    ],
)
def test_bad_settings_are_startup_errors(make_app: Build, setting: Any, message: str) -> None:
    with pytest.raises(PantherError, match=message):
        make_app({"hello": hello}, {"OPENAPI": setting})


async def test_path_mounts_the_docs(make_app: Build) -> None:
    app = make_app({"hello": hello}, {"OPENAPI": {"path": "/api-docs/"}})
    async with APIClient(app) as client:
        assert (await client.get("/api-docs/openapi.json")).status_code == 200
        assert (await client.get("/api-docs/swagger/")).status_code == 200
    assert list(openapi_document(app)["paths"]) == ["/hello/"]


async def test_without_path_nothing_is_mounted(make_app: Build) -> None:
    app = make_app({"hello": hello})
    async with APIClient(app) as client:
        assert (await client.get("/docs/openapi.json")).status_code == 404


def test_openapi_setting_without_the_plugin_names_the_distribution(panther_app_factory: Callable[..., Any]) -> None:
    with pytest.raises(PantherError, match=r"`OPENAPI` is set.*panther-openapi"):
        panther_app_factory(urls={"hello": hello}, configs={"OPENAPI": {"title": "x"}}, disable_plugins=["openapi"])
