"""From what an endpoint returned to what is sent: finishing (cursors, output models, pagination), encoding to
status, headers and body, and turning errors into responses. Every lane of the request path (plain dispatch,
global middlewares, an endpoint's own middlewares, plugins' scopes) goes through these functions.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from panther.exceptions import APIError
from panther.response import CONTENT_LENGTH, NO_CONTENT, RenderContext, Response

if TYPE_CHECKING:
    from panther.request import Request

__all__ = [
    "PLAIN_DATA",
    "Encoded",
    "error_response",
    "failure_response",
    "finish_response",
    "make_encoder",
    "materialize",
    "needs_finishing",
    "serialize_output",
]

logger = logging.getLogger("panther")

#: What an endpoint returns most of the time: sent as ``Response(data)`` would be, with no other step.
PLAIN_DATA = frozenset((dict, list, str, int, float, bool, type(None), bytes, tuple))

#: ``(status, headers, body, response)``; ``body`` is ``None`` for a response that streams itself (``response`` is
#: then set), and ``response`` is ``None`` for plain data.
Encoded = tuple[int, list[tuple[bytes, bytes]] | None, bytes | None, Response | None]

_JSON_CONTENT_TYPE = Response._content_type_header


def needs_finishing(result: Any) -> bool:
    """Whether ``finish_response`` has anything to do: not plain data, nor a plain ``Response`` of plain data."""
    if type(result) in PLAIN_DATA:
        return False
    return type(result) is not Response or result.pagination is not None or type(result.data) not in PLAIN_DATA


async def finish_response(result: Any) -> Response:
    """Turn what a handler returned into the Response to send: plain data is wrapped, a cursor read, pagination
    applied."""
    response = result if isinstance(result, Response) else Response(result)
    if _needs_materializing(response.data):
        response.data = await materialize(response.data)
    if response.pagination is not None:
        response.data = await response.pagination.template(response.data)
        response.pagination = None  # applied
    return response


def make_encoder(context: RenderContext) -> Callable[[Any, Request | None], Encoded]:
    """``encode(result, request)``: status, headers and body of a finished result, with the app's encoders."""
    dumps = context.dumps

    def encode(result: Any, request: Request | None) -> Encoded:
        if type(result) in PLAIN_DATA:  # what most endpoints return
            body = result if isinstance(result, bytes) else b"" if result is None else dumps(result)
            return 200, [_JSON_CONTENT_TYPE, (CONTENT_LENGTH, b"%d" % len(body))], body, None
        response: Response = result
        status = response.status_code
        if (
            type(response) is Response
            and response._headers is None
            and response._cookies is None
            and status not in NO_CONTENT
        ):  # a JSON Response with no header dict or cookie: Response.render() and raw_headers(), inlined
            data = response.data
            body = data if isinstance(data, bytes) else b"" if data is None else dumps(data)
            lines = response._lines
            if lines:  # a step's encoded header lines (a throttle's limits)
                return status, [_JSON_CONTENT_TYPE, (CONTENT_LENGTH, b"%d" % len(body)), *lines], body, response
            return status, [_JSON_CONTENT_TYPE, (CONTENT_LENGTH, b"%d" % len(body))], body, response
        if response.reads_request and request is not None:
            response.prepare(request)
        rendered = response.render(context)
        return status, None if rendered is None else response.raw_headers(len(rendered)), rendered, response

    return encode


def error_response(exc: Exception) -> Response:
    """The response for an exception: an ``APIError`` as ``{"detail": ...}``, anything else a logged 500."""
    if isinstance(exc, APIError):
        return Response(data=exc.body, status_code=exc.status_code, headers=exc.headers)
    logger.error("Internal Server Error", exc_info=exc)
    return Response(data={"detail": "Internal Server Error"}, status_code=500)


def failure_response(exc: Exception, failed: Any) -> Response:
    """The response for an error raised after the middlewares produced ``failed`` (rendering, reading a cursor).

    Keeps the CORS headers the middlewares added to ``failed``, or the browser hides even the 500 from the page.
    """
    response = error_response(exc)
    if isinstance(failed, Response):
        response.headers.update(
            (k, v) for k, v in failed.headers.items() if k.lower().startswith("access-control-") or k.lower() == "vary"
        )
    return response


@functools.lru_cache(maxsize=1024)
def _materializer(cls: Any) -> Callable[[Any], Any] | None:
    # Decided once per type: on a pydantic model class a missing attribute goes through its metaclass's
    # `__getattr__`, which raises, and that cost more per response than the rest of finishing it. A pure fact about
    # the type, so a bounded cache shared by every app is safe.
    return getattr(cls, "__panther_materialize__", None)


def needs_materializing_type(cls: type | None) -> bool:
    return cls is not None and _materializer(cls) is not None


def _needs_materializing(data: Any) -> bool:
    return type(data) not in PLAIN_DATA and _materializer(data.__class__) is not None


async def materialize(data: Any) -> Any:
    """Read data that can only be read asynchronously before it is used, e.g. a database cursor.

    Duck-typed: an object whose type has an async ``__panther_materialize__()`` is replaced by what that returns
    (panther-db's ``Cursor`` returns its list of models). Rendering runs inside orjson, which cannot await, so
    without this step such an object would have to be read synchronously — upstream did it with one thread and
    one event loop per document. It also runs on the validated ``input_model`` instance and on each
    ``output_model`` instance, whose validation may need the database too.
    """
    method = _materializer(data.__class__)
    return data if method is None else await method(data)


async def serialize_output(output_model: type[BaseModel], data: Any) -> Any:
    """Filter ``data`` (a dict, a model, or an iterable of them) through ``output_model``.

    If the output model defines ``async to_response(instance, data)`` its result is used.
    """
    if isinstance(data, (dict, BaseModel)):
        return await _serialize_one(output_model, data)
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        raise TypeError(f"output_model cannot serialise a {type(data).__name__}; return a dict, a model or a list.")
    return [await _serialize_one(output_model, item) async for item in _aiter(data)]


async def _aiter(data: Any) -> Any:
    if hasattr(data, "__aiter__"):
        async for item in data:
            yield item
    else:
        for item in data:
            yield item


async def _serialize_one(output_model: type[BaseModel], item: Any) -> Any:
    source = item.model_dump() if isinstance(item, BaseModel) else item
    instance = await materialize(output_model.model_validate(source))
    # Python values (datetimes stay datetimes), as upstream gave `to_response`; the JSON encoder handles them.
    dumped = instance.model_dump()
    if _has_to_response(instance.__class__):
        return await instance.to_response(instance=item, data=dumped)
    return dumped


@functools.lru_cache(maxsize=1024)
def _has_to_response(cls: Any) -> bool:
    return getattr(cls, "to_response", None) is not None  # per type, for the reason given in `_materializer`
