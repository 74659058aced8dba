"""What HTTP requests and WebSocket connections share: headers, query parameters, addresses, path variables, user.

Everything is read lazily from the ASGI scope, so a request pays only for what its endpoint uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from panther.cookies import parse_cookie_header
from panther.datastructures import MultiDict, parse_query_string
from panther.types import Receive, Scope, Send

if TYPE_CHECKING:
    from panther.main import Panther


@dataclass
class Address:
    """A peer of the connection, as upstream's: ``.ip``, ``.port``, ``str()`` is ``ip:port`` and ``__dict__`` is
    ``{'ip': ..., 'port': ...}``. It also unpacks (``ip, port = request.client``) and renders as a JSON object."""

    ip: str
    port: int | None

    def __str__(self) -> str:
        return f"{self.ip}:{self.port}"

    def __iter__(self) -> Iterator[Any]:
        return iter((self.ip, self.port))


class Headers:
    """Case-insensitive request headers. ``headers["Content-Type"]``, ``headers.content_type`` and
    ``headers.get("content-type")`` are the same value; a repeated header gives its last value, and
    ``getlist(name)`` gives them all."""

    __slots__ = ("_raw", "_values")

    accept: str | None
    accept_encoding: str | None
    accept_language: str | None
    authorization: str | None
    cache_control: str | None
    connection: str | None
    content_length: str | None
    content_type: str | None
    cookie: str | None
    host: str | None
    origin: str | None
    pragma: str | None
    referer: str | None
    user_agent: str | None
    upgrade: str | None

    def __init__(self, raw: list[tuple[bytes, bytes]] | Iterator[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._values: dict[str, str] = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}

    def __getitem__(self, name: str) -> str | None:
        """The header's value, ``None`` when it is absent (as upstream: ``headers['X-Token']`` never raises)."""
        return self.get(name)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._values.get(name.replace("_", "-"))

    def get(self, name: str, default: str | None = None) -> str | None:
        """``get("Content-Type")``, ``get("content_type")`` and ``get("content-type")`` are the same header."""
        key = name.lower()
        value = self._values.get(key)
        if value is None and "_" in key:
            value = self._values.get(key.replace("_", "-"))
        return default if value is None else value

    def getlist(self, name: str) -> list[str]:
        key = name.lower().encode("latin-1")
        return [value.decode("latin-1") for raw_name, value in self._raw if raw_name.lower() == key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def items(self) -> Any:
        return self._values.items()

    def keys(self) -> Any:
        return self._values.keys()

    @property
    def __dict__(self) -> dict[str, str]:  # type: ignore[override]
        return self._values

    def get_cookies(self) -> dict[str, str]:
        cookie = self._values.get("cookie")
        return parse_cookie_header(cookie) if cookie else {}

    def __repr__(self) -> str:
        return "Headers(" + ", ".join(f"{k}={v}" for k, v in self._values.items()) + ")"

    __str__ = __repr__


class BaseRequest:
    """The parts of an HTTP request or WebSocket connection that come from the ASGI scope.

    Only the scope, the ASGI callables and a few slots are set per request; headers, query parameters and cookies
    are parsed on first use and cached in the instance ``__dict__``, so a request pays only for what it uses.
    """

    __slots__ = ("__dict__", "_path_variables", "app", "asgi_receive", "asgi_send", "scope", "user")

    def __init__(self, scope: Scope, receive: Receive, send: Send, app: Panther | None = None) -> None:
        self.scope = scope
        self.asgi_receive = receive
        self.asgi_send = send
        self.app = app
        self.user: Any = None
        self._path_variables: dict[str, str] | None = None

    @property
    def path_variables(self) -> dict[str, str]:
        """The raw path variables (set by the router; a route without variables gets an empty dict of its own)."""
        if self._path_variables is None:
            self._path_variables = {}
        return self._path_variables

    @path_variables.setter
    def path_variables(self, value: dict[str, str]) -> None:
        self._path_variables = value

    @cached_property
    def headers(self) -> Headers:
        return Headers(self.scope.get("headers") or [])

    @cached_property
    def query_params(self) -> MultiDict[str]:
        """Query parameters; a repeated key gives its last value, ``query_params.getlist(key)`` gives all."""
        return parse_query_string(self.scope.get("query_string", b""))

    @cached_property
    def cookies(self) -> dict[str, str]:
        return self.headers.get_cookies()

    @property
    def path(self) -> str:
        return self.scope["path"]

    @property
    def scheme(self) -> str:
        return self.scope.get("scheme", "http")

    @property
    def http_version(self) -> str:
        return self.scope.get("http_version", "1.1")

    @property
    def client(self) -> Address | None:
        """The peer's address; ``None`` when the server does not know it (ASGI allows that, e.g. a Unix socket)."""
        client = self.scope.get("client")
        return Address(*client) if client else None

    @property
    def server(self) -> Address | None:
        server = self.scope.get("server")
        return Address(*server) if server else None

    def collect_path_variables(self, found_path: str) -> dict[str, str]:
        """Match ``found_path`` (``'user/<id>'``) against the request path and return the raw variables."""
        variables: dict[str, str] = {}
        for pattern, value in zip(found_path.strip("/").split("/"), self.path.strip("/").split("/"), strict=False):
            if pattern.startswith("<") and pattern.endswith(">"):
                variables[pattern[1:-1]] = value
        self.path_variables = variables
        return variables
