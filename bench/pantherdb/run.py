"""PantherDB engine vs. upstream ``pantherdb`` 2.3.3: µs per ``insert_one`` and ``find_one``. See README.md.

    python bench/pantherdb/run.py                  # 2 000 and 10 000 documents, prints a Markdown table
    python bench/pantherdb/run.py --sizes 500 --ops 200 --rounds 1
    python bench/pantherdb/run.py --smoke          # tiny run of the new engine only (no venv): proves it runs

Upstream runs in its own venv, ``bench/.venvs/pantherdb-2.3.3`` (created on first use, gitignored); the new engine
runs in this interpreter, from the source tree. Both open the same pre-built file (upstream's layout), so neither
pays for building it; each measures sequential operations, the way one request handler would issue them. Each cell
is the best of ``--rounds`` runs on a fresh copy of the file: the least disturbed by whatever else the machine does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "bench" / ".venvs" / "pantherdb-2.3.3"
UPSTREAM = "pantherdb==2.3.3"
for source in ("packages/panther-core/src", "packages/panther-db/src"):
    if str(ROOT / source) not in sys.path:
        sys.path.insert(0, str(ROOT / source))

import orjson  # noqa: E402 - after the source tree is on the path, like the engine below

from panther.db.pantherdb import PantherDB  # noqa: E402
from panther.db.pantherdb.engine import Worker  # noqa: E402
from panther.db.pantherdb.query import compile_filter, prepare_document  # noqa: E402
from panther.db.pantherdb.storage import Codec  # noqa: E402
from panther.db.pantherdb.store import Store  # noqa: E402

# Runs inside upstream's venv: the JSON job on stdin, the answer as JSON on stdout.
UPSTREAM_SCRIPT = r"""
import json, random, sys, time
from pantherdb import PantherDB

job = json.loads(sys.stdin.read())
random.seed(job["seed"])
users = PantherDB(job["path"], return_dict=True).collection("users")
ids, n, ops = job["ids"], job["n"], job["ops"]

def timed(call):
    for i in range(min(5, ops)):
        call(i)
    start = time.perf_counter_ns()
    for i in range(ops):
        call(i)
    return (time.perf_counter_ns() - start) / ops / 1000

print(json.dumps({
    "insert_one": timed(lambda i: users.insert_one(name=f"new{i}", age=i % 90, email=f"new{i}@example.com")),
    "find_one by _id": timed(lambda i: users.find_one(_id=random.choice(ids))),
    "find_one by field": timed(lambda i: users.find_one(email=f"u{random.randrange(n)}@example.com")),
}))
"""


def make_dataset(path: Path, n: int) -> list[str]:
    """Write ``n`` users in upstream's layout; return their ids."""
    docs = [
        {"name": f"user{i}", "age": i % 90, "email": f"u{i}@example.com", "_id": os.urandom(12).hex()} for i in range(n)
    ]
    path.write_bytes(orjson.dumps({"users": docs}))
    return [doc["_id"] for doc in docs]


def ensure_upstream_venv() -> Path:
    python = VENV / "bin" / "python"
    check = [str(python), "-c", "import pantherdb; assert pantherdb.__version__ == '2.3.3'"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {VENV.relative_to(ROOT)} with {UPSTREAM} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, UPSTREAM], check=True)
    return python


def run_upstream(python: Path, path: Path, ids: list[str], n: int, ops: int) -> dict[str, float]:
    job = json.dumps({"path": str(path), "ids": ids, "n": n, "ops": ops, "seed": 1})
    out = subprocess.run([str(python), "-c", UPSTREAM_SCRIPT], input=job, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


async def run_engine(path: Path, ids: list[str], n: int, ops: int) -> dict[str, float]:
    random.seed(1)
    db = PantherDB(path)
    await db.count("users")  # opens and parses the file once

    async def timed(call: Any) -> float:
        for i in range(min(5, ops)):
            await call(i)
        start = time.perf_counter_ns()
        for i in range(ops):
            await call(i)
        return (time.perf_counter_ns() - start) / ops / 1000

    results = {
        "insert_one": await timed(
            lambda i: db.insert_one("users", {"name": f"new{i}", "age": i % 90, "email": f"new{i}@example.com"}),
        ),
        "find_one by _id": await timed(lambda i: db.find_one("users", {"_id": random.choice(ids)})),
        "find_one by field": await timed(
            lambda i: db.find_one("users", {"email": f"u{random.randrange(n)}@example.com"}),
        ),
    }
    await db.close()
    return results


def run_store(path: Path, ids: list[str], n: int, ops: int) -> dict[str, float]:
    """The same operations on the engine's synchronous core, in this thread: the work without the hop."""
    random.seed(1)
    store = Store(str(path), Codec(None))
    store.run(False, store.count, "users", compile_filter(None))

    def timed(call: Any) -> float:
        for i in range(min(5, ops)):
            call(i)
        start = time.perf_counter_ns()
        for i in range(ops):
            call(i)
            store.maintain()  # what the worker does between operations
        return (time.perf_counter_ns() - start) / ops / 1000

    def insert(i: int) -> None:
        doc = prepare_document({"name": f"new{i}", "age": i % 90, "email": f"new{i}@example.com"})
        store.run(True, store.insert, "users", [doc])

    def by_id(i: int) -> None:
        store.run(False, store.find_one, "users", compile_filter({"_id": random.choice(ids)}), False)

    def by_field(i: int) -> None:
        query = compile_filter({"email": f"u{random.randrange(n)}@example.com"})
        store.run(False, store.find_one, "users", query, False)

    results = {"insert_one": timed(insert), "find_one by _id": timed(by_id), "find_one by field": timed(by_field)}
    store.close()
    return results


async def hop_cost(ops: int) -> float:
    """µs for a round trip loop -> worker thread -> loop with no work: the floor of every operation."""
    worker = Worker("bench", lambda: None, lambda: None)
    for _ in range(100):
        await worker.submit(int)
    start = time.perf_counter_ns()
    for _ in range(ops):
        await worker.submit(int)
    worker.stop()
    return (time.perf_counter_ns() - start) / ops / 1000


def fsync_cost(folder: Path, ops: int = 300) -> float:
    """µs for appending one small record and fsyncing it, on the filesystem the databases live on."""
    fd = os.open(folder / "fsync.probe", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        start = time.perf_counter_ns()
        for _ in range(ops):
            os.write(fd, b'{"op":"insert","c":"users","docs":[{"_id":"0123456789abcdef01234567","age":1}]}\n')
            os.fsync(fd)
        return (time.perf_counter_ns() - start) / ops / 1000
    finally:
        os.close(fd)


def best(into: dict[str, float], results: dict[str, float]) -> None:
    for operation, micros in results.items():
        into[operation] = min(micros, into.get(operation, micros))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000], help="documents in the collection")
    parser.add_argument("--ops", type=int, default=2000, help="timed operations per cell, new engine")
    parser.add_argument("--upstream-ops", type=int, default=100, help="timed operations per cell, upstream (slow)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per cell; the best one is reported")
    parser.add_argument("--smoke", action="store_true", help="200 documents, new engine only")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.ops, args.rounds = [200], 50, 1

    python = None if args.smoke else ensure_upstream_venv()
    # On the project's disk (gitignored), not a tmpfs /tmp that would make the fsync figure meaningless.
    VENV.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="pantherdb-bench-", dir=VENV.parent))
    rows = []
    try:
        for n in args.sizes:
            source = folder / f"source-{n}.json"
            ids = make_dataset(source, n)
            ours: dict[str, float] = {}
            work: dict[str, float] = {}
            theirs: dict[str, float] = {}
            for round_ in range(args.rounds):
                paths = [folder / f"{kind}-{n}-{round_}.json" for kind in ("new", "work", "upstream")]
                for path in paths:
                    shutil.copy(source, path)
                best(ours, asyncio.run(run_engine(paths[0], ids, n, args.ops)))
                best(work, run_store(paths[1], ids, n, args.ops))
                if python:
                    best(theirs, run_upstream(python, paths[2], ids, n, args.upstream_ops))
            for operation, micros in ours.items():
                rows.append((n, operation, theirs.get(operation), micros, work[operation]))
        hop = min(asyncio.run(hop_cost(args.ops)) for _ in range(args.rounds))
        fsync = min(fsync_cost(folder) for _ in range(args.rounds))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"{time.strftime('%Y-%m-%d')} - {machine()}\n")
    print("| documents | operation | pantherdb 2.3.3 (µs/op) | new engine (µs/op) | speed-up | of which work (µs/op) |")
    print("| ---: | :--- | ---: | ---: | ---: | ---: |")
    for n, operation, theirs_micros, ours_micros, work_micros in rows:
        upstream = f"{theirs_micros:,.0f}" if theirs_micros else "-"
        ratio = f"{theirs_micros / ours_micros:,.0f}x" if theirs_micros else "-"
        print(f"| {n:,} | {operation} | {upstream} | {ours_micros:,.0f} | {ratio} | {work_micros:,.0f} |")
    print(f"\nround trip to the worker thread with no work: {hop:,.0f} µs; append + fsync: {fsync:,.0f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
