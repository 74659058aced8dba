"""Every bad credential is a 401 with a ``WWW-Authenticate`` header and a short detail naming the cause, never a
500, and never an echo of the token or the key. No credential at all is an anonymous request."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import jwt
import pytest

from panther.authentications.state import AUTH
from panther.test import APIClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def login(client: APIClient, user_id: str = "1") -> dict[str, str]:
    response = await client.post("/login/", {"id": user_id})
    assert response.status_code == 200, response.data
    return response.data


async def assert_refused(response: Any, detail: str, *secrets: str) -> None:
    assert response.status_code == 401, (response.status_code, response.data)
    assert response.data == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == f'Bearer error="invalid_token", error_description="{detail}"'
    seen = repr(response.data) + repr(dict(response.headers))
    for secret in secrets:
        assert secret not in seen


class TestHeader:
    async def test_no_header_is_anonymous(self, auth_app):
        async with APIClient(auth_app()) as client:
            assert (await client.get("/whoami/")).data == {"user": None}
            denied = await client.get("/me/")
            assert denied.status_code == 403 and denied.data == {"detail": "Permission Denied"}

    @pytest.mark.parametrize(
        ("value", "detail"),
        [
            ("Bearer", "Authorization header must contain 2 parts"),
            ("", "Authorization header must contain 2 parts"),
            ("Bearer a b", "Authorization header must contain 2 parts"),
            ("Basic dXNlcjpwYXNz", "Authorization keyword is not valid"),
            ("Token abc", "Authorization keyword is not valid"),
            ("Bearer garbage", "Token is malformed"),
            ("Bearer a.b.c", "Token is malformed"),
            ("Bearer " + "x" * 9000, "Token is too long"),
        ],
    )
    async def test_malformed_header(self, auth_app, value, detail):
        async with APIClient(auth_app()) as client:
            await assert_refused(await client.get("/me/", headers={"Authorization": value}), detail)

    @pytest.mark.parametrize("keyword", ["Bearer", "bearer", "BEARER", "bEaReR"])
    async def test_keyword_is_case_insensitive(self, auth_app, keyword):
        async with APIClient(auth_app()) as client:
            tokens = await login(client)
            response = await client.get("/me/", headers={"Authorization": f"{keyword} {tokens['access_token']}"})
            assert response.data == {"id": "1", "name": "ann"}

    async def test_refusal_is_logged_as_upstream(self, auth_app, caplog):
        async with APIClient(auth_app()) as client:
            with caplog.at_level(logging.ERROR, logger="panther"):
                await client.get("/me/", headers={"Authorization": "Token abc"})
        assert 'JWTAuthentication Error: "Authorization keyword is not valid"' in caplog.messages


class TestToken:
    async def test_expired(self, auth_app):
        app = auth_app()
        tokens = app.stash[AUTH].jwt()
        claims = tokens.claims("1", "access", now=int(time.time()) - 3 * tokens.config.life_time)
        async with APIClient(app) as client:
            await assert_refused(await client.get("/me/", headers=bearer(tokens.encode(claims))), "Token expired")

    async def test_tampered_payload(self, auth_app):
        async with APIClient(auth_app()) as client:
            token = (await login(client, "2"))["access_token"]
            header, payload, signature = token.split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            forged = f"{header}.{segment({**claims, 'user_id': '1'})}.{signature}"
            await assert_refused(await client.get("/me/", headers=bearer(forged)), "Token signature is invalid", forged)

    async def test_signed_with_another_key(self, auth_app):
        app = auth_app()
        claims = app.stash[AUTH].jwt().claims("1", "access")
        token = jwt.encode(claims, "another-key-of-at-least-32-bytes-long", algorithm="HS256")
        async with APIClient(app) as client:
            await assert_refused(await client.get("/me/", headers=bearer(token)), "Token signature is invalid", token)

    async def test_signed_with_secret_key_itself(self, auth_app):
        # Upstream signed with SECRET_KEY, also PantherDB's encryption key (spec §3.2); here the key is derived.
        app = auth_app()
        claims = app.stash[AUTH].jwt().claims("1", "access")
        token = jwt.encode(claims, app.config.SECRET_KEY, algorithm="HS256")
        async with APIClient(app) as client:
            await assert_refused(
                await client.get("/me/", headers=bearer(token)), "Token signature is invalid", app.config.SECRET_KEY
            )

    async def test_alg_none(self, auth_app):
        app = auth_app()
        claims = app.stash[AUTH].jwt().claims("1", "access")
        token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."
        async with APIClient(app) as client:
            await assert_refused(await client.get("/me/", headers=bearer(token)), "Token algorithm is not allowed")

    async def test_rs256_token_on_an_hs256_app(self, auth_app):
        pytest.importorskip("cryptography")
        from cryptography.hazmat.primitives.asymmetric import rsa

        app = auth_app()
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(app.stash[AUTH].jwt().claims("1", "access"), private, algorithm="RS256")
        async with APIClient(app) as client:
            await assert_refused(await client.get("/me/", headers=bearer(token)), "Token algorithm is not allowed")

    async def test_hs256_token_signed_with_the_public_key_of_an_rs256_app(self, auth_app):
        # The classic algorithm confusion: the verifier's public key (which is public) used as an HMAC secret.
        pytest.importorskip("cryptography")
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        app = auth_app(JWT_CONFIG={"algorithm": "RS256", "key": private})
        claims = app.stash[AUTH].jwt().claims("1", "access")
        header = segment({"alg": "HS256", "typ": "JWT"})
        body = segment(claims)
        import hashlib
        import hmac

        mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
        token = f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
        async with APIClient(app) as client:
            await assert_refused(await client.get("/me/", headers=bearer(token)), "Token algorithm is not allowed")
            tokens = await login(client)  # the app's own RS256 tokens work
            assert (await client.get("/me/", headers=bearer(tokens["access_token"]))).status_code == 200

    @pytest.mark.parametrize("claim", ["exp", "iat", "jti", "user_id", "token_type"])
    async def test_missing_claim(self, auth_app, claim):
        # A token without `exp` would never expire; one without `jti` could not be revoked.
        app = auth_app()
        tokens = app.stash[AUTH].jwt()
        claims = tokens.claims("1", "access")
        del claims[claim]
        token = jwt.encode(claims, tokens.config.key, algorithm="HS256")
        async with APIClient(app) as client:
            await assert_refused(await client.get("/me/", headers=bearer(token)), f"Token has no `{claim}` claim")

    async def test_refresh_token_is_not_an_access_token(self, auth_app):
        # Upstream accepted a refresh token (a long-lived one) wherever an access token was expected (spec §3.1 #8).
        async with APIClient(auth_app()) as client:
            refresh = (await login(client))["refresh_token"]
            await assert_refused(
                await client.get("/me/", headers=bearer(refresh)), "Refresh token cannot be used as an access token"
            )

    async def test_access_token_is_not_a_refresh_token(self, auth_app):
        async with APIClient(auth_app()) as client:
            access = (await login(client))["access_token"]
            await assert_refused(
                await client.post("/refresh/", headers=bearer(access)),
                "Invalid token type; expected `refresh` token.",
            )

    async def test_user_deleted_since_login(self, auth_app, users):
        async with APIClient(auth_app()) as client:
            access = (await login(client, "2"))["access_token"]
            del users.records["2"]
            await assert_refused(await client.get("/me/", headers=bearer(access)), "User not found")

    async def test_revoked(self, auth_app):
        async with APIClient(auth_app()) as client:
            access = (await login(client))["access_token"]
            assert (await client.post("/logout/", headers=bearer(access))).status_code == 200
            await assert_refused(await client.get("/me/", headers=bearer(access)), "Token revoked")

    async def test_audience_and_issuer(self, auth_app):
        app = auth_app(JWT_CONFIG={"audience": "api", "issuer": "https://auth.example"})
        tokens = app.stash[AUTH].jwt()
        async with APIClient(app) as client:
            good = (await login(client))["access_token"]
            assert jwt.decode(good, options={"verify_signature": False})["aud"] == "api"
            assert (await client.get("/me/", headers=bearer(good))).status_code == 200
            other_audience = tokens.encode({**tokens.claims("1", "access"), "aud": "other"})
            await assert_refused(
                await client.get("/me/", headers=bearer(other_audience)), "Token audience is not accepted"
            )
            other_issuer = tokens.encode({**tokens.claims("1", "access"), "iss": "https://evil.example"})
            await assert_refused(await client.get("/me/", headers=bearer(other_issuer)), "Token issuer is not accepted")

    async def test_not_valid_yet(self, auth_app):
        app = auth_app()
        tokens = app.stash[AUTH].jwt()
        token = tokens.encode({**tokens.claims("1", "access"), "nbf": int(time.time()) + 600})
        async with APIClient(app) as client:
            await assert_refused(await client.get("/me/", headers=bearer(token)), "Token is not valid yet")

    async def test_leeway(self, auth_app):
        app = auth_app(JWT_CONFIG={"leeway": 30, "life_time": 60})
        tokens = app.stash[AUTH].jwt()
        just_expired = tokens.encode(tokens.claims("1", "access", now=int(time.time()) - 70))
        long_expired = tokens.encode(tokens.claims("1", "access", now=int(time.time()) - 100))
        async with APIClient(app) as client:
            assert (await client.get("/me/", headers=bearer(just_expired))).status_code == 200
            await assert_refused(await client.get("/me/", headers=bearer(long_expired)), "Token expired")


class TestCookies:
    async def test_access_cookie(self, auth_app):
        async with APIClient(auth_app()) as client:
            tokens = await login(client)
            client.cookies["access_token"] = tokens["access_token"]
            assert (await client.get("/cookie/me/")).data == {"id": "1", "name": "ann"}

    async def test_refresh_cookie_without_access_cookie(self, auth_app):
        # Upstream crashed with a 500 (None._auth_refresh_token, spec §3.1 #9).
        async with APIClient(auth_app()) as client:
            client.cookies["refresh_token"] = (await login(client))["refresh_token"]
            await assert_refused(await client.get("/cookie/me/"), "The `access_token` cookie is missing")

    async def test_no_cookies_is_anonymous(self, auth_app):
        async with APIClient(auth_app()) as client:
            assert (await client.get("/cookie/me/")).status_code == 403

    async def test_garbage_cookie(self, auth_app):
        async with APIClient(auth_app()) as client:
            client.cookies["access_token"] = "nonsense"
            await assert_refused(await client.get("/cookie/me/"), "Token is malformed")


class TestQueryString:
    async def test_token_in_query_string(self, auth_app):
        async with APIClient(auth_app()) as client:
            tokens = await login(client)
            response = await client.get("/query/me/", query_params={"authorization": tokens["access_token"]})
            assert response.data == {"id": "1"}
            await assert_refused(await client.get("/query/me/", query_params={"authorization": ""}), "Token is empty")
            assert (await client.get("/query/me/")).status_code == 403
