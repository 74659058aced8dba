"""OpenAPI 3.1 documentation for Panther apps (distribution ``panther-openapi``, plugin ``openapi``).

Mount ``panther.openapi.urls.url_routing`` (or set ``OPENAPI = {"path": "docs"}``) to serve the document at
``openapi.json`` and the Swagger UI, ReDoc, Scalar, RapiDoc and Stoplight Elements pages, whose files ship with
this package. Describe responses with ``OutputSchema``; read the document with ``openapi_document(app)``.
"""

from panther.openapi.schemas import OutputSchema
from panther.openapi.serving import openapi_document

__all__ = ["OutputSchema", "openapi_document"]
