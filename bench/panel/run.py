"""Benchmark panther-panel against what users would pick instead: `python bench/panel/run.py [--smoke]`.

Three suites, each in its own virtualenv under ``bench/.venvs/`` (gitignored, reused while unchanged):

- ``panel-ours``: this project's panther-core, panther-db, panther-auth and panther-panel (installed from a snapshot
  of ``packages/``), on the main bench's pinned pydantic, orjson and uvloop;
- ``panel-upstream``: ``panther==5.5.0``, whose panel is what Panther users have today;
- ``panel-sqladmin``: sqladmin (SQLAlchemy's admin for Starlette) on SQLite through aiosqlite.

Each suite's admin gets the same books (``--records``, 10 000 by default) on its embedded database (PantherDB; SQLite
for sqladmin); ``measure.py`` times its pages in-process over ASGI and writes one JSON line, rendered here into
``bench/results/panel.md``. ``--smoke`` (300 books, 2 repeats) only proves the script works: it writes
``bench/results/raw/panel-smoke.md``.
"""

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from harness.envs import EnvError, prepare, snapshot  # noqa: E402
from harness.registry import AppSpec  # noqa: E402

MEASURE = Path(__file__).resolve().parent / "measure.py"
LOCAL = ("packages/panther-core", "packages/panther-db", "packages/panther-auth", "packages/panther-panel")
SUITES: dict[str, AppSpec] = {
    "ours": AppSpec(
        "panel-ours",
        "panther-panel (this project)",
        "measure",
        local_packages=LOCAL,
        distributions=("panther-core", "panther-db", "panther-auth", "panther-panel"),
    ),
    "upstream": AppSpec(
        "panel-upstream",
        "Panther 5.5.0's panel",
        "measure",
        ("panther==5.5.0", "python-jose==3.5.0"),
        (),
        ("panther", "python-jose"),
    ),
    "sqladmin": AppSpec(
        "panel-sqladmin",
        "sqladmin on SQLite",
        "measure",
        ("sqladmin==0.32.0", "sqlalchemy[asyncio]==2.1.9", "aiosqlite==0.22.1", "starlette==1.10.0"),
        (),
        ("sqladmin", "sqlalchemy", "aiosqlite", "starlette"),
    ),
}
LABELS = {
    "ours": "**panther-panel** (this project), PantherDB",
    "upstream": "Panther 5.5.0's panel, PantherDB",
    "sqladmin": "sqladmin 0.32, SQLite (aiosqlite)",
}
PAGES = ("list, first page", "list, middle page", "list, search", "detail", "login POST")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="300 books, 2 repeats; does not touch panel.md")
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=15, help="repeats per page, at most (default 15)")
    parser.add_argument("--budget", type=float, default=8.0, help="seconds a page's repeats may take (default 8)")
    parser.add_argument("--rebuild", action="store_true", help="recreate the virtualenvs")
    args = parser.parse_args()
    if args.smoke:
        args.records, args.repeats, args.budget = 300, 2, 0.5
    started, load = time.time(), os.getloadavg()[0]
    results: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as copy, tempfile.TemporaryDirectory() as work:
        sources = snapshot(ROOT, set(LOCAL), Path(copy))
        for suite, spec in SUITES.items():
            print(f"preparing bench/.venvs/{spec.key} ...", flush=True)
            try:
                env = prepare(spec, sources, BENCH / ".venvs", args.rebuild)
            except EnvError as error:
                if suite == "ours":
                    raise
                skipped[suite] = f"its virtualenv could not be installed: {error}"
                continue
            print(f"measuring {suite} ...", flush=True)
            results[suite] = {**measure(env.python, suite, args, Path(work) / suite), "versions": versions(env)}
    text = render(results, skipped, args, time.time() - started, load)
    target = BENCH / "results" / ("raw/panel-smoke.md" if args.smoke else "panel.md")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(text)
    print(f"written to {target.relative_to(ROOT)}")
    return 0


def measure(python: Path, suite: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    command = [str(python), str(MEASURE), "--suite", suite, "--records", str(args.records)]
    command += ["--repeats", str(args.repeats), "--budget", str(args.budget), "--workdir", str(work)]
    taskset = shutil.which("taskset")
    if taskset:  # one core for the worker, as the other benches pin theirs
        command = [taskset, "-c", "1", *command]
    result = subprocess.run(command, capture_output=True, text=True, cwd=work.parent)
    if result.returncode != 0 or not result.stdout.strip():  # upstream logs some errors and exits with 0
        raise SystemExit(f"{suite}: the worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def versions(env: Any) -> dict[str, str]:
    script = (
        "import json, sys\nfrom importlib import metadata\n"
        "print(json.dumps({name: metadata.version(name) for name in sys.argv[1:]}))"
    )
    names = [*env.app.distributions, "pydantic", "uvloop"]
    if "sqladmin" in names:
        names.remove("pydantic")
    result = subprocess.run([str(env.python), "-I", "-c", script, *names], capture_output=True, text=True)
    return json.loads(result.stdout) if result.returncode == 0 else {}  # type: ignore[no-any-return]


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _size(value: int) -> str:
    return f"{value / 1024:.0f} KiB" if value < 1024 * 1024 else f"{value / 1024 / 1024:.1f} MiB"


def render(
    results: dict[str, dict[str, Any]], skipped: dict[str, str], args: argparse.Namespace, seconds: float, load: float
) -> str:
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    any_result = next(iter(results.values()))
    lines = [
        "# panther-panel benchmark",
        "",
        "Written by `python bench/panel/run.py` — method in [`bench/panel/measure.py`](../panel/measure.py).",
        "",
        f"- Date: {now}; commit `{_commit()}`",
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with other work; "
        f"load average {load:.1f} when the run started), Linux {platform.release()}, Python {any_result['python']}; "
        "each suite's worker pinned to one core",
        *(
            f"- {LABELS[suite]}: {', '.join(f'{k} {v}' for k, v in result['versions'].items())}"
            for suite, result in results.items()
        ),
        f"- {args.records} books (`title`, `pages`, `published`) in each admin's embedded database; in-process ASGI "
        f"requests (uvloop), logged in as a staff user; up to {args.repeats} interleaved repeats per page, fewer for "
        f"pages slower than {args.budget:g} s / {args.repeats}; **median** shown (best in brackets). Memory is "
        "`tracemalloc`'s peak during one request (Python allocations, after a `gc.collect()`). Run time "
        f"{seconds:.0f} s.",
        "",
        "Pages: the table's first page, a middle page (`?page=200` of 400 at 25 rows), a search (`zephyr`, in one "
        "title in 100, case-insensitive), one record's page, and the login form's POST (which hashes a password).",
        "",
        "| admin | page | ms per request | response | rows in it | peak memory | repeats |",
        "| :--- | :--- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for suite, result in results.items():
        for page in PAGES:
            if page not in result["median_ms"]:
                note = result["notes"].get(page, "not measured")
                lines.append(f"| {LABELS[suite]} | {page} | — | — | — | — | {note} |")
                continue
            check = result["checks"][page]
            note = result["notes"].get(page)
            rows = f"{check['records']}" + (f" ({note})" if note else "")
            lines.append(
                f"| {LABELS[suite]} | {page} | {_ms(result['median_ms'][page])} "
                f"({_ms(result['best_ms'][page])}) | {_size(check['bytes'])} | {rows} | "
                f"{_size(result['peak_bytes'][page])} | {result['repeats'][page]} |"
            )
    for suite, reason in skipped.items():
        lines.append(f"| {LABELS[suite]} | — | — | — | — | — | skipped: {reason} |")
    lines += ["", "Peak resident memory of each worker process (setup, data and every request):", ""]
    lines += [f"- {LABELS[s]}: {r['max_rss_kb'] / 1024:.0f} MiB" for s, r in results.items()]
    lines += ["", *_summary(results), ""]
    return "\n".join(lines)


def _summary(results: dict[str, dict[str, Any]]) -> list[str]:
    if "ours" not in results:
        return []
    ours = results["ours"]
    lines = ["## Reading", ""]
    if "upstream" in results:
        up = results["upstream"]
        first, theirs = ours["median_ms"]["list, first page"], up["median_ms"]["list, first page"]
        lines.append(
            f"- The table: panther-panel renders {ours['checks']['list, first page']['records']} rows in "
            f"{_ms(first)} ms ({_size(ours['checks']['list, first page']['bytes'])}); Panther 5.5.0 renders all "
            f"{up['checks']['list, first page']['records']} in {_ms(theirs)} ms "
            f"({_size(up['checks']['list, first page']['bytes'])}, peak "
            f"{_size(up['peak_bytes']['list, first page'])} against {_size(ours['peak_bytes']['list, first page'])}), "
            f"{theirs / first:.0f}x slower. Upstream has neither pages nor search: every table view costs that."
        )
        lines.append(
            f"- One record: {_ms(ours['median_ms']['detail'])} ms here, {_ms(up['median_ms']['detail'])} ms upstream. "
            f"Login POST: {_ms(ours['median_ms']['login POST'])} ms here, {_ms(up['median_ms']['login POST'])} ms "
            "upstream (mostly the password hash)."
        )
    if "sqladmin" in results:
        sa = results["sqladmin"]
        lines.append(
            "- sqladmin on SQLite (count, filter and `LIMIT`/`OFFSET` done by SQLite in C): first page "
            f"{_ms(sa['median_ms']['list, first page'])} ms, middle page {_ms(sa['median_ms']['list, middle page'])} "
            f"ms, search {_ms(sa['median_ms']['list, search'])} ms; panther-panel: "
            f"{_ms(ours['median_ms']['list, first page'])}, {_ms(ours['median_ms']['list, middle page'])} and "
            f"{_ms(ours['median_ms']['list, search'])} ms on PantherDB, which filters, sorts and counts in Python "
            "over the whole collection (no index), so its table pages grow with the collection even though only 25 "
            "rows are rendered."
        )
    return lines


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
