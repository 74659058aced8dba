"""The documented responses of one operation: its success response and the errors it can really produce.

The success response comes, by priority, from the endpoint's ``OutputSchema`` (model and status code), its
``output_model`` (what the pipeline sends: the model, or a list of them), then its return annotation (a pydantic
type, or a ``Response`` class whose content type is known). Errors are derived from what the endpoint declares:
typed path variables (400), path variables at all (404: nothing found under that name), an ``input_model``
(400, 422, and 413 when a body limit is set), authentication (401), permissions (403) and throttling (429).
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from panther.file_response import FileResponse
from panther.openapi.components import SchemaRegistry
from panther.openapi.schemas import OutputSchema
from panther.response import RedirectResponse, Response, StreamingResponse

__all__ = ["ERROR_SCHEMA", "reason", "success_responses"]

#: Every error Panther answers is a JSON object: ``{"detail": ...}``, or ``{"field": "message"}`` per invalid field.
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": 'An error: `{"detail": "..."}`, or `{"field": "message", ...}` for a body that does not validate.',
    "type": "object",
    "properties": {"detail": {"description": "What went wrong."}},
}

_NO_CONTENT = frozenset((204, 304))
_EMPTY: Any = inspect.Parameter.empty


def reason(status: int | str) -> str:
    """The reason phrase of a status (``'Created'``), the description OpenAPI requires of every response."""
    try:
        return HTTPStatus(int(status)).phrase
    except ValueError:
        return "Response"


def success_responses(
    registry: SchemaRegistry,
    output_schema: OutputSchema | None,
    output_model: type[BaseModel] | None,
    returns: Any,
    where: str,
) -> dict[str, dict[str, Any]]:
    """``{status: Response Object}`` for what the endpoint sends when it succeeds (``returns``: its return
    annotation, ``inspect.Parameter.empty`` when it has none)."""
    status = output_schema.status_code if output_schema is not None else None
    if output_schema is not None and output_schema.model is not None:
        content = _json(registry.schema(output_schema.model, "serialization", where))
        return {str(status or 200): _response(status or 200, content)}
    if returns is None or returns is type(None):  # `-> None`: an empty body, whatever would filter it
        code = status or 200
        return {str(code): {"description": reason(code)}}
    if output_model is not None:
        model = registry.schema(output_model, "serialization", where)
        shape = _shape(returns)
        if shape == "one":
            schema = model
        elif shape == "many":
            schema = {"type": "array", "items": model}
        else:  # the pipeline filters an object or each item of a list through the model
            schema = {"anyOf": [model, {"type": "array", "items": model}]}
        return {str(status or 200): _response(status or 200, _json(schema))}
    return _from_annotation(registry, returns, status, where)


def _from_annotation(
    registry: SchemaRegistry, returns: Any, status: int | None, where: str
) -> dict[str, dict[str, Any]]:
    if isinstance(returns, type) and issubclass(returns, Response):
        return _from_response_class(returns, status)
    schema = None
    if returns is not _EMPTY and returns is not typing.Any:
        schema = registry.try_schema(returns, "serialization", where)
    code = status or 200
    return {str(code): _response(code, _json(schema))}


def _from_response_class(cls: type[Response], status: int | None) -> dict[str, dict[str, Any]]:
    if issubclass(cls, RedirectResponse):
        code: int | str = status or "3XX"
        location = {"Location": {"description": "Where to go", "schema": {"type": "string"}}}
        return {str(code): {"description": "Redirect", "headers": location}}
    if issubclass(cls, FileResponse):
        # A file of any type; conditional and range requests give 304, 206 and 416.
        code = status or 200
        any_type = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
        return {
            str(code): {"description": reason(code), "content": any_type},
            "206": {"description": "Partial Content: the requested byte range", "content": any_type},
            "304": {"description": "Not Modified"},
            "416": {"description": "Range Not Satisfiable"},
        }
    code = status or 200
    if issubclass(cls, StreamingResponse):
        return {str(code): {"description": reason(code), "content": {"*/*": {}}}}
    media_type = cls.content_type.split(";")[0].strip()
    if media_type == "application/json":
        return {str(code): _response(code, _json(None))}
    return {str(code): _response(code, {media_type: {"schema": {"type": "string"}}})}


def _json(schema: dict[str, Any] | None) -> dict[str, Any]:
    return {"application/json": {} if schema is None else {"schema": schema}}


def _response(status: int, content: dict[str, Any]) -> dict[str, Any]:
    if status in _NO_CONTENT:
        return {"description": reason(status)}
    return {"description": reason(status), "content": content}


def _shape(annotation: Any) -> str | None:
    """``'one'`` for an object, ``'many'`` for a collection, ``None`` when the annotation does not say."""
    origin = typing.get_origin(annotation) or annotation
    if not isinstance(origin, type):
        return None
    if issubclass(origin, (BaseModel, collections.abc.Mapping)):
        return "one"
    if issubclass(origin, (str, bytes, Response)):
        return None
    if issubclass(origin, (collections.abc.Iterable, collections.abc.AsyncIterable)):
        return "many"
    return None
