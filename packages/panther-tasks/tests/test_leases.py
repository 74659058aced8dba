"""Once per cluster, in one process: several apps (standing in for workers) share the real Redis and one manual
clock. Each test uses keys under a prefix of its own. ``test_cluster.py`` proves the same with uvicorn processes."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from panther import Panther
from panther.app import API
from panther.background_tasks import BackgroundTask, BackgroundTasks
from panther.background_tasks.clock import ManualClock, SystemClock
from panther.context import current_app
from panther.test import APIClient

pytestmark = pytest.mark.panther_redis

NOON = dt.datetime(2030, 1, 2, 12, tzinfo=dt.UTC).timestamp()


class Runs:
    """Which worker ran what, at which (clock) time."""

    def __init__(self) -> None:
        self.log: list[tuple[str, float, Any]] = []

    def worker(self) -> str:
        return current_app().config.WORKER  # type: ignore[no-any-return]

    async def __call__(self, value: Any = None) -> None:
        self.log.append((self.worker(), BackgroundTasks.of().clock.now() - NOON, value))

    @property
    def times(self) -> list[float]:
        return sorted(t for _, t, _ in self.log)


Cluster = Callable[..., list[Panther]]


@pytest_asyncio.fixture
async def cluster(panther_redis_url: str) -> AsyncIterator[Cluster]:
    """``cluster(n, urls=..., clock=...)``: ``n`` apps ("workers") on the same Redis key prefix, one clock."""
    prefix = f"panther-test:tasks:{uuid.uuid4().hex}"
    apps: list[Panther] = []

    def build(count: int = 2, urls: dict[str, Any] | None = None, clock: Any = None, **configs: Any) -> list[Panther]:
        clock = clock or ManualClock(NOON)
        for index in range(count):
            app = Panther(
                __name__,
                configs={
                    "BACKGROUND_TASKS": True,
                    "REDIS": {"url": panther_redis_url},
                    "BACKGROUND_TASKS_KEY_PREFIX": prefix,
                    "WORKER": f"w{index}",
                    **configs,
                },
                urls=urls or {},
            )
            BackgroundTasks.of(app).clock = clock
            apps.append(app)
        return apps[-count:]

    yield build
    for app in apps:
        await app.shutdown()
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(panther_redis_url)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def start(apps: list[Panther]) -> None:
    for app in apps:
        await app.startup()


def clock_of(app: Panther) -> ManualClock:
    clock = BackgroundTasks.of(app).clock
    assert isinstance(clock, ManualClock)
    return clock


async def test_standing_schedule_runs_once_per_slot_across_workers(cluster: Cluster) -> None:
    runs = Runs()
    workers = cluster(3)
    for app in workers:  # every worker declares the same schedule, as each imports the same code
        BackgroundTask(runs).every_seconds(5).interval(-1).submit(app)
    await start(workers)
    await clock_of(workers[0]).advance(60)
    assert runs.times == [float(t) for t in range(0, 61, 5)], "13 slots, each run exactly once in the cluster"


async def test_finite_interval_counts_slots_of_the_cluster(cluster: Cluster) -> None:
    runs = Runs()
    workers = cluster(2)
    for app in workers:
        BackgroundTask(runs).every_seconds(5).interval(3).submit(app)
    await start(workers)
    await clock_of(workers[0]).advance(60)
    assert runs.times == [0, 5, 10]


async def test_tasks_submitted_by_startup_code_are_shared(cluster: Cluster) -> None:
    runs = Runs()
    workers = cluster(2)
    for app in workers:
        app.on_startup(lambda: BackgroundTask(runs).every_minutes().interval(-1).submit())
    await start(workers)
    await clock_of(workers[0]).advance(180)
    assert runs.times == [0, 60, 120, 180]


async def test_tasks_submitted_while_serving_run_in_their_worker_unless_named(cluster: Cluster) -> None:
    runs = Runs()

    @API()
    async def submit() -> dict[str, Any]:
        BackgroundTask(runs, "one-off").submit()
        BackgroundTask(runs, "mine").every_seconds(5).interval(2).submit()
        BackgroundTask(runs, "shared").every_seconds(5).interval(2).named("shared report").submit()
        return {}

    workers = cluster(2, urls={"submit": submit})
    clients = [APIClient(app) for app in workers]
    try:
        for client in clients:
            assert (await client.get("/submit/")).status_code == 200
        await clock_of(workers[0]).advance(30)
    finally:
        for client in clients:
            await client.close()
    by_value: dict[str, list[tuple[str, float]]] = {}
    for worker, t, value in runs.log:
        by_value.setdefault(value, []).append((worker, t))
    assert sorted(by_value["one-off"]) == [("w0", 0), ("w1", 0)]  # each in the worker that submitted it
    assert sorted(by_value["mine"]) == [("w0", 0), ("w0", 5), ("w1", 0), ("w1", 5)]
    assert sorted(t for _, t in by_value["shared"]) == [0, 5]  # once per slot in the cluster


async def test_a_dead_workers_lease_expires_and_the_run_happens_elsewhere(cluster: Cluster) -> None:
    runs = Runs()
    (app,) = cluster(1)
    task = BackgroundTask(runs).every_seconds(5).interval(-1).named("reindex")
    task.submit(app)
    prefix = BackgroundTasks.of(app).key_prefix
    # A worker that died mid-run left its "running" key behind; it expires (here after 0.3 s) and this worker
    # then runs the slot it took.
    assert app.redis is not None
    await app.redis.set(f"{prefix}:reindex:running", "dead-worker", px=300)
    await app.startup()
    await clock_of(app).advance(0)
    assert runs.times == [0]


async def test_a_slow_run_in_one_worker_delays_the_next_run_in_another(cluster: Cluster) -> None:
    spans: list[tuple[str, float, float]] = []
    loop = asyncio.get_running_loop()

    async def slow() -> None:
        start = loop.time()
        await asyncio.sleep(0.7)  # longer than the period: without the running lease, runs would overlap
        spans.append((current_app().config.WORKER, start, loop.time()))

    workers = cluster(2, clock=SystemClock())
    for app in workers:
        BackgroundTask(slow).every_seconds(1).interval(-1).submit(app)
    await start(workers)
    await asyncio.sleep(2.6)
    for app in workers:
        await app.shutdown()
    spans.sort(key=lambda span: span[1])
    assert len(spans) >= 3
    for (_, _, end), (_, next_start, _) in itertools.pairwise(spans):
        assert next_start >= end - 0.01, f"runs overlapped: {spans}"


async def test_redis_failure_skips_the_run_and_says_so(cluster: Cluster, caplog: pytest.LogCaptureFixture) -> None:
    runs = Runs()
    (app,) = cluster(1)
    BackgroundTask(runs).every_seconds(5).interval(-1).submit(app)
    await app.startup()
    await clock_of(app).advance(0)
    assert runs.times == [0]

    class Down:
        async def set(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("Redis is down")

    leases = BackgroundTasks.of(app)._leases
    assert leases is not None
    leases.redis = Down()
    with caplog.at_level(logging.ERROR, logger="panther.background_tasks"):
        await clock_of(app).advance(5)
    assert runs.times == [0], "without its lease a slot is skipped: never run twice in a cluster"
    assert any("cannot reach Redis" in r.getMessage() for r in caplog.records)
