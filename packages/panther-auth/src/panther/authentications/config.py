"""``JWT_CONFIG``: read and checked once per app, when the app is built.

Keys: ``key`` (signing key; default: derived from ``SECRET_KEY``), ``algorithm`` (``'HS256'``), ``life_time``
and ``refresh_life_time`` (a ``timedelta`` or seconds; one day and twice the life time), and optionally
``audience``, ``issuer``, ``leeway``, ``public_key`` (to verify RS/ES/PS/EdDSA tokens), ``user_loader`` (users
without panther-db) and ``revocation_capacity`` (the in-process revocation store's size, without Redis).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

import jwt

from panther.exceptions import PantherError
from panther.importing import import_object

__all__ = ["DEFAULT_LIFE_TIME", "JWTConfig", "derive_key", "load_jwt_config"]

DEFAULT_LIFE_TIME = 24 * 60 * 60
DEFAULT_REVOCATION_CAPACITY = 100_000
# Fixed label of the HMAC that turns SECRET_KEY into the JWT key: upstream signed tokens with SECRET_KEY itself,
# which is also PantherDB's encryption key, so a leaked token-signing key was a leaked database key too.
_KEY_LABEL = b"panther.authentications: JWT signing key"
_HMAC_PREFIX = "HS"


def derive_key(secret_key: str | bytes) -> str:
    """The JWT key derived from ``SECRET_KEY``: an HMAC-SHA256 of a fixed label (hex), never ``SECRET_KEY`` itself."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class JWTConfig:
    """The checked ``JWT_CONFIG`` of one app (upstream's ``panther.configs.JWTConfig``; lifetimes in seconds).

    After the app is built, ``config.JWT_CONFIG`` is this object.
    """

    key: Any = None
    algorithm: str = "HS256"
    life_time: int = DEFAULT_LIFE_TIME
    refresh_life_time: int = 0  # 0: twice `life_time`
    audience: str | list[str] | None = None
    issuer: str | None = None
    leeway: int = 0
    public_key: Any = field(default=None, repr=False)
    user_loader: Callable[[Any], Any] | None = field(default=None, repr=False)
    revocation_capacity: int = DEFAULT_REVOCATION_CAPACITY

    def __post_init__(self) -> None:
        if not self.refresh_life_time:
            object.__setattr__(self, "refresh_life_time", self.life_time * 2)

    def __repr__(self) -> str:  # never print the key
        lifetimes = f"life_time={self.life_time}, refresh_life_time={self.refresh_life_time}"
        return f"JWTConfig(algorithm={self.algorithm!r}, {lifetimes})"

    @property
    def symmetric(self) -> bool:
        return self.algorithm.startswith(_HMAC_PREFIX)


_KEYS = frozenset(f.name for f in fields(JWTConfig))


def load_jwt_config(value: Any, secret_key: Any) -> JWTConfig | None:
    """Check ``JWT_CONFIG`` (a dict, a ``JWTConfig`` or ``None``) and fill in the key.

    Returns ``None`` when there is no key at all (neither ``key``/``public_key`` nor ``SECRET_KEY``): the app can
    run without JWT, and using a JWT class is then a startup error.
    """
    if isinstance(value, JWTConfig):
        value = {f.name: getattr(value, f.name) for f in fields(JWTConfig)}
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise PantherError(f"JWT_CONFIG must be a dict such as {{'life_time': timedelta(days=1)}}, got {value!r}.")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise PantherError(f"JWT_CONFIG has unknown keys {unknown}; it takes {', '.join(sorted(_KEYS))}.")
    algorithm = _algorithm(value.get("algorithm", "HS256"))
    life_time = _seconds(value.get("life_time", DEFAULT_LIFE_TIME), "life_time")
    refresh = value.get("refresh_life_time")
    refresh_life_time = life_time * 2 if refresh in (None, 0) else _seconds(refresh, "refresh_life_time")
    if refresh_life_time < life_time:
        raise PantherError(
            "JWT_CONFIG['refresh_life_time'] is shorter than 'life_time': a refresh token must outlive the access "
            "token it renews."
        )
    leeway = _seconds(value.get("leeway", 0), "leeway", allow_zero=True)
    capacity = value.get("revocation_capacity", DEFAULT_REVOCATION_CAPACITY)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
        raise PantherError(f"JWT_CONFIG['revocation_capacity'] must be a positive number, got {capacity!r}.")
    key, public_key = _keys(value, algorithm, secret_key)
    if key is None and public_key is None:
        return None
    return JWTConfig(
        key=key,
        algorithm=algorithm,
        life_time=life_time,
        refresh_life_time=refresh_life_time,
        audience=_audience(value.get("audience")),
        issuer=_optional_str(value.get("issuer"), "issuer"),
        leeway=leeway,
        public_key=public_key,
        user_loader=_user_loader(value.get("user_loader")),
        revocation_capacity=capacity,
    )


def _algorithm(value: Any) -> str:
    supported = [name for name in jwt.algorithms.get_default_algorithms() if name != "none"]
    if value in supported:
        return str(value)
    if value in jwt.algorithms.requires_cryptography:
        raise PantherError(
            f"JWT_CONFIG['algorithm'] {value!r} needs `cryptography`: pip install 'panther-auth[crypto]'."
        )
    raise PantherError(f"JWT_CONFIG['algorithm'] must be one of {', '.join(supported)}; got {value!r}.")


def _seconds(value: Any, name: str, allow_zero: bool = False) -> int:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise PantherError(f"JWT_CONFIG[{name!r}] must be a timedelta or a number of seconds, got {value!r}.")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise PantherError(f"JWT_CONFIG[{name!r}] must be positive, got {value!r}.")
    return int(seconds)


def _keys(value: Mapping[str, Any], algorithm: str, secret_key: Any) -> tuple[Any, Any]:
    key, public_key = value.get("key"), value.get("public_key")
    if algorithm.startswith(_HMAC_PREFIX):
        if public_key is not None:
            raise PantherError(f"JWT_CONFIG['public_key'] is for asymmetric algorithms, not {algorithm}.")
        if key is None and secret_key:
            key = derive_key(secret_key)
        if key is not None and (not isinstance(key, str | bytes) or not key):
            raise PantherError(f"JWT_CONFIG['key'] must be a non-empty string for {algorithm}.")
        return key, None
    # RS/ES/PS/EdDSA: `key` is the private key (signing), `public_key` verifies; SECRET_KEY is not a key for them.
    algo = jwt.get_algorithm_by_name(algorithm)
    try:
        private = algo.prepare_key(key) if key is not None else None
        public = algo.prepare_key(public_key) if public_key is not None else None
    except (jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise PantherError(f"JWT_CONFIG: the key is not a valid {algorithm} key ({type(exc).__name__}).") from None
    if key is None and public_key is None:
        raise PantherError(f"JWT_CONFIG: {algorithm} needs 'key' (a private key) and/or 'public_key'.")
    if public is None:
        public = private.public_key()  # type: ignore[union-attr]
    if private is not None and not hasattr(private, "sign"):
        raise PantherError(f"JWT_CONFIG['key'] must be a private {algorithm} key (it signs tokens).")
    return private, public


def _audience(value: Any) -> str | list[str] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and value and all(isinstance(item, str) for item in value):
        return list(value)
    raise PantherError(f"JWT_CONFIG['audience'] must be a string or a list of strings, got {value!r}.")


def _optional_str(value: Any, name: str) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise PantherError(f"JWT_CONFIG[{name!r}] must be a non-empty string, got {value!r}.")


def _user_loader(value: Any) -> Callable[[Any], Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = import_object(value, "JWT_CONFIG['user_loader']")
    if not inspect.iscoroutinefunction(value):
        raise PantherError(
            "JWT_CONFIG['user_loader'] must be an async function `async def load_user(user_id) -> user | None`."
        )
    return value
