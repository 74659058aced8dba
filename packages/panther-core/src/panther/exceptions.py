"""Panther's exceptions: configuration errors raised at startup, and the APIError family turned into responses.

An ``APIError`` raised anywhere on the request path becomes a response with its ``status_code``, its ``headers``
and a body of ``{"detail": ...}`` (a dict ``detail`` is sent as it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panther import status


class PantherError(Exception):
    """A configuration or startup mistake; the message says what to change."""


class BaseError(Exception):
    """Base of errors that carry a detail, a status code and headers for the client."""

    detail: Any = "Internal Server Error"
    status_code: int = status.HTTP_500_INTERNAL_SERVER_ERROR

    def __init__(
        self,
        detail: Any = None,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = self.detail if detail is None else detail
        self.status_code = self.status_code if status_code is None else status_code
        self.headers = dict(headers) if headers else {}
        super().__init__(self.detail)


class APIError(BaseError):
    """An HTTP error answered to the client as ``{"detail": ...}`` with ``status_code``."""

    @property
    def body(self) -> Any:
        return self.detail if isinstance(self.detail, dict) else {"detail": self.detail}


class WebsocketError(BaseError):
    """A WebSocket error: the connection is closed with ``status_code`` as close code."""

    detail = "Internal Error"
    status_code = status.WS_1011_INTERNAL_ERROR


class RedirectAPIError(APIError):
    def __init__(self, url: str, status_code: int = status.HTTP_302_FOUND) -> None:
        super().__init__(detail="Redirect", status_code=status_code, headers={"Location": url})


class BadRequestAPIError(APIError):
    detail = "Bad Request"
    status_code = status.HTTP_400_BAD_REQUEST


class AuthenticationAPIError(APIError):
    detail = "Authentication Error"
    status_code = status.HTTP_401_UNAUTHORIZED


class AuthorizationAPIError(APIError):
    detail = "Permission Denied"
    status_code = status.HTTP_403_FORBIDDEN


class NotFoundAPIError(APIError):
    detail = "Not Found"
    status_code = status.HTTP_404_NOT_FOUND


class MethodNotAllowedAPIError(APIError):
    detail = "Method Not Allowed"
    status_code = status.HTTP_405_METHOD_NOT_ALLOWED


class RequestEntityTooLargeAPIError(APIError):
    detail = "Request Entity Too Large"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaTypeAPIError(APIError):
    detail = "Unsupported Media Type"
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE


class UnprocessableEntityError(APIError):
    detail = "Unprocessable Entity Error"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class UpgradeRequiredError(APIError):
    detail = "This service requires use of the WebSocket protocol."
    status_code = status.HTTP_426_UPGRADE_REQUIRED


class ThrottlingAPIError(APIError):
    detail = "Too Many Request"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class InvalidPathVariableAPIError(APIError):
    """A path variable that cannot be cast to the handler's annotation."""

    def __init__(self, value: str, variable_type: type) -> None:
        super().__init__(
            detail=f"Path variable `{value}` is not `{variable_type.__name__}`",
            status_code=status.HTTP_400_BAD_REQUEST,
        )


class ClientDisconnected(Exception):
    """The client went away while the request was being read; nothing is answered."""


def __getattr__(name: str) -> Any:
    # Upstream's import path for the database's error, which belongs to panther-db (panther.db.errors).
    if name == "DatabaseError":
        try:
            from panther.db.errors import DatabaseError
        except ImportError:
            raise AttributeError(
                "panther.exceptions.DatabaseError comes with the database plugin: install `panther-db`."
            ) from None
        return DatabaseError
    raise AttributeError(f"module 'panther.exceptions' has no attribute {name!r}")
