"""What throttling and response caching cost: panther-cache against what users would pick instead.

    python bench/cache/run.py            # in-process µs, Redis commands, wrk and callgrind; writes
                                         # bench/results/cache.md (about 15 minutes)
    python bench/cache/run.py --quick    # fewer repeats and requests (a few minutes)
    python bench/cache/run.py --smoke    # proves the bench runs (what CI runs); writes nothing under results/

See README.md beside this file for what is measured and how. Standard library only; each app runs in its own
virtualenv under bench/.venvs/, made by the main bench's harness. A private redis-server (no persistence, a free
port) is started for the run, so Redis command counts are exact and no other Redis user is disturbed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

CACHE_BENCH = Path(__file__).resolve().parent
BENCH = CACHE_BENCH.parent
REPO = BENCH.parent
APPS_DIR = CACHE_BENCH / "apps"
sys.path.insert(0, str(BENCH))

from harness import instructions, wire  # noqa: E402
from harness.cli import machine_info  # noqa: E402
from harness.envs import Env, EnvError, prepare, snapshot  # noqa: E402
from harness.registry import AppSpec, Endpoint  # noqa: E402
from harness.workers import Worker, WorkerError, versions  # noqa: E402

REDIS_PIN = "redis==8.2.0"
MESSAGE = {"message": "Hello, World!"}
REPORT = {"count": 50, "total": 1531.25, "top": "item 49"}

JSON = Endpoint("json", "GET", "/json", 200, MESSAGE)
THROTTLED = Endpoint("throttled", "GET", "/json/throttled", 200, MESSAGE)
QUIET = Endpoint("quiet", "GET", "/json/quiet", 200, MESSAGE)
HEADERS = Endpoint("headers", "GET", "/json/headers", 200, MESSAGE)
UNCACHED = Endpoint("report", "GET", "/report", 200, REPORT)
CACHED = Endpoint("cached", "GET", "/report/cached", 200, REPORT)
ENDPOINT_LABELS = {
    "json": "`GET /json` (no step)",
    "throttled": "`GET /json` throttled",
    "report": "`GET /report` (computed)",
    "cached": "`GET /report` cached (hit)",
}

ENVS: dict[str, AppSpec] = {
    "panther": AppSpec(
        "cache-panther",
        "Panther + panther-cache",
        "panther_memory",
        (REDIS_PIN,),
        local_packages=("packages/panther-core", "packages/panther-cache"),
        distributions=("panther-core", "panther-cache", "redis"),
    ),
    "slowapi": AppSpec(
        "cache-slowapi",
        "Starlette + slowapi",
        "slowapi_memory",
        ("starlette==1.10.0", "slowapi==0.1.10", REDIS_PIN),
        distributions=("starlette", "slowapi", "limits", "redis"),
    ),
    "fastapi": AppSpec(
        "cache-fastapi",
        "FastAPI + fastapi-limiter + fastapi-cache2",
        "fastapi_memory",
        # fastapi-cache2 imports starlette.templating, which needs jinja2 (FastAPI's "standard" extra has it).
        ("fastapi==0.165.0", "fastapi-limiter==0.2.0", "fastapi-cache2==0.2.2", "jinja2==3.1.6", REDIS_PIN),
        distributions=("fastapi", "fastapi-limiter", "pyrate-limiter", "fastapi-cache2", "redis"),
    ),
    "starlette": AppSpec(
        "cache-starlette",
        "Starlette + hand-written Redis middleware",
        "starlette_redis",
        ("starlette==1.10.0", REDIS_PIN),
        distributions=("starlette", "redis"),
    ),
}


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    env: str  # key of ENVS
    module: str
    endpoints: tuple[Endpoint, ...]
    redis: bool
    #: Counted by callgrind only (a reference point, not a contender).
    instructions_only: bool = False


VARIANTS: tuple[Variant, ...] = (
    Variant("panther-memory", "Panther + panther-cache, memory", "panther", "panther_memory",
            (JSON, THROTTLED, QUIET, HEADERS, UNCACHED, CACHED), redis=False),
    Variant("panther-redis", "Panther + panther-cache, Redis", "panther", "panther_redis",
            (JSON, THROTTLED, QUIET, UNCACHED, CACHED), redis=True),
    Variant("slowapi-memory", "Starlette + slowapi, memory", "slowapi", "slowapi_memory", (JSON, THROTTLED),
            redis=False),
    Variant("slowapi-redis", "Starlette + slowapi, Redis", "slowapi", "slowapi_redis", (JSON, THROTTLED), redis=True),
    Variant("fastapi-memory", "FastAPI + fastapi-limiter + fastapi-cache2, memory", "fastapi", "fastapi_memory",
            (JSON, THROTTLED, UNCACHED, CACHED), redis=False),
    Variant("fastapi-redis", "FastAPI + fastapi-limiter + fastapi-cache2, Redis", "fastapi", "fastapi_redis",
            (JSON, THROTTLED, UNCACHED, CACHED), redis=True),
    Variant("starlette-redis", "Starlette + hand-written Redis middleware", "starlette", "starlette_redis",
            (JSON, THROTTLED), redis=True),
    Variant("raw-headers", "raw ASGI app (no framework)", "panther", "raw_headers", (JSON, HEADERS), redis=False,
            instructions_only=True),
)  # fmt: skip

MODES: dict[str, dict[str, Any]] = {
    "full": {"batches": 15, "target_s": 0.2, "warmup_s": 0.5, "commands_n": 200, "small": 200, "large": 1200,
             "wire_batches": 3, "wire_s": 2},
    "quick": {"batches": 5, "target_s": 0.1, "warmup_s": 0.3, "commands_n": 100, "small": 100, "large": 600,
              "wire_batches": 1, "wire_s": 2},
    "smoke": {"batches": 1, "target_s": 0.005, "warmup_s": 0.02, "commands_n": 5, "small": 5, "large": 15,
              "wire_batches": 1, "wire_s": 1},
}  # fmt: skip
WIRE_CONNECTIONS = 64


def log(message: str) -> None:
    print(message, flush=True)


# --- A private Redis ------------------------------------------------------------------------------------------


class RedisServer:
    """redis-server on a free loopback port, without persistence, stopped at the end of the run."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.command("PING")
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *args: str) -> bytes:
        """Send one command, return the raw reply (enough for PING and INFO)."""
        request = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(request.encode())
            data = b""
            while True:
                chunk = sock.recv(65536)
                data += chunk
                if not chunk or _complete(data):
                    return data

    def command_calls(self) -> dict[str, int]:
        """Calls per command name since the server started (`INFO commandstats`)."""
        calls = {}
        for line in self.command("INFO", "commandstats").decode().splitlines():
            if line.startswith("cmdstat_"):
                name, _, fields = line[len("cmdstat_") :].partition(":")
                calls[name.upper()] = int(fields.split(",")[0].split("=")[1])
        return calls

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _complete(data: bytes) -> bool:
    if data.startswith((b"+", b"-", b":")):
        return data.endswith(b"\r\n")
    if data.startswith(b"$"):
        header, _, rest = data.partition(b"\r\n")
        return len(rest) >= int(header[1:]) + 2
    return False


# --- Phases ---------------------------------------------------------------------------------------------------


class Run:
    def __init__(self, mode: str, variants: list[Variant], cpu: int | None) -> None:
        self.mode = mode
        self.settings = MODES[mode]
        self.variants = variants
        self.cpu = cpu
        self.tmp = Path(tempfile.mkdtemp(prefix="panther-cache-bench-"))
        self.envs: dict[str, Env] = {}
        self.skipped: dict[str, str] = {}
        self.results: dict[str, Any] = {
            "meta": {**machine_info(), "mode": mode, "settings": self.settings},
            "versions": {},
            "inproc": {},
            "commands": {},
            "instructions": {},
            "wire": {},
        }

    def env_of(self, variant: Variant) -> Env:
        env = self.envs[variant.env]
        return Env(replace(env.app, key=variant.key, module=variant.module), env.path)

    def live(self) -> list[Variant]:
        return [v for v in self.variants if v.env in self.envs and v.key not in self.skipped]

    def contenders(self) -> list[Variant]:
        """The live variants measured in every phase."""
        return [v for v in self.live() if not v.instructions_only]

    def skip(self, key: str, error: str) -> None:
        log(f"   {key}: skipped: {error}")
        self.skipped[key] = error

    def prepare_envs(self) -> None:
        log("== virtualenvs (bench/.venvs)")
        wanted = {variant.env for variant in self.variants}
        local = {directory for key in wanted for directory in ENVS[key].local_packages}
        sources = snapshot(REPO, local, self.tmp / "sources")
        for key in sorted(wanted):
            try:
                self.envs[key] = prepare(ENVS[key], sources, BENCH / ".venvs")
            except EnvError as exc:
                for variant in self.variants:
                    if variant.env == key:
                        self.skip(variant.key, str(exc))
                continue
            self.results["versions"][ENVS[key].label] = versions(self.envs[key])

    def inproc(self, redis: RedisServer) -> None:
        """µs per request, the variants' repeats interleaved batch by batch; Redis commands per request."""
        log("== in-process: µs per request")
        settings = self.settings
        workers: dict[str, Worker] = {}
        try:
            for variant in self.contenders():
                worker = Worker(self.env_of(variant), 0, self.tmp, self.cpu, apps_dir=APPS_DIR)
                try:
                    worker.started()
                    worker.call({"cmd": "add", "endpoints": [e.to_wire() for e in variant.endpoints]})
                    problems = worker.call({"cmd": "check"})["problems"]
                    if problems:
                        raise WorkerError("; ".join(problems))
                    counts = worker.call(
                        {"cmd": "calibrate", "target_s": settings["target_s"], "warmup_s": settings["warmup_s"]}
                    )["n"]
                except WorkerError as exc:
                    worker.close()
                    self.skip(variant.key, str(exc))
                    continue
                workers[variant.key] = worker
                self.results["inproc"][variant.key] = {"n": counts, "us": {e.key: [] for e in variant.endpoints}}
                if variant.redis:
                    self.results["commands"][variant.key] = self._commands(worker, variant, redis)
            keys = list(workers)
            for batch in range(settings["batches"]):
                shift = batch % len(keys) if keys else 0
                for key in keys[shift:] + keys[:shift]:
                    record = self.results["inproc"][key]
                    for endpoint_key, samples in record["us"].items():
                        n = record["n"][endpoint_key]
                        ns = workers[key].call({"cmd": "run", "key": endpoint_key, "n": n})["ns"]
                        samples.append(ns / n / 1000)
                log(f"   batch {batch + 1}/{settings['batches']}")
        finally:
            for worker in workers.values():
                worker.close()

    def _commands(self, worker: Worker, variant: Variant, redis: RedisServer) -> dict[str, dict[str, float]]:
        """Redis commands each endpoint sends per request, by command name."""
        n = self.settings["commands_n"]
        found = {}
        for endpoint in variant.endpoints:
            before = redis.command_calls()
            worker.call({"cmd": "run", "key": endpoint.key, "n": n})
            after = redis.command_calls()
            after["INFO"] = after.get("INFO", 0) - 1  # the INFO that read `before`
            found[endpoint.key] = {
                name: round((calls - before.get(name, 0)) / n, 2)
                for name, calls in sorted(after.items())
                if calls - before.get(name, 0) > 0
            }
        return found

    def over_the_wire(self, server_cpu: int | None, client_cpu: int | None) -> None:
        """req/s and server CPU per request under wrk (64 connections), every server up at once, runs rotated."""
        log("== over the wire: uvicorn + wrk")
        wrk = wire.ensure_wrk()
        if wrk is None:
            log("   wrk is not available: skipped")
            return
        servers: dict[str, wire.Server] = {}
        try:
            for variant in self.contenders():
                server = wire.Server(self.env_of(variant), self.tmp, server_cpu, apps_dir=APPS_DIR)
                try:
                    server.wait_ready()
                    problems = [p for p in (server.check(e) for e in variant.endpoints) if p]
                    if problems:
                        raise WorkerError("; ".join(problems))
                except WorkerError as exc:
                    server.stop()
                    self.skip(variant.key, str(exc))
                    continue
                servers[variant.key] = server
                self.results["wire"][variant.key] = {e.key: [] for e in variant.endpoints}
            keys = list(servers)
            for batch in range(self.settings["wire_batches"]):
                shift = batch % len(keys) if keys else 0
                for key in keys[shift:] + keys[:shift]:
                    variant = next(v for v in self.variants if v.key == key)
                    for endpoint in variant.endpoints:
                        result = wire.run_wrk(
                            wrk, servers[key], endpoint, None, self.settings["wire_s"], WIRE_CONNECTIONS, 1, client_cpu
                        )
                        self.results["wire"][key][endpoint.key].append(
                            {"rps": result.requests_per_s, "p99_ms": result.p99_ms, "cpu_us": result.server_cpu_us}
                        )
                log(f"   batch {batch + 1}/{self.settings['wire_batches']}")
        finally:
            for server in servers.values():
                server.stop()

    def instructions(self) -> None:
        log("== instructions per request (uvicorn under callgrind)")
        if instructions.ensure_valgrind() is None:
            log("   valgrind is not available: skipped")
            return
        for variant in self.live():
            log(f"   {variant.key}")
            try:
                counts = instructions.measure(
                    self.env_of(variant),
                    list(variant.endpoints),
                    self.tmp,
                    self.settings["small"],
                    self.settings["large"],
                    apps_dir=APPS_DIR,
                )
            except (instructions.InstructionsError, WorkerError) as exc:
                log(f"   {variant.key}: {exc}")
                continue
            self.results["instructions"][variant.key] = counts

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- Report ---------------------------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _noise(values: list[float]) -> float:
    """Half the interquartile range, relative to the median (the ± of the main bench)."""
    if len(values) < 4:
        return float("nan")
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (q3 - q1) / 2 / statistics.median(values)


def _added(samples: dict[str, list[float]], key: str, base: str) -> float:
    """Median over the batches of (endpoint µs - baseline µs), both taken in the same batch."""
    return _median([a - b for a, b in zip(samples[key], samples[base])])


def _commands_cell(found: dict[str, dict[str, float]], endpoint: str) -> str:
    if endpoint not in found:
        return "-"
    return ", ".join(f"{name} x{calls:g}" for name, calls in found[endpoint].items()) or "none"


def render(results: dict[str, Any], variants: list[Variant], skipped: dict[str, str]) -> str:
    meta = results["meta"]
    by_key = {v.key: v for v in variants}
    lines = [
        "# Throttling and response caching: panther-cache and the alternatives",
        "",
        "Written by `python bench/cache/run.py` — see [`bench/cache/README.md`](../cache/README.md) for the method.",
        "",
        f"- Date: {meta['date']}, commit `{meta['commit']}`"
        + (" (with uncommitted changes)" if meta.get("uncommitted_changes") else ""),
        f"- Machine: {meta['cpu']}, {meta['cores']} cores, {meta['system']}, Python {meta['python']}",
        f"- Mode: {meta['mode']} ({meta['settings']['batches']} interleaved batches in-process; callgrind counts "
        f"{meta['settings']['large']} - {meta['settings']['small']} requests)",
        "- Redis: a private redis-server on loopback, started for the run",
        *([f"- {meta['note']}"] if meta.get("note") else []),
        "",
    ]
    instr = results["instructions"]
    if "panther-memory" in instr or "panther-redis" in instr:
        lines += [
            "## This project: server instructions per request (callgrind)",
            "",
            "uvicorn running the app under valgrind's callgrind, requests sent one at a time: every instruction the "
            "server executes for a request (HTTP parsing, event loop, app, Redis client). A count, so no noise.",
            "",
            "| Backend | `GET /json` | throttled | Δ throttle | Δ throttle, `headers=False` | `GET /report` computed "
            "| cached (hit) | hit ÷ computed |",
            "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key in ("panther-memory", "panther-redis"):
            if key not in instr:
                continue
            c = instr[key]
            lines.append(
                f"| {'memory' if key.endswith('memory') else 'Redis'} | {c['json'] / 1000:.1f}k | "
                f"{c['throttled'] / 1000:.1f}k | {(c['throttled'] / c['json'] - 1) * 100:+.1f} % | "
                + (f"{(c['quiet'] / c['json'] - 1) * 100:+.1f} % | " if "quiet" in c else "- | ")
                + f"{c['report'] / 1000:.1f}k | {c['cached'] / 1000:.1f}k | {c['cached'] / c['report']:.2f} |"
            )
        lines.append("")
        memory = instr.get("panther-memory", {})
        raw = instr.get("raw-headers", {})
        if "quiet" in memory and "headers" in memory:
            base, headers, throttled, quiet = memory["json"], memory["headers"], memory["throttled"], memory["quiet"]
            lines += [
                f"**Without the headers** (`Throttle(..., headers=False)`: limits on 429s only) the memory throttle "
                f"adds {(quiet - base) / 1000:.1f}k instructions ({(quiet / base - 1) * 100:+.1f} %): the bucket key, "
                "the count and the pipeline step.",
                "",
                f"**The three `X-RateLimit-*` lines** are the rest of the default throttle's "
                f"{(throttled - base) / 1000:.1f}k: the same endpoint returning a `Response` with those headers and no "
                f"throttle (`GET /json/headers`) costs {(headers - base) / 1000:+.1f}k "
                f"({(headers / base - 1) * 100:+.1f} %).",
            ]
            if "headers" in raw:
                lines[-1] += (
                    f" Of that, {(raw['headers'] - raw['json']) / 1000:.1f}k is uvicorn writing three more lines, "
                    f"measured on a raw ASGI app with no framework ({raw['json'] / 1000:.1f}k → "
                    f"{raw['headers'] / 1000:.1f}k): it checks each name and value against a regular expression, "
                    "lower-cases and copies them, about "
                    f"{(raw['headers'] - raw['json']) / 3000:.1f}k per line, which no framework can save."
                )
            lines.append("")
    if instr:
        lines += [
            "## Everyone: server instructions per request (callgrind)",
            "",
            "Δ is what the throttle (or the cache hit) adds to, or saves from, the same framework's endpoint without "
            "it.",
            "",
            "| App | `GET /json` | throttled | Δ throttle | `GET /report` computed | cached (hit) | Δ hit |",
            "| :--- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key, c in instr.items():
            if by_key[key].instructions_only:
                continue
            cells = [
                f"{c['json'] / 1000:.1f}k",
                f"{c['throttled'] / 1000:.1f}k",
                f"{(c['throttled'] - c['json']) / 1000:+.1f}k",
            ]
            if "cached" in c:
                cells += [
                    f"{c['report'] / 1000:.1f}k",
                    f"{c['cached'] / 1000:.1f}k",
                    f"{(c['cached'] - c['report']) / 1000:+.1f}k",
                ]
            else:
                cells += ["-", "-", "-"]
            lines.append(f"| {by_key[key].label} | " + " | ".join(cells) + " |")
        lines.append("")
    inproc = results["inproc"]
    if inproc:
        lines += [
            "## In-process: µs per request",
            "",
            "The ASGI app called directly (no server, no socket), median of the interleaved batches; Δ is the median "
            "over the batches of the difference with the same app's baseline measured in the same batch. ± is the "
            "noise of the repeats (half the interquartile range, relative to the median).",
            "",
            "| App | `GET /json` | throttled | Δ throttle | `GET /report` computed | cached (hit) | Δ hit | ± |",
            "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key, record in inproc.items():
            us = record["us"]
            if not us["json"]:
                continue
            cells = [
                f"{_median(us['json']):.1f}",
                f"{_median(us['throttled']):.1f}",
                f"{_added(us, 'throttled', 'json'):+.1f}",
            ]
            if "cached" in us:
                cells += [
                    f"{_median(us['report']):.1f}",
                    f"{_median(us['cached']):.1f}",
                    f"{_added(us, 'cached', 'report'):+.1f}",
                ]
            else:
                cells += ["-", "-", "-"]
            noise = max(_noise(values) for values in us.values())
            cells.append("-" if noise != noise else f"{noise * 100:.0f} %")
            lines.append(f"| {by_key[key].label} | " + " | ".join(cells) + " |")
        lines.append("")
    wire_results = results["wire"]
    if wire_results:
        lines += [
            "## Over the wire: uvicorn + wrk, 64 connections",
            "",
            "Each app under uvicorn (1 worker, pinned to one core; wrk on the other), median of the runs. Server CPU "
            "µs per request is the steadier figure on a shared machine; req/s also shows what waiting on Redis does to "
            "a server that blocks its event loop for it.",
            "",
            "| App | `GET /json` req/s | throttled req/s | throttled p99 ms | throttled CPU µs/req "
            "| cached (hit) req/s | computed req/s |",
            "| :--- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key, runs in wire_results.items():
            if not runs["json"]:
                continue

            def med(endpoint: str, field: str, runs: dict[str, list[dict[str, float]]] = runs) -> str:
                values = [run[field] for run in runs.get(endpoint, [])]
                if not values:
                    return "-"
                return f"{_median(values):,.0f}" if field == "rps" else f"{_median(values):.1f}"

            lines.append(
                f"| {by_key[key].label} | {med('json', 'rps')} | {med('throttled', 'rps')} | "
                f"{med('throttled', 'p99_ms')} | {med('throttled', 'cpu_us')} | {med('cached', 'rps')} | "
                f"{med('report', 'rps')} |"
            )
        lines.append("")
    commands = results["commands"]
    if commands:
        lines += [
            "## Redis commands per request",
            "",
            "Counted by the private Redis server (`INFO commandstats`) around a run of requests; a pipeline (MULTI ... "
            "EXEC) is one round trip, every other command one round trip each.",
            "",
            "| App | throttled request | cache hit |",
            "| :--- | :--- | :--- |",
        ]
        for key, found in commands.items():
            cells = [_commands_cell(found, endpoint) for endpoint in ("throttled", "cached")]
            lines.append(f"| {by_key[key].label} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "## Besides speed",
        "",
        "- **panther-cache**: limit headers on every answer, `Retry-After` on 429s; route + user/address buckets, "
        "`X-Forwarded-For` only from `TRUSTED_PROXIES`; one atomic Lua round trip per throttled request (exactly R of "
        "N concurrent requests pass, across processes); cache keyed by route, path variables, query and user; a "
        "Redis outage fails open (or 503), logged once, without waiting on Redis per request.",
        "- **slowapi**: its Redis storage (`limits`) is synchronous, so the event loop waits for every round trip "
        "(a slow or frozen Redis stalls every request of the process); no limit headers unless "
        "`headers_enabled=True`; no response cache.",
        "- **fastapi-limiter** (0.2, on pyrate-limiter): its default identifier believes any `X-Forwarded-For`, so "
        "a client picks its own bucket; no limit headers. **fastapi-cache2**: entries are keyed by function and "
        "arguments, so every user gets the first user's response unless the app writes a key builder.",
        "- **Hand-written middleware**: counts refused requests too and sends no headers; what it costs is what "
        "redis-py's pipeline costs.",
        "",
    ]
    lines += ["## Apps", "", "| App | Packages |", "| :--- | :--- |"]
    for label, found in results["versions"].items():
        lines.append(f"| {label} | " + ", ".join(f"{name} {version}" for name, version in found.items()) + " |")
    for key, error in skipped.items():
        lines.append(f"| {by_key[key].label} | skipped: {error} |")
    return "\n".join(lines) + "\n"


# --- Entry point ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="fewer repeats and requests")
    group.add_argument("--smoke", action="store_true", help="tiny run proving the bench works; writes no results")
    parser.add_argument("--only", help="comma-separated variant keys: " + ",".join(v.key for v in VARIANTS))
    parser.add_argument("--phases", default="inproc,wire,instructions", help="inproc,wire,instructions (default: all)")
    parser.add_argument("--output", type=Path, help="where to write the Markdown (default: bench/results/cache.md)")
    parser.add_argument("--cpu", type=int, default=1 if (os.cpu_count() or 1) > 1 else None, help="pin workers")
    parser.add_argument("--render", type=Path, help="write the Markdown of a saved raw JSON run, measure nothing")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        text = render(saved, list(VARIANTS), saved.get("skipped", {}))
        output = args.output or (BENCH / "results" / "cache.md")
        output.write_text(text)
        log(f"wrote {output}")
        return 0
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    variants = list(VARIANTS)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {v.key for v in VARIANTS}
        if unknown:
            parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
        variants = [v for v in VARIANTS if v.key in wanted]
    if shutil.which("redis-server") is None:
        log("redis-server is not installed: the Redis variants are skipped (scripts/services start installs it)")
        variants = [v for v in variants if not v.redis]
    phases = set(args.phases.split(","))
    run = Run(mode, variants, args.cpu)
    redis = RedisServer(run.tmp) if any(v.redis for v in variants) else None
    try:
        if redis is not None:
            os.environ["BENCH_REDIS_URL"] = redis.url  # the workers and servers inherit it
        run.prepare_envs()
        if "inproc" in phases:
            run.inproc(redis)  # type: ignore[arg-type]
        if "wire" in phases:
            cores = os.cpu_count() or 1
            run.over_the_wire(1 if cores > 1 else None, 0 if cores > 1 else None)
        if "instructions" in phases:
            run.instructions()
    finally:
        if redis is not None:
            redis.stop()
        run.close()
    run.results["skipped"] = run.skipped
    text = render(run.results, variants, run.skipped)
    raw = BENCH / "results" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / f"cache-{time.strftime('%Y%m%d-%H%M%S')}-{mode}.json").write_text(json.dumps(run.results, indent=1))
    if mode == "smoke" and args.output is None:
        print(text)
        return 0
    output = args.output or (BENCH / "results" / ("cache.md" if mode == "full" else f"raw/cache-{mode}.md"))
    output.write_text(text)
    log(f"wrote {output.relative_to(REPO) if output.is_relative_to(REPO) else output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
