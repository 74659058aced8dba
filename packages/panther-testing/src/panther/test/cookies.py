"""A cookie jar for test clients: stores ``Set-Cookie`` answers and sends them back on later requests.

It follows what browsers do where a test can tell (RFC 6265): ``Path`` limits the requests a cookie is sent with,
``Max-Age=0``, a negative ``Max-Age`` or an ``Expires`` in the past delete it, ``Max-Age`` wins over ``Expires``.
``Domain`` and ``Secure`` are ignored: the app under test is the only host, reached over a trusted in-process link.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.cookies import _unquote

__all__ = ["CookieJar", "SetCookie", "parse_set_cookie"]


@dataclass(slots=True)
class SetCookie:
    """One parsed ``Set-Cookie`` header. ``value`` is kept as sent (quotes included) to send it back unchanged."""

    name: str
    value: str
    path: str | None = None
    expires_at: float | None = None  # a Unix time; None: a session cookie

    @property
    def unquoted(self) -> str:
        return _unquote(self.value)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def parse_set_cookie(header: str, now: float | None = None) -> SetCookie | None:
    """Parse a ``Set-Cookie`` value; ``None`` when it has no ``name=value`` pair (browsers ignore those)."""
    now = time.time() if now is None else now
    pair, *attributes = header.split(";")
    name, separator, value = pair.partition("=")
    name = name.strip()
    if not separator or not name:
        return None
    cookie = SetCookie(name, value.strip())
    max_age: float | None = None
    expires: float | None = None
    for attribute in attributes:
        key, _, argument = attribute.partition("=")
        key, argument = key.strip().lower(), argument.strip()
        if key == "max-age":
            try:
                max_age = int(argument)
            except ValueError:
                continue
        elif key == "expires":
            try:
                expires = parsedate_to_datetime(argument).timestamp()
            except (TypeError, ValueError):
                continue
        elif key == "path" and argument.startswith("/"):
            cookie.path = argument
    if max_age is not None:
        cookie.expires_at = now + max_age if max_age > 0 else 0.0
    elif expires is not None:
        cookie.expires_at = expires
    return cookie


def default_path(request_path: str) -> str:
    """The path a cookie gets when ``Set-Cookie`` names none: the request path's "directory" (RFC 6265 5.1.4)."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def path_matches(request_path: str, cookie_path: str) -> bool:
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


class CookieJar(MutableMapping[str, str]):
    """The cookies a client holds. As a mapping it reads and writes values by name (``jar["session"] = "x"`` sets a
    cookie for every path); ``del jar[name]`` removes the name for every path."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str], SetCookie] = {}  # (name, path) → cookie

    def store(self, headers: Iterable[str], request_path: str) -> None:
        """Apply the ``Set-Cookie`` headers of a response to a request for ``request_path``."""
        now = time.time()
        for header in headers:
            cookie = parse_set_cookie(header, now)
            if cookie is None:
                continue
            cookie.path = cookie.path or default_path(request_path)
            key = (cookie.name, cookie.path)
            if cookie.expired(now):
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    def header_for(self, request_path: str) -> str | None:
        """The ``Cookie`` header to send with a request for ``request_path`` (longer paths first, as browsers do)."""
        now = time.time()
        matching = []
        for key, cookie in list(self._cookies.items()):
            if cookie.expired(now):
                del self._cookies[key]
            elif path_matches(request_path, key[1]):
                matching.append(cookie)
        if not matching:
            return None
        matching.sort(key=lambda cookie: len(cookie.path or ""), reverse=True)
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in matching)

    def set(self, name: str, value: str, path: str = "/") -> None:
        self._cookies[(name, path)] = SetCookie(name, value, path)

    def _live(self) -> list[SetCookie]:
        now = time.time()
        return [cookie for cookie in self._cookies.values() if not cookie.expired(now)]

    def __getitem__(self, name: str) -> str:
        found = [cookie for cookie in self._live() if cookie.name == name]
        if not found:
            raise KeyError(name)
        return max(found, key=lambda cookie: len(cookie.path or "")).unquoted

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        keys = [key for key in self._cookies if key[0] == name]
        if not keys:
            raise KeyError(name)
        for key in keys:
            del self._cookies[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(cookie.name for cookie in self._live()))

    def __len__(self) -> int:
        return len({cookie.name for cookie in self._live()})

    def __repr__(self) -> str:
        return f"CookieJar({dict(self)!r})"
