"""The ``openapi`` plugin: reads ``OPENAPI``, mounts the docs when ``OPENAPI['path']`` is set, and builds the
document once the app is built — if the app serves it (otherwise on the first ``openapi_document(app)``).

It also checks every endpoint's ``output_schema`` then, so a wrong one is a startup error even where the docs are
not served.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from panther.openapi.schemas import output_schemas
from panther.openapi.serving import SETTINGS, served_docs
from panther.openapi.settings import read_settings
from panther.openapi.views import OpenAPIJSON, OpenAPIStatic, UIView
from panther.plugins import hookimpl

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther

_DOCS_VIEWS = (OpenAPIJSON, UIView, OpenAPIStatic)


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"OPENAPI": None}


@hookimpl
def panther_configure(app: Panther, config: Config) -> None:
    app.stash[SETTINGS] = read_settings(config.OPENAPI)


@hookimpl
def panther_routes(app: Panther) -> Mapping[str, Any] | None:
    from panther.openapi.urls import url_routing

    path = app.stash[SETTINGS].path
    return None if path is None else {path: url_routing}


@hookimpl
def panther_app_built(app: Panther) -> None:
    serves_docs = False
    for route in app.routes:
        plan = route.plan
        if plan is not None and plan.scope_type == "http":
            output_schemas(plan.options.output_schema, plan.methods, plan.where)
        endpoint = route.endpoint
        serves_docs = serves_docs or (isinstance(endpoint, type) and issubclass(endpoint, _DOCS_VIEWS))
    if serves_docs:
        served_docs(app)
