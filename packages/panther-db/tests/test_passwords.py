"""``BaseUser`` passwords: a standard scrypt hash, checked in constant time, computed off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading

import pytest

from panther.db import BaseUser, passwords
from panther.db.passwords import hash_password, make_password_hash, verify_password, verify_password_hash


class Customer(BaseUser):
    email: str = ""


def test_hash_format_and_verification():
    encoded = make_password_hash("correct horse")
    scheme, n, r, p, salt, key = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**15), "8", "1")
    assert salt and key and "=" not in encoded
    assert verify_password_hash("correct horse", encoded)
    assert not verify_password_hash("wrong", encoded)
    assert make_password_hash("correct horse") != encoded  # a new salt every time


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain",
        "scrypt$x$8$1$a$b",
        "scrypt$3$8$1$AAAA$AAAA",
        "argon2$16$8$1$AAAA$AAAA",
        f"scrypt${2**30}$8$1$AAAA$" + "A" * 43,
    ],
)
def test_malformed_or_hostile_hashes_never_match(encoded):
    assert verify_password_hash("anything", encoded) is False


def test_panther5_hashes_still_verify():
    # Upstream Panther 5: salt.hex() + md5(scrypt(password, salt, n=2**14, r=8, p=10, dklen=64)).hexdigest()
    salt = os.urandom(16)
    derived = hashlib.scrypt(b"old-password", salt=salt, n=2**14, r=8, p=10, dklen=64)
    legacy = salt.hex() + hashlib.md5(derived).hexdigest()
    assert verify_password_hash("old-password", legacy)
    assert not verify_password_hash("other", legacy)


async def test_hashing_runs_off_the_event_loop(monkeypatch):
    threads: list[str] = []
    real = passwords._scrypt

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(passwords, "_scrypt", spy)
    encoded = await hash_password("pw")
    assert await verify_password("pw", encoded)
    assert threads and threading.main_thread().name not in threads

    # The loop keeps serving other work while a hash is computed.
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await hash_password("pw")
    task.cancel()
    assert ticks > 3


async def test_base_user_set_and_check_password(app):
    user = await Customer.insert_one(username="ann", email="a@example.com")
    assert user.date_created is not None and user.USERNAME_FIELD == "username"
    await user.set_password("s3cret")
    assert user.password.startswith("scrypt$") and "s3cret" not in user.password
    stored = await Customer.find_one(username="ann")
    assert stored.password == user.password  # saved, since the user exists
    assert await stored.acheck_password("s3cret") is True
    assert await stored.acheck_password("S3cret") is False

    unsaved = Customer(username="bob")
    await unsaved.set_password("pw")
    assert unsaved.id is None and await unsaved.acheck_password("pw")


async def test_check_password_as_upstream_calls_it_is_a_plain_bool(app):
    # Upstream's check_password was synchronous: `if user.check_password(pw):` must never pass a wrong password.
    user = await Customer.insert_one(username="ann")
    await user.set_password("s3cret")
    assert user.check_password("s3cret") is True
    assert user.check_password("wrong") is False
    assert not user.check_password("")
    if user.check_password("wrong"):
        pytest.fail("a wrong password was accepted")
    assert Customer(username="nobody").check_password("") is False  # no password set: nothing matches


async def test_insert_many_stamps_date_created(app):
    users = await Customer.insert_many([{"username": "a"}, {"username": "b"}])
    assert all(user.date_created is not None for user in users)
