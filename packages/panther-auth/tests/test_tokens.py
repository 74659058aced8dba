"""``Tokens``: one app's codec, and its memory of verified tokens (the same token again skips PyJWT, never the
expiry check)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from panther.authentications.config import JWTConfig
from panther.authentications.tokens import TokenError, Tokens, session_of

KEY = "tokens-suite-key-0123456789abcdef0123456789"


@pytest.fixture
def tokens() -> Tokens:
    return Tokens(JWTConfig(key=KEY, life_time=60))


@pytest.fixture
def pyjwt_calls(tokens: Tokens, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    decode = tokens._jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(tokens._jwt, "decode", counting)
    return calls


def test_the_same_token_is_verified_once(tokens, pyjwt_calls):
    token = tokens.encode_token("1")
    first, second = tokens.decode(token), tokens.decode(token)
    assert first == second and first["user_id"] == "1"
    assert pyjwt_calls == [token]


def test_callers_get_copies(tokens):
    token = tokens.encode_token("1")
    tokens.decode(token)["user_id"] = "2"
    assert tokens.decode(token)["user_id"] == "1"


def test_a_remembered_token_still_expires(tokens):
    token = tokens.encode(tokens.claims("1", "access", now=int(time.time()) - 58))  # one to two seconds left
    assert tokens.decode(token)["user_id"] == "1"
    time.sleep(2.1)
    with pytest.raises(TokenError, match="Token expired"):
        tokens.decode(token)
    assert token not in tokens._verified


def test_leeway_applies_to_remembered_tokens():
    tokens = Tokens(JWTConfig(key=KEY, life_time=60, leeway=10))
    token = tokens.encode(tokens.claims("1", "access", now=int(time.time()) - 68))  # expired, within the leeway
    assert tokens.decode(token)["user_id"] == "1"
    assert tokens.decode(token)["user_id"] == "1"  # remembered
    time.sleep(2.1)
    with pytest.raises(TokenError, match="Token expired"):
        tokens.decode(token)


def test_refused_tokens_are_not_remembered(tokens, pyjwt_calls):
    token = tokens.encode_token("1")
    # Change one character well inside the signature: the last character of a base64url signature carries
    # padding bits, and a change there can make the token malformed instead of wrongly signed.
    head, _, signature = token.rpartition(".")
    swapped = "B" if signature[10] == "A" else "A"
    forged = f"{head}.{signature[:10]}{swapped}{signature[11:]}"
    for _ in range(2):
        with pytest.raises(TokenError, match="Token signature is invalid"):
            tokens.decode(forged)
    assert pyjwt_calls == [forged, forged] and not tokens._verified


def test_memory_is_bounded(tokens):
    tokens.cache_size = 3
    issued = [tokens.encode_token(str(i)) for i in range(5)]
    for token in issued:
        tokens.decode(token)
    assert list(tokens._verified) == issued[2:]  # the oldest go first


def test_no_memory(tokens, pyjwt_calls):
    tokens.cache_size = 0
    token = tokens.encode_token("1")
    tokens.decode(token)
    tokens.decode(token)
    assert len(pyjwt_calls) == 2


def test_pair_shares_a_session_until_the_refresh_token_expires(tokens):
    pair = tokens.pair("1")
    access, refresh = (jwt.decode(pair[name], KEY, algorithms=["HS256"]) for name in ("access_token", "refresh_token"))
    assert session_of(access) == session_of(refresh) == (refresh["sid"], float(refresh["exp"]))


def test_a_token_of_its_own_is_its_own_session(tokens):
    claims = tokens.decode(tokens.encode_token("1", "refresh"))
    assert session_of(claims) == (claims["sid"], float(claims["exp"]))
    del claims["sid"]
    assert session_of(claims) == (claims["jti"], float(claims["exp"]))
