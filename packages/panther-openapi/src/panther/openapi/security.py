"""Security schemes: how the document says an endpoint's authentication expects its credentials.

An authentication (a class, an instance or an async function) describes itself with an ``openapi_security_scheme``
attribute holding an OpenAPI Security Scheme Object::

    class ApiKeyAuth:
        openapi_security_scheme = {"type": "apiKey", "in": "header", "name": "X-API-Key"}

        async def __call__(self, request): ...

Upstream Panther's JWT classes are recognised by name (also as base classes): ``JWTAuthentication`` reads a bearer
token from the ``Authorization`` header, ``QueryParamJWTAuthentication`` from the ``authorization`` query
parameter, ``CookieJWTAuthentication`` from the ``access_token`` cookie. Anything else is documented as a bearer
token in the ``Authorization`` header, as upstream documented every endpoint with ``auth``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SecuritySchemes", "auth_declaration"]

_BEARER_JWT = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
_BY_CLASS_NAME: dict[str, dict[str, Any]] = {
    "QueryParamJWTAuthentication": {"type": "apiKey", "in": "query", "name": "authorization"},
    "CookieJWTAuthentication": {"type": "apiKey", "in": "cookie", "name": "access_token"},
    "JWTAuthentication": _BEARER_JWT,
}
_DEFAULT = {"type": "http", "scheme": "bearer"}


def auth_declaration(auth_option: Any, auth_setting: Any) -> Any:
    """What an endpoint authenticates with: its ``auth=`` or, for ``None``/``True``, the ``AUTHENTICATION``
    setting (already loaded); ``None`` when it has none."""
    if auth_option is False:
        return None
    if auth_option is None or auth_option is True:
        return auth_setting
    return auth_option


class SecuritySchemes:
    """The document's ``components/securitySchemes``, one per distinct authentication, named after it."""

    def __init__(self) -> None:
        self.schemes: dict[str, dict[str, Any]] = {}
        self._names: dict[int, str] = {}
        self._keep: list[Any] = []  # the declarations named so far, so their ids stay theirs

    def requirement(self, auth: Any) -> list[dict[str, list[str]]]:
        """The operation's ``security`` for ``auth`` (registering its scheme)."""
        name = self._names.get(id(auth))
        if name is None:
            scheme = describe(auth)
            base = _name(auth)
            name, n = base, 1
            while name in self.schemes and self.schemes[name] != scheme:
                n += 1
                name = f"{base}{n}"
            self.schemes[name] = scheme
            self._names[id(auth)] = name
            self._keep.append(auth)
        return [{name: []}]


def describe(auth: Any) -> dict[str, Any]:
    """The Security Scheme Object for an authentication declaration."""
    declared = getattr(auth, "openapi_security_scheme", None)
    if isinstance(declared, Mapping):
        return dict(declared)
    cls = auth if isinstance(auth, type) else type(auth)
    for base in getattr(cls, "__mro__", ()):
        known = _BY_CLASS_NAME.get(base.__name__)
        if known is not None:
            return dict(known)
    return dict(_DEFAULT)


def _name(auth: Any) -> str:
    name = getattr(auth, "__name__", None) or type(auth).__name__
    # Component names allow letters, digits, '.', '-' and '_'.
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in str(name)) or "auth"
