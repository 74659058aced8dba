"""Cookies: ``Cookie`` for ``Set-Cookie`` headers and a forgiving parser for the request's ``Cookie`` header."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.cookies import SimpleCookie, _unquote
from typing import Literal


@dataclass(slots=True)
class Cookie:
    """A cookie to set on the client. ``max_age=0`` deletes it; ``expires`` takes a datetime or a date string."""

    key: str
    value: str
    domain: str | None = None
    max_age: int | None = None
    secure: bool = False
    httponly: bool = False
    samesite: Literal["none", "lax", "strict"] | None = "lax"
    path: str = "/"
    expires: datetime | str | None = None

    def header_value(self) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[self.key] = self.value  # SimpleCookie quotes the value and rejects illegal keys
        morsel = cookie[self.key]
        if self.domain:
            morsel["domain"] = self.domain
        if self.max_age is not None:
            morsel["max-age"] = str(self.max_age)
        if self.path:
            morsel["path"] = self.path
        if self.expires is not None:
            expires = self.expires
            if isinstance(expires, datetime):
                if expires.tzinfo is None:
                    expires = expires.replace(tzinfo=UTC)
                expires = format_datetime(expires.astimezone(UTC), usegmt=True)
            morsel["expires"] = expires
        if self.secure:
            morsel["secure"] = True
        if self.httponly:
            morsel["httponly"] = True
        if self.samesite:
            morsel["samesite"] = self.samesite  # as given, as upstream wrote it (browsers ignore the case)
        return morsel.OutputString()


def parse_cookie_header(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` request header the way browsers send it, never raising.

    Empty chunks (``a=1;``) are skipped and a flag without ``=`` is kept with an empty name, as browsers do.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        if "=" in chunk:
            key, value = chunk.split("=", 1)
        else:
            key, value = "", chunk
        key, value = key.strip(), value.strip()
        if key or value:
            cookies[key] = _unquote(value)
    return cookies
