"""Startup and shutdown functions: ``@Event.startup`` / ``@Event.shutdown`` (sync or async).

Functions registered on ``Event`` run for every app in the process (upstream's behaviour); ``app.on_startup`` and
``app.on_shutdown`` register functions for one app only. Startup functions run after plugin lifespans are entered;
shutdown functions run before they are exited. A failing startup function fails the lifespan startup.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

logger = logging.getLogger("panther")

F = TypeVar("F", bound=Callable[..., Any])


class Event:
    _startups: list[Callable[[], Any]] = []
    _shutdowns: list[Callable[[], Any]] = []

    @classmethod
    def startup(cls, func: F) -> F:
        cls._startups.append(func)
        return func

    @classmethod
    def shutdown(cls, func: F) -> F:
        cls._shutdowns.append(func)
        return func

    @classmethod
    async def run_startups(cls) -> None:
        await run_functions(cls._startups)

    @classmethod
    async def run_shutdowns(cls) -> None:
        await run_functions(cls._shutdowns, raise_errors=False)

    @classmethod
    def clear(cls) -> None:
        cls._startups.clear()
        cls._shutdowns.clear()


async def run_functions(functions: Iterable[Callable[[], Any]], raise_errors: bool = True) -> None:
    """Run sync or async functions in order, on the event loop's thread.

    Sync functions are called directly, as upstream and Starlette do: nothing is served yet (or any more), so
    blocking costs nothing, while a worker thread would break what startup code commonly does — create tasks
    (``asyncio.create_task`` needs the loop's thread) or open thread-bound resources such as a sqlite3 connection.
    """
    for func in list(functions):
        try:
            result = func()
            if inspect.isawaitable(result):
                await result
        except Exception:
            if raise_errors:
                raise
            logger.exception("Shutdown function %s failed", getattr(func, "__qualname__", func))
