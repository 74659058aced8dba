"""OpenAPI documents: this project's panther-openapi vs FastAPI and upstream Panther 5.5.0. See README.md.

    python bench/openapi/run.py                   # 10, 100 and 500 operations; writes bench/results/openapi.md
    python bench/openapi/run.py --sizes 50 --seconds 0.5 --output /tmp/openapi.md
    hatch run python bench/openapi/run.py --smoke # this project only, tiny, in the workspace's environment

Each framework runs ``worker.py`` in its own virtualenv under ``bench/.venvs/`` (the main benchmark's ``fastapi``
and ``upstream`` ones, with the same pinned pydantic; ``openapi-panther`` with panther-core and panther-openapi from
this checkout, installed non-editable), one process per framework and size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from harness.envs import EnvError, prepare  # noqa: E402
from harness.registry import APPS_BY_KEY, AppSpec  # noqa: E402

WORKER = Path(__file__).resolve().parent / "worker.py"
PANTHER = AppSpec(
    "openapi-panther",
    "Panther + panther-openapi (this project)",
    "worker",
    local_packages=("packages/panther-core", "packages/panther-openapi"),
    distributions=("panther-core", "panther-openapi"),
)
FRAMEWORKS: dict[str, AppSpec] = {
    "panther": PANTHER,
    "fastapi": APPS_BY_KEY["fastapi"],
    "upstream": APPS_BY_KEY["upstream"],
}
TIMES = "\u00d7"  # the multiplication sign of the ratios
LABELS = {"panther": "**Panther (this project)**", "fastapi": "FastAPI 0.165", "upstream": "Panther 5.5.0 (upstream)"}


def run_worker(python: Path, framework: str, endpoints: int, seconds: float, env: dict[str, str]) -> dict[str, Any]:
    job = json.dumps({"framework": framework, "endpoints": endpoints, "seconds": seconds})
    result = subprocess.run([str(python), str(WORKER)], input=job, capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        output = result.stderr[-3000:] + result.stdout[-1000:]
        raise SystemExit(f"{framework} at {endpoints} operations failed:\n{output}")
    row: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return row


def render(results: list[dict[str, Any]], sizes: list[int], seconds: float) -> str:
    def cell(framework: str, size: int, key: str, fmt: str) -> str:
        for row in results:
            if row["framework"] == framework and row["operations"] == size and key in row:
                return fmt.format(row[key])
        return "—"

    def ratio(size: int, key: str, other: str) -> str:
        ours = [r for r in results if r["framework"] == "panther" and r["operations"] == size and key in r]
        theirs = [r for r in results if r["framework"] == other and r["operations"] == size and key in r]
        return f"{theirs[0][key] / ours[0][key]:.1f}{TIMES}" if ours and theirs else "—"

    frameworks = [f for f in ("panther", "fastapi", "upstream") if any(r["framework"] == f for r in results)]
    lines = [
        "# OpenAPI documents: generation and serving",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python bench/openapi/run.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}; each cell is a "
        f"median over about {seconds:g} s (a shared machine: figures move by 10-20 % between runs, ratios less).",
        "",
        "The same API in each framework: N operations, half `GET /items<i>/{item_id}/` (an int path variable and an "
        "output model), half `POST /items<i>/` (a pydantic input model, 201 and an output model), with docstrings.",
        "",
        "## Building the document (ms, lower is better)",
        "",
        "Panther builds it once, when the app is built; FastAPI on the first request to `/openapi.json` (then "
        "cached); upstream Panther on **every** docs page view.",
        "",
        "| operations | " + " | ".join(LABELS[f] for f in frameworks) + " |",
        "|---:|" + "---:|" * len(frameworks),
    ]
    for size in sizes:
        lines.append(f"| {size} | " + " | ".join(cell(f, size, "generate_ms", "{:.2f}") for f in frameworks) + " |")
    lines += [
        "",
        "## Serving `GET /openapi.json` in-process (µs per request, lower is better)",
        "",
        "Panther sends bytes encoded once; FastAPI encodes its cached document on every request. Upstream Panther "
        "has no JSON endpoint.",
        "",
        "| operations | document size, Panther / FastAPI | "
        + " | ".join(LABELS[f] for f in frameworks if f != "upstream")
        + " | FastAPI ÷ Panther |",
        "|---:|---:|" + "---:|" * (len([f for f in frameworks if f != "upstream"]) + 1),
    ]
    for size in sizes:
        ours, theirs = cell("panther", size, "json_bytes", "{:,}"), cell("fastapi", size, "json_bytes", "{:,}")
        lines.append(
            f"| {size} | {ours} / {theirs} B | "
            + " | ".join(cell(f, size, "json_us", "{:.1f}") for f in frameworks if f != "upstream")
            + f" | {ratio(size, 'json_us', 'fastapi')} |"
        )
    lines += [
        "",
        "## Serving the Swagger UI page in-process (µs per request, lower is better)",
        "",
        "Panther's page embeds the document and is rendered once; FastAPI's is a small HTML shell that fetches "
        "`/openapi.json` (and its JavaScript from a CDN); upstream Panther regenerates the document and renders a "
        "template on every view.",
        "",
        "| operations | " + " | ".join(LABELS[f] for f in frameworks) + " | upstream ÷ Panther |",
        "|---:|" + "---:|" * (len(frameworks) + 1),
    ]
    for size in sizes:
        lines.append(
            f"| {size} | "
            + " | ".join(cell(f, size, "page_us", "{:,.1f}") for f in frameworks)
            + f" | {ratio(size, 'page_us', 'upstream')} |"
        )
    lines += [
        "",
        "## Building the app (ms, once at startup)",
        "",
        "Executing the generated module, after a one-endpoint app has warmed the process up (imports, plugins, "
        "pydantic's JSON Schema generator). Panther's includes building the document and the five pages, since the "
        "docs are mounted; FastAPI and upstream build no document here. The last columns build Panther's routes "
        "again, with and without the docs, alternately (median of 5 each): the difference is what serving the docs "
        "adds to startup.",
        "",
        "| operations | "
        + " | ".join(LABELS[f] for f in frameworks)
        + " | Panther rebuilt, docs mounted | Panther rebuilt, no docs |",
        "|---:|" + "---:|" * (len(frameworks) + 2),
    ]
    for size in sizes:
        lines.append(
            f"| {size} | "
            + " | ".join(cell(f, size, "app_build_ms", "{:.0f}") for f in frameworks)
            + f" | {cell('panther', size, 'rebuild_ms', '{:.0f}')}"
            + f" | {cell('panther', size, 'rebuild_no_docs_ms', '{:.0f}')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500], help="operations per API")
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each measurement")
    parser.add_argument("--only", default="panther,fastapi,upstream", help="frameworks, comma-separated")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "openapi.md")
    parser.add_argument("--smoke", action="store_true", help="this project only, 4 operations, from the source tree")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PANTHER_DISABLE_PLUGIN_AUTOLOAD"] = "0"
    if args.smoke:
        sources = os.pathsep.join(str(ROOT / p / "src") for p in PANTHER.local_packages)
        row = run_worker(Path(sys.executable), "panther", 4, 0.05, {**env, "PYTHONPATH": sources})
        print(json.dumps(row))
        return 0
    results = []
    for framework in args.only.split(","):
        try:
            python = prepare(FRAMEWORKS[framework], ROOT, ROOT / "bench" / ".venvs").python
        except EnvError as exc:
            print(f"{framework}: skipped: {exc}", file=sys.stderr)
            continue
        for size in args.sizes:
            print(f"{framework}: {size} operations ...", flush=True)
            results.append(run_worker(python, framework, size, args.seconds, env))
    raw = ROOT / "bench" / "results" / "raw" / f"openapi-{time.strftime('%Y%m%d-%H%M%S')}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, indent=1))  # gitignored: the numbers behind the report
    report = render(results, args.sizes, args.seconds)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
