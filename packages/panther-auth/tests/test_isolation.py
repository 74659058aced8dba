"""Nothing is shared that should not be: two apps in one process keep their own keys and revocations, and
concurrent requests never see each other's user."""

from __future__ import annotations

import asyncio
import random
from types import SimpleNamespace
from typing import Any

from panther import Panther
from panther.app import API
from panther.authentications import JWTAuthentication
from panther.authentications.state import AUTH
from panther.request import Request
from panther.test import APIClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def slow_loader(user_id: Any) -> Any:
    await asyncio.sleep(random.random() / 100)  # requests interleave while users load
    return SimpleNamespace(id=user_id)


@API(auth=JWTAuthentication)
async def me(request: Request) -> Any:
    await asyncio.sleep(random.random() / 100)
    return {"id": request.user.id}


@API(methods=["POST"], auth=JWTAuthentication)
async def logout(request: Request) -> Any:
    await JWTAuthentication.logout(request.user)
    return {}


def build(secret: str) -> Panther:
    configs = {"SECRET_KEY": secret, "JWT_CONFIG": {"user_loader": slow_loader}}
    return Panther(__name__, configs=configs, urls={"me": me, "logout": logout})


async def test_two_apps_with_different_keys():
    one, two = build("first-app-secret-key-0123456789abcdef"), build("second-app-secret-key-0123456789abcdef")
    assert one.stash[AUTH] is not two.stash[AUTH]
    assert one.stash[AUTH].revocations is not two.stash[AUTH].revocations
    token_one = (await JWTAuthentication.login(SimpleNamespace(id="1"), app=one))["access_token"]
    token_two = (await JWTAuthentication.login(SimpleNamespace(id="2"), app=two))["access_token"]
    async with APIClient(one) as client_one, APIClient(two) as client_two:
        answers = await asyncio.gather(
            client_one.get("/me/", headers=bearer(token_one)),
            client_two.get("/me/", headers=bearer(token_two)),
            client_one.get("/me/", headers=bearer(token_two)),
            client_two.get("/me/", headers=bearer(token_one)),
        )
        assert [a.status_code for a in answers] == [200, 200, 401, 401]
        assert [answers[0].data, answers[1].data] == [{"id": "1"}, {"id": "2"}]
        assert answers[2].data == {"detail": "Token signature is invalid"}
        # One app's logout is recorded in its own store only.
        assert (await client_one.post("/logout/", headers=bearer(token_one))).status_code == 200
        assert len(one.stash[AUTH].revocations) == 1 and len(two.stash[AUTH].revocations) == 0  # type: ignore[arg-type]


async def test_class_methods_act_on_the_app_serving_the_request():
    @API(methods=["POST"], auth=False)
    async def issue(request: Request) -> Any:
        return await JWTAuthentication.login(SimpleNamespace(id="9"))  # no `app=`: the app serving this request

    def with_issue(secret: str) -> Panther:
        configs = {"SECRET_KEY": secret, "JWT_CONFIG": {"user_loader": slow_loader}}
        return Panther(__name__, configs=configs, urls={"issue": issue, "me": me})

    one = with_issue("first-app-secret-key-0123456789abcdef")
    two = with_issue("second-app-secret-key-0123456789abcdef")  # built last: what code outside a request sees
    async with APIClient(one) as client_one, APIClient(two) as client_two:
        token = (await client_one.post("/issue/")).data["access_token"]
        assert (await client_one.get("/me/", headers=bearer(token))).data == {"id": "9"}
        assert (await client_two.get("/me/", headers=bearer(token))).status_code == 401


async def test_concurrent_requests_each_see_their_own_user():
    app = build("concurrency-secret-key-0123456789abcdef")
    tokens = {}
    for i in range(50):
        tokens[str(i)] = (await JWTAuthentication.login(SimpleNamespace(id=str(i)), app=app))["access_token"]
    async with APIClient(app) as client:
        order = [str(i % 50) for i in range(200)]
        answers = await asyncio.gather(*(client.get("/me/", headers=bearer(tokens[user])) for user in order))
    assert [answer.data for answer in answers] == [{"id": user} for user in order]
