"""Concurrent queries on one app: nothing lost, and ``find_one_or_insert`` inserts once."""

from __future__ import annotations

import asyncio

from panther.db import Model
from panther.db.connections import db


class Counter(Model):
    name: str
    value: int = 0


class Member(Model):
    email: str
    joined: int = 0


async def test_100_concurrent_inserts_lose_nothing(app):
    created = await asyncio.gather(*(Counter.insert_one(name=f"c{i}", value=i) for i in range(100)))
    assert len({counter.id for counter in created}) == 100
    assert await Counter.count() == 100
    stored = await (await Counter.all()).to_list()
    assert sorted(counter.value for counter in stored) == list(range(100))


async def test_concurrent_increments_are_atomic(app):
    counter = await Counter.insert_one(name="hits")
    await asyncio.gather(*(Counter.update_one({"id": counter.id}, {"$inc": {"value": 1}}) for _ in range(100)))
    await counter.reload()
    assert counter.value == 100


async def test_concurrent_find_one_or_insert_with_a_unique_index_inserts_once(app, engine):
    if engine.name == "mongodb":
        await db.session["Member"].create_index("email", unique=True)
    # (PantherDB runs find-or-insert as one operation under its lock: no index needed.)
    results = await asyncio.gather(*(Member.find_one_or_insert(email="a@example.com", joined=1) for _ in range(50)))
    assert sum(created for _, created in results) == 1
    assert len({member.id for member, _ in results}) == 1
    assert await Member.count() == 1
