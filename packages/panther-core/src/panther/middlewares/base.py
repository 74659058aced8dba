"""Middleware base classes and the chain builder.

A middleware wraps the next handler (``dispatch``): it receives the request, may answer early, and otherwise
awaits ``self.dispatch(request=request)`` and returns (or changes) the response. Chains are built once, when the
app starts; the first middleware declared is the outermost.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from panther.exceptions import PantherError

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.request import Request
    from panther.response import Response


class HTTPMiddleware:
    """Subclass and implement ``async __call__(self, request)``, calling ``await self.dispatch(request=request)``."""

    def __init__(self, dispatch: Callable[..., Awaitable[Any]], app: Panther | None = None) -> None:
        self.dispatch = dispatch
        self.app = app

    async def __call__(self, request: Request) -> Response:
        return await self.dispatch(request=request)


class WebsocketMiddleware:
    """Subclass and implement ``async __call__(self, connection)``, calling
    ``await self.dispatch(connection=connection)``."""

    def __init__(self, dispatch: Callable[..., Awaitable[Any]], app: Panther | None = None) -> None:
        self.dispatch = dispatch
        self.app = app

    async def __call__(self, connection: Any) -> Any:
        return await self.dispatch(connection=connection)


def build_chain(handler: Callable[..., Any], middlewares: Sequence[type], app: Panther | None) -> Any:
    """Wrap ``handler`` in ``middlewares`` (first = outermost) and return the outermost callable."""
    for middleware in reversed(middlewares):
        parameters = inspect.signature(middleware).parameters
        accepts_app = "app" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        handler = middleware(dispatch=handler, app=app) if accepts_app else middleware(dispatch=handler)
    return handler


def load_middlewares(items: Iterable[Any], where: str, base: type = HTTPMiddleware) -> list[type]:
    """Resolve middleware classes (or dotted paths) and check they subclass ``base``; ``where`` names the setting."""
    from panther.importing import import_object

    result = []
    for item in items:
        if isinstance(item, tuple):  # upstream's legacy `(path, data)` form
            warnings.warn(f"{where}: the `(path, data)` form is deprecated; list the class.", stacklevel=3)
            item = item[0]
        middleware = import_object(item, where) if isinstance(item, str) else item
        if not (isinstance(middleware, type) and issubclass(middleware, base)):
            raise PantherError(f"{where}: {middleware!r} is not a subclass of {base.__module__}.{base.__name__}.")
        result.append(middleware)
    return result
