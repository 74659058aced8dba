"""The scheduler of one app: what runs when, where, on which thread, and what a user sees when it cannot run.

Time-dependent tests drive a ``ManualClock``: ``await clock.advance(seconds)`` runs what is due and returns when the
scheduler is idle, so nothing sleeps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from panther import Panther
from panther.app import API
from panther.background_tasks import BackgroundTask, BackgroundTaskError, BackgroundTasks, WeekDay
from panther.background_tasks.clock import ManualClock
from panther.context import current_app
from panther.exceptions import PantherError
from panther.test import APIClient

# Wednesday 2030-01-02 12:00:00 UTC, on a 5-second (and minute) boundary.
NOON = dt.datetime(2030, 1, 2, 12, tzinfo=dt.UTC).timestamp()

MakeApp = Callable[..., tuple[Panther, ManualClock]]


@pytest_asyncio.fixture
async def make_app() -> AsyncIterator[MakeApp]:
    """``make_app(urls=..., **configs)`` → an app with BACKGROUND_TASKS on and a manual clock at NOON (not
    started); every app is shut down after the test."""
    apps: list[Panther] = []

    def build(urls: dict[str, Any] | None = None, start: float = NOON, **configs: Any) -> tuple[Panther, ManualClock]:
        app = Panther(__name__, configs={"BACKGROUND_TASKS": True, **configs}, urls=urls or {})
        clock = ManualClock(start)
        BackgroundTasks.of(app).clock = clock
        apps.append(app)
        return app, clock

    yield build
    for app in apps:
        await app.shutdown()


class Recorder:
    """Records (clock time, value) per run."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.runs: list[tuple[float, Any]] = []

    async def __call__(self, value: Any = None) -> None:
        self.runs.append((self.clock.now() - NOON, value))

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self.runs]


# --- Schedules -------------------------------------------------------------------------------------------------


async def test_interval_and_period(make_app: MakeApp) -> None:
    app, clock = make_app()
    record = Recorder(clock)
    BackgroundTask(record, "a").every_seconds(5).interval(3).submit(app)
    await app.startup()
    await clock.advance(60)
    assert record.runs == [(0, "a"), (5, "a"), (10, "a")]  # at once, then every 5 s; three runs in all
    assert BackgroundTasks.of(app).tasks == []


async def test_forever_and_no_drift(make_app: MakeApp) -> None:
    app, clock = make_app(start=NOON + 2)
    record = Recorder(clock)
    BackgroundTask(record).every_seconds(10).interval(-1).submit(app)
    await app.startup()
    for _ in range(10):
        await clock.advance(7)
    # The current slot's run at once (started 2 s into it), then on the 10-second grid however the clock moves.
    assert record.times == [2, 10, 20, 30, 40, 50, 60, 70]


async def test_only_interval_means_every_minute(make_app: MakeApp) -> None:
    app, clock = make_app()
    record = Recorder(clock)
    BackgroundTask(record).interval(2).submit(app)
    await app.startup()
    await clock.advance(600)
    assert record.times == [0, 60]


async def test_at_a_time_of_day_in_the_app_time_zone(make_app: MakeApp) -> None:
    # Tehran is UTC+03:30: 08:00 there is 04:30 UTC, i.e. 16.5 hours after NOON UTC.
    app, clock = make_app(TIMEZONE="Asia/Tehran")
    record = Recorder(clock)
    BackgroundTask(record).at(dt.time(8)).interval(-1).submit(app)
    await app.startup()
    await clock.advance(3 * 86400)
    assert record.times == [16.5 * 3600, 40.5 * 3600, 64.5 * 3600]


async def test_at_fires_once_even_if_the_app_starts_late_in_that_minute(make_app: MakeApp) -> None:
    app, clock = make_app(start=NOON + 30)  # the loop (or the app) got there 30 s late
    record = Recorder(clock)
    BackgroundTask(record).every_days().at(dt.time(12)).interval(-1).submit(app)
    await app.startup()
    await clock.advance(86400)
    assert record.times == [30, 86400]
    late, late_clock = make_app(start=NOON + 61)
    missed = Recorder(late_clock)
    BackgroundTask(missed).every_days().at(dt.time(12)).named("late").submit(late)
    await late.startup()
    await late_clock.advance(3600)
    assert missed.runs == []  # more than a minute late: the next run is tomorrow's


async def test_weekday(make_app: MakeApp) -> None:
    app, clock = make_app()  # a Wednesday
    record = Recorder(clock)
    BackgroundTask(record).every_weeks().on(WeekDay.FRIDAY).at(dt.time(9)).interval(2).submit(app)
    await app.startup()
    await clock.advance(30 * 86400)
    assert record.times == [(2 * 24 - 3) * 3600, (9 * 24 - 3) * 3600]


async def test_a_slow_run_delays_the_next_instead_of_overlapping(make_app: MakeApp) -> None:
    app, clock = make_app()
    spans: list[tuple[float, float]] = []

    async def slow() -> None:
        start = clock.now() - NOON
        await clock.sleep_until(clock.now() + 12)  # the run takes 12 s of (manual) time
        spans.append((start, clock.now() - NOON))

    BackgroundTask(slow).every_seconds(5).interval(3).submit(app)
    await app.startup()
    await clock.advance(100)
    # Due at 0, 5, 10, …: the run of 0 ends at 12, so 10 (the latest slot that passed) runs late at 12, then 20
    # at 24: one late run each time, no burst of the missed ones, never two at once.
    assert spans == [(0, 12), (12, 24), (24, 36)]
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


async def test_sync_functions_run_on_a_bounded_thread_pool(make_app: MakeApp) -> None:
    app, clock = make_app(BACKGROUND_TASKS_THREADS=2)
    lock = threading.Lock()
    release = threading.Event()
    active = peak = 0
    threads: set[str] = set()

    def work() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            threads.add(threading.current_thread().name)
        release.wait(5)
        with lock:
            active -= 1

    await app.startup()
    for _ in range(6):
        BackgroundTask(work).submit(app)
    for _ in range(100):  # until both threads run (a loaded machine may take a while to start them)
        if peak >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # time for a third to start, if the pool let it
    assert peak == 2, "at most BACKGROUND_TASKS_THREADS sync runs at a time, never a thread per task"
    release.set()
    await clock.settle()
    assert len(threads) == 2 and all(name.startswith("panther-task") for name in threads)


async def test_async_functions_run_on_the_app_loop_with_the_app_current(make_app: MakeApp) -> None:
    app, clock = make_app()
    seen: list[Any] = []

    async def where() -> None:
        seen.append((asyncio.get_running_loop(), current_app()))

    def where_sync() -> None:
        seen.append((threading.current_thread() is threading.main_thread(), current_app()))

    BackgroundTask(where).submit(app)
    BackgroundTask(where_sync).submit(app)
    await app.startup()
    await clock.settle()
    assert (asyncio.get_running_loop(), app) in seen and (False, app) in seen


async def test_exceptions_are_logged_with_the_task_name_and_the_schedule_goes_on(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app, clock = make_app()
    calls: list[float] = []

    def broken() -> None:
        calls.append(clock.now() - NOON)
        raise ValueError("boom")

    BackgroundTask(broken).every_seconds(5).interval(-1).submit(app)
    with caplog.at_level(logging.ERROR, logger="panther.background_tasks"):
        await app.startup()
        await clock.advance(10)
    assert calls == [0, 5, 10]
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 3
    assert "broken every 5 seconds" in failures[0].getMessage()
    assert failures[0].exc_info is not None and "boom" in str(failures[0].exc_info[1])


# --- Submitting ------------------------------------------------------------------------------------------------


async def test_submit_from_an_endpoint_returns_at_once(make_app: MakeApp) -> None:
    finished = asyncio.Event()
    release = asyncio.Event()

    async def send_mail(to: str) -> None:
        await release.wait()
        finished.set()

    @API()
    async def signup() -> dict[str, str]:
        BackgroundTask(send_mail, "a@example.com").submit()  # no app: the one serving this request
        return {"status": "queued"}

    app, _ = make_app(urls={"signup": signup})
    async with APIClient(app) as client:
        response = await asyncio.wait_for(client.get("/signup/"), 5)
        assert response.status_code == 200 and response.data == {"status": "queued"}
        assert not finished.is_set(), "the response must not wait for the task"
        release.set()
        await asyncio.wait_for(finished.wait(), 5)


async def test_submit_from_a_sync_endpoint(make_app: MakeApp) -> None:
    done = asyncio.Event()

    async def mark() -> None:
        done.set()

    @API()
    def sync_view() -> dict[str, bool]:  # runs in a worker thread
        BackgroundTask(mark).submit()
        return {"ok": True}

    app, _ = make_app(urls={"sync": sync_view})
    async with APIClient(app) as client:
        assert (await client.get("/sync/")).status_code == 200
        await asyncio.wait_for(done.wait(), 5)


async def test_submit_while_the_scheduler_is_off_is_an_error(make_app: MakeApp) -> None:
    app = Panther(__name__, configs={}, urls={})
    with pytest.raises(BackgroundTaskError, match="BACKGROUND_TASKS is not True"):
        BackgroundTask(print).submit(app)

    @API()
    async def view() -> dict[str, str]:
        BackgroundTask(print).submit()
        return {}

    off = Panther(__name__, configs={}, urls={"view": view})
    async with APIClient(off) as client:
        assert (await client.get("/view/")).status_code == 500  # a bug in the app, not silently dropped work


async def test_submit_after_shutdown_is_an_error(make_app: MakeApp) -> None:
    app, _ = make_app()
    await app.startup()
    await app.shutdown()
    with pytest.raises(BackgroundTaskError, match="after the app shut down"):
        BackgroundTask(print).submit(app)


def test_submit_with_no_app_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from panther import context

    monkeypatch.setattr(context._fallback, "app", None)
    with pytest.raises(BackgroundTaskError, match="No Panther app"):
        BackgroundTask(print).submit()


def test_submit_to_an_app_without_the_plugin() -> None:
    app = Panther(__name__, configs={}, urls={}, disable_plugins=["tasks"])
    with pytest.raises(BackgroundTaskError, match="not active"):
        BackgroundTask(print).submit(app)


def test_invalid_settings_fail_at_startup() -> None:
    for key, value in [
        ("BACKGROUND_TASKS", "yes"),
        ("BACKGROUND_TASKS_THREADS", 0),
        ("BACKGROUND_TASKS_GRACE_PERIOD", -1),
        ("BACKGROUND_TASKS_KEY_PREFIX", ""),
    ]:
        with pytest.raises(PantherError, match=key):
            Panther(__name__, configs={"BACKGROUND_TASKS": True, key: value}, urls={})


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """``project(code)`` writes a URL module that runs ``code`` when imported and returns its dotted name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    counter = iter(range(1000))

    def write(code: str) -> str:
        name = f"tasks_project_{next(counter)}_{id(tmp_path)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code))
        monkeypatch.delitem(sys.modules, name, raising=False)
        return f"{name}.urls"

    return write


async def test_task_submitted_while_the_app_is_built_waits_for_startup(project: Callable[[str], str]) -> None:
    urls = project(
        """
        from panther.background_tasks import BackgroundTask

        RUNS = []

        async def warm_cache():
            RUNS.append("warm")

        BackgroundTask(warm_cache).submit()  # at import of the URL module, while Panther(...) builds the app
        urls = {}
        """
    )
    previous = Panther(__name__, configs={"BACKGROUND_TASKS": True}, urls={})  # must not receive it
    app = Panther(__name__, configs={"BACKGROUND_TASKS": True, "URLs": urls})
    module = sys.modules[urls.rpartition(".")[0]]
    assert module.RUNS == [] and len(BackgroundTasks.of(app).tasks) == 1
    assert BackgroundTasks.of(previous).tasks == []
    await app.startup()
    await BackgroundTasks.of(app).clock.sleep_until(0)
    for _ in range(100):
        if module.RUNS:
            break
        await asyncio.sleep(0.01)
    await app.shutdown()
    assert module.RUNS == ["warm"]


def test_task_submitted_while_building_an_app_without_background_tasks(project: Callable[[str], str]) -> None:
    urls = project(
        """
        from panther.background_tasks import BackgroundTask
        BackgroundTask(print).every_minutes(5).interval(-1).submit()
        urls = {}
        """
    )
    with pytest.raises(PantherError, match="BACKGROUND_TASKS is not True"):
        Panther(__name__, configs={"URLs": urls})


async def test_standing_schedule_restarts_with_the_app(make_app: MakeApp) -> None:
    app, clock = make_app()
    record = Recorder(clock)
    BackgroundTask(record).every_seconds(5).interval(-1).submit(app)
    await app.startup()
    await clock.advance(5)
    await app.shutdown()
    await clock.advance(10)  # stopped: nothing runs
    assert record.times == [0, 5]
    await app.startup()  # e.g. the next test of a module-level app
    await clock.advance(5)
    assert record.times == [0, 5, 15, 20]


async def test_scheduled_names_must_be_unique_in_an_app(make_app: MakeApp) -> None:
    app, clock = make_app()

    async def job(n: int) -> None: ...

    BackgroundTask(job, 1).every_minutes(5).interval(-1).submit(app)
    with pytest.raises(BackgroundTaskError, match=r"already scheduled.*\.named"):
        BackgroundTask(job, 2).every_minutes(5).interval(-1).submit(app)
    BackgroundTask(job, 2).every_minutes(5).interval(-1).named("job 2").submit(app)
    async with APIClient(app) as client:
        await client.get("/")  # started by the client's lifespan, as a server does
        # Tasks submitted while serving belong to their worker and may repeat; named ones may not.
        BackgroundTask(job, 3).every_minutes(5).interval(-1).submit(app)
        BackgroundTask(job, 4).every_minutes(5).interval(-1).submit(app)
        with pytest.raises(BackgroundTaskError):
            BackgroundTask(job, 5).every_minutes(5).named("job 2").submit(app)
        await clock.settle()
        assert len(BackgroundTasks.of(app).tasks) == 4


# --- Shutdown --------------------------------------------------------------------------------------------------


async def test_shutdown_waits_a_grace_period_then_cancels(make_app: MakeApp, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = make_app(BACKGROUND_TASKS_GRACE_PERIOD=0.2)
    finished: list[str] = []
    cancelled: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.05)
        finished.append("quick")

    async def endless() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append("endless")
            raise

    await app.startup()
    BackgroundTask(quick).submit(app)
    BackgroundTask(endless).submit(app)
    BackgroundTask(print).every_days().interval(-1).at(dt.time(3)).submit(app)  # asleep: dropped at once
    await asyncio.sleep(0.01)
    started = asyncio.get_running_loop().time()
    with caplog.at_level(logging.WARNING, logger="panther.background_tasks"):
        await app.shutdown()
    elapsed = asyncio.get_running_loop().time() - started
    assert finished == ["quick"] and cancelled == ["endless"]
    assert 0.15 < elapsed < 2
    assert any("endless" in r.getMessage() and "cancelled" in r.getMessage() for r in caplog.records)
    assert BackgroundTasks.of(app).live_drivers == 0


# --- Apps are independent --------------------------------------------------------------------------------------


async def test_two_apps_in_one_process_have_independent_schedulers(make_app: MakeApp) -> None:
    ran: list[tuple[str, Panther]] = []

    async def job(label: str) -> None:
        ran.append((label, current_app()))

    @API()
    async def submit(request: Any) -> dict[str, str]:
        BackgroundTask(job, request.query_params["label"]).submit()
        return {}

    first, first_clock = make_app(urls={"submit": submit})
    second, second_clock = make_app(urls={"submit": submit}, BACKGROUND_TASKS_THREADS=1)
    assert BackgroundTasks.of(first) is not BackgroundTasks.of(second)
    async with APIClient(first) as one, APIClient(second) as two:
        await one.get("/submit/", query_params={"label": "one"})
        await two.get("/submit/", query_params={"label": "two"})
        await first_clock.settle()
        await second_clock.settle()
        assert sorted(ran, key=lambda r: r[0]) == [("one", first), ("two", second)]
        await first.shutdown()  # stopping one app leaves the other running
        await two.get("/submit/", query_params={"label": "two again"})
        await second_clock.settle()
        assert ran[-1] == ("two again", second)
        with pytest.raises(BackgroundTaskError):
            BackgroundTask(job, "late").submit(first)
    assert BackgroundTasks.of(second).threads == 1 and BackgroundTasks.of(first).threads == 4


# --- Workers ---------------------------------------------------------------------------------------------------


async def test_several_workers_without_redis_are_warned_about(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "argv", ["uvicorn", "main:app", "--workers", "4"])
    app, _ = make_app()
    with caplog.at_level(logging.WARNING, logger="panther.background_tasks"):
        await app.startup()
    assert any("4 workers and no REDIS" in r.getMessage() for r in caplog.records)


def test_worker_count() -> None:
    from panther.background_tasks.workers import worker_count

    assert worker_count(["uvicorn", "m:app"], {}) == 1
    assert worker_count(["uvicorn", "m:app", "--workers", "3"], {}) == 3
    assert worker_count(["uvicorn", "--workers=2"], {}) == 2
    assert worker_count(["gunicorn", "-w", "5"], {}) == 5
    assert worker_count(["gunicorn", "-w5"], {}) == 5
    assert worker_count(["x"], {"WEB_CONCURRENCY": "6"}) == 6
    assert worker_count(["x", "--workers", "many"], {"WEB_CONCURRENCY": "?"}) == 1
