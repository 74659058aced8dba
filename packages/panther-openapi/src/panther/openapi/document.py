"""Build an app's OpenAPI 3.1 document from its compiled routes (``app.routes``), once.

Each HTTP route gives a path item (``books/<book_id>`` → ``/books/{book_id}/``) with one operation per method it
answers; what an operation says comes from the route's plan (options, authentication, permissions, plugin
options) and from the endpoint's signature, annotations and docstrings — never from its source code. A WebSocket
route is documented as a ``GET`` that upgrades (101) or is answered 426, marked ``x-panther-websocket``.
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, Any

from panther.building import load_auth_setting
from panther.openapi.components import REF_TEMPLATE, SchemaRegistry
from panther.openapi.endpoints import docstring, endpoint_function, endpoint_name, evaluated_annotations
from panther.openapi.responses import ERROR_SCHEMA, success_responses
from panther.openapi.schemas import OutputSchema, output_schemas
from panther.openapi.security import SecuritySchemes, auth_declaration
from panther.openapi.settings import OpenAPISettings
from panther.parameters import caster
from panther.routings import variable_names

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.plan import EndpointPlan
    from panther.routings import Route

__all__ = ["OPENAPI_VERSION", "build_document", "openapi_path"]

OPENAPI_VERSION = "3.1.0"
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
_STRING = {"type": "string"}
#: What ``panther.parameters`` accepts for an ``int`` path variable: at most 18 digits, optionally negative.
_INT_LIMIT = 10**18 - 1


def openapi_path(path: str) -> str:
    """``'books/<book_id>'`` → ``'/books/{book_id}/'``; the root is ``'/'``."""
    return "/" + path.replace("<", "{").replace(">", "}") + "/" if path else "/"  # `<>` only ever mark variables


def build_document(app: Panther, settings: OpenAPISettings) -> dict[str, Any]:
    """The OpenAPI document describing ``app``'s routes."""
    builder = _Builder(app)
    for route in app.routes:
        builder.add(route)
    return builder.finish(settings)


class _Builder:
    def __init__(self, app: Panther) -> None:
        self.app = app
        self.registry = SchemaRegistry()
        self.security = SecuritySchemes()
        self.paths: dict[str, dict[str, Any]] = {}
        self.operation_ids: set[str] = set()
        # One dict embedded wherever an error is documented; its $ref is set once the schema has a free name.
        self.error_ref: dict[str, Any] = {}
        self.error_used = False
        config = app.config
        self.max_body_size = config.MAX_REQUEST_BODY_SIZE
        self.throttled_by_default = bool(config.get("THROTTLING"))
        self._auth_setting: Any = None
        self._auth_setting_loaded = False

    # --- Routes -----------------------------------------------------------------------------------------------

    def add(self, route: Route) -> None:
        path = openapi_path(route.path)
        where = f"'{route.path}/'" if route.path else "'/'"
        if route.scope_type != "http":
            if not _excluded(getattr(route.endpoint, "output_schema", None)):
                self.paths.setdefault(path, {})["get"] = self._websocket(route, where)
            return
        plan = route.plan
        if plan is None:  # an HTTP route a plugin built without a plan: methods only
            methods = [m for m in route.handlers if m not in ("HEAD", "OPTIONS")]
            schemas: dict[str, OutputSchema] = {}
        else:
            methods = list(plan.methods)
            schemas = output_schemas(plan.options.output_schema, plan.methods, where)
        for method in methods:
            schema = schemas.get(method)
            if _excluded(schema):
                continue
            self.paths.setdefault(path, {})[method.lower()] = self._operation(route, plan, method, schema, where)

    def _operation(
        self, route: Route, plan: EndpointPlan | None, method: str, output: OutputSchema | None, where: str
    ) -> dict[str, Any]:
        endpoint = route.endpoint
        func = endpoint_function(endpoint, method)
        hints = evaluated_annotations(func)
        operation: dict[str, Any] = {}
        tags = output.tags if output is not None and output.tags else _default_tags(route.path)
        if tags:
            operation["tags"] = list(tags)
        summary, description = docstring(endpoint, func)
        if summary:
            operation["summary"] = summary
        notes = _notes(plan) if plan is not None else []
        if description or notes:
            operation["description"] = "\n\n".join(filter(None, [description, "\n".join(notes)]))
        operation["operationId"] = self._operation_id(endpoint_name(endpoint), method, route.path)
        variables = plan.variables if plan is not None else variable_names(route.path)
        parameters = [_path_parameter(name, hints.get(name)) for name in variables]
        if parameters:
            operation["parameters"] = parameters

        input_model = plan.options.input_model if plan is not None and method in _BODY_METHODS else None
        where_method = f"{where} {method}"
        if input_model is not None:
            schema = self.registry.schema(input_model, "validation", where_method)
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}

        responses = success_responses(
            self.registry,
            output,
            plan.options.output_model if plan is not None else None,
            hints.get("return", inspect.Parameter.empty),
            where_method,
        )
        for status, text in self._errors(plan, parameters, input_model is not None).items():
            responses.setdefault(str(status), self._error(text))
        operation["responses"] = dict(sorted(responses.items()))

        if plan is not None and plan.authentication is not None:
            auth = auth_declaration(plan.options.auth, self._authentication_setting())
            operation["security"] = self.security.requirement(auth)
        if output is not None and output.deprecated:
            operation["deprecated"] = True
        return operation

    def _errors(self, plan: EndpointPlan | None, parameters: list[dict[str, Any]], has_body: bool) -> dict[int, str]:
        bad_request = []
        errors: dict[int, str] = {}
        if any(parameter["schema"] != _STRING for parameter in parameters):  # a cast that can fail
            bad_request.append("a path variable is not of its type")
        if parameters:
            errors[404] = "Not Found: nothing exists under this path"
        if has_body:
            bad_request.append("the body is malformed JSON or does not validate (one message per field)")
            errors[422] = "Unprocessable Entity: the body is neither JSON nor a form"
            if self.max_body_size is not None:
                errors[413] = f"Content Too Large: the body exceeds {self.max_body_size} bytes"
        if bad_request:
            errors[400] = "Bad Request: " + "; ".join(bad_request)
        if plan is not None:
            if plan.authentication is not None:
                errors[401] = "Unauthorized: missing or invalid credentials"
            if plan.permissions:
                errors[403] = "Forbidden: a permission denied the request"
            if self.throttled_by_default or plan.option("throttling") or plan.extra.get("throttling"):
                errors[429] = "Too Many Requests: the rate limit is exceeded"
        return errors

    def _websocket(self, route: Route, where: str) -> dict[str, Any]:
        endpoint = route.endpoint
        func = endpoint_function(endpoint, "connect")
        summary, description = docstring(endpoint, func)
        how = (
            "A WebSocket endpoint: open a WebSocket connection (`ws://`, `wss://`) to this URL. "
            "A plain HTTP request is answered 426."
        )
        operation: dict[str, Any] = {}
        tags = _default_tags(route.path)
        if tags:
            operation["tags"] = tags
        operation["summary"] = summary or f"WebSocket {endpoint_name(endpoint)}"
        operation["description"] = f"{description}\n\n{how}" if description else how
        operation["operationId"] = self._operation_id(endpoint_name(endpoint), "websocket", route.path)
        variables = route.plan.variables if route.plan is not None else variable_names(route.path)
        if variables:
            hints = evaluated_annotations(func)
            operation["parameters"] = [_path_parameter(name, hints.get(name)) for name in variables]
        operation["responses"] = {
            "101": {"description": "Switching Protocols: the WebSocket connection is open"},
            "426": self._error("Upgrade Required: connect with the WebSocket protocol"),
        }
        operation["x-panther-websocket"] = True
        return operation

    # --- Pieces -----------------------------------------------------------------------------------------------

    def _error(self, description: str) -> dict[str, Any]:
        self.error_used = True
        return {"description": description, "content": {"application/json": {"schema": self.error_ref}}}

    def _operation_id(self, name: str, method: str, path: str) -> str:
        candidate = f"{name}_{method.lower()}"
        if candidate in self.operation_ids:  # the same endpoint under two URLs, or two endpoints of one name
            slug = re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_") or "root"
            candidate = base = f"{candidate}_{slug}"
            n = 1
            while candidate in self.operation_ids:
                n += 1
                candidate = f"{base}_{n}"
        self.operation_ids.add(candidate)
        return candidate

    def _authentication_setting(self) -> Any:
        if not self._auth_setting_loaded:
            self._auth_setting = load_auth_setting(self.app.config.AUTHENTICATION, "AUTHENTICATION")
            self._auth_setting_loaded = True
        return self._auth_setting

    # --- The document -----------------------------------------------------------------------------------------

    def finish(self, settings: OpenAPISettings) -> dict[str, Any]:
        document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": dict(settings.info)}
        if settings.servers:
            document["servers"] = [dict(server) for server in settings.servers]
        document["paths"] = self.paths
        schemas = self.registry.resolve()
        if self.error_used:
            name = _free_name("Error", schemas)
            schemas[name] = ERROR_SCHEMA
            self.error_ref["$ref"] = REF_TEMPLATE.format(model=name)
        components: dict[str, Any] = {}
        if schemas:
            components["schemas"] = dict(sorted(schemas.items()))
        if self.security.schemes:
            components["securitySchemes"] = self.security.schemes
        if components:
            document["components"] = components
        return document


def _excluded(output: Any) -> bool:
    return isinstance(output, OutputSchema) and output.exclude_in_docs


def _default_tags(path: str) -> list[str]:
    """Endpoints are grouped by the first segment of their URL (``books/<id>`` → ``books``)."""
    first = path.split("/", 1)[0]
    return [first] if first and not first.startswith("<") else []


def _path_parameter(name: str, annotation: Any) -> dict[str, Any]:
    """A path parameter typed as ``panther.parameters`` casts it (a type it does not cast stays a string)."""
    schema: dict[str, Any]
    if caster(name, annotation) is None:
        schema = dict(_STRING)
    elif annotation is int:
        schema = {"type": "integer", "minimum": -_INT_LIMIT, "maximum": _INT_LIMIT}
    elif annotation is float:
        schema = {"type": "number"}
    elif annotation is bool:
        schema = {"type": "boolean"}
    else:  # uuid.UUID
        schema = {"type": "string", "format": "uuid"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _notes(plan: EndpointPlan) -> list[str]:
    """What else the endpoint does, for its description (as upstream listed it)."""
    notes = []
    if plan.permissions:
        names = ", ".join(endpoint_name(p) for p in plan.options.permissions)
        notes.append(f"- Permissions: {names}")
    throttling = plan.option("throttling")
    if throttling:
        rate, duration = getattr(throttling, "rate", None), getattr(throttling, "duration", None)
        notes.append(f"- Throttling: {rate} per {duration}" if rate is not None else f"- Throttling: {throttling}")
    cache = plan.option("cache")
    if cache:
        notes.append(f"- Cache: {cache}")
    if plan.middlewares:
        notes.append(f"- Middlewares: {', '.join(m.__name__ for m in plan.middlewares)}")
    return notes


def _free_name(name: str, taken: dict[str, Any]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{n}"
    return candidate
