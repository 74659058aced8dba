"""CORS: answers preflight requests and adds the ``Access-Control-*`` headers to every response, errors included.

Configured with ``ALLOW_ORIGINS``, ``ALLOW_METHODS``, ``ALLOW_HEADERS``, ``ALLOW_CREDENTIALS``, ``EXPOSE_HEADERS``
and ``CORS_MAX_AGE``. An origin that is not allowed gets no ``Access-Control-Allow-Origin`` header. Every actual
response also carries ``Access-Control-Allow-Methods``, ``-Allow-Headers`` and ``-Max-Age``, as upstream's did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from panther.configs import Config
from panther.exceptions import PantherError
from panther.middlewares.base import HTTPMiddleware
from panther.response import Response

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.request import Request


class CORSMiddleware(HTTPMiddleware):
    def __init__(self, dispatch: Callable[..., Awaitable[Any]], app: Panther | None = None) -> None:
        super().__init__(dispatch, app)
        config = app.config if app is not None else Config()
        origins = _as_list(config.ALLOW_ORIGINS)
        self.allow_all = "*" in origins
        self.origins = frozenset(origins)
        self.credentials = bool(config.ALLOW_CREDENTIALS)
        if self.allow_all and self.credentials:
            raise PantherError(
                "CORS: ALLOW_CREDENTIALS = True cannot be combined with ALLOW_ORIGINS = ['*']; "
                "list the allowed origins instead."
            )
        self.methods = ", ".join(m.upper() for m in _as_list(config.ALLOW_METHODS))
        self.allow_headers = ", ".join(_as_list(config.ALLOW_HEADERS))
        self.expose = ", ".join(_as_list(config.EXPOSE_HEADERS))
        self.max_age = str(config.CORS_MAX_AGE)
        # Upstream sent these on every response, not only on preflight answers; clients and tests look for them.
        self.every_response = {
            "Access-Control-Allow-Methods": self.methods,
            "Access-Control-Allow-Headers": self.allow_headers,
            "Access-Control-Max-Age": self.max_age,
        }

    def _origin_headers(self, origin: str | None) -> dict[str, str]:
        headers = {} if self.allow_all else {"Vary": "Origin"}
        if self.allow_all:
            headers["Access-Control-Allow-Origin"] = "*"
        elif origin is not None and origin in self.origins:
            headers["Access-Control-Allow-Origin"] = origin
            if self.credentials:
                headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    async def __call__(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if request.method == "OPTIONS":
            headers = self._origin_headers(origin)
            if "Access-Control-Allow-Origin" in headers:
                requested = request.headers.get("access-control-request-headers")
                allow_headers = requested if self.allow_headers == "*" and requested else self.allow_headers
                headers["Access-Control-Allow-Methods"] = self.methods
                headers["Access-Control-Allow-Headers"] = allow_headers
                headers["Access-Control-Max-Age"] = self.max_age
            return Response(status_code=204, headers=headers)
        response = await self.dispatch(request=request)
        headers = self._origin_headers(origin) | self.every_response
        if self.expose and "Access-Control-Allow-Origin" in headers:
            headers["Access-Control-Expose-Headers"] = self.expose
        vary = headers.pop("Vary", None)
        response.headers.update(headers)
        if vary is not None:
            _add_vary(response.headers, vary)
        return response


def _as_list(value: Any) -> list[str]:
    # `ALLOW_ORIGINS = "https://a.com"` means one origin, not one per character.
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _add_vary(headers: dict[str, str], value: str) -> None:
    """Add ``value`` to the response's Vary header, keeping what the endpoint already varies on."""
    for name, current in headers.items():
        if name.lower() == "vary":
            if value.lower() not in (part.strip().lower() for part in str(current).split(",")):
                headers[name] = f"{current}, {value}"
            return
    headers["Vary"] = value
