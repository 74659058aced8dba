"""Benchmark panther-tasks against what users would pick instead: `python bench/tasks/run.py [--smoke]`.

Creates two virtualenvs under bench/.venvs/ (this project's panther-core + panther-tasks with Starlette and
APScheduler; upstream Panther 5.5.0), runs measure.py in each and writes bench/results/tasks.md (``--smoke``: tiny
sizes, written to bench/results/raw/tasks-smoke.md, only proves the script works).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / "bench" / ".venvs"
MEASURE = Path(__file__).resolve().parent / "measure.py"

SUITES: dict[str, list[str]] = {
    "ours": [
        str(ROOT / "packages" / "panther-core"),
        str(ROOT / "packages" / "panther-tasks"),
        "starlette==1.10.0",
        "apscheduler==3.11.3",
    ],
    "upstream": ["panther==5.5.0"],
}


def venv(suite: str) -> Path:
    path = VENVS / f"tasks-{suite}"
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    # Reinstalled every run: this project's packages are installed from the working tree, not editable.
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", *SUITES[suite]], check=True)
    return python


def measure(suite: str, args: list[str]) -> dict[str, Any]:
    python = venv(suite)
    output = subprocess.run(
        [str(python), str(MEASURE), "--suite", suite, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(output.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def table(rows: dict[str, Any], unit: str, header: str) -> list[str]:
    lines = [f"| {header} | {unit} |", "|---|---:|"]
    for label, value in rows.items():
        lines.append(f"| {label} | {value:.1f} |")
    return lines


def render(ours: dict[str, Any], upstream: dict[str, Any], args: argparse.Namespace) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {ours['python']}"
    lines = [
        "# panther-tasks benchmark",
        "",
        f"`python bench/tasks/run.py` on {now} ({machine}; a shared machine: figures move by 10 to 30 % between runs).",
        "",
        "## Fire-and-forget from an endpoint",
        "",
        f"In-process ASGI calls, {args.requests} sequential requests per figure ({args.requests // 4} with a sync "
        f"task), median of {args.rounds} interleaved rounds; each figure counts until every task the requests "
        "started has run. The task itself does nothing (async) or `sum(range(1000))` (sync).",
        "",
        *table(ours["fire_and_forget"], "µs per request", "endpoint"),
        "",
        "What the client waits for, with a task that takes 50 ms (median of 20 requests):",
        "",
        *table(ours["response"], "ms", "moment"),
        "",
        "## Scheduled tasks",
        "",
        f"An every-second task, {args.runs} runs: lateness of each run after its due time, in ms (panther-tasks: "
        "after the whole second it is due; the others: after first run + k s, so drift accumulates).",
        "",
        "| scheduler | median | max | last run |",
        "|---|---:|---:|---:|",
    ]
    for label, stats in {**ours["lateness"], **upstream["lateness"]}.items():
        lines.append(f"| {label} | {stats['median']:.1f} | {stats['max']:.1f} | {stats['last']:.1f} |")
    lines += [
        "",
        f"CPU used by the scheduler with {args.tasks} scheduled tasks, over {args.seconds:g} s, in CPU ms per "
        "second (a whole core is 1000):",
        "",
        "| scheduler | none due (every 60 s) | all due every second |",
        "|---|---:|---:|",
    ]
    for label in [*ours["idle"], *upstream["idle"]]:
        idle = {**ours["idle"], **upstream["idle"]}[label]
        busy = {**ours["busy"], **upstream["busy"]}[label]
        lines.append(f"| {label} | {idle:.1f} | {busy:.1f} |")
    lines += [
        "",
        "Notes: Starlette runs a response's background task inside the request's ASGI call, after the body is "
        "sent (the client does not wait; the server's connection task does). panther-tasks hands it to the app's "
        "scheduler and the call returns at once. Panther 5.5.0 starts a thread per task per tick, whether or not "
        "the task is due, from a thread that sleeps 1 s between ticks, so its runs drift later each second. "
        "APScheduler's figures are relative to its own first run, which is itself late, hence below zero.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; does not touch bench/results/tasks.md")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.rounds, args.runs, args.tasks, args.seconds = 400, 1, 2, 20, 0.5
    else:
        args.requests, args.rounds, args.runs, args.tasks, args.seconds = 10000, 5, 6, 1000, 3.0
    sizes = ["--requests", str(args.requests), "--rounds", str(args.rounds), "--runs", str(args.runs)]
    sizes += ["--tasks", str(args.tasks), "--seconds", str(args.seconds)]
    ours = measure("ours", sizes)
    upstream = measure("upstream", sizes)
    text = render(ours, upstream, args)
    target = ROOT / "bench" / "results" / ("raw/tasks-smoke.md" if args.smoke else "tasks.md")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(text)
    print(f"written to {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
