"""Over the wire: each app behind uvicorn (1 worker, httptools, uvloop, no access log), loaded by wrk."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.envs import Env
from harness.registry import Endpoint
from harness.workers import APPS_DIR, WorkerError, pinned


class WireError(Exception):
    """wrk could not be run or reported failed requests."""


def ensure_wrk() -> str | None:
    """Path of `wrk`, installing the Debian package when it is missing and we may; `None` if unavailable."""
    found = shutil.which("wrk")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    print("  wrk is missing: apt-get install wrk ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, env=env)
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn serving one app's `build()` factory on 127.0.0.1, pinned to `cpu` (run under `wrapper` if given)."""

    def __init__(
        self, env: Env, cwd: Path, cpu: int | None, wrapper: list[str] | None = None, apps_dir: Path = APPS_DIR
    ) -> None:
        self.env = env
        self.port = free_port()
        fd, name = tempfile.mkstemp(prefix=f"uvicorn-{env.app.key}-", suffix=".log", dir=cwd)
        os.close(fd)
        self.log = Path(name)
        command = [
            str(env.python),
            "-I",
            "-m",
            "uvicorn",
            f"{env.app.module}:build",
            "--factory",
            "--app-dir",
            str(apps_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                pinned([*(wrapper or []), *command], cpu),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
            )

    def _log_tail(self) -> str:
        lines = [line.strip() for line in self.log.read_text(errors="replace").splitlines() if line.strip()]
        return " | ".join(lines[-4:])

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = f"uvicorn exited ({self.process.returncode}): {self._log_tail()}"
                self.stop()
                raise WorkerError(message)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        message = f"uvicorn did not listen within {timeout:.0f}s: {self._log_tail()}"
        self.stop()
        raise WorkerError(message)

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("content-type", ""), response.read()
        finally:
            connection.close()

    def check(self, endpoint: Endpoint) -> str | None:
        """`None` when the server answers `endpoint` correctly, else what is wrong."""
        headers = dict(endpoint.headers)
        status, content_type, body = self.request(endpoint.method, endpoint.path, endpoint.body, headers)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = "<not JSON>"
        if status != endpoint.status or payload != endpoint.expected:
            return (
                f"{endpoint.label}: expected {endpoint.status} {json.dumps(endpoint.expected)}, "
                f"got {status} {body[:300].decode(errors='replace')}"
            )
        if "application/json" not in content_type:
            return f"{endpoint.label}: expected an application/json content-type, got {content_type!r}"
        if endpoint.invalid_body is not None:
            status, _, body = self.request(endpoint.method, endpoint.path, endpoint.invalid_body, headers)
            if not 400 <= status < 500:
                return f"{endpoint.label} with an invalid body must be rejected with a 4xx, got {status} {body[:200]!r}"
        return None

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.unlink(missing_ok=True)


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p99_ms: float
    requests: int
    socket_errors: int
    server_cpu_us: float  # server CPU time per request: insensitive to other load on the machine


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _latency_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise WireError(f"cannot parse wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def lua_script(endpoint: Endpoint, directory: Path) -> Path | None:
    """A wrk script sending `endpoint`'s method, headers and body (None for a plain GET)."""
    if endpoint.method == "GET" and not endpoint.body:
        return None
    lines = [f"wrk.method = {json.dumps(endpoint.method)}", f"wrk.body = {json.dumps(endpoint.body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in endpoint.headers]
    script = directory / f"{endpoint.key}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def run_wrk(
    wrk: str,
    server: Server,
    endpoint: Endpoint,
    script: Path | None,
    duration: float,
    connections: int,
    threads: int,
    cpu: int | None,
) -> WrkResult:
    """Load `endpoint` for `duration` seconds; raise `WireError` when any answer is not a 2xx."""
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{server.port}{endpoint.path}")
    cpu_before = server.cpu_seconds()
    result = subprocess.run(pinned(command, cpu), capture_output=True, text=True, timeout=duration + 60)
    cpu_used = server.cpu_seconds() - cpu_before
    output = result.stdout
    if result.returncode != 0:
        raise WireError(f"wrk failed ({result.returncode}): {result.stderr.strip() or output.strip()}")
    if server.process.poll() is not None:
        raise WireError(f"{server.env.app.key}: uvicorn died under load: {server._log_tail()}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx and int(non_2xx.group(1)):
        raise WireError(
            f"{server.env.app.key} {endpoint.label}: {non_2xx.group(1)} responses under load were not 2xx/3xx"
        )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rate and p99 and total):
        raise WireError(f"cannot parse wrk output: {output.strip()}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_s=float(rate.group(1)),
        p99_ms=_latency_ms(p99.group(1)),
        requests=int(total.group(1)),
        socket_errors=sum(int(group) for group in errors.groups()) if errors else 0,
        server_cpu_us=cpu_used / max(1, int(total.group(1))) * 1e6,
    )
