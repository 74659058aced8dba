"""The ``tasks`` plugin: a background-task scheduler per app, started and stopped with the app's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from panther.background_tasks.scheduler import (
    DEFAULT_GRACE_PERIOD,
    DEFAULT_KEY_PREFIX,
    DEFAULT_THREADS,
    SCHEDULER,
    BackgroundTasks,
)
from panther.plugins import hookimpl

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.main import Panther


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {
        "BACKGROUND_TASKS": False,
        "BACKGROUND_TASKS_THREADS": DEFAULT_THREADS,
        "BACKGROUND_TASKS_GRACE_PERIOD": DEFAULT_GRACE_PERIOD,
        "BACKGROUND_TASKS_KEY_PREFIX": DEFAULT_KEY_PREFIX,
    }


@hookimpl
def panther_configure(app: Panther, config: Config) -> None:
    # A task submitted while the app was being built may have created the scheduler already.
    scheduler = app.stash.setdefault(SCHEDULER, BackgroundTasks(app))
    scheduler.configure(config)


@hookimpl(tryfirst=True)  # called first, entered last: the other plugins (database, Redis) are open for the tasks
def panther_lifespan(app: Panther) -> AbstractAsyncContextManager[None] | None:
    scheduler = app.stash[SCHEDULER]
    return _running(scheduler) if scheduler.enabled else None


@asynccontextmanager
async def _running(scheduler: BackgroundTasks) -> AsyncIterator[None]:
    await scheduler.start()
    try:
        yield
    finally:
        await scheduler.stop()
