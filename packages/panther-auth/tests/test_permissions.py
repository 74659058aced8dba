"""``panther.permissions``: a permission grants only by returning ``True``."""

from __future__ import annotations

from typing import Any

import pytest

from panther.app import API, GenericAPI
from panther.authentications import JWTAuthentication
from panther.authentications.state import AUTH
from panther.permissions import BasePermission, IsAuthenticated, IsAuthenticatedOrReadonly
from panther.request import Request
from panther.test import APIClient


class ForgetsToReturn(BasePermission):
    async def __call__(self, request: Any) -> bool:
        request.user  # noqa: B018 - checks something, then falls off the end: returns None
        return None  # type: ignore[return-value]


class ReturnsTruthy(BasePermission):
    async def __call__(self, request: Any) -> Any:
        return request.user or "yes"  # upstream's IsAuthenticatedOrReadonly returned the user object


class NotImplemented_(BasePermission):
    pass


async def always(request: Any) -> bool:
    return True


@API(auth=JWTAuthentication, permissions=[IsAuthenticated])
async def authenticated() -> Any:
    return {"ok": True}


@API(auth=JWTAuthentication, permissions=IsAuthenticatedOrReadonly)
async def readonly(request: Request) -> Any:
    return {"method": request.method}


class Items(GenericAPI):
    auth = JWTAuthentication
    permissions = [always, IsAuthenticated]

    async def get(self) -> Any:
        return {"items": []}


@pytest.fixture
def app(auth_app):
    return auth_app(
        urls={
            "authenticated": authenticated,
            "readonly": readonly,
            "items": Items,
            "forgets": API(auth=JWTAuthentication, permissions=[ForgetsToReturn])(authenticated.api.func),
            "truthy": API(auth=JWTAuthentication, permissions=[ReturnsTruthy])(authenticated.api.func),
            "unimplemented": API(auth=JWTAuthentication, permissions=[NotImplemented_])(authenticated.api.func),
        }
    )


@pytest.fixture
async def client(app):
    async with APIClient(app) as client:
        yield client


@pytest.fixture
def user(app) -> dict[str, str]:
    """Headers authenticating user 1."""
    return {"Authorization": f"Bearer {app.stash[AUTH].jwt().pair('1')['access_token']}"}


async def test_is_authenticated(client, user):
    assert (await client.get("/authenticated/")).status_code == 403
    assert (await client.get("/authenticated/", headers=user)).data == {"ok": True}


@pytest.mark.parametrize("method", ["get", "head"])
async def test_readonly_methods_are_open(client, method):
    assert (await getattr(client, method)("/readonly/")).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
async def test_writes_need_a_user(client, user, method):
    denied = await getattr(client, method)("/readonly/")
    assert denied.status_code == 403 and denied.data == {"detail": "Permission Denied"}
    allowed = await getattr(client, method)("/readonly/", headers=user)
    assert allowed.data == {"method": method.upper()}


async def test_every_permission_must_grant(client, user):
    assert (await client.get("/items/")).status_code == 403
    assert (await client.get("/items/", headers=user)).data == {"items": []}


@pytest.mark.parametrize("path", ["/forgets/", "/truthy/", "/unimplemented/"])
async def test_anything_but_true_denies(client, user, path):
    # Upstream denied only on a literal False, so a forgotten `return` granted access (spec §3.1 #7).
    response = await client.get(path, headers=user)
    assert response.status_code == 403 and response.data == {"detail": "Permission Denied"}


async def test_builtins_return_booleans():
    class Anonymous:
        user = None
        method = "POST"

    assert await IsAuthenticated()(Anonymous()) is False
    assert await IsAuthenticatedOrReadonly()(Anonymous()) is False

    class Someone(Anonymous):
        user = {"id": "1"}

    assert await IsAuthenticated()(Someone()) is True
    assert await IsAuthenticatedOrReadonly()(Someone()) is True
