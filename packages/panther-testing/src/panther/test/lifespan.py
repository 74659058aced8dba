"""Run an app's ASGI lifespan in the background, once for all the test clients of that app that are open together.

A real server starts an app once however many connections it serves; test clients do the same. The first client
that needs the app started runs ``lifespan.startup``, later clients of the same app (in the same event loop) join
it, and the last one to close runs ``lifespan.shutdown``. Starting twice would enter the app's plugin lifespans
twice (two database pools, two listeners) and lose the first set at shutdown.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from panther.types import Message

#: Any ASGI app. Looser than ``panther.types.ASGIApp`` so that apps annotated with ``dict`` scopes type-check.
AnyASGIApp = Callable[[Any, Any, Any], Awaitable[Any]]

__all__ = ["AnyASGIApp", "Lifespan", "LifespanError", "acquire", "release", "shutdown_app"]


class LifespanError(RuntimeError):
    """The app answered ``lifespan.startup.failed`` or ``lifespan.shutdown.failed``; the message is the app's."""


class Lifespan:
    """The lifespan protocol of one app, driven from a background task."""

    def __init__(self, app: AnyASGIApp) -> None:
        self.app = app
        #: The ASGI lifespan state; every request scope gets a shallow copy of it.
        self.state: dict[str, Any] = {}
        self.users = 0
        self.started = False
        self.failure: BaseException | None = None
        self.lock = asyncio.Lock()
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._supported = True

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        self._task = asyncio.create_task(self._run(scope))
        await self._to_app.put({"type": "lifespan.startup"})
        answer = await self._answer()
        if answer is None:  # the app returned without answering: it does not do lifespan, which ASGI allows
            self._supported = False
        elif answer["type"] == "lifespan.startup.failed":
            await self._task
            raise LifespanError(f"The app's startup failed: {answer.get('message', '')}")
        elif answer["type"] != "lifespan.startup.complete":
            self._task.cancel()
            raise LifespanError(f"The app answered lifespan.startup with {answer['type']!r}.")
        self.started = True

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self.started = False
        answer = None
        if self._supported and not task.done():
            await self._to_app.put({"type": "lifespan.shutdown"})
            answer = await self._answer(task)
        await task
        if answer is not None and answer["type"] == "lifespan.shutdown.failed":
            raise LifespanError(f"The app's shutdown failed: {answer.get('message', '')}")

    async def _run(self, scope: dict[str, Any]) -> None:
        await self.app(scope, self._to_app.get, self._from_app.put)

    async def _answer(self, task: asyncio.Task[None] | None = None) -> Message | None:
        """The app's next lifespan message, or ``None`` if it returned; an exception it raised propagates."""
        task = task or self._task
        assert task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        try:
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            return getter.result()
        task.result()
        return None


# loop → app → the lifespan its open clients share. Weak on the loop: a test's loop goes away with its lifespans.
_running: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, Lifespan]] = weakref.WeakKeyDictionary()


async def acquire(app: AnyASGIApp) -> Lifespan:
    """Start ``app`` (or join its running lifespan) for one client; pair with ``release``."""
    running = _running.setdefault(asyncio.get_running_loop(), {})
    lifespan = running.get(app)
    if lifespan is None:
        lifespan = running[app] = Lifespan(app)
    lifespan.users += 1
    try:
        async with lifespan.lock:
            if lifespan.failure is not None:
                raise LifespanError(str(lifespan.failure)) from lifespan.failure
            if not lifespan.started:
                await lifespan.startup()
    except BaseException as exc:
        lifespan.users -= 1
        if not lifespan.started:
            lifespan.failure = lifespan.failure or exc  # clients waiting on the lock fail with the same error
            if running.get(app) is lifespan:
                del running[app]  # the next attempt starts afresh
        raise
    return lifespan


async def release(lifespan: Lifespan) -> None:
    """One client is done with ``lifespan``; the last one shuts the app down."""
    lifespan.users -= 1
    if lifespan.users > 0:
        return
    running = _running.get(asyncio.get_running_loop(), {})
    if running.get(lifespan.app) is lifespan:
        del running[lifespan.app]
    await lifespan.shutdown()


async def shutdown_app(app: AnyASGIApp) -> None:
    """Shut ``app`` down even if clients still hold it (clients that were dropped without ``close()``)."""
    lifespan = _running.get(asyncio.get_running_loop(), {}).pop(app, None)
    if lifespan is not None:
        lifespan.users = 0
        await lifespan.shutdown()
