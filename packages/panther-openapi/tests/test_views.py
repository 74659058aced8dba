"""Serving the docs: the JSON document, the UI pages and the vendored files — built once per app, cached right."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

import panther.openapi.serving
from panther import Panther
from panther.app import API
from panther.exceptions import PantherError
from panther.openapi import openapi_document
from panther.openapi.serving import DOCS
from panther.openapi.urls import url_routing
from panther.openapi.views import SwaggerOpenAPI
from panther.test import APIClient

Build = Callable[..., Panther]
UIS = ("swagger", "redoc", "scalar", "rapidoc", "spotlight")


@API(methods=["GET"])
async def hello() -> dict[str, str]:
    """Say hello </script><script>alert(1)</script>."""
    return {"hello": "world"}


@pytest.fixture
def app(make_app: Build) -> Panther:
    return make_app({"hello": hello, "docs": url_routing}, {"OPENAPI": {"title": "Views"}})


async def test_document_is_json_with_a_validator(app: Panther) -> None:
    async with APIClient(app) as client:
        response = await client.get("/docs/openapi.json")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.data == openapi_document(app)
        etag = response.headers["ETag"]
        again = await client.get("/docs/openapi.json", headers={"If-None-Match": f'W/{etag}, "other"'})
        assert (again.status_code, again.body) == (304, b"")
        assert (await client.head("/docs/openapi.json")).headers["Content-Length"] == str(len(response.body))


async def test_document_is_built_with_the_app_and_never_per_request(
    make_app: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    build = panther.openapi.serving.build_document
    monkeypatch.setattr(panther.openapi.serving, "build_document", lambda *a: calls.append(1) or build(*a))
    app = make_app({"hello": hello, "docs": url_routing})
    assert calls == [1]  # when Panther(...) finished
    async with APIClient(app) as client:
        for _ in range(3):
            assert (await client.get("/docs/openapi.json")).status_code == 200
            assert (await client.get("/docs/swagger/")).status_code == 200
    assert calls == [1]


def test_an_app_that_does_not_serve_the_docs_builds_nothing_until_asked(
    make_app: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app({"hello": hello})
    assert DOCS not in app.stash
    document = openapi_document(app)
    assert list(document["paths"]) == ["/hello/"]
    document["paths"].clear()  # a copy: the app's document is unchanged
    assert list(openapi_document(app)["paths"]) == ["/hello/"]


def test_two_apps_have_their_own_documents(make_app: Build) -> None:
    first = make_app({"hello": hello, "docs": url_routing}, {"OPENAPI": {"title": "First"}})
    second = make_app({"docs": url_routing}, {"OPENAPI": {"title": "Second"}})
    assert openapi_document(first)["info"]["title"] == "First"
    assert openapi_document(second)["info"]["title"] == "Second"
    assert openapi_document(second)["paths"] == {}


@pytest.mark.parametrize("ui", UIS)
async def test_each_ui_page_embeds_the_document_and_loads_only_served_files(app: Panther, ui: str) -> None:
    async with APIClient(app) as client:
        redirect = await client.get(f"/docs/{ui}", query_params={"x": "1"})
        assert (redirect.status_code, redirect.headers["Location"]) == (307, f"{ui}/?x=1")
        page = await client.get(f"/docs/{ui}/")
        assert page.status_code == 200
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        html = page.body.decode()
        assert "<title>Views · " in html
        # The docstring's </script> cannot end the embedded document: `<` is escaped inside it.
        assert "</script><script>alert(1)" not in html and "\\u003c/script\\u003e" in html
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assets = [url for url in urls if not url.startswith("data:")]
        assert assets and all(url.startswith("../static/") for url in assets)  # relative: works under any prefix
        for url in assets:
            served = await client.get("/docs/" + url.removeprefix("../"))
            assert served.status_code == 200, url
            assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert served.headers["Content-Type"].startswith(("text/javascript", "text/css"))
        assert "http://" not in " ".join(urls) and "https://" not in " ".join(urls)


async def test_static_route_serves_only_vendored_files(app: Panther) -> None:
    async with APIClient(app) as client:
        assert (await client.get("/docs/static/swagger-ui-dist-5.35.0/nope.js")).status_code == 404
        assert (await client.get("/docs/static/nope/swagger-ui.css")).status_code == 404
        assert (await client.get("/docs/static/swagger-ui-dist-5.35.0/..%2F..%2Fviews.py")).status_code == 404
        licence = await client.get("/docs/static/swagger-ui-dist-5.35.0/LICENSE")
        assert licence.status_code == 200 and "Apache License" in licence.body.decode()
        partial = await client.get("/docs/static/redoc-2.5.4/LICENSE", headers={"Range": "bytes=0-2"})
        assert (partial.status_code, partial.body) == (206, b"The")


async def test_docs_mounted_at_the_root_and_deeper_find_their_files(make_app: Build) -> None:
    for prefix in ("", "api/v1/docs"):
        app = make_app({"hello": hello, prefix: url_routing})
        base = f"/{prefix}/" if prefix else "/"
        async with APIClient(app) as client:
            html = (await client.get(f"{base}redoc/")).body.decode()
            (script,) = re.findall(r'src="([^"]+\.js)"', html)
            assert script == "../static/redoc-2.5.4/redoc.standalone.js"
            assert (await client.get(f"{base}static/redoc-2.5.4/redoc.standalone.js")).status_code == 200


def test_a_ui_page_without_the_static_route_is_a_startup_error(make_app: Build) -> None:
    with pytest.raises(PantherError, match=r"'swagger/' serves SwaggerOpenAPI.*OpenAPIStatic"):
        make_app({"swagger": SwaggerOpenAPI})


async def test_views_still_work_when_the_plugin_is_disabled(panther_app_factory: Callable[..., Any]) -> None:
    app = panther_app_factory(urls={"hello": hello, "docs": url_routing}, configs={}, disable_plugins=["openapi"])
    assert DOCS not in app.stash
    async with APIClient(app) as client:
        response = await client.get("/docs/openapi.json")
        assert response.status_code == 200 and list(response.data["paths"]) == ["/hello/"]
        assert (await client.get("/docs/scalar/")).status_code == 200
