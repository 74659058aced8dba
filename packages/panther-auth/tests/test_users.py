"""Users from panther-db (``USER_MODEL``, ``BaseUser``) on PantherDB and on the real MongoDB: login, the user of a
token, refresh and logout through ``BaseUser``'s methods, as upstream apps call them."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("panther.db", reason="panther-db is not installed (users come from USER_MODEL with it)")

from panther import Panther
from panther.app import API
from panther.authentications import JWTAuthentication
from panther.db.context import DB
from panther.db.models import BaseUser
from panther.db.passwords import verify_password
from panther.exceptions import AuthenticationAPIError, PantherError
from panther.permissions import IsAuthenticated
from panther.request import Request
from panther.test import APIClient


class Member(BaseUser):
    nickname: str = ""


class Refreshing(JWTAuthentication):
    token_type = "refresh"


@API(methods=["POST"], auth=False)
async def login(request: Request) -> Any:
    user = await Member.find_one(username=request.data["username"])
    # verify_password is what BaseUser.check_password runs (off the event loop, constant-time).
    if user is None or not await verify_password(request.data["password"], user.password):
        raise AuthenticationAPIError("Wrong username or password")
    return await user.login()


@API(permissions=[IsAuthenticated])  # AUTHENTICATION (the setting) authenticates it
async def me(request: Request) -> Any:
    return {"id": request.user.id, "username": request.user.username, "nickname": request.user.nickname}


@API(methods=["POST"], auth=Refreshing, permissions=[IsAuthenticated])
async def refresh(request: Request) -> Any:
    return await request.user.refresh_tokens()


@API(methods=["POST"], permissions=[IsAuthenticated])
async def logout(request: Request) -> Any:
    await request.user.logout()
    return {"detail": "Logged out"}


URLS = {"login": login, "me": me, "refresh": refresh, "logout": logout}


@pytest.fixture(params=["pantherdb", pytest.param("mongodb", marks=pytest.mark.panther_mongodb)])
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "mongodb":
        database = {
            "engine": {
                "class": "mongodb",
                "host": request.getfixturevalue("panther_mongodb_url"),
                "database": f"panther_auth_test_{uuid.uuid4().hex[:12]}",
            }
        }
    else:
        database = {"engine": {"class": "pantherdb", "path": str(tmp_path / "users.pdb")}}
    configs = {
        "SECRET_KEY": "users-suite-secret-key-0123456789abcdef",
        "BASE_DIR": str(tmp_path),
        "DATABASE": database,
        "USER_MODEL": Member,
        "AUTHENTICATION": "panther.authentications.JWTAuthentication",
    }
    app = Panther(__name__, configs=configs, urls=URLS)
    async with APIClient(app) as client:
        user = Member(username="ann", nickname="annie")
        await user.set_password("correct horse")
        await Member.insert_one(user.model_dump(exclude={"id"}, exclude_none=True))
        yield client
        if request.param == "mongodb":
            await app.stash[DB].client.drop_database(database["engine"]["database"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_then_the_token_is_the_user(client):
    wrong = await client.post("/login/", {"username": "ann", "password": "wrong"})
    assert wrong.status_code == 401
    tokens = (await client.post("/login/", {"username": "ann", "password": "correct horse"})).data
    me = await client.get("/me/", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.data["username"] == "ann" and me.data["nickname"] == "annie"
    stored = await Member.find_one(username="ann")
    assert isinstance(stored.last_login, datetime)  # BaseUser.login() stamps it, as upstream


async def test_refresh_and_logout_through_the_user(client):
    first = (await client.post("/login/", {"username": "ann", "password": "correct horse"})).data
    second = (await client.post("/refresh/", headers=bearer(first["refresh_token"]))).data
    assert set(second) == {"access_token", "refresh_token"}
    assert (await client.get("/me/", headers=bearer(first["access_token"]))).status_code == 401
    assert (await client.post("/refresh/", headers=bearer(first["refresh_token"]))).status_code == 401
    assert (await client.post("/logout/", headers=bearer(second["access_token"]))).status_code == 200
    assert (await client.get("/me/", headers=bearer(second["access_token"]))).data == {"detail": "Token revoked"}
    assert (await client.post("/refresh/", headers=bearer(second["refresh_token"]))).status_code == 401


async def test_deleted_user(client):
    tokens = (await client.post("/login/", {"username": "ann", "password": "correct horse"})).data
    await (await Member.find_one(username="ann")).delete()
    response = await client.get("/me/", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and response.data == {"detail": "User not found"}


async def test_token_for_an_id_of_another_engine_is_not_a_500(client):
    # e.g. a PantherDB id after moving to MongoDB (not an ObjectId): no such user, not a crash.
    token = JWTAuthentication.encode_jwt("not-an-object-id", app=client.app)
    response = await client.get("/me/", headers=bearer(token))
    assert response.status_code == 401 and response.data == {"detail": "User not found"}


async def test_login_needs_an_authentication_setting(tmp_path):
    app = Panther(__name__, configs={"BASE_DIR": str(tmp_path), "SECRET_KEY": "x" * 40}, urls={})
    user = BaseUser(id="1", username="ann")
    with pytest.raises(PantherError, match=r"AUTHENTICATION\.refresh\(user\), but AUTHENTICATION is None"):
        await user.refresh_tokens()
    assert app.config.AUTHENTICATION is None
