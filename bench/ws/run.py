"""`python bench/ws/run.py`: WebSocket echo and broadcast over real uvicorn servers, written to
`bench/results/ws.md`.

Apps (`bench/ws/apps/`): a raw ASGI echo app (the floor), Starlette's `WebSocketEndpoint` and this project's
`GenericWebsocket`, all in one virtualenv (`bench/.venvs/ws`) with the same uvicorn, uvloop and websockets. Each
server is pinned to one core and the load client (`client.py`) to the other.

- Echo: N connections each sending a message and waiting for its echo, for a few seconds; batches interleave the
  apps in a rotating order. Round trips per second, and the server's CPU time per round trip (steadier on a shared
  machine than wall-clock rates); "vs raw" is the median of the per-batch ratios.
- Broadcast: 1 000 sockets connected, one more sends `broadcast:<n>` and the app sends it to every socket; the time
  from the trigger to the last (and first) socket receiving it, median over the rounds. Also through Redis: the
  1 000 sockets on one Panther server, the trigger on another.
- Memory: the server's RSS growth while the 1 000 sockets sit idle, per connection.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WS = Path(__file__).resolve().parent
BENCH = WS.parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from harness.envs import EnvError, prepare, snapshot  # noqa: E402
from harness.registry import COMMON_REQUIREMENTS, AppSpec  # noqa: E402

ENV = AppSpec(
    "ws",
    "WebSocket bench",
    "",
    requirements=("starlette==1.10.0", "websockets==15.0.1", "redis==6.4.0"),
    local_packages=("packages/panther-core", "packages/panther-ws"),
)
APPS = {
    "raw": "raw ASGI (the floor)",
    "starlette": "Starlette `WebSocketEndpoint`",
    "panther": "Panther (this project)",
}
TIMES = "\u00d7"  # the multiplication sign, as in the other reports
MODULES = {"raw": "ws_raw", "starlette": "ws_starlette", "panther": "ws_panther"}


@dataclass
class Settings:
    connections: int
    duration: float
    batches: int
    sockets: int
    rounds: int
    server_cpu: int | None
    client_cpu: int | None
    redis_url: str | None
    mode: str
    inproc_messages: int = 200_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: list[str], cpu: int | None) -> list[str]:
    return command if cpu is None or not shutil.which("taskset") else ["taskset", "-c", str(cpu), *command]


class Server:
    def __init__(self, python: Path, app: str, cpu: int | None, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        command = [
            str(python), "-I", "-m", "uvicorn", f"{MODULES[app]}:app", "--app-dir", str(WS / "apps"),
            "--host", "127.0.0.1", "--port", str(self.port), "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  # read when the server fails, closed with the server
        self.process = subprocess.Popen(
            pinned(command, cpu), stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise SystemExit(f"{app}: uvicorn did not start: {self.log.read().decode(errors='replace')[-800:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.05)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def client(python: Path, cpu: int | None, *args: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        pinned([str(python), "-I", str(WS / "client.py"), *map(str, args)], cpu),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def run_echo(python: Path, server: Server, settings: Settings) -> dict[str, float]:
    process = client(python, settings.client_cpu, "echo", server.port, settings.connections, settings.duration)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "start":
        raise SystemExit(f"the echo client failed on port {server.port}")
    cpu_before = server.cpu_seconds()
    result = json.loads(process.stdout.readline())
    cpu = server.cpu_seconds() - cpu_before
    process.wait(30)
    return {
        "round_trips_per_s": result["round_trips"] / result["seconds"],
        "cpu_us_per_round_trip": cpu * 1e6 / max(result["round_trips"], 1),
    }


def run_broadcast(python: Path, targets: dict[str, tuple[Server, Server]], settings: Settings) -> dict[str, Any]:
    """One client holding ``settings.sockets`` sockets on each target's members server; rounds interleaved."""
    pairs = [f"{members.port}:{trigger.port}" for members, trigger in targets.values()]
    rss_before = {key: members.rss_kib() for key, (members, _) in targets.items()}
    process = client(python, settings.client_cpu, "broadcast", settings.sockets, settings.rounds, *pairs)
    assert process.stdin is not None and process.stdout is not None
    if process.stdout.readline().strip() != "connected":
        raise SystemExit("the broadcast client failed")
    rss_after = {key: members.rss_kib() for key, (members, _) in targets.items()}
    process.stdin.write("go\n")
    process.stdin.flush()
    per_target = json.loads(process.stdout.readline())
    process.wait(60)
    results = {}
    for (key, rounds), before, after in zip(zip(targets, per_target), rss_before.values(), rss_after.values()):
        last = sorted(r["last_ms"] for r in rounds)
        results[key] = {
            "last_ms": statistics.median(last),
            "first_ms": statistics.median(r["first_ms"] for r in rounds),
            "last_p90_ms": last[int(0.9 * (len(last) - 1))],
            "kib_per_connection": (after - before) / (settings.sockets + 1),
        }
    return results


def run_inproc(python: Path, app: str, settings: Settings) -> list[float]:
    command = [str(python), "-I", str(WS / "inproc.py"), MODULES[app], str(settings.inproc_messages), "5"]
    result = subprocess.run(pinned(command, settings.server_cpu), capture_output=True, text=True, check=True)
    return list(json.loads(result.stdout))


@dataclass
class Results:
    load: list[float] = field(default_factory=list)  # the machine's 1-minute load average, before and after
    echo: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    broadcast: dict[str, dict[str, float]] = field(default_factory=dict)
    inproc: dict[str, list[float]] = field(default_factory=dict)


def measure(python: Path, settings: Settings) -> Results:
    results = Results(load=[os.getloadavg()[0]])
    servers = {app: Server(python, app, settings.server_cpu) for app in APPS}
    targets = {app: (server, server) for app, server in servers.items()}
    if settings.redis_url:
        env = {"BENCH_REDIS_URL": settings.redis_url, "BENCH_REDIS_CHANNEL": f"panther:websocket:bench:{os.getpid()}"}
        # The sockets on one server, the trigger on another: every broadcast crosses Redis.
        holder = Server(python, "panther", settings.server_cpu, env)
        targets["panther-redis"] = (holder, Server(python, "panther", settings.server_cpu, env))
    try:
        for batch in range(settings.batches):
            order = list(APPS)[batch % len(APPS) :] + list(APPS)[: batch % len(APPS)]
            for app in order:
                results.inproc.setdefault(app, []).extend(run_inproc(python, app, settings))
                results.echo.setdefault(app, []).append(run_echo(python, servers[app], settings))
            print(f"  echo batch {batch + 1}/{settings.batches} done", flush=True)
        results.broadcast = run_broadcast(python, targets, settings)
        print("  broadcast done", flush=True)
        results.load.append(os.getloadavg()[0])
    finally:
        for members, trigger in targets.values():
            for server in {members, trigger}:
                server.stop()
    return results


def versions(python: Path) -> dict[str, str]:
    names = ["panther-core", "panther-ws", "starlette", "uvicorn", "websockets", "uvloop", "redis"]
    code = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    return json.loads(subprocess.run([str(python), "-c", code, *names], capture_output=True, text=True).stdout)


def ratio_rows(results: Results) -> dict[str, dict[str, float]]:
    """Medians, and the median of per-batch ratios against the raw app."""
    rows = {}
    raw = results.echo["raw"]
    for app, runs in results.echo.items():
        rates = [r["round_trips_per_s"] / b["round_trips_per_s"] for r, b in zip(runs, raw)]
        cpus = [b["cpu_us_per_round_trip"] / r["cpu_us_per_round_trip"] for r, b in zip(runs, raw)]
        rows[app] = {
            "rate": statistics.median(r["round_trips_per_s"] for r in runs),
            "cpu": statistics.median(r["cpu_us_per_round_trip"] for r in runs),
            "rate_vs_raw": statistics.median(rates),
            "cpu_vs_raw": statistics.median(cpus),
        }
    return rows


def render(results: Results, settings: Settings, installed: dict[str, str]) -> str:
    rows = ratio_rows(results)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# WebSocket benchmark",
        "",
        f"`python bench/ws/run.py` ({settings.mode}), {now}; {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; "
        + ", ".join(f"{name} {version}" for name, version in installed.items())
        + ". Each server is one uvicorn process (uvloop, httptools) pinned to one core, the load client to the "
        "other. Method: [`bench/ws/run.py`](../ws/run.py). Load average when the run started and ended: "
        + " / ".join(f"{load:.1f}" for load in results.load)
        + f" on {os.cpu_count()} cores (other work on the machine moves wall-clock rates; the paired ratios and the "
        "CPU time per round trip move less).",
        "",
        f"## Echo: {settings.connections} connections, {settings.batches} interleaved batches of "
        f"{settings.duration:g} s",
        "",
        "Higher is better for round trips per second and for the ratios; the ratios are the medians of per-batch "
        "ratios against the raw app (for CPU: raw's CPU time per round trip ÷ the app's).",
        "",
        "| app | round trips/s | vs raw | server CPU µs per round trip | vs raw (CPU) |",
        "|---|---:|---:|---:|---:|",
    ]
    for app, label in APPS.items():
        row = rows[app]
        lines.append(
            f"| {label} | {row['rate']:,.0f} | {row['rate_vs_raw']:.2f}{TIMES} | {row['cpu']:.1f} "
            f"| {row['cpu_vs_raw']:.2f}{TIMES} |"
        )
    raw_us = statistics.median(results.inproc["raw"])
    lines += [
        "",
        "## In-process: the app's own cost per echoed message",
        "",
        "The app called directly (no server, no socket) with pre-built text messages, on uvloop, pinned to one "
        f"core: median of {len(results.inproc['raw'])} repeats of {settings.inproc_messages:,} messages, "
        "interleaved with the echo batches. This is the framework's part of the server CPU time above, without the "
        "noise of the network and of other processes.",
        "",
        "| app | µs per message | over raw, µs |",
        "|---|---:|---:|",
    ]
    for app, label in APPS.items():
        median = statistics.median(results.inproc[app])
        lines.append(f"| {label} | {median:.2f} | {median - raw_us:+.2f} |")
    lines += [
        "",
        f"## Broadcast to {settings.sockets:,} sockets, {settings.rounds} rounds",
        "",
        "Time from the trigger message leaving the client to the first and the last of the sockets receiving the "
        "broadcast (median; the client reads all the sockets, so its own reading is included alike for every app). "
        "Memory: the server's RSS growth with the sockets open and idle, per connection.",
        "",
        "| app | first socket, ms | last socket, ms | last, p90 ms | KiB per idle connection |",
        "|---|---:|---:|---:|---:|",
    ]
    labels = {**APPS, "panther-redis": "Panther through Redis (sockets on one server, trigger on another)"}
    for app, row in results.broadcast.items():
        lines.append(
            f"| {labels[app]} | {row['first_ms']:.1f} | {row['last_ms']:.1f} | {row['last_p90_ms']:.1f} | "
            f"{row['kib_per_connection']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs")
    parser.add_argument("--smoke", action="store_true", help="tiny runs: proves the bench works")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL ('' to skip that part)")
    parser.add_argument("--output", type=Path, help="default: bench/results/ws.md (full runs only)")
    parser.add_argument("--rebuild", action="store_true", help="recreate the virtualenv")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    if args.smoke:
        args.duration, args.batches, args.sockets, args.rounds, args.connections = 0.5, 1, 20, 3, 4
        inproc_messages = 2_000
    else:
        inproc_messages = 200_000
    if args.quick:
        args.duration, args.batches, args.rounds = 2.0, 3, 10
    redis_url = args.redis or None
    if redis_url:
        host, port = redis_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=0.5).close()
        except OSError:
            print(f"Redis not reachable at {redis_url}: the Redis part is skipped")
            redis_url = None
    settings = Settings(
        args.connections, args.duration, args.batches, args.sockets, args.rounds,
        args.server_cpu, args.client_cpu, redis_url, mode, inproc_messages,
    )  # fmt: skip
    print("preparing the virtualenv ...", flush=True)
    with tempfile.TemporaryDirectory() as copy:
        try:
            env = prepare(
                ENV, snapshot(REPO, set(ENV.local_packages), Path(copy)), BENCH / ".venvs", rebuild=args.rebuild
            )
        except EnvError as exc:
            print(f"cannot prepare the virtualenv: {exc}")
            return 1
    print(f"requirements: {', '.join((*COMMON_REQUIREMENTS, *ENV.requirements))}", flush=True)
    results = measure(env.python, settings)
    text = render(results, settings, versions(env.python))
    output = args.output or (BENCH / "results" / ("ws.md" if mode == "full" else f"raw/ws-{mode}.md"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(text)
    print(f"written to {output.relative_to(REPO) if output.is_relative_to(REPO) else output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
