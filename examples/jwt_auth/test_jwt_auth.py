"""The JWT example: sign up, log in, use the access token, refresh once, log out."""

import pytest

from examples.jwt_auth import main


@pytest.fixture
def app(panther_app_factory, tmp_path):
    configs = {
        "SECRET_KEY": main.SECRET_KEY,
        "AUTHENTICATION": main.AUTHENTICATION,
        "DATABASE": {"engine": {"class": "pantherdb", "path": str(tmp_path / "users.pdb")}},
    }
    return panther_app_factory(urls=main.urls, configs=configs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_signup_login_refresh_logout(api_client):
    credentials = {"username": "ann", "password": "correct horse"}
    assert (await api_client.post("/signup/", payload=credentials)).status_code == 201
    assert (await api_client.post("/signup/", payload=credentials)).status_code == 400

    tokens = (await api_client.post("/login/", payload=credentials)).data
    me = await api_client.get("/me/", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.data["username"] == "ann"

    # A refresh token is no access token, and an access token cannot refresh.
    assert (await api_client.get("/me/", headers=bearer(tokens["refresh_token"]))).status_code == 401
    assert (await api_client.post("/refresh/", headers=bearer(tokens["access_token"]))).status_code == 401

    fresh = await api_client.post("/refresh/", headers=bearer(tokens["refresh_token"]))
    assert fresh.status_code == 200
    replay = await api_client.post("/refresh/", headers=bearer(tokens["refresh_token"]))
    assert replay.status_code == 401 and replay.data["detail"] == "Token revoked"
    assert (await api_client.get("/me/", headers=bearer(tokens["access_token"]))).status_code == 401

    new = fresh.data
    assert (await api_client.post("/logout/", headers=bearer(new["access_token"]))).status_code == 204
    after = await api_client.get("/me/", headers=bearer(new["access_token"]))
    assert after.status_code == 401 and after.data["detail"] == "Token revoked"


async def test_wrong_password_and_anonymous(api_client):
    await api_client.post("/signup/", payload={"username": "bob", "password": "long enough"})
    wrong = await api_client.post("/login/", payload={"username": "bob", "password": "not the one"})
    assert wrong.status_code == 401
    assert (await api_client.get("/me/")).status_code == 403  # no token: anonymous, not authenticated
    assert (await api_client.post("/login/", payload={"username": "bob"})).status_code == 400
