"""``panther.utils``: time zones from the app's config, ``.env`` files, secrets and upstream's helpers."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from panther import Panther
from panther.exceptions import PantherError
from panther.utils import (
    Singleton,
    generate_hash_value_from_string,
    generate_secret_key,
    load_env,
    round_datetime,
    run_coroutine,
    scrypt,
    timezone_now,
)


def test_timezone_now_follows_the_apps_timezone() -> None:
    Panther(__name__, configs={"TIMEZONE": "Asia/Tehran"}, urls={})
    assert timezone_now().utcoffset() == timedelta(hours=3, minutes=30)
    assert timezone_now("UTC").utcoffset() == timedelta(0)


def test_unknown_timezone_fails_at_startup() -> None:
    with pytest.raises(PantherError, match="Mars/Olympus"):
        Panther(__name__, configs={"TIMEZONE": "Mars/Olympus"}, urls={})


def test_load_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nSECRET_KEY='abc=def'\nexport DEBUG=true\nEMPTY=\nNAME = \"panther\"\nbroken line\n")
    for name in ("SECRET_KEY", "DEBUG", "EMPTY", "NAME"):
        monkeypatch.delenv(name, raising=False)
    expected = {"SECRET_KEY": "abc=def", "DEBUG": True, "EMPTY": "", "NAME": "panther"}
    assert load_env(env, update_environ=False) == expected
    assert "NAME" not in os.environ
    load_env(env)  # as upstream: os.environ is updated too, with the text
    assert (os.environ["NAME"], os.environ["DEBUG"], os.environ["SECRET_KEY"]) == ("panther", "true", "abc=def")
    missing = tmp_path / "missing.env"
    with pytest.raises(ValueError) as error:
        load_env(missing)
    assert error.value.args[0] == f'"{missing}" is not a file.'


def test_secret_key_is_a_fernet_sized_key() -> None:
    key = generate_secret_key()
    assert len(base64.urlsafe_b64decode(key)) == 32 and key != generate_secret_key()


def test_round_datetime_rounds_to_the_nearest_step() -> None:
    moment = datetime(2024, 1, 1, 10, 7, 31, tzinfo=UTC)
    assert round_datetime(moment, timedelta(minutes=5)) == datetime(2024, 1, 1, 10, 10, tzinfo=UTC)
    assert round_datetime(moment, timedelta(hours=1)) == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


def test_hash_and_scrypt() -> None:
    assert generate_hash_value_from_string("a") == generate_hash_value_from_string("a") != "a"
    assert scrypt("pw", b"salt") == scrypt("pw", b"salt").encode().decode()
    assert scrypt("pw", b"salt", digest=True) == bytes.fromhex(scrypt("pw", b"salt"))  # type: ignore[arg-type]
    assert scrypt("pw", b"salt") != scrypt("pw", b"pepper")


async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_run_coroutine_without_and_inside_a_loop() -> None:
    assert run_coroutine(_answer()) == 42

    async def inside() -> int:
        return run_coroutine(_answer())

    assert asyncio.run(inside()) == 42


def test_singleton() -> None:
    class Settings(metaclass=Singleton):
        def __init__(self) -> None:
            self.value = object()

    assert Settings() is Settings()
