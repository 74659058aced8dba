"""Tests of the PantherDB engine: the API, filters and updates, processes sharing a file, crashes, formats, keys."""

from __future__ import annotations

import asyncio
import datetime
import multiprocessing
import os
import re
import runpy
import signal
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from cryptography.fernet import Fernet

from panther.db.pantherdb import PantherDB
from panther.db.pantherdb import store as store_module
from panther.exceptions import DatabaseError

PEOPLE = [
    {"name": "ali", "age": 30, "city": "tehran", "tags": ["admin", "dev"], "address": {"zip": "111", "no": 3}},
    {"name": "sara", "age": 25, "city": "shiraz", "tags": ["dev"], "address": {"zip": "222", "no": 5}},
    {"name": "reza", "age": 41, "city": "tehran", "tags": [], "nick": None},
    {"name": "mina", "age": 25, "city": "tabriz"},
]


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[PantherDB]:
    database = PantherDB(tmp_path / "test.json")
    yield database
    await database.close()


@pytest_asyncio.fixture
async def people(db: PantherDB) -> PantherDB:
    await db.insert_many("people", PEOPLE)
    return db


def names(docs: list[dict[str, Any]]) -> list[str]:
    return [doc["name"] for doc in docs]


# Small blocking file helpers: the tests look at the files between awaits, where blocking for a moment is harmless.


def read_bytes(path: str | Path) -> bytes:
    return Path(path).read_bytes()


def write_bytes(path: str | Path, data: bytes, *, append: bool = False) -> None:
    with open(path, "ab" if append else "wb") as file:
        file.write(data)


def size(path: str | Path) -> int:
    return Path(path).stat().st_size


# --- the API ----------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_insert_one_returns_the_stored_document(db: PantherDB) -> None:
    doc = await db.insert_one("people", {"name": "ali", "age": 30})
    assert re.fullmatch(r"[0-9a-f]{24}", doc["_id"])
    assert doc == {"_id": doc["_id"], "name": "ali", "age": 30}
    assert await db.find_one("people", {"_id": doc["_id"]}) == doc


@pytest.mark.asyncio
async def test_insert_keeps_a_given_id_and_rejects_duplicates(db: PantherDB) -> None:
    await db.insert_one("people", {"_id": "abc", "name": "ali"})
    with pytest.raises(DatabaseError, match="duplicate _id 'abc'"):
        await db.insert_one("people", {"_id": "abc", "name": "sara"})
    with pytest.raises(DatabaseError, match="_id must be a string"):
        await db.insert_one("people", {"_id": 5})
    assert await db.count("people") == 1


@pytest.mark.asyncio
async def test_insert_many_is_all_or_nothing(db: PantherDB) -> None:
    with pytest.raises(DatabaseError, match="not JSON-serialisable"):
        await db.insert_many("people", [{"name": "ali"}, {"name": object()}])
    with pytest.raises(DatabaseError, match="duplicate _id"):
        await db.insert_many("people", [{"_id": "x", "name": "ali"}, {"_id": "x", "name": "sara"}])
    assert await db.count("people") == 0
    docs = await db.insert_many("people", PEOPLE)
    assert names(docs) == names(PEOPLE)
    assert await db.insert_many("people", []) == []


@pytest.mark.asyncio
async def test_find_in_insertion_order_with_sort_skip_and_limit(people: PantherDB) -> None:
    assert names(await people.find("people")) == ["ali", "sara", "reza", "mina"]
    assert names(await people.find("people", {"city": "tehran"})) == ["ali", "reza"]
    assert names(await people.find("people", sort=[("age", 1)])) == ["sara", "mina", "ali", "reza"]
    assert names(await people.find("people", sort=[("age", -1), ("name", 1)])) == ["reza", "ali", "mina", "sara"]
    assert names(await people.find("people", sort=[("age", 1)], skip=1, limit=2)) == ["mina", "ali"]
    assert names(await people.find("people", skip=3)) == ["mina"]
    assert names(await people.find("people", limit=0)) == names(PEOPLE)  # 0 means no limit, as in MongoDB
    assert await people.find("nothing") == []
    with pytest.raises(DatabaseError, match="direction"):
        await people.find("people", sort=[("age", 2)])
    with pytest.raises(DatabaseError, match="negative"):
        await people.find("people", skip=-1)


@pytest.mark.asyncio
async def test_first_and_last_follow_insertion_order(people: PantherDB) -> None:
    assert (await people.first("people"))["name"] == "ali"
    assert (await people.last("people"))["name"] == "mina"
    assert (await people.first("people", {"age": 25}))["name"] == "sara"
    assert (await people.last("people", {"age": 25}))["name"] == "mina"
    assert (await people.find_one("people", {"age": 25}))["name"] == "sara"
    await people.update_one("people", {"name": "ali"}, {"age": 25})  # an update keeps the position
    assert (await people.first("people", {"age": 25}))["name"] == "ali"
    assert (await people.last("people", {"age": 25}))["name"] == "mina"
    assert await people.last("people", {"age": 99}) is None
    assert await people.first("nothing") is None


@pytest.mark.asyncio
async def test_count(people: PantherDB) -> None:
    assert await people.count("people") == 4
    assert await people.count("people", {"age": 25}) == 2
    assert await people.count("nothing") == 0


@pytest.mark.asyncio
async def test_update_operators(people: PantherDB) -> None:
    assert await people.update_one("people", {"name": "ali"}, {"age": 31, "address.zip": "999"}) == 1
    ali = await people.find_one("people", {"name": "ali"})
    assert ali["age"] == 31
    assert ali["address"] == {"zip": "999", "no": 3}

    await people.update_one("people", {"name": "ali"}, {"$inc": {"age": 2, "visits": 1}, "$unset": {"city": ""}})
    await people.update_one("people", {"name": "ali"}, {"$push": {"tags": "ops"}})
    await people.update_one("people", {"name": "ali"}, {"$push": {"tags": {"$each": ["a", "b"]}, "new": 1}})
    await people.update_one("people", {"name": "ali"}, {"$set": {"deep.er.field": True}, "$unset": {"address.no": 1}})
    ali = await people.find_one("people", {"name": "ali"})
    assert ali["age"] == 33
    assert ali["visits"] == 1
    assert "city" not in ali
    assert ali["tags"] == ["admin", "dev", "ops", "a", "b"]
    assert ali["new"] == [1]
    assert ali["deep"] == {"er": {"field": True}}
    assert ali["address"] == {"zip": "999"}

    assert await people.update_many("people", {"age": 25}, {"$set": {"young": True}}) == 2
    assert names(await people.find("people", {"young": True})) == ["sara", "mina"]
    assert await people.update_many("people", {"age": 99}, {"x": 1}) == 0
    assert await people.update_one("nothing", {}, {"x": 1}) == 0
    # Matched, but unchanged: still counted, as MongoDB's matched_count.
    assert await people.update_one("people", {"name": "sara"}, {"age": 25}) == 1


@pytest.mark.asyncio
async def test_update_errors_write_nothing(people: PantherDB) -> None:
    with pytest.raises(DatabaseError, match=r"unknown update operator '\$rename'"):
        await people.update_one("people", {"name": "ali"}, {"$rename": {"a": "b"}})
    with pytest.raises(DatabaseError, match="mix"):
        await people.update_one("people", {"name": "ali"}, {"$set": {"a": 1}, "b": 2})
    with pytest.raises(DatabaseError, match="_id cannot be updated"):
        await people.update_one("people", {"name": "ali"}, {"_id": "other"})
    with pytest.raises(DatabaseError, match=r"cannot \$inc 'name'"):
        await people.update_many("people", {}, {"$inc": {"name": 1}})
    with pytest.raises(DatabaseError, match=r"cannot \$push to 'city'"):
        await people.update_many("people", {}, {"$push": {"city": "x"}})
    with pytest.raises(DatabaseError, match="is not an object"):
        await people.update_many("people", {}, {"$set": {"name.first": "x"}})
    # The third document (reza's nick is null) fails after two were changed: none of it is kept.
    with pytest.raises(DatabaseError, match=r"cannot \$inc 'nick'"):
        await people.update_many("people", {}, {"$inc": {"nick": 1}})
    assert await people.count("people", {"nick": {"$exists": True}}) == 1
    assert names(await people.find("people")) == names(PEOPLE)
    ali = await people.find_one("people", {"name": "ali"})
    assert await people.update_one("people", {"name": "ali"}, {**ali, "age": 1}) == 1  # the same _id is allowed


@pytest.mark.asyncio
async def test_delete(people: PantherDB) -> None:
    assert await people.delete_one("people", {"age": 25}) == 1
    assert names(await people.find("people")) == ["ali", "reza", "mina"]
    assert await people.delete_many("people", {"city": "tehran"}) == 2
    assert names(await people.find("people")) == ["mina"]
    assert await people.delete_one("people", {"age": 99}) == 0
    assert await people.delete_many("people", {}) == 1
    assert await people.count("people") == 0
    assert await people.collection_names() == ["people"]  # an emptied collection remains, as upstream's did


@pytest.mark.asyncio
async def test_find_one_or_insert(db: PantherDB) -> None:
    doc, created = await db.find_one_or_insert("people", {"name": "ali"}, {"name": "ali", "age": 1})
    assert created
    again, created = await db.find_one_or_insert("people", {"name": "ali"}, {"name": "ali", "age": 2})
    assert not created
    assert again == doc
    results = await asyncio.gather(
        *(db.find_one_or_insert("people", {"name": "sara"}, {"name": "sara"}) for _ in range(20)),
    )
    assert sum(created for _, created in results) == 1
    assert await db.count("people") == 2


@pytest.mark.asyncio
async def test_drop_and_collection_names(people: PantherDB) -> None:
    await people.insert_one("posts", {"title": "hi"})
    assert await people.collection_names() == ["people", "posts"]
    await people.drop("people")
    await people.drop("never-existed")
    assert await people.collection_names() == ["posts"]
    assert await people.find("people") == []


@pytest.mark.asyncio
async def test_documents_handed_out_are_copies(people: PantherDB) -> None:
    ali = await people.find_one("people", {"name": "ali"})
    ali["tags"].append("hacked")
    ali["address"]["zip"] = "000"
    source = {"name": "new", "tags": ["a"]}
    inserted = await people.insert_one("people", source)
    source["tags"].append("b")
    inserted["tags"].append("c")
    assert (await people.find_one("people", {"name": "ali"}))["tags"] == ["admin", "dev"]
    assert (await people.find_one("people", {"name": "ali"}))["address"]["zip"] == "111"
    assert (await people.find_one("people", {"name": "new"}))["tags"] == ["a"]


@pytest.mark.asyncio
async def test_datetimes_are_stored_as_iso_strings(db: PantherDB) -> None:
    moment = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
    doc = await db.insert_one("events", {"at": moment, "pair": (1, 2)})
    assert doc["at"] == "2024-05-01T12:30:00+00:00"
    assert doc["pair"] == [1, 2]
    assert await db.count("events", {"at": moment}) == 1  # filters are normalised the same way
    assert await db.count("events", {"at": {"$gte": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)}}) == 1


# --- filters ----------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({}, ["ali", "sara", "reza", "mina"]),
        ({"city": "tehran", "age": 41}, ["reza"]),
        ({"address.zip": "222"}, ["sara"]),
        ({"address": {"zip": "111", "no": 3}}, ["ali"]),
        ({"tags": "dev"}, ["ali", "sara"]),  # equality matches array elements
        ({"tags": ["dev"]}, ["sara"]),
        ({"tags.0": "admin"}, ["ali"]),
        ({"nick": None}, ["ali", "sara", "reza", "mina"]),  # None matches null and missing
        ({"age": {"$eq": 25}}, ["sara", "mina"]),
        ({"age": {"$ne": 25}}, ["ali", "reza"]),
        ({"age": {"$in": [30, 41]}}, ["ali", "reza"]),
        ({"age": {"$nin": [30, 41]}}, ["sara", "mina"]),
        ({"tags": {"$in": ["admin", "x"]}}, ["ali"]),
        ({"age": {"$gt": 30}}, ["reza"]),
        ({"age": {"$gte": 30}}, ["ali", "reza"]),
        ({"age": {"$lt": 30}}, ["sara", "mina"]),
        ({"age": {"$lte": 30, "$gt": 25}}, ["ali"]),
        ({"age": {"$gt": "a"}}, []),  # different kinds never compare
        ({"address.no": {"$gt": 4}}, ["sara"]),
        ({"nick": {"$exists": True}}, ["reza"]),
        ({"address": {"$exists": False}}, ["reza", "mina"]),
        ({"name": {"$regex": "^[rm]"}}, ["reza", "mina"]),
        ({"name": {"$regex": "^A", "$options": "i"}}, ["ali"]),
        ({"tags": {"$regex": "^ad"}}, ["ali"]),
        ({"$or": [{"age": 41}, {"city": "tabriz"}]}, ["reza", "mina"]),
        ({"$and": [{"city": "tehran"}, {"age": {"$lt": 40}}]}, ["ali"]),
        ({"_id": "nope"}, []),
    ],
)
async def test_filters(people: PantherDB, flt: dict[str, Any], expected: list[str]) -> None:
    assert names(await people.find("people", flt)) == expected
    assert await people.count("people", flt) == len(expected)


@pytest.mark.asyncio
async def test_filter_by_id_and_id_in(people: PantherDB) -> None:
    docs = await people.find("people")
    ids = [doc["_id"] for doc in docs]
    assert await people.find_one("people", {"_id": ids[2]}) == docs[2]
    assert names(await people.find("people", {"_id": {"$in": [ids[3], ids[0], "nope", ids[0]]}})) == ["ali", "mina"]
    assert await people.find_one("people", {"_id": ids[2], "name": "ali"}) is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("flt", "message"),
    [
        ({"age": {"$near": 1}}, r"unknown filter operator '\$near'"),
        ({"$nor": [{"a": 1}]}, r"unknown filter operator '\$nor'"),
        ({"age": {"$gt": 1, "plain": 2}}, "unknown filter operator 'plain'"),
        ({"age": {"$in": 5}}, r"\$in needs a list"),
        ({"name": {"$regex": "("}}, "invalid"),
        ({"name": {"$regex": "a", "$options": "q"}}, "unknown"),
        ({"$or": []}, "non-empty list"),
    ],
)
async def test_bad_filters_raise(people: PantherDB, flt: dict[str, Any], message: str) -> None:
    with pytest.raises(DatabaseError, match=message):
        await people.find("people", flt)


@pytest.mark.asyncio
async def test_field_index_stays_correct_through_writes(db: PantherDB) -> None:
    await db.insert_many("items", [{"n": i, "kind": "odd" if i % 2 else "even"} for i in range(10)])
    assert [d["n"] for d in await db.find("items", {"kind": "odd"})] == [1, 3, 5, 7, 9]  # builds the index
    await db.update_one("items", {"n": 0}, {"kind": "odd"})  # joins the bucket out of insertion order
    await db.update_one("items", {"n": 3}, {"kind": ["odd", "prime"]})
    await db.update_one("items", {"n": 5}, {"$unset": {"kind": 1}})
    await db.delete_one("items", {"n": 7})
    await db.insert_one("items", {"n": 10, "kind": "odd"})
    assert [d["n"] for d in await db.find("items", {"kind": "odd"})] == [0, 1, 3, 9, 10]
    assert (await db.first("items", {"kind": "odd"}))["n"] == 0
    assert (await db.last("items", {"kind": "odd"}))["n"] == 10
    assert [d["n"] for d in await db.find("items", {"kind": None})] == [5]
    assert [d["n"] for d in await db.find("items", {"kind": "prime"})] == [3]


# --- concurrency ------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_concurrent_inserts_lose_nothing(db: PantherDB) -> None:
    docs = await asyncio.gather(*(db.insert_one("docs", {"i": i}) for i in range(100)))
    assert len({doc["_id"] for doc in docs}) == 100
    assert sorted(doc["i"] for doc in await db.find("docs")) == list(range(100))


@pytest.mark.asyncio
async def test_file_work_runs_off_the_event_loop(db: PantherDB, monkeypatch: pytest.MonkeyPatch) -> None:
    threads = []
    count = db._store.count

    def spy(*args: Any) -> int:
        threads.append(threading.current_thread())
        return count(*args)

    monkeypatch.setattr(db._store, "count", spy)
    await db.count("docs")
    assert threads
    assert threads[0] is not threading.current_thread()
    assert threads[0].name.startswith("pantherdb")


@pytest.mark.asyncio
async def test_instances_on_one_file_see_each_other(tmp_path: Path) -> None:
    one, two = PantherDB(tmp_path / "db.json"), PantherDB(tmp_path / "db.json")
    await one.insert_one("docs", {"by": "one"})
    assert await two.count("docs") == 1
    await two.insert_one("docs", {"by": "two"})
    await two.update_one("docs", {"by": "one"}, {"seen": True})
    assert await one.count("docs", {"seen": True}) == 1
    await one.compact()
    await two.insert_one("docs", {"by": "two"})
    assert await one.count("docs") == 3
    await two.drop("docs")
    assert await one.collection_names() == []
    await one.close()
    await two.close()


@pytest.mark.asyncio
async def test_reads_of_an_unchanged_file_do_not_reparse_it(tmp_path: Path) -> None:
    writer, reader = PantherDB(tmp_path / "db.json"), PantherDB(tmp_path / "db.json")
    await writer.insert_many("docs", [{"i": i} for i in range(5)])
    await writer.compact()
    await writer.insert_one("docs", {"i": 5})
    assert await reader.count("docs") == 6
    loads, records = reader._store.snapshot_loads, reader._store.log_records_read
    for i in range(20):
        await reader.find_one("docs", {"i": i % 6})
        await reader.find("docs")
    assert (reader._store.snapshot_loads, reader._store.log_records_read) == (loads, records)

    await writer.insert_one("docs", {"i": 6})
    assert await reader.count("docs") == 7
    assert reader._store.snapshot_loads == loads  # only the new record was read
    assert reader._store.log_records_read == records + 1
    await writer.close()
    await reader.close()


@pytest.mark.asyncio
async def test_compaction_happens_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "COMPACT_MIN_BYTES", 2048)
    path = tmp_path / "db.json"
    db = PantherDB(path)
    for i in range(200):
        await db.insert_one("docs", {"i": i, "padding": "x" * 40})
    await db.count("docs")  # the worker compacts between operations
    assert size(f"{path}.log") <= size(path)
    assert await PantherDB(path).count("docs") == 200
    await db.close()


@pytest.mark.asyncio
async def test_close_leaves_upstream_layout_and_the_instance_reopens(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    db = PantherDB(path)
    doc = await db.insert_one("docs", {"i": 1})
    await db.close()
    assert orjson.loads(read_bytes(path)) == {"docs": [doc]}
    assert await db.find("docs") == [doc]
    await db.close()
    await db.close()


# --- processes --------------------------------------------------------------------------------------------------------


def _spawn(task: str, **kwargs: Any) -> multiprocessing.process.BaseProcess:
    # The child runs this file as a script (see the bottom): it needs no importable test module.
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=runpy.run_path,
        args=(__file__,),
        kwargs={"run_name": "__pantherdb_child__", "init_globals": {"CHILD": {"task": task, **kwargs}}},
        daemon=True,
    )
    process.start()
    return process


async def _child_writer(path: str, tag: str, other: str, count: int, barrier: Any, results: Any) -> None:
    db = PantherDB(path)
    barrier.wait()
    for i in range(count):
        await db.insert_one("docs", {"tag": tag, "i": i})
        if i % 50 == 0:
            await db.count("docs", {"tag": other})
    barrier.wait()  # both are done
    results.put((tag, await db.count("docs", {"tag": other}), await db.count("docs")))
    await db.close()


def _wait_for_acks(acked: Any, target: int, process: multiprocessing.process.BaseProcess) -> None:
    deadline = time.monotonic() + 120  # a guard against a stuck child, not a timing assertion
    while acked.value < target and process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)


async def _child_insert_forever(path: str, round: int, acked: Any) -> None:
    store_module.COMPACT_MIN_BYTES = 4096  # compact often, so that kills land inside compactions too
    db = PantherDB(path)
    i = 0
    while True:
        await db.insert_one("docs", {"round": round, "i": i, "padding": "x" * 30})
        acked.value = i + 1
        i += 1


@pytest.mark.slow
@pytest.mark.asyncio
async def test_two_processes_share_a_file(tmp_path: Path) -> None:
    path, count = str(tmp_path / "db.json"), 300
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [
        _spawn("writer", path=path, tag=tag, other=other, count=count, barrier=barrier, results=results)
        for tag, other in (("a", "b"), ("b", "a"))
    ]
    seen = [await asyncio.to_thread(results.get, timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    assert sorted(seen) == [("a", count, 2 * count), ("b", count, 2 * count)]
    db = PantherDB(path)
    docs = await db.find("docs")
    assert len(docs) == 2 * count
    for tag in "ab":
        assert sorted(doc["i"] for doc in docs if doc["tag"] == tag) == list(range(count))
    await db.close()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_killed_writer_loses_no_acknowledged_write(tmp_path: Path) -> None:
    path = str(tmp_path / "db.json")
    context = multiprocessing.get_context("spawn")
    acknowledged = []
    for round_ in range(3):
        acked = context.Value("i", 0)
        process = _spawn("insert_forever", path=path, round=round_, acked=acked)
        target = 150 + 70 * round_  # a different moment in the compaction cycle each round
        await asyncio.to_thread(_wait_for_acks, acked, target, process)
        assert process.is_alive(), "the writer died on its own"
        os.kill(process.pid, signal.SIGKILL)
        process.join(30)
        acknowledged.append(acked.value)

        db = PantherDB(path)
        docs = await db.find("docs")
        for done_round, done in enumerate(acknowledged):
            written = {doc["i"] for doc in docs if doc["round"] == done_round}
            assert set(range(done)) <= written
        assert len({doc["_id"] for doc in docs}) == len(docs)
        await db.close()  # compacts: the file must stay whole across the next round too
        assert orjson.loads(read_bytes(path))["docs"]


# --- files: torn writes, crashed compactions, upstream's layout, encryption -------------------------------------------


@pytest.mark.asyncio
async def test_a_torn_last_record_is_ignored_then_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    db = PantherDB(path)
    await db.insert_one("docs", {"i": 1})
    await db.close()
    db = PantherDB(path)
    await db.insert_one("docs", {"i": 2})
    log = f"{path}.log"
    write_bytes(log, b'{"op":"insert","c":"docs","docs":[{"_id":"torn","i"', append=True)
    reader = PantherDB(path)
    assert [doc["i"] for doc in await reader.find("docs")] == [1, 2]
    await reader.insert_one("docs", {"i": 3})
    assert [doc["i"] for doc in await PantherDB(path).find("docs")] == [1, 2, 3]
    assert b"torn" not in read_bytes(log)
    await reader.close()
    await db.close()


@pytest.mark.asyncio
async def test_a_damaged_record_before_the_last_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    db = PantherDB(path)
    await db.insert_one("docs", {"i": 1})
    await db.close()
    log = f"{path}.log"
    record = b'{"op":"insert","c":"docs","docs":[{"_id":"abc","i":2}]}\n'
    write_bytes(log, b"garbage\n" + record, append=True)  # a damaged last record would be a torn one
    reader = PantherDB(path)
    for _ in range(2):  # and no half-read state is used afterwards
        with pytest.raises(DatabaseError, match="is corrupt at byte"):
            await reader.count("docs")


@pytest.mark.asyncio
async def test_a_compaction_that_crashed_before_replacing_the_log(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    log = f"{path}.log"
    db = PantherDB(path)
    await db.insert_one("docs", {"_id": "x", "n": 0})
    for _ in range(5):
        await db.update_one("docs", {"_id": "x"}, {"$inc": {"n": 1}})
    old_log = read_bytes(log)
    await db.compact()
    write_bytes(log, old_log)  # as if the process died between the snapshot's rename and the log's
    fresh = PantherDB(path)
    assert await fresh.find("docs") == [{"_id": "x", "n": 5}]
    # Not replayed on top of the snapshot (records hold whole documents, so a replay would be harmless too).
    assert fresh._store.log_records_read == 0
    await fresh.update_one("docs", {"_id": "x"}, {"$inc": {"n": 1}})
    assert await PantherDB(path).find("docs") == [{"_id": "x", "n": 6}]
    await fresh.close()


UPSTREAM = {
    "users": [
        {"username": "ali", "age": 30, "_id": "01HV3G6Y0ZQ8X6N5M4K3J2H1G0"},
        {"username": "sara", "age": 25, "_id": "01HV3G6Y10AB2CD3EF4GH5JK6M"},
    ],
    "posts": [],
}


@pytest.mark.asyncio
@pytest.mark.parametrize("encrypted", [False, True])
async def test_an_upstream_file_opens(tmp_path: Path, encrypted: bool) -> None:
    # The layout pantherdb 2.3.3 writes: {collection: [documents]}, `_id` a ULID string, the whole JSON one Fernet
    # token when a secret key is set.
    key = Fernet.generate_key() if encrypted else None
    data = orjson.dumps(UPSTREAM)
    path = tmp_path / ("db.pdb" if encrypted else "db.json")
    write_bytes(path, Fernet(key).encrypt(data) if key else data)
    db = PantherDB(path, secret_key=key)
    assert await db.collection_names() == ["users", "posts"]
    assert await db.find_one("users", {"_id": "01HV3G6Y10AB2CD3EF4GH5JK6M"}) == UPSTREAM["users"][1]
    assert names_of(await db.find("users", {"age": {"$gt": 26}})) == ["ali"]
    await db.insert_one("posts", {"title": "hi"})
    await db.close()
    content = read_bytes(path)
    reread = orjson.loads(Fernet(key).decrypt(content) if key else content)
    assert reread["users"] == UPSTREAM["users"]
    assert [post["title"] for post in reread["posts"]] == ["hi"]


def names_of(docs: list[dict[str, Any]]) -> list[str]:
    return [doc["username"] for doc in docs]


@pytest.mark.asyncio
async def test_an_empty_upstream_file_opens(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    path.touch()  # pantherdb creates the file before its first write
    db = PantherDB(path)
    assert await db.collection_names() == []
    await db.close()


@pytest.mark.asyncio
async def test_not_a_pantherdb_file(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    write_bytes(path, b"[1, 2]")
    with pytest.raises(DatabaseError, match="expected"):
        await PantherDB(path).count("x")
    write_bytes(path, b"hello")
    with pytest.raises(DatabaseError, match="not a PantherDB file"):
        await PantherDB(path).count("x")


def _is_clean(error: BaseException) -> bool:
    return error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


@pytest.mark.asyncio
async def test_encryption_and_a_wrong_key(tmp_path: Path) -> None:
    path = tmp_path / "db.pdb"
    key, wrong = Fernet.generate_key(), Fernet.generate_key()
    db = PantherDB(path, secret_key=key)
    await db.insert_one("secrets", {"value": "plaintext-marker"})
    assert b"plaintext-marker" not in read_bytes(f"{path}.log")
    # Only the log exists so far, then only the snapshot: both say the same, every time.
    for _ in range(2):
        wrong_db = PantherDB(path, secret_key=wrong)
        for _ in range(2):
            with pytest.raises(DatabaseError, match=r"cannot decrypt .*: wrong SECRET_KEY\?") as info:
                await wrong_db.count("secrets")
            assert _is_clean(info.value)
        with pytest.raises(DatabaseError, match="set SECRET_KEY") as info:
            await PantherDB(path).count("secrets")
        assert _is_clean(info.value)
        await db.close()
    assert b"plaintext-marker" not in read_bytes(path)
    assert (await PantherDB(path, secret_key=key.decode()).find_one("secrets"))["value"] == "plaintext-marker"


@pytest.mark.asyncio
async def test_a_key_on_a_plain_file_and_a_malformed_key(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    db = PantherDB(path)
    await db.insert_one("docs", {"i": 1})
    await db.close()
    with pytest.raises(DatabaseError, match=r"wrong SECRET_KEY.*not encrypted"):
        await PantherDB(path, secret_key=Fernet.generate_key()).count("docs")
    with pytest.raises(DatabaseError, match="not a Fernet key") as info:
        PantherDB(path, secret_key="not-a-key")
    assert _is_clean(info.value)


# --- the child side of the process tests ------------------------------------------------------------------------------

_CHILD_TASKS = {"writer": _child_writer, "insert_forever": _child_insert_forever}

if __name__ == "__pantherdb_child__":
    _child = dict(globals()["CHILD"])
    asyncio.run(_CHILD_TASKS[_child.pop("task")](**_child))
