"""The ``OPENAPI`` setting: the document's title, version, description and servers, and where to serve the docs.

::

    OPENAPI = {
        "title": "Bookshop",
        "version": "2.1.0",
        "description": "Books and their authors.",
        "servers": ["https://api.example.com", {"url": "http://127.0.0.1:8000", "description": "local"}],
        "path": "docs",  # serve openapi.json and the UIs under /docs/ (default: only where you mount them)
    }

Every key is optional. A key this plugin does not know is a startup error, so a typo cannot go unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from panther.exceptions import PantherError

__all__ = ["OpenAPISettings", "read_settings"]

#: ``OPENAPI`` key → the OpenAPI Info Object field it sets.
_INFO_KEYS = {
    "title": "title",
    "version": "version",
    "summary": "summary",
    "description": "description",
    "terms_of_service": "termsOfService",
    "contact": "contact",
    "license": "license",
}
_KEYS = (*_INFO_KEYS, "servers", "path")


@dataclass(frozen=True, slots=True)
class OpenAPISettings:
    """One app's ``OPENAPI`` setting, checked."""

    info: dict[str, Any] = field(default_factory=lambda: {"title": "Panther API", "version": "1.0.0"})
    servers: tuple[dict[str, Any], ...] = ()
    #: Where the plugin mounts ``panther.openapi.urls.url_routing`` (``None``: it does not; mount it yourself).
    path: str | None = None


def read_settings(value: Any) -> OpenAPISettings:
    """Check the ``OPENAPI`` setting (a dict or ``None``) and return it; ``PantherError`` says what to change."""
    if value is None:
        return OpenAPISettings()
    if not isinstance(value, Mapping):
        raise PantherError(f"OPENAPI must be a dict (e.g. {{'title': 'My API'}}), got {type(value).__name__}.")
    unknown = [key for key in value if key not in _KEYS]
    if unknown:
        raise PantherError(f"OPENAPI has unknown keys {', '.join(map(repr, unknown))}; use {', '.join(_KEYS)}.")
    info: dict[str, Any] = {"title": "Panther API", "version": "1.0.0"}
    for key, name in _INFO_KEYS.items():
        if value.get(key) is None:
            continue
        item = value[key]
        if key in ("contact", "license"):
            if not isinstance(item, Mapping) or (key == "license" and not isinstance(item.get("name"), str)):
                raise PantherError(f"OPENAPI['{key}'] must be a dict{' with a name' if key == 'license' else ''}.")
            item = dict(item)
        elif not isinstance(item, str) or not item:
            raise PantherError(f"OPENAPI['{key}'] must be a non-empty string, got {item!r}.")
        info[name] = item
    return OpenAPISettings(info=info, servers=_servers(value.get("servers")), path=_path(value.get("path")))


def _servers(value: Any) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)) or not hasattr(value, "__iter__"):
        raise PantherError("OPENAPI['servers'] must be a list of URLs or of {'url': ..., 'description': ...}.")
    servers = []
    for server in value:
        if isinstance(server, str):
            server = {"url": server}
        if not isinstance(server, Mapping) or not isinstance(server.get("url"), str) or not server["url"]:
            raise PantherError(f"OPENAPI['servers']: {server!r} is neither a URL nor a dict with a 'url'.")
        servers.append(dict(server))
    return tuple(servers)


def _path(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PantherError(f"OPENAPI['path'] must be a URL prefix such as 'docs', got {value!r}.")
    return value.strip("/")
