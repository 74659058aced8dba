"""ASGI lifespan: plugin lifespans, Event and app startup/shutdown functions, their order and their failures;
and WebSocket connections when no plugin handles them."""

import asyncio
import logging
import threading
from contextlib import asynccontextmanager

import pytest

from panther import Panther
from panther.events import Event
from panther.plugins import hookimpl

ORDER: list[str] = []


class LifespanPlugin:
    def __init__(self, name, fail_on_enter=False):
        self.name = name
        self.fail_on_enter = fail_on_enter

    @hookimpl
    def panther_lifespan(self, app):
        plugin = self

        @asynccontextmanager
        async def lifespan():
            ORDER.append(f"{plugin.name}:enter")
            if plugin.fail_on_enter:
                raise ConnectionError(f"{plugin.name} cannot connect")
            app.state.connection = plugin.name
            try:
                yield
            finally:
                ORDER.append(f"{plugin.name}:exit")

        return lifespan()


def make_app(*plugins):
    return Panther(__name__, configs={}, urls={}, plugins=plugins)


@pytest.fixture(autouse=True)
def _clear_order():
    ORDER.clear()


class TestStartupAndShutdown:
    async def test_full_order(self, lifespan):
        app = make_app(LifespanPlugin("db"), LifespanPlugin("cache"))

        @Event.startup
        async def event_startup():
            ORDER.append("event:startup")
            assert app.state.connection == "cache"  # plugin lifespans are entered first

        @Event.shutdown
        def event_shutdown():
            ORDER.append("event:shutdown")

        @app.on_startup
        def app_startup():
            ORDER.append("app:startup")

        @app.on_shutdown
        async def app_shutdown():
            ORDER.append("app:shutdown")

        sent = await lifespan(app, "startup", "shutdown")
        assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
        assert ORDER == [
            "db:enter",
            "cache:enter",
            "event:startup",
            "app:startup",
            "event:shutdown",
            "app:shutdown",
            "cache:exit",
            "db:exit",
        ]

    async def test_sync_functions_run_on_the_event_loop_thread(self, lifespan, tmp_path):
        # Startup code commonly creates tasks or thread-bound resources (a sqlite3 connection) that the app uses
        # later from the loop's thread; a worker thread would break both.
        import sqlite3

        app = make_app()
        state = {}

        @app.on_startup
        def startup():
            state["thread"] = threading.current_thread()
            state["task"] = asyncio.get_running_loop().create_task(asyncio.sleep(0))
            state["db"] = sqlite3.connect(tmp_path / "db.sqlite")

        @app.on_shutdown
        def shutdown():
            state["db"].execute("select 1")
            state["db"].close()

        sent = await lifespan(app, "startup", "shutdown")
        assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
        assert state["thread"] is threading.current_thread()
        await state["task"]

    async def test_sync_function_returning_an_awaitable_is_awaited(self, lifespan):
        app = make_app()
        calls = []

        async def later():
            calls.append("awaited")

        app.on_startup(lambda: later())
        await lifespan(app, "startup", "shutdown")
        assert calls == ["awaited"]

    async def test_decorators_return_the_function(self):
        app = make_app()

        async def func():
            return 1

        assert Event.startup(func) is func
        assert Event.shutdown(func) is func
        assert app.on_startup(func) is func
        assert app.on_shutdown(func) is func

    async def test_event_functions_run_for_every_app(self, lifespan):
        calls = []

        @Event.startup
        def startup():
            calls.append(1)

        await lifespan(make_app(), "startup", "shutdown")
        await lifespan(make_app(), "startup", "shutdown")
        assert calls == [1, 1]

    async def test_app_functions_belong_to_their_app(self, lifespan):
        first, second = make_app(), make_app()
        calls = []
        first.on_startup(lambda: calls.append("first"))
        await lifespan(second, "startup", "shutdown")
        assert calls == []
        await lifespan(first, "startup", "shutdown")
        assert calls == ["first"]

    async def test_run_startups_and_shutdowns_directly(self):
        calls = []
        Event.startup(lambda: calls.append("s"))
        Event.shutdown(lambda: calls.append("d"))
        await Event.run_startups()
        await Event.run_shutdowns()
        assert calls == ["s", "d"]
        Event.clear()
        await Event.run_startups()
        assert calls == ["s", "d"]


class TestFailures:
    async def test_failing_startup_function_fails_the_startup(self, lifespan, caplog):
        app = make_app(LifespanPlugin("db"))

        @app.on_startup
        async def startup():
            raise RuntimeError("config is broken")

        sent = await lifespan(app, "startup")
        assert sent == [{"type": "lifespan.startup.failed", "message": "RuntimeError: config is broken"}]
        # What was entered is exited again.
        assert ORDER == ["db:enter", "db:exit"]
        assert "Startup failed" in caplog.text

    async def test_failing_plugin_lifespan_fails_the_startup(self, lifespan):
        app = make_app(LifespanPlugin("db"), LifespanPlugin("cache", fail_on_enter=True), LifespanPlugin("never"))
        started = []
        app.on_startup(lambda: started.append(1))
        sent = await lifespan(app, "startup")
        assert sent == [{"type": "lifespan.startup.failed", "message": "ConnectionError: cache cannot connect"}]
        assert ORDER == ["db:enter", "cache:enter", "db:exit"]
        assert started == []

    async def test_failing_shutdown_function_is_logged_and_the_rest_still_runs(self, lifespan, caplog):
        app = make_app(LifespanPlugin("db"))

        @Event.shutdown
        def broken():
            raise RuntimeError("flush failed")

        @app.on_shutdown
        def after():
            ORDER.append("after")

        with caplog.at_level(logging.ERROR):
            sent = await lifespan(app, "startup", "shutdown")
        assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
        assert ORDER == ["db:enter", "after", "db:exit"]
        assert "flush failed" in caplog.text

    async def test_failing_plugin_teardown_fails_the_shutdown(self, lifespan):
        class BadTeardown:
            @hookimpl
            def panther_lifespan(self):
                @asynccontextmanager
                async def lifespan():
                    yield
                    raise OSError("cannot close")

                return lifespan()

        sent = await lifespan(make_app(BadTeardown()), "startup", "shutdown")
        assert sent == [
            {"type": "lifespan.startup.complete"},
            {"type": "lifespan.shutdown.failed", "message": "OSError: cannot close"},
        ]

    async def test_shutdown_without_startup(self, lifespan):
        app = make_app(LifespanPlugin("db"))
        assert await lifespan(app, "shutdown") == [{"type": "lifespan.shutdown.complete"}]
        assert ORDER == []


class TestWebsocketWithoutPlugin:
    async def test_connection_is_closed(self):
        app = make_app()
        sent = []

        async def receive():
            return {"type": "websocket.connect"}

        async def send(message):
            sent.append(message)

        await asyncio.wait_for(app({"type": "websocket", "path": "/ws"}, receive, send), 1)
        assert len(sent) == 1
        assert sent[0]["type"] == "websocket.close"

    async def test_unknown_scope_type_is_ignored(self):
        app = make_app()
        sent = []

        async def receive():
            raise AssertionError("must not be called")

        async def send(message):
            sent.append(message)

        await app({"type": "custom"}, receive, send)
        assert sent == []
