"""Login, refresh (rotation) and logout, with revocation in memory and in the real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import pytest

from panther.authentications import JWTAuthentication
from panther.authentications.state import AUTH
from panther.exceptions import AuthenticationAPIError
from panther.test import APIClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: APIClient, user_id: str = "1") -> dict[str, str]:
    response = await client.post("/login/", {"id": user_id})
    assert response.status_code == 200, response.data
    return response.data


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


class TestTokens:
    async def test_login_issues_a_pair_of_one_session(self, auth_app):
        async with APIClient(auth_app()) as client:
            tokens = await login(client)
        assert set(tokens) == {"access_token", "refresh_token"}
        access, refresh = claims(tokens["access_token"]), claims(tokens["refresh_token"])
        assert access["token_type"] == "access" and refresh["token_type"] == "refresh"
        assert access["user_id"] == refresh["user_id"] == "1"
        assert {"iat", "exp", "jti", "sid"} <= set(access) and {"iat", "exp", "jti", "sid"} <= set(refresh)
        assert access["jti"] != refresh["jti"] and access["sid"] == refresh["sid"]
        assert access["exp"] - access["iat"] == 24 * 3600
        assert refresh["exp"] - refresh["iat"] == 48 * 3600
        assert access["sid_exp"] == refresh["exp"]

    async def test_each_login_is_a_new_session(self, auth_app):
        async with APIClient(auth_app()) as client:
            first, second = await login(client), await login(client)
        assert claims(first["access_token"])["sid"] != claims(second["access_token"])["sid"]


class TestRotation:
    async def test_refresh_rotates_and_revokes_the_old_pair(self, auth_app, store_settings):
        async with APIClient(auth_app(**store_settings)) as client:
            old = await login(client)
            response = await client.post("/refresh/", headers=bearer(old["refresh_token"]))
            assert response.status_code == 200, response.data
            new = response.data
            assert set(new) == {"access_token", "refresh_token"} and new != old
            # The new access token works; the old access token and the old refresh token are revoked.
            assert (await client.get("/me/", headers=bearer(new["access_token"]))).status_code == 200
            old_access = await client.get("/me/", headers=bearer(old["access_token"]))
            assert old_access.status_code == 401 and old_access.data == {"detail": "Token revoked"}
            reused = await client.post("/refresh/", headers=bearer(old["refresh_token"]))
            assert reused.status_code == 401 and reused.data == {"detail": "Token revoked"}
            # ... and the new refresh token works once.
            assert (await client.post("/refresh/", headers=bearer(new["refresh_token"]))).status_code == 200
            assert (await client.post("/refresh/", headers=bearer(new["refresh_token"]))).status_code == 401

    async def test_concurrent_refreshes_with_one_token_give_one_new_pair(self, auth_app, store_settings):
        # A replayed refresh token racing the legitimate client: only the first use wins.
        async with APIClient(auth_app(**store_settings)) as client:
            refresh = (await login(client))["refresh_token"]
            answers = await asyncio.gather(*(client.post("/refresh/", headers=bearer(refresh)) for _ in range(8)))
        assert sorted(answer.status_code for answer in answers) == [200] + [401] * 7

    async def test_other_sessions_survive(self, auth_app, store_settings):
        async with APIClient(auth_app(**store_settings)) as client:
            phone, laptop = await login(client), await login(client)
            assert (await client.post("/refresh/", headers=bearer(phone["refresh_token"]))).status_code == 200
            assert (await client.get("/me/", headers=bearer(laptop["access_token"]))).status_code == 200


class TestLogout:
    async def test_logout_revokes_the_access_and_the_refresh_token(self, auth_app, store_settings):
        async with APIClient(auth_app(**store_settings)) as client:
            tokens = await login(client)
            headers = bearer(tokens["access_token"])
            assert (await client.get("/me/", headers=headers)).status_code == 200
            response = await client.post("/logout/", headers=headers)
            assert response.status_code == 200 and response.data == {"detail": "Logged out"}
            assert (await client.get("/me/", headers=headers)).data == {"detail": "Token revoked"}
            refreshed = await client.post("/refresh/", headers=bearer(tokens["refresh_token"]))
            assert refreshed.status_code == 401 and refreshed.data == {"detail": "Token revoked"}
            assert (await client.post("/logout/", headers=headers)).status_code == 401

    async def test_logout_without_a_token_is_refused_not_ignored(self, auth_app):
        # Upstream's logout without Redis only logged an error and left the token valid (spec §3.2).
        app = auth_app()
        with pytest.raises(AuthenticationAPIError) as caught:
            await JWTAuthentication.logout(object(), app=app)
        assert caught.value.detail == "Not authenticated with a token: nothing to log out"

    async def test_revocation_lasts_until_the_session_ends(self, auth_app, store_settings):
        app = auth_app(**store_settings)
        async with APIClient(app) as client:
            tokens = await login(client)
            await client.post("/logout/", headers=bearer(tokens["access_token"]))
            store = app.stash[AUTH].revocations
            key = claims(tokens["access_token"])["sid"]
            if app.redis is not None:
                ttl = await app.redis.pttl(store.prefix + key)  # type: ignore[attr-defined]
                assert 47 * 3600 * 1000 < ttl <= 48 * 3600 * 1000  # the refresh token's remaining life
            else:
                until = store._until[key]  # type: ignore[attr-defined]
                assert until == claims(tokens["refresh_token"])["exp"]


class TestCookies:
    async def test_cookie_session(self, auth_app, store_settings):
        async with APIClient(auth_app(**store_settings)) as client:
            tokens = await login(client)
            client.cookies.update(tokens)
            assert (await client.get("/cookie/me/")).status_code == 200
            refreshed = await client.post("/cookie/refresh/")
            assert refreshed.status_code == 200, refreshed.data
            client.cookies.update(refreshed.data)
            assert (await client.get("/cookie/me/")).status_code == 200
            assert (await client.post("/cookie/logout/")).status_code == 200
            assert (await client.get("/cookie/me/")).data == {"detail": "Token revoked"}
            assert (await client.post("/cookie/refresh/")).data == {"detail": "Token revoked"}
            # The first pair was revoked by the refresh.
            assert (await client.get("/me/", headers=bearer(tokens["access_token"]))).status_code == 401

    async def test_logout_also_revokes_a_refresh_cookie_of_another_session(self, auth_app):
        async with APIClient(auth_app()) as client:
            first, second = await login(client), await login(client)
            client.cookies.update({"access_token": first["access_token"], "refresh_token": second["refresh_token"]})
            assert (await client.post("/cookie/logout/")).status_code == 200
            assert (await client.post("/refresh/", headers=bearer(second["refresh_token"]))).status_code == 401

    async def test_another_users_refresh_cookie_is_refused(self, auth_app):
        async with APIClient(auth_app()) as client:
            ann, bob = await login(client, "1"), await login(client, "2")
            client.cookies.update({"access_token": bob["access_token"], "refresh_token": ann["refresh_token"]})
            logout = await client.post("/cookie/logout/")
            assert logout.status_code == 200
            # Bob's session is revoked; Ann's refresh token (not Bob's to revoke) still works.
            assert (await client.post("/refresh/", headers=bearer(ann["refresh_token"]))).status_code == 200
