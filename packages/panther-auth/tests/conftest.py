"""Fixtures for panther-auth's tests: apps with JWT endpoints over an in-memory user store (no panther-db needed),
and a revocation store parametrised over memory and the real Redis.

``auth_app(**configs)`` builds an app with these routes:

- ``POST /login/`` ``{"id": ...}`` → a new pair of tokens (no authentication: the test stands for a password check);
- ``GET /me/`` (Bearer, ``IsAuthenticated``) → the user; ``GET /whoami/`` (Bearer, no permission) → the user or
  ``None``;
- ``POST /refresh/`` (Bearer refresh token) → a new pair; ``POST /logout/`` (Bearer) → revokes;
- ``GET /cookie/me/``, ``POST /cookie/refresh/``, ``POST /cookie/logout/`` → the same with cookies;
- ``GET /query/me/`` → ``?authorization=<jwt>``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from panther import Panther
from panther.app import API
from panther.authentications import CookieJWTAuthentication, JWTAuthentication, QueryParamJWTAuthentication
from panther.permissions import IsAuthenticated
from panther.request import Request
from panther.test.pytest_plugin import AppFactory

SECRET_KEY = "test-secret-key-of-the-panther-auth-suite"
#: Redis database the auth tests use (keys are random session ids, so parallel suites cannot collide anyway).
REDIS_DB = 11


class Users:
    """An in-memory user store; ``load`` returns a fresh object per call, as a database would."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {
            "1": {"id": "1", "name": "ann"},
            "2": {"id": "2", "name": "bob"},
        }
        self.loads = 0

    async def load(self, user_id: Any) -> Any:
        self.loads += 1
        record = self.records.get(str(user_id))
        return None if record is None else SimpleNamespace(**record)


class RefreshJWT(JWTAuthentication):
    token_type = "refresh"


class RefreshCookieJWT(CookieJWTAuthentication):
    token_type = "refresh"


def make_urls(users: Users) -> dict[str, Any]:
    @API(methods=["POST"], auth=False)
    async def login(request: Request) -> Any:
        user = await users.load(request.data["id"])
        return await JWTAuthentication.login(user)

    @API(auth=JWTAuthentication, permissions=[IsAuthenticated])
    async def me(request: Request) -> Any:
        return {"id": request.user.id, "name": request.user.name}

    @API(auth=JWTAuthentication)
    async def whoami(request: Request) -> Any:
        return {"user": None if request.user is None else request.user.name}

    @API(methods=["POST"], auth=RefreshJWT, permissions=[IsAuthenticated])
    async def refresh(request: Request) -> Any:
        return await RefreshJWT.refresh(request.user)

    @API(methods=["POST"], auth=JWTAuthentication, permissions=[IsAuthenticated])
    async def logout(request: Request) -> Any:
        await JWTAuthentication.logout(request.user)
        return {"detail": "Logged out"}

    @API(auth=CookieJWTAuthentication, permissions=[IsAuthenticated])
    async def cookie_me(request: Request) -> Any:
        return {"id": request.user.id, "name": request.user.name}

    @API(methods=["POST"], auth=RefreshCookieJWT, permissions=[IsAuthenticated])
    async def cookie_refresh(request: Request) -> Any:
        return await RefreshCookieJWT.refresh(request.user)

    @API(methods=["POST"], auth=CookieJWTAuthentication, permissions=[IsAuthenticated])
    async def cookie_logout(request: Request) -> Any:
        await CookieJWTAuthentication.logout(request.user)
        return {"detail": "Logged out"}

    @API(auth=QueryParamJWTAuthentication, permissions=[IsAuthenticated])
    async def query_me(request: Request) -> Any:
        return {"id": request.user.id}

    return {
        "login": login,
        "me": me,
        "whoami": whoami,
        "refresh": refresh,
        "logout": logout,
        "cookie": {"me": cookie_me, "refresh": cookie_refresh, "logout": cookie_logout},
        "query": {"me": query_me},
    }


@pytest.fixture
def users() -> Users:
    return Users()


AuthApp = Callable[..., Panther]


@pytest.fixture
def auth_app(panther_app_factory: AppFactory, users: Users, tmp_path: Path) -> AuthApp:
    """``auth_app(urls=None, **configs)``: an app with the routes above (or ``urls``) and the test user store."""

    def build(urls: dict[str, Any] | None = None, **configs: Any) -> Panther:
        jwt_config = {"user_loader": users.load, **configs.pop("JWT_CONFIG", {})}
        settings = {"SECRET_KEY": SECRET_KEY, "BASE_DIR": str(tmp_path), "JWT_CONFIG": jwt_config, **configs}
        return panther_app_factory(urls=make_urls(users) if urls is None else urls, configs=settings)

    return build


@pytest.fixture
def redis_settings(panther_redis_url: str) -> dict[str, Any]:
    """A ``REDIS`` setting for the test server, on this suite's own database."""
    return {"url": f"{panther_redis_url.rsplit('/', 1)[0]}/{REDIS_DB}"}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.panther_redis)])
def store_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Configs choosing the revocation store: none (in-process memory) or ``REDIS`` (the real server)."""
    if request.param == "redis":
        return {"REDIS": request.getfixturevalue("redis_settings")}
    return {}
