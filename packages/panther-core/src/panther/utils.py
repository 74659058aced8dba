"""Small helpers kept under upstream's names: time zone aware ``now``, ``.env`` loading, secrets and hashing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

URANDOM_SIZE = 16

T = TypeVar("T")


def timezone_now(timezone: str | None = None) -> datetime:
    """The current time in ``timezone`` (default: the ``TIMEZONE`` of the most recently built app)."""
    if timezone is None:
        from panther.configs import config

        timezone = config.TIMEZONE or "UTC"
    return datetime.now(ZoneInfo(timezone))


def load_env(env_file: str | Path, /, update_environ: bool = True) -> dict[str, Any]:
    """Read ``KEY=VALUE`` lines into a dict and into ``os.environ``, as upstream's ``load_env`` does.

    Quotes around values are stripped, ``true``/``false`` (any case) become bools in the dict (``os.environ`` keeps
    the text), ``#`` lines and lines without ``=`` are skipped, and an ``export`` prefix is allowed. Pass
    ``update_environ=False`` to leave ``os.environ`` alone. A missing file raises ``ValueError('"<path>" is not a
    file.')``.
    """
    if env_file is None or not Path(env_file).is_file():
        raise ValueError(f'"{env_file}" is not a file.')
    variables: dict[str, Any] = {}
    for line in Path(env_file).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().removeprefix("export ").strip()
        value = value.strip().strip("\"'")
        variables[key] = {"true": True, "false": False}.get(value.lower(), value)
        if update_environ:
            os.environ[key] = value
    return variables


def generate_secret_key() -> str:
    """A random url-safe base64 key of 32 bytes (also a valid Fernet key)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def round_datetime(dt: datetime, delta: timedelta) -> datetime:
    """Round ``dt`` to the nearest multiple of ``delta`` counted from ``datetime.min``, as upstream's does.

    >>> round_datetime(datetime(2024, 7, 15, 13, 22, 11), timedelta(days=2))
    datetime.datetime(2024, 7, 16, 0, 0)

    An aware ``dt`` is rounded on its own wall clock and keeps its time zone.
    """
    wall_clock = dt.replace(tzinfo=None)
    return (datetime.min + round((wall_clock - datetime.min) / delta) * delta).replace(tzinfo=dt.tzinfo)


def generate_hash_value_from_string(string_value: str) -> str:
    return hashlib.sha256(string_value.encode("utf-8")).hexdigest()


def scrypt(password: str, salt: bytes, digest: bool = False) -> str | bytes:
    """Upstream's scrypt helper (n=2**14, r=8, p=10, 64 bytes): hex string, or raw bytes with ``digest=True``.

    For passwords prefer ``BaseUser.set_password``/``check_password`` (panther-db), which store a standard,
    self-describing hash and run off the event loop.
    """
    derived = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=10, dklen=64, maxmem=64 * 1024 * 1024)
    return derived if digest else derived.hex()


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code (upstream compatibility).

    Without a running event loop it uses ``asyncio.run``; inside one (sync code called from async code) it runs the
    coroutine on a new loop in a worker thread and blocks until it is done — a last resort: ``await`` it instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Singleton(type):
    """A metaclass giving each class one shared instance (upstream compatibility)."""

    _instances: dict[type, Any] = {}

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls not in Singleton._instances:
            Singleton._instances[cls] = super().__call__(*args, **kwargs)
        return Singleton._instances[cls]
