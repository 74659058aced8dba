"""The docs' URLs, to mount under a prefix of your choice (``urls = {"docs/": url_routing, ...}``) or with the
``OPENAPI = {"path": "docs"}`` setting: ``openapi.json``, one page per UI, and the UIs' files under ``static/``."""

from __future__ import annotations

from typing import Any

from panther.openapi.views import (
    OpenAPIJSON,
    OpenAPIStatic,
    RapiDocOpenAPI,
    RedocOpenAPI,
    ScalarOpenAPI,
    SpotlightOpenAPI,
    SwaggerOpenAPI,
)

__all__ = ["url_routing"]

url_routing: dict[str, Any] = {
    "openapi.json": OpenAPIJSON,
    "scalar/": ScalarOpenAPI,
    "swagger/": SwaggerOpenAPI,
    "redoc/": RedocOpenAPI,
    "rapidoc/": RapiDocOpenAPI,
    "spotlight/": SpotlightOpenAPI,
    "static/<directory>/<name>": OpenAPIStatic,
}
