"""Measurements for bench/tasks (run by run.py inside a virtualenv; prints one JSON object).

``--suite ours``: this project's panther-tasks next to Starlette's BackgroundTasks, bare asyncio and APScheduler.
``--suite upstream``: Panther 5.5.0's scheduler (thread per task per tick), for the scheduler figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]


def _scope(path: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    pass


async def _lifespan(app: Any) -> Callable[[], Awaitable[None]]:
    """Start an ASGI app's lifespan; returns the coroutine function that shuts it down."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, to_app.get, from_app.put)
    )
    await to_app.put({"type": "lifespan.startup"})
    assert (await from_app.get())["type"] == "lifespan.startup.complete"

    async def stop() -> None:
        await to_app.put({"type": "lifespan.shutdown"})
        await from_app.get()
        await task

    return stop


class Counter:
    """Counts task runs (from the loop or from threads) and says when ``expected`` were reached."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = threading.Lock()
        self.reset(0)

    def reset(self, expected: int) -> None:
        self.count = 0
        self.expected = expected
        self.done = asyncio.Event()

    def hit(self) -> None:
        with self.lock:
            self.count += 1
            if self.count == self.expected:
                self.loop.call_soon_threadsafe(self.done.set)


async def _requests(app: Any, path: str, n: int, counter: Counter | None) -> float:
    """µs per request for ``n`` sequential requests, counted until every task they started has run."""
    scope = _scope(path)
    warm = min(200, n)
    if counter is not None:
        counter.reset(warm)
    for _ in range(warm):
        await app(dict(scope), _receive, _send)
    if counter is not None:
        await asyncio.wait_for(counter.done.wait(), 60)
        counter.reset(n)
    start = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), _receive, _send)
    if counter is not None:
        await asyncio.wait_for(counter.done.wait(), 120)
    return (time.perf_counter() - start) / n * 1e6


# --- Fire-and-forget from an endpoint -------------------------------------------------------------------------


def panther_app(counter: Counter, threads: int = 4) -> Any:
    from panther import Panther
    from panther.app import API
    from panther.background_tasks import BackgroundTask

    keep: set[asyncio.Task[None]] = set()

    async def job() -> None:
        counter.hit()

    def sync_job() -> None:
        sum(range(1000))
        counter.hit()

    @API()
    async def plain() -> dict[str, bool]:
        return {"ok": True}

    @API()
    async def submit() -> dict[str, bool]:
        BackgroundTask(job).submit()
        return {"ok": True}

    @API()
    async def submit_sync() -> dict[str, bool]:
        BackgroundTask(sync_job).submit()
        return {"ok": True}

    @API()
    async def create_task() -> dict[str, bool]:
        task = asyncio.create_task(job())
        keep.add(task)
        task.add_done_callback(keep.discard)
        return {"ok": True}

    @API()
    async def to_thread() -> dict[str, bool]:
        task = asyncio.create_task(asyncio.to_thread(sync_job))
        keep.add(task)
        task.add_done_callback(keep.discard)
        return {"ok": True}

    urls = {
        "plain": plain,
        "submit": submit,
        "submit-sync": submit_sync,
        "create-task": create_task,
        "to-thread": to_thread,
    }
    configs = {"BACKGROUND_TASKS": True, "BACKGROUND_TASKS_THREADS": threads, "LOG_LEVEL": "WARNING"}
    return Panther(__name__, configs=configs, urls=urls)


def starlette_app(counter: Counter) -> Any:
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def job() -> None:
        counter.hit()

    def sync_job() -> None:
        sum(range(1000))
        counter.hit()

    async def plain(request: Any) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def submit(request: Any) -> JSONResponse:
        return JSONResponse({"ok": True}, background=BackgroundTask(job))

    async def submit_sync(request: Any) -> JSONResponse:
        return JSONResponse({"ok": True}, background=BackgroundTask(sync_job))

    routes = [Route("/plain/", plain), Route("/submit/", submit), Route("/submit-sync/", submit_sync)]
    return Starlette(routes=routes)


async def fire_and_forget(n: int, rounds: int) -> dict[str, float]:
    """Median over ``rounds`` interleaved rounds of µs per request, each counted until its task has run."""
    counter = Counter(asyncio.get_running_loop())
    panther = panther_app(counter)
    starlette = starlette_app(counter)
    stop = await _lifespan(panther)
    variants = [
        ("panther: no task", panther, "/plain/", n, False),
        ("panther: BackgroundTask(async).submit()", panther, "/submit/", n, True),
        ("panther: asyncio.create_task (by hand)", panther, "/create-task/", n, True),
        ("panther: BackgroundTask(sync).submit()", panther, "/submit-sync/", n // 4, True),
        ("panther: asyncio.to_thread (by hand)", panther, "/to-thread/", n // 4, True),
        ("starlette: no task", starlette, "/plain/", n, False),
        ("starlette: BackgroundTask(async)", starlette, "/submit/", n, True),
        ("starlette: BackgroundTask(sync)", starlette, "/submit-sync/", n // 4, True),
    ]
    samples: dict[str, list[float]] = {label: [] for label, *_ in variants}
    for _ in range(rounds):
        for label, app, path, count, counted in variants:
            samples[label].append(await _requests(app, path, count, counter if counted else None))
    await stop()
    return {label: statistics.median(values) for label, values in samples.items()}


async def response_not_delayed(slow: float = 0.05, n: int = 20) -> dict[str, float]:
    """Milliseconds until the response is sent, for an endpoint whose task takes ``slow`` seconds."""
    from panther import Panther
    from panther.app import API
    from panther.background_tasks import BackgroundTask

    async def slow_job() -> None:
        await asyncio.sleep(slow)

    @API()
    async def submit() -> dict[str, bool]:
        BackgroundTask(slow_job).submit()
        return {"ok": True}

    from starlette.applications import Starlette
    from starlette.background import BackgroundTask as StarletteTask
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def starlette_submit(request: Any) -> JSONResponse:
        return JSONResponse({"ok": True}, background=StarletteTask(slow_job))

    panther = Panther(__name__, configs={"BACKGROUND_TASKS": True, "LOG_LEVEL": "WARNING"}, urls={"submit": submit})
    starlette = Starlette(routes=[Route("/submit/", starlette_submit)])
    stop = await _lifespan(panther)
    results = {}
    for label, app in (("panther", panther), ("starlette", starlette)):
        sent: list[float] = []
        returned: list[float] = []
        for _ in range(n):
            start = time.perf_counter()

            async def send(message: dict[str, Any], start: float = start, sent: list[float] = sent) -> None:
                if message["type"] == "http.response.body":
                    sent.append(time.perf_counter() - start)

            await app(_scope("/submit/"), _receive, send)
            returned.append(time.perf_counter() - start)
        results[f"{label}: response sent"] = statistics.median(sent) * 1e3
        results[f"{label}: ASGI call returned (the connection is free)"] = statistics.median(returned) * 1e3
    await asyncio.sleep(slow * 2)
    await stop()
    return results


# --- Schedulers -----------------------------------------------------------------------------------------------


async def lateness_ours(runs: int) -> list[float]:
    """ms between each run and its slot, for an every-second task (slots are whole seconds)."""
    from panther import Panther
    from panther.background_tasks import BackgroundTask

    late: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        now = time.time()
        late.append((now - int(now)) * 1e3)
        if len(late) == runs:
            done.set()

    app = Panther(__name__, configs={"BACKGROUND_TASKS": True, "LOG_LEVEL": "WARNING"}, urls={})
    BackgroundTask(tick).every_seconds(1).interval(runs + 1).submit(app)
    stop = await _lifespan(app)
    await asyncio.wait_for(done.wait(), runs + 5)
    await stop()
    return late[1:]  # the first run is the current slot, at once


async def lateness_apscheduler(runs: int) -> list[float]:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    late: list[float] = []
    done = asyncio.Event()
    start = time.time()

    async def tick() -> None:
        late.append(time.time())
        if len(late) == runs:
            done.set()

    scheduler = AsyncIOScheduler()
    scheduler.add_job(tick, "interval", seconds=1)
    scheduler.start()
    await asyncio.wait_for(done.wait(), runs + 5)
    scheduler.shutdown(wait=False)
    first = late[0]
    del start
    return [(t - (first + k)) * 1e3 for k, t in enumerate(late)][1:]


def lateness_upstream(runs: int) -> list[float]:
    from panther.background_tasks import BackgroundTask, _background_tasks

    seen: list[float] = []
    done = threading.Event()

    def tick() -> None:
        seen.append(time.time())
        if len(seen) == runs:
            done.set()

    _background_tasks.initialize()
    BackgroundTask(tick).every_seconds(1).interval(runs).submit()
    done.wait(runs * 3)
    first = seen[0]
    return [(t - (first + k)) * 1e3 for k, t in enumerate(seen)][1:]


async def idle_cost_ours(tasks: int, seconds: float, every: int) -> float:
    """CPU ms per wall second for ``tasks`` tasks every ``every`` s (first runs excluded)."""
    from panther import Panther
    from panther.background_tasks import BackgroundTask

    async def job() -> None:
        pass

    app = Panther(__name__, configs={"BACKGROUND_TASKS": True, "LOG_LEVEL": "WARNING"}, urls={})
    for i in range(tasks):
        BackgroundTask(job).every_seconds(every).interval(-1).named(f"job {i}").submit(app)
    stop = await _lifespan(app)
    await asyncio.sleep(1.2)  # past the first (immediate) runs
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    result = (time.process_time() - cpu) / (time.perf_counter() - wall) * 1e3
    await stop()
    return result


async def idle_cost_apscheduler(tasks: int, seconds: float, every: int) -> float:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    async def job() -> None:
        pass

    scheduler = AsyncIOScheduler()
    for _ in range(tasks):
        scheduler.add_job(job, "interval", seconds=every, max_instances=1, misfire_grace_time=None)
    scheduler.start()
    await asyncio.sleep(1.2)
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    result = (time.process_time() - cpu) / (time.perf_counter() - wall) * 1e3
    scheduler.shutdown(wait=False)
    return result


def idle_cost_upstream(tasks: int, seconds: float, every: int) -> float:
    from panther.background_tasks import BackgroundTask, _background_tasks

    def job() -> None:
        pass

    _background_tasks.initialize()
    for _ in range(tasks):
        BackgroundTask(job).every_seconds(every).interval(-1).submit()
    time.sleep(1.2)
    cpu, wall = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall) * 1e3


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "max": max(values), "last": values[-1]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=["ours", "upstream"], required=True)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    result: dict[str, Any] = {"python": sys.version.split()[0]}
    if args.suite == "ours":
        result["fire_and_forget"] = asyncio.run(fire_and_forget(args.requests, args.rounds))
        result["response"] = asyncio.run(response_not_delayed())
        result["lateness"] = {
            "panther-tasks": summary(asyncio.run(lateness_ours(args.runs))),
            "APScheduler (AsyncIOScheduler, interval)": summary(asyncio.run(lateness_apscheduler(args.runs))),
        }
        result["idle"] = {
            "panther-tasks": asyncio.run(idle_cost_ours(args.tasks, args.seconds, 60)),
            "APScheduler (AsyncIOScheduler, interval)": asyncio.run(
                idle_cost_apscheduler(args.tasks, args.seconds, 60)
            ),
        }
        result["busy"] = {
            "panther-tasks": asyncio.run(idle_cost_ours(args.tasks, args.seconds, 1)),
            "APScheduler (AsyncIOScheduler, interval)": asyncio.run(idle_cost_apscheduler(args.tasks, args.seconds, 1)),
        }
    else:
        result["lateness"] = {"Panther 5.5.0": summary(lateness_upstream(args.runs))}
        result["idle"] = {"Panther 5.5.0": idle_cost_upstream(args.tasks, args.seconds, 60)}
        result["busy"] = {"Panther 5.5.0": idle_cost_upstream(args.tasks, args.seconds, 1)}
    print(json.dumps(result))
    sys.stdout.flush()
    import os

    os._exit(0)  # upstream's scheduler thread never stops


if __name__ == "__main__":
    main()
