"""Issuing and verifying one app's tokens with PyJWT (no hand-written crypto).

A token carries ``user_id``, ``token_type`` (``'access'`` or ``'refresh'``), ``iat``, ``exp`` and ``jti``, plus
``sid``: the id of the login session it belongs to. ``login`` issues an access and a refresh token with the same
``sid`` and revocation is recorded per session, so revoking one token of a pair (logout, refresh) revokes both with
one entry. The access token also carries ``sid_exp``, the session's end (its refresh token's ``exp``), so that
entry lives exactly as long as the longest-lived token of the pair.

Verification accepts only the configured algorithm (so ``alg: none`` and HS/RS confusion fail), requires every
claim above (a token without ``exp`` never lives forever) and turns each PyJWT error into a short message that
names the cause without repeating the token or the key.

A client sends the same access token with every request until it expires, and verifying it is most of what
authentication costs (PyJWT checks the encoding character by character, prepares the key, parses JSON three
times). So each app remembers the claims of the last ``VERIFIED_CACHE_SIZE`` tokens it verified: the same token
string again (signed, so it cannot differ by a byte) only has its expiry checked, exactly as PyJWT would. Only
verified tokens are remembered, expired ones are forgotten, and revocation is checked on every request anyway.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any, Literal

import jwt

from panther.authentications.config import JWTConfig

__all__ = ["MAX_TOKEN_LENGTH", "TokenError", "Tokens", "session_of"]

TokenType = Literal["access", "refresh"]
#: Longer "tokens" are refused before any decoding (a cookie is at most 4 KiB; ours are ~300 bytes).
MAX_TOKEN_LENGTH = 8192
#: How many verified tokens each app remembers (about 1 KiB each).
VERIFIED_CACHE_SIZE = 1024
REQUIRED_CLAIMS = ("exp", "iat", "jti", "user_id", "token_type")

# Most specific first: several PyJWT errors subclass others (ExpiredSignatureError is an InvalidTokenError...).
_MESSAGES: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "Token expired"),
    (jwt.ImmatureSignatureError, "Token is not valid yet"),
    (jwt.InvalidAudienceError, "Token audience is not accepted"),
    (jwt.InvalidIssuerError, "Token issuer is not accepted"),
    (jwt.InvalidIssuedAtError, "Token issue time (iat) is invalid"),
    (jwt.exceptions.InvalidJTIError, "Token id (jti) is invalid"),
    (jwt.InvalidAlgorithmError, "Token algorithm is not allowed"),
    (jwt.InvalidSignatureError, "Token signature is invalid"),
    (jwt.DecodeError, "Token is malformed"),
)


class TokenError(Exception):
    """A token that is refused; ``str(error)`` is safe to show to the client."""


class Tokens:
    """Encode and decode the tokens of one app (one per app, built from its ``JWTConfig``)."""

    def __init__(self, config: JWTConfig) -> None:
        self.config = config
        self._jwt = jwt.PyJWT(options={"require": list(REQUIRED_CLAIMS)})
        self._algorithms = [config.algorithm]
        self._signing_key = config.key
        self._verify_key = config.key if config.symmetric else config.public_key
        self._decode_options: dict[str, Any] = {}
        if config.audience is not None:
            self._decode_options["audience"] = config.audience
        if config.issuer is not None:
            self._decode_options["issuer"] = config.issuer
        if config.leeway:
            self._decode_options["leeway"] = config.leeway
        self._leeway = config.leeway
        self._verified: dict[str, dict[str, Any]] = {}
        self.cache_size = VERIFIED_CACHE_SIZE

    # --- Issuing ------------------------------------------------------------------------------------------------

    def encode(self, claims: Mapping[str, Any]) -> str:
        if self._signing_key is None:
            raise TokenError("This app only verifies tokens: JWT_CONFIG has a 'public_key' but no private 'key'.")
        payload = dict(claims)
        if self.config.audience is not None:
            payload.setdefault("aud", self.config.audience)
        if self.config.issuer is not None:
            payload.setdefault("iss", self.config.issuer)
        return self._jwt.encode(payload, self._signing_key, algorithm=self.config.algorithm)

    def claims(
        self,
        user_id: Any,
        token_type: TokenType,
        *,
        now: int | None = None,
        sid: str | None = None,
        sid_exp: int | None = None,
    ) -> dict[str, Any]:
        """The claims of a new token (a token of its own session unless ``sid`` is given)."""
        issued_at = int(time.time()) if now is None else now
        life = self.config.life_time if token_type == "access" else self.config.refresh_life_time
        claims = {
            "user_id": user_id,
            "token_type": token_type,
            "iat": issued_at,
            "exp": issued_at + life,
            "jti": secrets.token_urlsafe(16),
            "sid": sid or secrets.token_urlsafe(16),
        }
        if sid_exp is not None and sid_exp != claims["exp"]:
            claims["sid_exp"] = sid_exp
        return claims

    def encode_token(self, user_id: Any, token_type: TokenType = "access") -> str:
        return self.encode(self.claims(user_id, token_type))

    def pair(self, user_id: Any) -> dict[str, str]:
        """A new login session: ``{"access_token", "refresh_token"}`` sharing one ``sid``."""
        now = int(time.time())
        refresh = self.claims(user_id, "refresh", now=now)
        access = self.claims(user_id, "access", now=now, sid=refresh["sid"], sid_exp=refresh["exp"])
        return {"access_token": self.encode(access), "refresh_token": self.encode(refresh)}

    # --- Verifying ----------------------------------------------------------------------------------------------

    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``; raises ``TokenError`` saying why it is refused."""
        verified = self._verified.get(token)
        if verified is not None:
            if verified["exp"] > time.time() - self._leeway:  # PyJWT's own expiry rule
                return dict(verified)  # a copy: callers may change theirs
            del self._verified[token]  # expired: PyJWT says so below
        if not token:
            raise TokenError("Token is empty")
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("Token is too long")
        try:
            claims = self._jwt.decode(token, self._verify_key, algorithms=self._algorithms, **self._decode_options)
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError(f"Token has no `{exc.claim}` claim") from None
        except jwt.PyJWTError as exc:
            raise TokenError(_message(exc)) from None
        if self.cache_size:
            if len(self._verified) >= self.cache_size:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = claims
        return dict(claims)


def session_of(claims: Mapping[str, Any]) -> tuple[str, float]:
    """The revocation key of a token and until when it must be kept: its session and the session's end."""
    exp = claims["exp"]
    sid_exp = claims.get("sid_exp")
    end = max(exp, sid_exp) if isinstance(sid_exp, int | float) and not isinstance(sid_exp, bool) else exp
    return str(claims.get("sid") or claims["jti"]), float(end)


def _message(exc: Exception) -> str:
    for error_type, message in _MESSAGES:
        if isinstance(exc, error_type):
            return message
    return "Token is invalid"
