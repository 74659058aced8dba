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


def load_env(env_file: str | Path, update_environ: bool = False) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` lines (quotes stripped, ``true``/``false`` → bool, ``#`` comments skipped).

    Unlike upstream, ``os.environ`` is only updated when ``update_environ=True``.
    """
    path = Path(env_file)
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    variables: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key.startswith("export "):
            key = key[len("export ") :].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        parsed: Any = {"true": True, "false": False}.get(value.lower(), value)
        variables[key] = parsed
        if update_environ:
            os.environ[key] = str(value)
    return variables


def generate_secret_key() -> str:
    """A random url-safe base64 key of 32 bytes (also a valid Fernet key)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def round_datetime(dt: datetime, delta: timedelta) -> datetime:
    """Round ``dt`` to the nearest multiple of ``delta``."""
    seconds = delta.total_seconds()
    epoch = datetime(1970, 1, 1, tzinfo=dt.tzinfo)
    elapsed = (dt - epoch).total_seconds()
    return epoch + timedelta(seconds=round(elapsed / seconds) * seconds)


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
