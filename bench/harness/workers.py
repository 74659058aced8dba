"""Parent side of `worker.py`: spawn a worker in an app's virtualenv and exchange JSON lines with it."""

from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from harness.envs import Env

HARNESS = Path(__file__).resolve().parent
WORKER = HARNESS / "worker.py"
APPS_DIR = HARNESS.parent / "apps"


class WorkerError(Exception):
    """A worker failed to start, crashed or reported an error."""


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """Prefix `command` with `taskset -c CPU` (no-op when `cpu` is None)."""
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def _tail(path: Path, lines: int = 4) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:] if line.strip())


def probe(env: Env, empty: bool, cwd: Path, cpu: int | None) -> dict[str, Any]:
    """Import + build the app in a fresh interpreter (`empty`: import nothing) and return time and RSS."""
    module = "-" if empty else env.app.module
    command = pinned([str(env.python), "-I", str(WORKER), "probe", str(APPS_DIR), module], cpu)
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120)
    if result.returncode != 0 or not result.stdout.strip():
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise WorkerError(f"{env.app.key}: probe failed: {' | '.join(lines[-4:]) or f'exit {result.returncode}'}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def versions(env: Env) -> dict[str, str]:
    """Installed versions of the distributions reported for `env`'s app."""
    command = [str(env.python), "-I", str(WORKER), "versions", "-", "-", *env.app.all_distributions]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "unknown"}
    return json.loads(result.stdout)


class Worker:
    """A long-lived worker holding one built app (`routes` > 0: the app with `routes` routes)."""

    def __init__(self, env: Env, routes: int, cwd: Path, cpu: int | None, apps_dir: Path = APPS_DIR) -> None:
        self.env = env
        self.routes = routes
        self.info: dict[str, Any] = {}
        fd, name = tempfile.mkstemp(prefix=f"{env.app.key}-", suffix=".log", dir=cwd)
        os.close(fd)
        self.log = Path(name)
        command = [str(env.python), "-I", str(WORKER), "serve", str(apps_dir), env.app.module, str(routes)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                pinned(command, cpu),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=cwd,
            )

    @property
    def name(self) -> str:
        return f"{self.env.app.key}" + (f" ({self.routes} routes)" if self.routes else "")

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            if not ready:
                self.process.kill()
                raise WorkerError(f"{self.name}: no answer within {timeout:.0f}s")
            self.process.wait(5)
            detail = _tail(self.log) or f"exit code {self.process.returncode}"
            raise WorkerError(f"{self.name}: worker died: {detail}")
        return json.loads(line)

    def started(self, timeout: float = 120) -> dict[str, Any]:
        """Wait for the app to be built and its lifespan started; raise `WorkerError` when it failed."""
        message = self._read(timeout)
        if not message.get("ok"):
            error = message.get("error", "unknown error")
            detail = _tail(self.log, 3)
            self.close()
            raise WorkerError(f"{error}" + (f" [stderr: {detail}]" if detail and len(error) < 80 else ""))
        self.info = message
        return message

    def call(self, command: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"{self.name}: worker died: {_tail(self.log)}") from None
        message = self._read(timeout)
        if not message.get("ok"):
            raise WorkerError(f"{self.name}: {command['cmd']} failed: {message.get('error')}")
        return message

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.call({"cmd": "quit"}, timeout=15)
            except (WorkerError, OSError, ValueError):
                pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.log.unlink(missing_ok=True)
