"""``LOG_QUERIES = True``: time every database operation to the ``panther.db.query`` logger.

The app's connection is wrapped once at startup, so with the setting off queries pay nothing for it.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from panther.db.engines.base import BaseDatabaseConnection

logger = logging.getLogger("panther.db.query")


class LoggedConnection:
    """Delegates to a connection; each async operation logs ``<engine> <operation>(<collection>) <ms> ms``."""

    def __init__(self, connection: BaseDatabaseConnection) -> None:
        self.wrapped = connection

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.wrapped, name)
        if inspect.iscoroutinefunction(attribute):
            wrapper: Any = self._timed(name, attribute)
        elif inspect.isasyncgenfunction(attribute):
            wrapper = self._timed_iteration(name, attribute)
        else:
            return attribute  # plain attributes and properties are read through every time
        self.__dict__[name] = wrapper  # later lookups skip __getattr__
        return wrapper

    def _timed(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        engine = self.wrapped.name

        @functools.wraps(method)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                _log(engine, name, args, start)

        return timed

    def _timed_iteration(self, name: str, method: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
        engine = self.wrapped.name

        @functools.wraps(method)
        async def timed(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            start = time.perf_counter()
            batches = method(*args, **kwargs)
            try:
                async for batch in batches:
                    yield batch
            finally:
                await batches.aclose()  # type: ignore[attr-defined]
                _log(engine, name, args, start)

        return timed

    def __repr__(self) -> str:
        return f"<LoggedConnection {self.wrapped!r}>"


def _log(engine: str, operation: str, args: tuple[Any, ...], start: float) -> None:
    elapsed = (time.perf_counter() - start) * 1000
    target = f"({args[0]!r})" if args and isinstance(args[0], str) else "()"
    logger.info("%s %s%s %.3f ms", engine, operation, target, elapsed)
