"""Permissions: ``@API(permissions=[IsAuthenticated])`` (or ``GenericAPI.permissions``), checked in order after
authentication.

A permission is an async function ``(request) -> bool`` or a class with ``async __call__(self, request)`` (one
instance per request). It grants access only by returning ``True``: anything else, ``None`` from a forgotten
``return`` included, is a 403 ``Permission Denied``. WebSocket endpoints take the same permissions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BasePermission", "IsAuthenticated", "IsAuthenticatedOrReadonly"]

#: Methods that only read: what ``IsAuthenticatedOrReadonly`` lets anonymous requests use (HEAD follows GET).
SAFE_METHODS = frozenset(("GET", "HEAD"))


class BasePermission:
    """Subclass it and implement ``async __call__(self, request) -> bool``; until then it denies."""

    async def __call__(self, request: Any) -> bool:
        return False


class IsAuthenticated(BasePermission):
    """The request has a user (its authentication found one)."""

    async def __call__(self, request: Any) -> bool:
        return bool(request.user)


class IsAuthenticatedOrReadonly(BasePermission):
    """A user, or a request that only reads (GET, HEAD)."""

    async def __call__(self, request: Any) -> bool:
        return bool(request.user) or getattr(request, "method", None) in SAFE_METHODS
