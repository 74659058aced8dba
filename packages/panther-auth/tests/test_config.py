"""``JWT_CONFIG``: checked when the app is built, every mistake a ``PantherError`` saying what to change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from panther import Panther
from panther.app import API
from panther.authentications import JWTAuthentication, JWTConfig
from panther.authentications.config import derive_key
from panther.authentications.state import AUTH
from panther.exceptions import PantherError
from panther.test import APIClient

SECRET = "a-secret-key-long-enough-for-hs256-keys"


async def load_user(user_id: Any) -> Any:
    return {"id": user_id}


@API(auth=JWTAuthentication)
async def protected() -> Any:
    return {}


def build(configs: dict[str, Any], urls: dict[str, Any] | None = None, **kwargs: Any) -> Panther:
    return Panther(__name__, configs=configs, urls=urls or {}, **kwargs)


class TestKey:
    def test_default_key_is_derived_from_secret_key_not_equal_to_it(self):
        # Upstream signed tokens with SECRET_KEY, which is also PantherDB's encryption key (spec §3.2).
        app = build({"SECRET_KEY": SECRET})
        key = app.config.JWT_CONFIG.key
        assert key == derive_key(SECRET) and key != SECRET and SECRET not in key
        assert build({"SECRET_KEY": SECRET}).config.JWT_CONFIG.key == key  # stable across restarts and workers
        assert build({"SECRET_KEY": SECRET + "x"}).config.JWT_CONFIG.key != key

    def test_explicit_key_wins(self):
        app = build({"SECRET_KEY": SECRET, "JWT_CONFIG": {"key": "k" * 40}})
        assert app.config.JWT_CONFIG.key == "k" * 40

    def test_no_key_is_fine_until_a_jwt_class_is_used(self):
        assert build({}).config.JWT_CONFIG is None
        with pytest.raises(PantherError, match=r"'protected/' uses JWTAuthentication\. JWT authentication needs a key"):
            build({"JWT_CONFIG": {"user_loader": load_user}}, {"protected": protected})
        with pytest.raises(PantherError, match=r"AUTHENTICATION uses JWTAuthentication\. .*SECRET_KEY"):
            build({"AUTHENTICATION": "panther.authentications.JWTAuthentication"})

    def test_key_never_printed(self):
        config = build({"SECRET_KEY": SECRET}).config.JWT_CONFIG
        assert config.key not in repr(config) and SECRET not in repr(config)


class TestUsers:
    def test_without_users_a_jwt_endpoint_is_a_startup_error(self):
        with pytest.raises(PantherError, match=r"needs to load users: install panther-db"):
            build({"SECRET_KEY": SECRET}, {"protected": protected}, disable_plugins=["db"])

    def test_a_class_with_its_own_model_or_get_user_needs_no_loader(self):
        class Model:
            @classmethod
            async def find_one(cls, **kwargs: Any) -> Any:
                return None

        class WithModel(JWTAuthentication):
            model = Model

        class WithGetUser(JWTAuthentication):
            @classmethod
            async def get_user(cls, payload: dict[str, Any]) -> Any:
                return payload

        for auth in (WithModel, WithGetUser):
            build({"SECRET_KEY": SECRET}, {"x": API(auth=auth)(protected.api.func)}, disable_plugins=["db"])

    def test_user_loader_must_be_async(self):
        with pytest.raises(PantherError, match=r"user_loader'\] must be an async function"):
            build({"SECRET_KEY": SECRET, "JWT_CONFIG": {"user_loader": lambda user_id: None}})

    def test_user_loader_by_dotted_path(self):
        app = build({"SECRET_KEY": SECRET, "JWT_CONFIG": {"user_loader": f"{__name__}.load_user"}})
        assert app.stash[AUTH].user_loader is load_user


class TestLifetimes:
    def test_defaults_as_upstream(self):
        config = build({"SECRET_KEY": SECRET}).config.JWT_CONFIG
        assert (config.algorithm, config.life_time, config.refresh_life_time) == ("HS256", 86400, 172800)

    def test_timedelta_or_seconds(self):
        config = build(
            {"SECRET_KEY": SECRET, "JWT_CONFIG": {"life_time": timedelta(minutes=5), "refresh_life_time": 3600}}
        ).config.JWT_CONFIG
        assert (config.life_time, config.refresh_life_time) == (300, 3600)
        assert build({"SECRET_KEY": SECRET, "JWT_CONFIG": {"life_time": 60}}).config.JWT_CONFIG.refresh_life_time == 120

    @pytest.mark.parametrize(
        ("jwt_config", "message"),
        [
            ({"life_time": "1d"}, r"'life_time'\] must be a timedelta or a number of seconds"),
            ({"life_time": 0}, r"'life_time'\] must be positive"),
            ({"life_time": True}, r"'life_time'\] must be a timedelta"),
            ({"life_time": 600, "refresh_life_time": 60}, r"refresh_life_time'\] is shorter than 'life_time'"),
            ({"leeway": -1}, r"'leeway'\] must be positive"),
            ({"algorithm": "none"}, r"'algorithm'\] must be one of HS256"),
            ({"algorithm": "HS1"}, r"'algorithm'\] must be one of"),
            ({"lifetime": 60}, r"unknown keys \['lifetime'\]"),
            ({"audience": 3}, r"'audience'\] must be a string or a list of strings"),
            ({"issuer": ""}, r"'issuer'\] must be a non-empty string"),
            ({"key": ""}, r"'key'\] must be a non-empty string for HS256"),
            ({"revocation_capacity": 0}, r"'revocation_capacity'\] must be a positive number"),
        ],
    )
    def test_bad_values(self, jwt_config, message):
        with pytest.raises(PantherError, match=message):
            build({"SECRET_KEY": SECRET, "JWT_CONFIG": jwt_config})

    def test_not_a_dict(self):
        with pytest.raises(PantherError, match="JWT_CONFIG must be a dict"):
            build({"SECRET_KEY": SECRET, "JWT_CONFIG": "HS256"})


class TestUpstreamShapes:
    def test_jwt_config_is_upstreams_object_after_startup(self):
        from panther.configs import JWTConfig as FromConfigs

        assert FromConfigs is JWTConfig
        config = build({"SECRET_KEY": SECRET}).config.JWT_CONFIG
        assert isinstance(config, JWTConfig)
        assert config == JWTConfig(key=derive_key(SECRET), life_time=86400)

    def test_a_jwtconfig_object_is_accepted(self):
        app = build({"JWT_CONFIG": JWTConfig(key="k" * 40, life_time=60)})
        assert (app.config.JWT_CONFIG.key, app.config.JWT_CONFIG.refresh_life_time) == ("k" * 40, 120)

    def test_authentication_dotted_path_is_resolved(self):
        configs = {"SECRET_KEY": SECRET, "JWT_CONFIG": {"user_loader": load_user}}
        app = build({**configs, "AUTHENTICATION": "panther.authentications.JWTAuthentication"})
        assert app.config.AUTHENTICATION is JWTAuthentication


class TestAsymmetric:
    @pytest.fixture
    def rsa_keys(self) -> tuple[Any, bytes]:
        pytest.importorskip("cryptography")
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return private, public

    async def test_a_verifying_app_accepts_tokens_of_the_signing_app(self, rsa_keys):
        private, public = rsa_keys
        issuer = build({"JWT_CONFIG": {"algorithm": "RS256", "key": private, "user_loader": load_user}})
        verifier = build(
            {"JWT_CONFIG": {"algorithm": "RS256", "public_key": public, "user_loader": load_user}},
            {"me": API(auth=JWTAuthentication)(_user_id)},
        )
        tokens = await JWTAuthentication.login(_User("7"), app=issuer)
        async with APIClient(verifier) as client:
            response = await client.get("/me/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert response.data == {"id": "7"}
        with pytest.raises(Exception, match="only verifies tokens"):
            await JWTAuthentication.login(_User("7"), app=verifier)

    def test_asymmetric_needs_a_key(self):
        pytest.importorskip("cryptography")
        with pytest.raises(PantherError, match=r"RS256 needs 'key' \(a private key\) and/or 'public_key'"):
            build({"SECRET_KEY": SECRET, "JWT_CONFIG": {"algorithm": "RS256"}})
        with pytest.raises(PantherError, match="not a valid RS256 key"):
            build({"JWT_CONFIG": {"algorithm": "RS256", "key": "not a pem"}})

    def test_public_key_is_not_for_hmac(self):
        with pytest.raises(PantherError, match=r"'public_key'\] is for asymmetric algorithms"):
            build({"SECRET_KEY": SECRET, "JWT_CONFIG": {"public_key": "x"}})


class _User:
    def __init__(self, user_id: str) -> None:
        self.id = user_id


async def _user_id(request: Any) -> Any:
    return {"id": request.user["id"]}
