"""`python bench/run.py`: prepare the virtualenvs, run every measurement interleaved, write the report."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import instructions, report, wire
from harness.envs import Env, EnvError, prepare, snapshot
from harness.registry import APPS, APPS_BY_KEY, ENDPOINTS, RAW, AppSpec, Endpoint, routing_endpoints
from harness.workers import Worker, WorkerError, probe, versions

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
PHASES = ("inproc", "startup", "wire", "instructions")


class Abort(Exception):
    """A wrong answer or a broken tool: the run stops, the message says why."""


@dataclass
class Settings:
    mode: str
    repeats: int  # in-process repeats per (app, endpoint)
    inproc_processes: int  # generations of worker processes the repeats are spread over
    target_s: float  # duration of one in-process repeat
    warmup_s: float  # in-process warm-up per endpoint
    startup_runs: int  # fresh interpreters per app for startup time and memory
    wire_batches: int
    wire_duration_s: float
    wire_warmup_s: float
    instr_small: int  # requests counted by callgrind: (large - small) of them give the per-request count
    instr_large: int
    connections: int
    threads: int
    routes: int
    server_cpu: int | None
    client_cpu: int | None


MODES: dict[str, dict[str, Any]] = {
    "full": {
        "repeats": 15,
        "inproc_processes": 3,
        "target_s": 0.2,
        "warmup_s": 0.5,
        "startup_runs": 7,
        "wire_batches": 7,
        "wire_duration_s": 2,
        "wire_warmup_s": 1,
        "instr_small": 200,
        "instr_large": 1200,
    },
    "quick": {
        "repeats": 7,
        "inproc_processes": 2,
        "target_s": 0.1,
        "warmup_s": 0.3,
        "startup_runs": 3,
        "wire_batches": 2,
        "wire_duration_s": 3,
        "wire_warmup_s": 1,
        "instr_small": 100,
        "instr_large": 600,
    },
    "smoke": {
        "repeats": 2,
        "inproc_processes": 1,
        "target_s": 0.005,
        "warmup_s": 0.02,
        "startup_runs": 1,
        "wire_batches": 1,
        "wire_duration_s": 1,
        "wire_warmup_s": 0,
        "instr_small": 10,
        "instr_large": 30,
    },
}


#: The apps counted by callgrind (valgrind makes each a minute or more): the floor, this project with and without
#: its plugins, upstream.
INSTRUCTION_APPS = ("raw", "panther", "panther-plugins", "upstream")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark this project against a raw ASGI app, upstream Panther 5.5.0 and other frameworks.",
    )
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="fewer repeats, shorter wrk runs (a few minutes)")
    speed.add_argument("--smoke", action="store_true", help="tiny N and ~1 s wrk runs: only checks the harness works")
    keys = ", ".join(app.key for app in APPS)
    parser.add_argument("--only", help=f"comma-separated apps to run (default: all of {keys})")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {', '.join(PHASES)}")
    parser.add_argument("--repeats", type=int, help="in-process repeats per app and endpoint")
    parser.add_argument("--duration", type=float, help="seconds per wrk run")
    parser.add_argument("--batches", type=int, help="wrk runs per app and endpoint")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--routes", type=int, default=1000, help="routes in the routing-cost apps (default 1000)")
    parser.add_argument("--server-cpu", type=int, help="CPU for servers and in-process workers (default: last)")
    parser.add_argument("--client-cpu", type=int, help="CPU for wrk and this process (default: 0)")
    parser.add_argument("--rebuild", action="store_true", help="recreate the virtualenvs")
    parser.add_argument(
        "--output",
        type=Path,
        help="Markdown report (default: results/RESULTS.md after a full run of everything, else results/raw/)",
    )
    parser.add_argument("--render", type=Path, metavar="RAW_JSON", help="only re-render a saved raw JSON result")
    return parser.parse_args(argv)


def build_settings(args: argparse.Namespace) -> Settings:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    values = dict(MODES[mode])
    if args.repeats:
        values["repeats"] = args.repeats
    if args.duration:
        values["wire_duration_s"] = args.duration
    if args.batches:
        values["wire_batches"] = args.batches
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, client_cpu = (cpus[-1], cpus[0]) if len(cpus) > 1 else (None, None)
    if args.server_cpu is not None:
        server_cpu = args.server_cpu
    if args.client_cpu is not None:
        client_cpu = args.client_cpu
    if not shutil.which("taskset"):
        server_cpu = client_cpu = None
    return Settings(
        mode=mode,
        connections=16 if mode == "smoke" and args.connections == 64 else args.connections,
        threads=args.threads,
        routes=args.routes,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        **values,
    )


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
    changes = subprocess.run(
        ["git", "status", "--porcelain", "--", "packages"], capture_output=True, text=True, cwd=REPO
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "commit": commit.stdout.strip() if commit.returncode == 0 else None,
        "uncommitted_changes": bool(changes.stdout.strip()) if changes.returncode == 0 else None,
    }


def _log(message: str) -> None:
    print(message, flush=True)


@contextmanager
def _timed_phase(name: str) -> Iterator[None]:
    start = time.monotonic()
    _log(f"== {name}")
    yield
    _log(f"   {name} done in {time.monotonic() - start:.0f}s")


class Run:
    """One benchmark run: state shared by the phases and the raw results they produce."""

    def __init__(self, settings: Settings, apps: list[AppSpec], rebuild: bool) -> None:
        self.settings = settings
        self.apps = apps
        self.rebuild = rebuild
        self.envs: dict[str, Env] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="panther-bench-"))
        self.results: dict[str, Any] = {
            "meta": {**machine_info(), "settings": asdict(settings)},
            "apps": {app.key: {"label": app.label, "status": "pending", "error": None, "versions": {}} for app in apps},
            "inproc": {},
            "routing": {},
            "startup": {},
            "wire": {},
            "instructions": {},
            "inproc_wall_over_cpu": [],
        }

    # helpers -------------------------------------------------------------------------------------------------
    def skip(self, key: str, error: str) -> None:
        _log(f"   {key}: skipped: {error}")
        self.results["apps"][key].update(status="skipped", error=error)
        self.envs.pop(key, None)

    def live(self) -> list[AppSpec]:
        return [app for app in self.apps if app.key in self.envs]

    def _ordered(self, items: list[Any], batch: int) -> list[Any]:
        """Rotate the order every batch so no app is always first (or always right after a given one)."""
        shift = batch % len(items) if items else 0
        return items[shift:] + items[:shift]

    # phases --------------------------------------------------------------------------------------------------
    def prepare_envs(self) -> None:
        with _timed_phase("virtualenvs (bench/.venvs)"):
            local = {directory for app in self.apps for directory in app.local_packages}
            sources = snapshot(REPO, local, self.tmp / "sources")
            for app in self.apps:
                try:
                    env = prepare(app, sources, BENCH / ".venvs", rebuild=self.rebuild)
                except EnvError as exc:
                    self.skip(app.key, str(exc))
                    continue
                self.envs[app.key] = env
                self.results["apps"][app.key]["versions"] = versions(env)

    def inproc(self) -> None:
        s = self.settings
        with _timed_phase("in-process (ASGI app called directly)"):
            # The repeats are spread over several generations of worker processes: a process can be a few percent
            # faster or slower than another for its whole life (memory layout, hash seed), repeats in one do not
            # average that out.
            generations = max(1, min(s.inproc_processes, s.repeats))
            done = 0
            for generation in range(generations):
                repeats = (s.repeats - done) // (generations - generation)
                self._inproc_generation(generation, generations, done, repeats)
                done += repeats

    def _inproc_generation(self, generation: int, generations: int, first_batch: int, repeats: int) -> None:
        s = self.settings
        _log(f"   worker processes {generation + 1}/{generations}")
        workers: list[tuple[Worker, str, list[Endpoint]]] = []
        try:
            for app in self.live():
                workers.append((Worker(self.envs[app.key], 0, self.tmp, s.server_cpu), "inproc", list(ENDPOINTS)))
                if app.routing and "error" not in self.results["routing"].get(app.key, {}):
                    endpoints = list(routing_endpoints(s.routes))
                    workers.append((Worker(self.envs[app.key], s.routes, self.tmp, s.server_cpu), "routing", endpoints))
            started: list[tuple[Worker, str, list[Endpoint]]] = []
            for worker, kind, endpoints in workers:
                key = worker.env.app.key
                if key not in self.envs:
                    worker.close()
                    continue
                try:
                    info = worker.started()
                except WorkerError as exc:
                    if kind == "inproc":
                        self.skip(key, f"app failed to build: {exc}")
                    else:
                        self.results["routing"][key] = {"error": str(exc)}
                        _log(f"   {key}: routing app skipped: {exc}")
                    continue
                if kind == "inproc":
                    self.results["apps"][key].update(
                        lifespan=info["lifespan"], loop=info["loop"], plugins=info.get("plugins")
                    )
                worker.call({"cmd": "add", "endpoints": [endpoint.to_wire() for endpoint in endpoints]})
                problems = worker.call({"cmd": "check"}, timeout=120)["problems"]
                if problems:
                    raise Abort(f"{worker.name} answers wrongly (in-process): " + "; ".join(problems))
                started.append((worker, kind, endpoints))
            _log(f"   all answers correct; calibrating {len(started)} workers ...")
            items: list[tuple[Worker, str, str, int]] = []
            for worker, kind, endpoints in started:
                if worker.env.app.key not in self.envs:
                    continue
                counts = worker.call({"cmd": "calibrate", "target_s": s.target_s, "warmup_s": s.warmup_s})["n"]
                items += [(worker, kind, endpoint.key, counts[endpoint.key]) for endpoint in endpoints]
            for batch in range(first_batch, first_batch + repeats):
                _log(f"   batch {batch + 1}/{s.repeats}")
                for worker, kind, endpoint_key, n in self._ordered(items, batch):
                    answer = worker.call({"cmd": "run", "key": endpoint_key, "n": n})
                    bucket = self.results[kind].setdefault(worker.env.app.key, {})
                    bucket.setdefault(endpoint_key, []).append(answer["ns"] / n / 1000)
                    self.results["inproc_wall_over_cpu"].append(answer["wall_over_cpu"])
        finally:
            for worker, _, _ in workers:
                worker.close()

    def startup(self) -> None:
        s = self.settings
        with _timed_phase("startup time and idle memory (fresh interpreters)"):
            apps = self.live()
            for app in apps:  # warm the file cache and the bytecode caches; not recorded
                try:
                    probe(self.envs[app.key], False, self.tmp, s.server_cpu)
                except WorkerError as exc:
                    self.skip(app.key, f"app failed to build: {exc}")
            apps = self.live()
            for batch in range(s.startup_runs):
                for app in self._ordered(apps, batch):
                    env = self.envs[app.key]
                    empty = probe(env, True, self.tmp, s.server_cpu)
                    built = probe(env, False, self.tmp, s.server_cpu)
                    bucket = self.results["startup"].setdefault(app.key, {"import_build_ms": [], "rss_mib": []})
                    bucket["import_build_ms"].append(built["import_build_ns"] / 1e6)
                    bucket["rss_mib"].append((built["rss_kib"] - empty["rss_kib"]) / 1024)

    def over_the_wire(self) -> None:
        s = self.settings
        with _timed_phase("over the wire (uvicorn + wrk)"):
            wrk = wire.ensure_wrk()
            if wrk is None:
                self.results["wire_error"] = "wrk is not installed (Debian package `wrk`)"
                _log(f"   skipped: {self.results['wire_error']}")
                return
            scripts = {endpoint.key: wire.lua_script(endpoint, self.tmp) for endpoint in ENDPOINTS}
            servers: list[wire.Server] = []
            try:
                for app in self.live():
                    servers.append(wire.Server(self.envs[app.key], self.tmp, s.server_cpu))
                ready: list[wire.Server] = []
                for server in servers:
                    try:
                        server.wait_ready()
                    except WorkerError as exc:
                        self.skip(server.env.app.key, f"uvicorn failed: {exc}")
                        continue
                    problems = [problem for endpoint in ENDPOINTS if (problem := server.check(endpoint))]
                    if problems:
                        raise Abort(f"{server.env.app.key} answers wrongly (over the wire): " + "; ".join(problems))
                    ready.append(server)
                _log(f"   {len(ready)} servers answer correctly")
                items = [(server, endpoint) for endpoint in ENDPOINTS for server in ready]

                def load(server: wire.Server, endpoint: Endpoint, duration: float) -> wire.WrkResult:
                    try:
                        return wire.run_wrk(
                            wrk,
                            server,
                            endpoint,
                            scripts[endpoint.key],
                            duration,
                            s.connections,
                            s.threads,
                            s.client_cpu,
                        )
                    except wire.WireError as exc:
                        raise Abort(str(exc)) from None

                if s.wire_warmup_s:
                    _log("   warm-up")
                    for server, endpoint in items:
                        load(server, endpoint, s.wire_warmup_s)

                def record(server: wire.Server, endpoint: Endpoint, sample: dict[str, Any]) -> None:
                    bucket = self.results["wire"].setdefault(server.env.app.key, {})
                    bucket.setdefault(endpoint.key, []).append(sample)

                reference = next((server for server in ready if server.env.app.key == RAW), None)
                others = [server for server in ready if server is not reference]
                for batch in range(s.wire_batches):
                    _log(f"   batch {batch + 1}/{s.wire_batches}")
                    # Endpoint by endpoint, apps in a rotating order, each run right next to a run of the raw app
                    # (before it or after it, alternately): "vs raw" is computed within each such pair, seconds
                    # apart, so the machine's changing speed (a shared host) hits both sides alike.
                    for endpoint in ENDPOINTS:
                        for i, server in enumerate(self._ordered(others, batch)):
                            if reference is None:
                                record(server, endpoint, asdict(load(server, endpoint, s.wire_duration_s)))
                                continue
                            pair = (reference, server) if (batch + i) % 2 == 0 else (server, reference)
                            results = {id(side): asdict(load(side, endpoint, s.wire_duration_s)) for side in pair}
                            raw_sample, sample = results[id(reference)], results[id(server)]
                            sample["raw_requests_per_s"] = raw_sample["requests_per_s"]
                            sample["raw_server_cpu_us"] = raw_sample["server_cpu_us"]
                            record(reference, endpoint, raw_sample)
                            record(server, endpoint, sample)
                        if reference is not None and not others:
                            record(reference, endpoint, asdict(load(reference, endpoint, s.wire_duration_s)))
            finally:
                for server in servers:
                    server.stop()

    def instructions(self) -> None:
        s = self.settings
        with _timed_phase("server instructions per request (uvicorn under callgrind)"):
            if instructions.ensure_valgrind() is None:
                self.results["instructions_error"] = "valgrind is not installed (Debian package `valgrind`)"
                _log(f"   skipped: {self.results['instructions_error']}")
                return
            for app in self.live():
                if app.key not in INSTRUCTION_APPS:
                    continue
                try:
                    counts = instructions.measure(
                        self.envs[app.key], list(ENDPOINTS), self.tmp, s.instr_small, s.instr_large
                    )
                except (instructions.InstructionsError, WorkerError) as exc:
                    raise Abort(f"{app.key}: {exc}") from None
                self.results["instructions"][app.key] = counts
                _log(f"   {app.key}: " + ", ".join(f"{key} {value / 1000:.1f}k" for key, value in counts.items()))

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _output_path(args: argparse.Namespace, settings: Settings, complete: bool) -> Path:
    if args.output:
        return args.output
    if settings.mode == "full" and complete:
        return BENCH / "results" / "RESULTS.md"
    return BENCH / "results" / "raw" / f"RESULTS-{settings.mode}.md"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        results = json.loads(args.render.read_text())
        output = args.output or BENCH / "results" / "RESULTS.md"
        output.write_text(report.render(results))
        _log(f"wrote {output}")
        return 0
    settings = build_settings(args)
    apps = list(APPS)
    if args.only:
        wanted = [key.strip() for key in args.only.split(",") if key.strip()]
        unknown = [key for key in wanted if key not in APPS_BY_KEY]
        if unknown:
            _log(f"unknown app(s): {', '.join(unknown)}; choose from {', '.join(APPS_BY_KEY)}")
            return 2
        apps = [app for app in APPS if app.key in wanted]
    phases = [phase.strip() for phase in args.phases.split(",") if phase.strip()]
    if unknown_phases := [phase for phase in phases if phase not in PHASES]:
        _log(f"unknown phase(s): {', '.join(unknown_phases)}; choose from {', '.join(PHASES)}")
        return 2
    if settings.client_cpu is not None:
        os.sched_setaffinity(0, {settings.client_cpu})

    started = time.monotonic()
    run = Run(settings, apps, args.rebuild)
    steps: dict[str, Callable[[], None]] = {
        "inproc": run.inproc,
        "startup": run.startup,
        "wire": run.over_the_wire,
        "instructions": run.instructions,
    }
    try:
        run.prepare_envs()
        for phase in PHASES:
            if phase in phases:
                steps[phase]()
    except Abort as exc:
        _log(f"\nABORTED: {exc}")
        return 3
    except KeyboardInterrupt:
        _log("\ninterrupted")
        return 130
    finally:
        run.close()
    for key, app in run.results["apps"].items():
        if app["status"] == "pending":
            app["status"] = "ok" if key in run.envs else "skipped"
    run.results["meta"]["phases"] = phases
    run.results["meta"]["duration_s"] = round(time.monotonic() - started)

    complete = len(apps) == len(APPS) and set(phases) == set(PHASES)
    output = _output_path(args, settings, complete)
    raw = BENCH / "results" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (raw / f"{stamp}-{settings.mode}.json").write_text(json.dumps(run.results, indent=1) + "\n")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.render(run.results))
    _log(f"\nwrote {output} ({run.results['meta']['duration_s']}s)")
    print(report.summary(run.results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
