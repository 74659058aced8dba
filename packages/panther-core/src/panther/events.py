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
    """The process-wide startup/shutdown registry, as upstream's: ``Event.startup`` and ``Event().startup`` are the
    same registry (``Event()`` is always the same instance)."""

    _startups: list[Callable[[], Any]] = []
    _shutdowns: list[Callable[[], Any]] = []
    _instance: Event | None = None

    def __new__(cls) -> Event:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

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
        """Run the startup functions as upstream did: a failure is logged and the next function still runs.

        (An app's lifespan startup, by contrast, fails on the first failure: see ``Panther.startup``.)
        """
        await run_functions(cls._startups, raise_errors=False, stage="startup")

    @classmethod
    async def run_shutdowns(cls) -> None:
        await run_functions(cls._shutdowns, raise_errors=False)

    @classmethod
    def clear(cls) -> None:
        cls._startups.clear()
        cls._shutdowns.clear()


async def run_functions(
    functions: Iterable[Callable[[], Any]], raise_errors: bool = True, stage: str = "shutdown"
) -> None:
    """Run sync or async functions in order, on the event loop's thread.

    With ``raise_errors=False`` a failure is logged on the ``panther`` logger (so it reaches the root logger) with
    upstream's message, ``<name>() <stage> event got error: <error>``, and the next function runs.

    Sync functions are called directly, as upstream and Starlette do: nothing is served yet (or any more), so
    blocking costs nothing, while a worker thread would break what startup code commonly does — create tasks
    (``asyncio.create_task`` needs the loop's thread) or open thread-bound resources such as a sqlite3 connection.
    """
    for func in list(functions):
        try:
            result = func()
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            if raise_errors:
                raise
            logger.exception("%s() %s event got error: %s", getattr(func, "__name__", func), stage, exc)
