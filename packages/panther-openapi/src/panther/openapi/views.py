"""The docs' endpoints: the document as JSON, the five UIs, and the UIs' vendored files.

They are ordinary ``GenericAPI`` classes (left out of the document), so ``AUTHENTICATION`` and ``MIDDLEWARES``
apply to them as to any endpoint; subclass one to change its ``auth`` or ``permissions``. Every answer is prepared
when the app is built: a request only picks bytes.
"""

from __future__ import annotations

from typing import ClassVar

from panther.app import GenericAPI
from panther.exceptions import NotFoundAPIError
from panther.file_response import FileResponse
from panther.openapi.assets import find_asset
from panther.openapi.schemas import OutputSchema
from panther.openapi.serving import Page, ServedDocs, served_docs
from panther.request import Request
from panther.response import HTMLResponse, RedirectResponse, Response

__all__ = [
    "OpenAPIJSON",
    "OpenAPIStatic",
    "RapiDocOpenAPI",
    "RedocOpenAPI",
    "ScalarOpenAPI",
    "SpotlightOpenAPI",
    "SwaggerOpenAPI",
    "UIView",
]

#: The vendored files' URLs carry their version: browsers may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
#: The document and pages change when the app does: browsers revalidate them (their ETag makes that a 304).
REVALIDATE = "no-cache"


def _not_modified(request: Request, page: Page) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    return header.strip() == "*" or page.etag in (tag.strip().removeprefix("W/") for tag in header.split(","))


def _docs(request: Request) -> ServedDocs:
    app = request.app
    if app is None:  # only a request built by hand has no app
        raise NotFoundAPIError
    return served_docs(app)


def _answer(request: Request, page: Page, response_class: type[Response]) -> Response:
    headers = {"ETag": page.etag, "Cache-Control": REVALIDATE}
    if _not_modified(request, page):
        return Response(status_code=304, headers=headers)
    return response_class(data=page.body, headers=headers)


class OpenAPIJSON(GenericAPI):
    """The OpenAPI document, as JSON."""

    output_schema = OutputSchema(exclude_in_docs=True)

    async def get(self, request: Request) -> Response:
        return _answer(request, _docs(request).json, Response)


class UIView(GenericAPI):
    """A documentation UI's page: the document embedded, its UI's files loaded from the static route."""

    output_schema = OutputSchema(exclude_in_docs=True)
    #: The key of ``panther.openapi.assets.BUNDLES`` and the template this UI uses.
    ui: ClassVar[str]
    template: ClassVar[str]

    async def get(self, request: Request) -> Response:
        path = request.path
        if not path.endswith("/"):
            # Relative URLs in the page resolve against `<page>/`: send the browser there (keeping the query).
            last = path.rsplit("/", 1)[-1]
            query = request.scope.get("query_string", b"").decode("latin-1")
            return RedirectResponse(f"{last}/?{query}" if query else f"{last}/", status_code=307)
        page = _docs(request).pages.get(path.strip("/"))
        if page is None:  # served under a URL the app did not build a page for (a mount with variables)
            raise NotFoundAPIError
        return _answer(request, page, HTMLResponse)


class SwaggerOpenAPI(UIView):
    ui = "swagger"
    template = "swagger.html"


class RedocOpenAPI(UIView):
    ui = "redoc"
    template = "redoc.html"


class ScalarOpenAPI(UIView):
    ui = "scalar"
    template = "scalar.html"


class RapiDocOpenAPI(UIView):
    ui = "rapidoc"
    template = "rapidoc.html"


class SpotlightOpenAPI(UIView):
    """Stoplight Elements (upstream named it ``spotlight/``)."""

    ui = "stoplight"
    template = "spotlight.html"


class OpenAPIStatic(GenericAPI):
    """The UIs' vendored JavaScript, CSS and licences: only the files listed in ``panther.openapi.assets``."""

    output_schema = OutputSchema(exclude_in_docs=True)

    async def get(self, directory: str, name: str) -> Response:
        asset = find_asset(directory, name)
        if asset is None:
            raise NotFoundAPIError
        # FileResponse streams it with ETag/Last-Modified (304) and Range support.
        return FileResponse(
            asset.path.name,
            root=asset.path.parent,  # FileResponse serves only files inside its root
            headers={"Content-Type": asset.content_type, "Cache-Control": IMMUTABLE},
            content_disposition="inline",
        )
