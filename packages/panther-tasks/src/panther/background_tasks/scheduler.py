"""``BackgroundTasks``: one app's scheduler, kept in ``app.stash`` and run by the app's lifespan.

Each submitted task gets one asyncio task (its *driver*) on the app's event loop, which sleeps until the task's
next slot and runs it: async functions on the loop, sync functions on the app's bounded thread pool. A driver runs
one slot at a time, so a task never overlaps with itself; a slow run delays the next one.

Which worker runs a slot: tasks of the app's *standing schedule* — submitted before the app started (at import, in
a URL module) or by its startup code — and tasks given a ``.named()`` name are the same in every worker; with
``REDIS`` configured each of their slots runs once per cluster (``leases.py``). Anything else — one-off tasks and
tasks submitted while serving requests — runs in the worker that submitted it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from panther.background_tasks.clock import Clock, SystemClock
from panther.background_tasks.leases import SKEW, Leases
from panther.background_tasks.task import BackgroundTask
from panther.background_tasks.workers import worker_count
from panther.context import current_app, set_current_app
from panther.exceptions import PantherError
from panther.stash import StashKey

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther

__all__ = ["SCHEDULER", "BackgroundTaskError", "BackgroundTasks"]

logger = logging.getLogger("panther.background_tasks")

DEFAULT_THREADS = 4
DEFAULT_GRACE_PERIOD = 5.0
DEFAULT_KEY_PREFIX = "panther:tasks"

State = Literal["new", "running", "stopping", "stopped"]


class BackgroundTaskError(PantherError):
    """A task cannot be submitted: there is no app, its scheduler is off, or the app has shut down."""


class _Driver:
    __slots__ = ("leased", "running", "shared", "task")

    def __init__(self, task: BackgroundTask, shared: bool, leased: bool) -> None:
        self.task = task
        self.shared = shared  # named the same in every worker: its name must be unique in this app
        self.leased = leased  # each slot taken through Redis
        self.running = False


class BackgroundTasks:
    """The background-task scheduler of one app: ``BackgroundTasks.of(app)``.

    Attributes set from the app's configs: ``enabled`` (``BACKGROUND_TASKS``), ``threads``
    (``BACKGROUND_TASKS_THREADS``), ``grace_period`` (``BACKGROUND_TASKS_GRACE_PERIOD``, seconds running tasks get
    at shutdown), ``key_prefix`` (``BACKGROUND_TASKS_KEY_PREFIX``, Redis keys) and ``tz`` (``TIMEZONE``).
    ``clock`` may be replaced before startup (``panther.background_tasks.clock.ManualClock`` in tests).
    """

    def __init__(self, app: Panther) -> None:
        self.app = app
        self.enabled: bool | None = None  # None until the app's configs are read
        self.threads = DEFAULT_THREADS
        self.grace_period = DEFAULT_GRACE_PERIOD
        self.key_prefix = DEFAULT_KEY_PREFIX
        self.tz: tzinfo = ZoneInfo("UTC")
        self.clock: Clock = SystemClock()
        self._state: State = "new"
        self._standing: list[BackgroundTask] = []  # submitted before startup: started at every startup
        self._drivers: dict[asyncio.Task[None], _Driver] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lifespan_task: asyncio.Task[Any] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._leases: Leases | None = None

    @classmethod
    def of(cls, app: Panther | None = None) -> BackgroundTasks:
        """The scheduler of ``app`` (default: the current app, see ``panther.context.current_app``)."""
        if app is None:
            try:
                app = current_app()
            except RuntimeError:
                raise BackgroundTaskError(
                    "No Panther app to run the background task: build the app (app = Panther(...)) before "
                    "submitting, or pass it: task.submit(app)."
                ) from None
        scheduler = app.stash.get(SCHEDULER)
        if scheduler is None:
            if not _plugin_active(app):
                raise BackgroundTaskError(
                    "The `tasks` plugin is not active on this app (disabled by DISABLED_PLUGINS or "
                    "PANTHER_DISABLE_PLUGINS?), so it cannot run background tasks."
                )
            # Submitted while the app is being built, before its configs reached the plugin: queue on it.
            scheduler = app.stash.setdefault(SCHEDULER, cls(app))
        return scheduler

    # --- Configuration ------------------------------------------------------------------------------------------

    def configure(self, config: Config) -> None:
        enabled = config.BACKGROUND_TASKS
        if not isinstance(enabled, bool):
            raise PantherError(f"BACKGROUND_TASKS must be True or False, got {enabled!r}.")
        threads = config.BACKGROUND_TASKS_THREADS
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise PantherError(f"BACKGROUND_TASKS_THREADS must be a number of threads (at least 1), got {threads!r}.")
        grace = config.BACKGROUND_TASKS_GRACE_PERIOD
        if isinstance(grace, bool) or not isinstance(grace, int | float) or not math.isfinite(grace) or grace < 0:
            raise PantherError(f"BACKGROUND_TASKS_GRACE_PERIOD must be a number of seconds, got {grace!r}.")
        prefix = config.BACKGROUND_TASKS_KEY_PREFIX
        if not isinstance(prefix, str) or not prefix:
            raise PantherError(f"BACKGROUND_TASKS_KEY_PREFIX must be a non-empty string, got {prefix!r}.")
        if not enabled and self._standing:
            names = ", ".join(repr(task.name) for task in self._standing)
            raise PantherError(
                f"Background tasks were submitted ({names}) but BACKGROUND_TASKS is not True in your configs: "
                "set BACKGROUND_TASKS = True."
            )
        self.enabled, self.threads, self.grace_period, self.key_prefix = enabled, threads, float(grace), prefix
        self.tz = ZoneInfo(str(config.TIMEZONE))

    # --- Submitting ---------------------------------------------------------------------------------------------

    @property
    def live_drivers(self) -> int:
        """How many tasks are scheduled or running right now."""
        return len(self._drivers)

    @property
    def tasks(self) -> list[BackgroundTask]:
        """The tasks scheduled on this app (before startup: the ones waiting for it)."""
        if self._state == "running":
            return [driver.task for driver in self._drivers.values()]
        return list(self._standing)

    def add_task(self, task: BackgroundTask) -> None:
        """Schedule ``task`` (what ``task.submit()`` does)."""
        if not isinstance(task, BackgroundTask):
            raise TypeError(f"add_task() takes a BackgroundTask, got {task!r}")
        if self.enabled is False:
            raise BackgroundTaskError(
                f"Background task {task.name!r} was submitted, but BACKGROUND_TASKS is not True in this app's "
                "configs: set BACKGROUND_TASKS = True."
            )
        if not task.one_off:
            task.schedule  # noqa: B018 - raises ValueError for a schedule that cannot be honoured (.at() every 5 s)
        if self._state in ("stopping", "stopped"):
            raise BackgroundTaskError(f"Background task {task.name!r} was submitted after the app shut down.")
        if self._state == "new":
            self._check_name(task)
            self._standing.append(task)
            return
        try:
            in_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            in_loop = False
        if not in_loop:  # e.g. a sync endpoint running in a worker thread
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._submit_running, task, False)
            return
        self._submit_running(task, asyncio.current_task() is self._lifespan_task)

    def _submit_running(self, task: BackgroundTask, by_startup_code: bool) -> None:
        shared = not task.one_off and (by_startup_code or task.explicitly_named)
        if shared:
            self._check_name(task)
        self._spawn(task, shared)

    def _check_name(self, task: BackgroundTask) -> None:
        if task.one_off:
            return
        taken = {t.name for t in self._standing if not t.one_off} if self._state == "new" else set()
        taken.update(driver.task.name for driver in self._drivers.values() if driver.shared)
        if task.name in taken:
            raise BackgroundTaskError(
                f"A background task named {task.name!r} is already scheduled on this app; workers tell scheduled "
                "tasks apart by name, so give one of them its own with .named('...')."
            )

    def _spawn(self, task: BackgroundTask, shared: bool) -> None:
        assert self._loop is not None
        driver = _Driver(task, shared, leased=shared and self._leases is not None)
        runner = self._loop.create_task(self._drive(driver))
        self._drivers[runner] = driver
        runner.add_done_callback(self._forget)

    def _forget(self, runner: asyncio.Task[None]) -> None:
        self._drivers.pop(runner, None)
        if not runner.cancelled() and runner.exception() is not None:  # a bug here, not in the task: say so
            logger.error("Background task driver failed", exc_info=runner.exception())

    # --- Running ------------------------------------------------------------------------------------------------

    async def _drive(self, driver: _Driver) -> None:
        set_current_app(self.app)  # this asyncio task's own context: the task's code finds its app
        task = driver.task
        if task.one_off:
            await self._run(driver)
            return
        schedule, clock, tz = task.schedule, self.clock, self.tz
        remaining = task.runs
        slot = schedule.first(clock.now(), tz)
        while remaining != 0 and self._state == "running":
            await clock.sleep_until(slot)
            if not driver.leased:
                await self._run(driver)
            elif await self._leases_of().claim(task.name, slot, slot + schedule.grace + SKEW - clock.now()):
                try:
                    async with self._leases_of().running(task.name):
                        await self._run(driver)
                except Exception:
                    logger.exception("Background task %r: Redis failed around its run", task.name)
            if remaining > 0:
                remaining -= 1
            slot = schedule.next(slot, clock.now(), tz)

    def _leases_of(self) -> Leases:
        assert self._leases is not None
        return self._leases

    async def _run(self, driver: _Driver) -> None:
        task = driver.task
        driver.running = True
        try:
            if task.is_async:
                await task.func(*task.args, **task.kwargs)
            else:
                call = functools.partial(contextvars.copy_context().run, task.func, *task.args, **task.kwargs)
                result = await asyncio.get_running_loop().run_in_executor(self._pool, call)
                if inspect.isawaitable(result):  # a plain function that returned a coroutine
                    await result
        except Exception:
            logger.exception("Background task %r failed", task.name)
        finally:
            driver.running = False

    # --- Lifespan -----------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the standing tasks (called at the app's lifespan startup)."""
        if not self.enabled or self._state == "running":
            return
        self._loop = asyncio.get_running_loop()
        self._lifespan_task = asyncio.current_task()
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="panther-task")
        redis = self.app.redis
        self._leases = Leases(redis, self.key_prefix) if redis is not None else None
        workers = worker_count()
        if redis is None and workers > 1:
            logger.warning(
                "Background tasks: %d workers and no REDIS setting, so every worker runs its own copy of each "
                "scheduled task; set REDIS to run each scheduled run once per cluster.",
                workers,
            )
        self._state = "running"
        watch = getattr(self.clock, "watch", None)
        if watch is not None:
            watch(self)
        for task in self._standing:
            self._spawn(task, shared=not task.one_off)

    async def stop(self) -> None:
        """Stop at shutdown: sleeping tasks are dropped, running ones get ``grace_period`` seconds to finish and
        are then cancelled (a sync function's thread cannot be stopped: it is left to finish on its own)."""
        if self._state != "running":
            return
        self._state = "stopping"
        drivers = dict(self._drivers)
        busy = [runner for runner, driver in drivers.items() if driver.running]
        for runner, driver in drivers.items():
            if not driver.running:
                runner.cancel()
        if busy:
            _, late = await asyncio.wait(busy, timeout=self.grace_period)
            for runner in late:
                task = drivers[runner].task
                logger.warning(
                    "Background task %r was still running %g s after shutdown began: cancelled%s",
                    task.name,
                    self.grace_period,
                    "" if task.is_async else " (its thread finishes on its own)",
                )
                runner.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        unwatch = getattr(self.clock, "unwatch", None)
        if unwatch is not None:
            unwatch(self)
        self._lifespan_task = None
        self._state = "stopped"

    def __repr__(self) -> str:
        return f"<BackgroundTasks {self._state} tasks={len(self.tasks)}>"


#: The app's scheduler.
SCHEDULER: StashKey[BackgroundTasks] = StashKey("background_tasks")


def _plugin_active(app: Panther) -> bool:
    """Whether the tasks plugin is (or may still be) registered on ``app``: its plugin manager may not exist yet
    while the app is being built."""
    import panther.background_tasks.plugin as plugin

    manager = getattr(app, "plugins", None)
    return manager is None or bool(manager.pm.is_registered(plugin))
