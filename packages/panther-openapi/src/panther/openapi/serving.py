"""What an app serves: its document as JSON bytes and each mounted UI page, built once and kept in ``app.stash``.

The plugin builds them when the app is built (``panther_app_built``) if the app mounts any of the docs' views;
otherwise nothing is built until ``openapi_document(app)`` is called. A page embeds the document and loads its
UI's files from the app's static route by a relative URL, so it works under any prefix and behind a proxy.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

import orjson

from panther.exceptions import PantherError
from panther.openapi.assets import BUNDLES
from panther.openapi.document import build_document
from panther.openapi.settings import OpenAPISettings, read_settings
from panther.stash import StashKey

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.routings import Route

__all__ = ["DOCS", "SETTINGS", "Page", "ServedDocs", "openapi_document", "served_docs"]

SETTINGS = StashKey[OpenAPISettings]("openapi.settings")
TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered page (or the document), with its validator."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Page:
        return cls(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@dataclass(slots=True)
class ServedDocs:
    """One app's document: as a dict, as JSON, and its UI pages by route path."""

    document: dict[str, Any]
    json: Page
    pages: dict[str, Page] = field(default_factory=dict)


DOCS = StashKey[ServedDocs]("openapi.docs")


def served_docs(app: Panther) -> ServedDocs:
    """The app's document and pages, built on first use (the plugin builds them with the app)."""
    docs = app.stash.get(DOCS)
    if docs is None:
        settings = app.stash.get(SETTINGS) or read_settings(app.config.get("OPENAPI"))
        document = build_document(app, settings)
        encoded = orjson.dumps(document)
        docs = ServedDocs(document, Page.of(encoded), _pages(app, document, encoded))
        app.stash[DOCS] = docs
    return docs


def openapi_document(app: Panther) -> dict[str, Any]:
    """The OpenAPI document of ``app`` (a fresh copy: change it freely)."""
    return orjson.loads(served_docs(app).json.body)  # type: ignore[no-any-return,unused-ignore]


def _pages(app: Panther, document: dict[str, Any], encoded: bytes) -> dict[str, Page]:
    from panther.openapi.views import OpenAPIStatic, UIView

    ui_routes = [r for r in app.routes if _is(r, UIView)]
    if not ui_routes:
        return {}
    static_prefixes = [_static_prefix(r) for r in app.routes if _is(r, OpenAPIStatic)]
    # Safe inside <script>: `<` can never close the element (what Jinja's |tojson escapes), encoded once for all
    # pages. The templates are plain `string.Template`s: three substitutions need no template engine.
    embedded = (
        encoded.decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
    )
    title = html.escape(str(document["info"]["title"]))
    templates: dict[str, Template] = {}
    pages = {}
    for route in ui_routes:
        view: type[UIView] = route.endpoint
        if not static_prefixes:
            raise PantherError(
                f"'{route.path}/' serves {view.__name__}, whose JavaScript is served by "
                "panther.openapi.views.OpenAPIStatic: mount panther.openapi.urls.url_routing "
                "(or add 'static/<directory>/<name>': OpenAPIStatic next to it)."
            )
        static = _nearest(route.path, static_prefixes)
        # The page is served at `<path>/` (the view redirects there), so URLs relative to it are stable.
        relative = posixpath.relpath(static or ".", route.path or ".")
        bundle = BUNDLES[view.ui]
        template = templates.get(view.template)
        if template is None:
            template = templates[view.template] = Template((TEMPLATES_DIR / view.template).read_text("utf-8"))
        assets = html.escape(f"{relative}/{bundle.directory}")
        page = template.substitute(title=title, assets=assets, document=embedded)
        pages[route.path] = Page.of(page.encode())
    return pages


def _is(route: Route, base: type) -> bool:
    return route.scope_type == "http" and isinstance(route.endpoint, type) and issubclass(route.endpoint, base)


def _static_prefix(route: Route) -> str:
    segments = route.path.split("/")
    if len(segments) < 2 or not all(s.startswith("<") for s in segments[-2:]):
        raise PantherError(
            f"'{route.path}/' serves OpenAPIStatic, whose URL must end with two path variables "
            "('static/<directory>/<name>')."
        )
    return "/".join(segments[:-2])


def _nearest(page: str, prefixes: list[str]) -> str:
    """The static route sharing the longest prefix with the page (the one mounted with it)."""

    def shared(prefix: str) -> int:
        return len(posixpath.commonpath(["/" + page, "/" + prefix]))

    return max(prefixes, key=shared)
