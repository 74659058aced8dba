"""Server instructions per request: each app behind uvicorn, run under valgrind's callgrind.

Over the wire, req/s on a shared or virtualised machine moves by ±10-20 % from one run to the next. The number of
instructions the server process executes per request does not: it is the same for the same binary, inputs and
environment, whatever else the machine is doing. It counts everything the server does for a request (parsing,
the event loop, the app, writing the response), not cache misses, so it complements req/s rather than replacing it.

For each app and endpoint: a warm-up, then callgrind's counters are zeroed, `small` requests sent, the counters
dumped; again with `large` requests. Instructions per request = (large total - small total) / (large - small),
which cancels whatever the zeroing and dumping themselves cost. Requests are sent one at a time on one keep-alive
connection, so the order of events is the same in every run.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from harness.envs import Env
from harness.registry import Endpoint
from harness.wire import Server
from harness.workers import APPS_DIR


class InstructionsError(Exception):
    """valgrind could not be run, or the app answered wrongly under it."""


def ensure_valgrind() -> str | None:
    """Path of `valgrind` (with `callgrind_control`), installing the Debian package when allowed; else None."""
    if shutil.which("valgrind") and shutil.which("callgrind_control"):
        return shutil.which("valgrind")
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return None
    print("  valgrind is missing: apt-get install valgrind ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "valgrind"], capture_output=True, env=env)
    return shutil.which("valgrind") if shutil.which("callgrind_control") else None


def measure(
    env: Env, endpoints: list[Endpoint], cwd: Path, small: int, large: int, apps_dir: Path = APPS_DIR
) -> dict[str, float]:
    """Instructions per request of `env`'s app (a module of `apps_dir`) under uvicorn, by endpoint key."""
    out = cwd / f"callgrind-{env.app.key}"
    wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p"]
    server = Server(env, cwd, cpu=None, wrapper=wrapper, apps_dir=apps_dir)
    try:
        server.wait_ready(timeout=180)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        results = {}
        for endpoint in endpoints:
            send = _sender(connection, endpoint)
            for _ in range(max(10, small // 4)):  # warm-up: caches filled, code paths taken once
                send()
            totals = [_count(server, out, send, n) for n in (small, large)]
            results[endpoint.key] = (totals[1] - totals[0]) / (large - small)
        connection.close()
        return results
    finally:
        server.stop()
        for dump in cwd.glob(f"{out.name}.*"):
            dump.unlink(missing_ok=True)


def _sender(connection: http.client.HTTPConnection, endpoint: Endpoint) -> Callable[[], None]:
    headers = dict(endpoint.headers)

    def send() -> None:
        connection.request(endpoint.method, endpoint.path, body=endpoint.body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != endpoint.status:
            raise InstructionsError(f"{endpoint.label} answered {response.status} under valgrind")

    return send


def _count(server: Server, out: Path, send: Callable[[], None], requests: int) -> int:
    """Instructions the server executed while answering `requests` requests."""
    pid = str(server.process.pid)
    before = set(out.parent.glob(f"{out.name}.{pid}.*"))
    _control("-z", pid)
    for _ in range(requests):
        send()
    _control("-d", pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = [path for path in out.parent.glob(f"{out.name}.{pid}.*") if path not in before]
        if new and (total := _summary(new[0])) is not None:
            return total
        time.sleep(0.1)
    raise InstructionsError(f"{server.env.app.key}: callgrind wrote no dump")


def _control(flag: str, pid: str) -> None:
    result = subprocess.run(["callgrind_control", flag, pid], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise InstructionsError(f"callgrind_control {flag} failed: {result.stderr.strip() or result.stdout.strip()}")


def _summary(dump: Path) -> int | None:
    """The dump's total instructions, once the file is complete (its `totals:` line is written last)."""
    summary = None
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith("summary:"):
            summary = int(line.split()[1])
        elif line.startswith("totals:"):
            return summary
    return None
