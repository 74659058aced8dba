"""Middleware base classes and the chain builder.

A middleware wraps the next handler (``dispatch``): it receives the request, may answer early, and otherwise
awaits ``self.dispatch(request=request)`` and returns (or changes) the response. Chains are built once, when the
app starts; the first middleware declared is the outermost.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

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
