"""Who may use the panel and how its forms are protected.

- ``PanelAuthentication``: the panel's own JWT cookies (``HttpOnly``, ``SameSite=Strict``, ``Secure`` over HTTPS,
  scoped to the panel's path). A missing, expired or revoked token is simply anonymous: the views send the browser
  to the login page instead of answering 401.
- ``is_staff(user)``: only users whose ``is_staff`` is ``True`` get in.
- CSRF tokens are HMACs, keyed by the app's JWT key, of the login session (signed in) or of a random nonce kept in a
  cookie (the login form): a page from another site can neither read nor forge one, and a token stops working when
  its session ends.
- ``safe_redirect``: ``redirect_to`` is followed only to a path inside the panel.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from panther.authentications import CookieJWTAuthentication
from panther.authentications.state import auth_state
from panther.authentications.tokens import TokenError, session_of
from panther.cookies import Cookie
from panther.exceptions import APIError

if TYPE_CHECKING:
    from panther.main import Panther
    from panther.request import Request

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "PanelAuthentication",
    "csrf_token",
    "is_staff",
    "safe_redirect",
    "session_cookies",
    "valid_csrf",
]

CSRF_FIELD = "csrf_token"
#: The login form's nonce (before a session exists).
CSRF_COOKIE = "panel_csrf"


class PanelAuthentication(CookieJWTAuthentication):
    """The panel's cookies; a token that does not verify is an anonymous request, never a 401."""

    access_cookie: ClassVar[str] = "panel_access_token"
    refresh_cookie: ClassVar[str] = "panel_refresh_token"

    async def __call__(self, request: Any) -> Any:
        try:
            return await super().__call__(request)
        except APIError:
            return None


def is_staff(user: Any) -> bool:
    """Whether ``user`` may use the panel: its ``is_staff`` flag, and nothing else, says so."""
    return user is not None and getattr(user, "is_staff", False) is True


def _key(app: Panther) -> bytes:
    config = auth_state(app).jwt().config
    return b"panther-panel-csrf:" + str(config.key).encode()


def _sign(app: Panther, purpose: str, value: str) -> str:
    return hmac.new(_key(app), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def session_id(request: Request) -> str | None:
    """The login session of the request's panel cookie (the user is already authenticated by it)."""
    token = request.cookies.get(PanelAuthentication.access_cookie)
    if not token or request.app is None:
        return None
    try:
        return session_of(auth_state(request.app).jwt().decode(token))[0]
    except TokenError:
        return None


def csrf_token(request: Request, nonce: str | None = None) -> str:
    """The token the forms of this page carry: bound to the login session, else to the login nonce."""
    assert request.app is not None
    session = session_id(request)
    if session is not None:
        return _sign(request.app, "session", session)
    return _sign(request.app, "login", nonce or request.cookies.get(CSRF_COOKIE) or "")


def valid_csrf(request: Request, sent: Any) -> bool:
    """Whether the form's token is this session's (or, at login, this browser's nonce's)."""
    if not isinstance(sent, str) or not sent or request.app is None:
        return False
    session = session_id(request)
    if session is not None:
        expected = _sign(request.app, "session", session)
    else:
        nonce = request.cookies.get(CSRF_COOKIE)
        if not nonce:
            return False
        expected = _sign(request.app, "login", nonce)
    return hmac.compare_digest(expected, sent)


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def _secure(request: Request) -> bool:
    return request.scheme == "https"


def panel_cookie(request: Request, prefix: str, name: str, value: str, max_age: int | None = None) -> Cookie:
    """A cookie only the panel's pages receive and no script can read."""
    return Cookie(
        key=name,
        value=value,
        path=prefix,
        max_age=max_age,
        httponly=True,
        secure=_secure(request),
        samesite="strict",
    )


def session_cookies(request: Request, prefix: str, tokens: dict[str, str] | None) -> list[Cookie]:
    """The panel's session cookies: set to ``tokens``, or deleted (``None``)."""
    names = (PanelAuthentication.access_cookie, PanelAuthentication.refresh_cookie)
    if tokens is None:
        return [panel_cookie(request, prefix, name, "", max_age=0) for name in names]
    return [
        panel_cookie(request, prefix, names[0], tokens["access_token"]),
        panel_cookie(request, prefix, names[1], tokens["refresh_token"]),
    ]


def safe_redirect(target: Any, prefix: str) -> str:
    """``target`` when it is a path inside the panel (``prefix``), else the panel's home: never another host."""
    if not isinstance(target, str) or not target or any(ch in target for ch in "\\\r\n\t\x00"):
        return prefix
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return prefix
    if not parts.path.startswith(prefix) or "/../" in parts.path or parts.path.endswith("/.."):
        return prefix
    return target
