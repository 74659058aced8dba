"""Query-layer overhead on MongoDB: ``Model.find_one`` / ``Model.insert_one`` against raw ``AsyncMongoClient`` calls.

Run from the repository root with a mongod listening (``scripts/services start``)::

    python bench/db_mongo/run.py                 # 40 rounds x 200 operations of each kind (about 1 minute)
    python bench/db_mongo/run.py --quick         # 5 rounds x 200
    python bench/db_mongo/run.py --url mongodb://127.0.0.1:27017 --rounds 21 --ops 1000 --json out.json

Both sides use the same ``AsyncMongoClient`` (the app's), the same collection and the same documents, and run
one operation at a time (latency) and then 64 at a time (throughput). Many short rounds alternate raw/model so
that drift and noise from other processes hit both sides alike; each figure is the median over rounds. The
target is a ratio (model time / raw time) of at most 1.2. See README.md for the numbers measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from panther import Panther
from panther.db import Model
from panther.db.context import DB

TARGET = 1.2
CONCURRENCY = 64


class BenchUser(Model):
    name: str
    age: int
    email: str
    tags: list[str]
    joined: datetime


def _document(i: int) -> dict[str, object]:
    return {
        "name": f"user{i}",
        "age": 20 + i % 50,
        "email": f"user{i}@example.com",
        "tags": ["a", "b", "c"],
        "joined": datetime(2024, 1, 1, tzinfo=UTC),
    }


async def _time(operation: Callable[[int], Awaitable[object]], ops: int, concurrency: int) -> float:
    """Seconds per operation for ``ops`` calls, ``concurrency`` in flight at a time."""
    start = time.perf_counter()
    if concurrency == 1:
        for i in range(ops):
            await operation(i)
    else:
        for base in range(0, ops, concurrency):
            await asyncio.gather(*(operation(i) for i in range(base, min(base + concurrency, ops))))
    return (time.perf_counter() - start) / ops


async def run(url: str, rounds: int, ops: int) -> dict[str, dict[str, float]]:
    database = f"panther_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as base_dir:
        engine = {"class": "mongodb", "host": url, "database": database}
        app = Panther(__name__, configs={"BASE_DIR": base_dir, "DATABASE": {"engine": engine}}, urls={})
        await app.startup()
        try:
            return await _measure(app, rounds, ops)
        finally:
            await app.stash[DB].client.drop_database(database)
            await app.shutdown()


async def _measure(app: Panther, rounds: int, ops: int) -> dict[str, dict[str, float]]:
    collection = app.stash[DB].session["BenchUser"]
    inserted = await collection.insert_many([_document(i) for i in range(ops)])
    object_ids = list(inserted.inserted_ids)
    string_ids = [str(object_id) for object_id in object_ids]

    async def raw_find_one(i: int) -> object:
        return await collection.find_one({"_id": object_ids[i]})

    async def model_find_one(i: int) -> object:
        return await BenchUser.find_one(id=string_ids[i])

    async def raw_insert_one(i: int) -> object:
        return (await collection.insert_one(_document(i))).inserted_id

    async def model_insert_one(i: int) -> object:
        return await BenchUser.insert_one(_document(i))

    cases = {
        "find_one": (raw_find_one, model_find_one),
        "insert_one": (raw_insert_one, model_insert_one),
    }
    # Warm up connections, pydantic's validators and the query layer's caches.
    for raw, model in cases.values():
        await _time(raw, min(ops, 200), 1)
        await _time(model, min(ops, 200), 1)

    results: dict[str, dict[str, float]] = {}
    for name, (raw, model) in cases.items():
        for concurrency in (1, CONCURRENCY):
            raw_times, model_times = [], []
            for round_number in range(rounds):
                pair = [(raw, raw_times), (model, model_times)]
                if round_number % 2:
                    pair.reverse()
                for operation, times in pair:
                    times.append(await _time(operation, ops, concurrency))
            raw_us = statistics.median(raw_times) * 1e6
            model_us = statistics.median(model_times) * 1e6
            results[f"{name} (concurrency {concurrency})"] = {
                "raw_us": round(raw_us, 1),
                "model_us": round(model_us, 1),
                "ratio": round(model_us / raw_us, 3),
            }
    results["layer CPU only"] = await _layer_cpu(app, await collection.find_one({"_id": object_ids[0]}), ops)
    return results


async def _layer_cpu(app: Panther, stored: dict[str, object], ops: int) -> dict[str, float]:
    """The query layer's own work per operation, without the driver or the network (microseconds)."""
    from panther.db.documents import load_one, to_document
    from panther.db.layout import layout_of

    connection = app.stash[DB]
    layout = layout_of(BenchUser)
    string_id = str(stored["_id"])
    repeats = ops * 10

    start = time.perf_counter()
    for _ in range(repeats):
        BenchUser._query(connection, None, {"id": string_id})
        await load_one(BenchUser, dict(stored), connection)
    find_us = (time.perf_counter() - start) / repeats * 1e6

    document = _document(0)
    start = time.perf_counter()
    for _ in range(repeats):
        (model,) = await BenchUser._validate_new(connection, layout, [dict(document)])
        await to_document(model, layout, connection)
    insert_us = (time.perf_counter() - start) / repeats * 1e6
    return {"find_one_us": round(find_us, 1), "insert_one_us": round(insert_us, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PANTHER_TEST_MONGODB_URL", "mongodb://127.0.0.1:27017"))
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--ops", type=int, default=200, help="operations per round and kind")
    parser.add_argument("--quick", action="store_true", help="5 rounds of 200 operations")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    rounds, ops = (5, 200) if args.quick else (args.rounds, args.ops)

    results = asyncio.run(run(args.url, rounds, ops))
    print(f"MongoDB query-layer overhead ({rounds} rounds x {ops} ops, median per operation)")
    print(f"{'operation':<32}{'raw µs':>10}{'model µs':>10}{'ratio':>8}")
    layer = results.pop("layer CPU only")
    for name, row in results.items():
        mark = "" if row["ratio"] <= TARGET else f"  > {TARGET}"
        print(f"{name:<32}{row['raw_us']:>10.1f}{row['model_us']:>10.1f}{row['ratio']:>8.3f}{mark}")
    find_us, insert_us = layer["find_one_us"], layer["insert_one_us"]
    print(f"query layer alone (no I/O): find_one {find_us:.1f} µs, insert_one {insert_us:.1f} µs")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            summary = {
                "rounds": rounds,
                "ops": ops,
                "python": sys.version.split()[0],
                "results": results,
                "layer": layer,
            }
            json.dump(summary, file, indent=2)
    return 0 if all(row["ratio"] <= TARGET for row in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
