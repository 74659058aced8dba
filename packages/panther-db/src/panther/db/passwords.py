"""Password hashing for ``BaseUser``: scrypt (stdlib) in a self-describing format, verified in constant time.

A hash reads ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (salt and key in unpadded base64), so its cost parameters can
be raised later without breaking existing hashes. Hashing takes tens of milliseconds by design, so the async
functions run it in a worker thread, off the event loop. Hashes written by Panther 5 (hex salt + md5 of an scrypt
key) are still accepted by ``verify_password``, so existing users can log in.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os

SCHEME = "scrypt"
N = 2**15  # 32 MiB of memory per hash with r=8: OWASP's minimum for scrypt is N=2^17 at p=1 or an equivalent
R = 8
P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# Bounds on what a stored hash may ask for, so a tampered row cannot make a login allocate gigabytes.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=132 * n * r * p)


def make_password_hash(password: str) -> str:
    """Hash ``password`` (blocking; prefer ``await hash_password(...)`` in async code)."""
    salt = os.urandom(SALT_BYTES)
    key = _scrypt(password, salt, N, R, P, KEY_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64encode(salt)}${_b64encode(key)}"


def verify_password_hash(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (blocking; prefer ``await verify_password(...)``)."""
    if not encoded:
        return False
    if "$" not in encoded:
        return _verify_panther5(password, encoded)
    try:
        scheme, n_text, r_text, p_text, salt_text, key_text = encoded.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = _b64decode(salt_text), _b64decode(key_text)
    except ValueError:
        return False
    if scheme != SCHEME or not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= _MAX_R and 0 < p <= _MAX_P):
        return False
    if not 16 <= len(expected) <= 64:
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(expected)), expected)


def _verify_panther5(password: str, encoded: str) -> bool:
    # Panther 5: salt(16 bytes).hex() + md5(scrypt(password, salt, n=2**14, r=8, p=10, dklen=64)).hexdigest()
    if len(encoded) != 64:
        return False
    try:
        salt = bytes.fromhex(encoded[:32])
    except ValueError:
        return False
    digest = hashlib.md5(_scrypt(password, salt, 2**14, 8, 10, 64)).hexdigest()
    return hmac.compare_digest(digest, encoded[32:].lower())


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(make_password_hash, password)


async def verify_password(password: str, encoded: str) -> bool:
    return await asyncio.to_thread(verify_password_hash, password, encoded)
