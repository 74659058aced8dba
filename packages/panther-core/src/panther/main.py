"""The ``Panther`` ASGI application: builds everything at startup, then dispatches requests from precomputed tables.

Building an app loads its config, its plugins, its routes and middleware chains, and compiles one handler per
endpoint and method (``panther.building``, ``panther.pipeline``). Per request, HTTP dispatch is: global middlewares
(if any; they read the body first) → route lookup → method → the endpoint's handler (which reads the body only if
it can use it) → encode → send. Plugins are consulted while the app is built and at lifespan startup/shutdown, never
per request.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from panther.building import RouteBuilder
from panther.configs import Config, read_config_module, resolve_base_dir
from panther.context import _current as _current_app
from panther.context import mark_current
from panther.encoders import make_json_dumps
from panther.events import Event, run_functions
from panther.exceptions import ClientDisconnected, NotFoundAPIError, PantherError
from panther.hints import CONFIG_KEYS, missing_plugin
from panther.importing import import_object
from panther.log import configure_logging
from panther.middlewares.base import WebsocketMiddleware, build_chain, load_middlewares
from panther.output import error_response, failure_response, finish_response, make_encoder, needs_finishing
from panther.pipeline import read_body_for_middlewares
from panther.plan import Handler
from panther.plugins import PluginManager
from panther.redis_client import REDIS
from panther.request import Request
from panther.response import NO_CONTENT, RenderContext, Response
from panther.routings import Route, Router, flatten_urls
from panther.stash import Stash
from panther.templates import build_environment
from panther.types import Receive, Scope, Send

logger = logging.getLogger("panther")

__all__ = ["Panther", "Route", "error_response", "import_object"]


class Panther:
    """An ASGI application.

    ``Panther(__name__, configs=__name__, urls={...})`` reads settings from the named module (or ``core.configs``),
    loads plugins (built-ins, then entry points of the ``panther`` group, then ``plugins=``, minus the disabled
    ones) and compiles every route. Configuration mistakes raise ``PantherError`` here, with what to change.

    Per-app objects: ``config``, ``plugins`` (the plugin manager), ``stash`` (plugins' state), ``routes`` (the
    compiled route table) and ``state`` (a plain namespace for the user's own objects).
    """

    def __init__(
        self,
        name: str | None = None,
        configs: str | ModuleType | Mapping[str, Any] | None = None,
        urls: Mapping[str, Any] | None = None,
        *,
        plugins: Iterable[object] = (),
        disable_plugins: Iterable[str] = (),
    ) -> None:
        values = read_config_module(configs)
        self.config = Config(values)
        self.config.BASE_DIR = resolve_base_dir(name, values)
        self.stash = Stash()
        self.state = SimpleNamespace()  # the user's own per-app objects; plugins use `stash`
        self._startups: list[Callable[[], Any]] = []
        self._shutdowns: list[Callable[[], Any]] = []
        self._exit_stack: AsyncExitStack | None = None
        # Code run while the app is built (its URL modules, plugin hooks) finds it through current_app().
        token = _current_app.set(self)
        try:
            self._build(values, urls, plugins, disable_plugins)
        finally:
            _current_app.reset(token)
        mark_current(self)

    def _build(
        self,
        values: Mapping[str, Any],
        urls: Mapping[str, Any] | None,
        plugins: Iterable[object],
        disable_plugins: Iterable[str],
    ) -> None:
        self.plugins = PluginManager(plugins=plugins, disable=[*disable_plugins, *(self.config.DISABLED_PLUGINS or [])])
        self._apply_plugin_defaults(values)
        self._check_core_config()
        configure_logging(self.config)
        self.plugins.configure(self, self.config)

        self.render_context = RenderContext(
            dumps=make_json_dumps(self.plugins.json_encoders(self)),
            templates=build_environment(_as_list(self.config.TEMPLATES_DIR), self.config.BASE_DIR),
        )
        self.builder = RouteBuilder(self)  # also used by plugins that build HTTP routes of their own
        self.scope_handlers = self.plugins.scope_handlers(self)
        self.http_middlewares = [
            *self.plugins.http_middlewares(self),
            *load_middlewares(self.config.MIDDLEWARES or [], where="MIDDLEWARES"),
        ]
        self.ws_middlewares = [
            *self.plugins.ws_middlewares(self),
            *load_middlewares(self.config.WS_MIDDLEWARES or [], where="WS_MIDDLEWARES", base=WebsocketMiddleware),
        ]
        self.urls = self._collect_urls(urls)
        self.router: Router[Route] = Router(self.urls, self.builder)
        self.routes: list[Route] = [route for _, route in self.router]
        # With global middlewares every request goes through their chain; without, `__call__` dispatches itself.
        self._chain = build_chain(self._dispatch, self.http_middlewares, self) if self.http_middlewares else None
        self._encode = make_encoder(self.render_context)
        self._max_body_size: int | None = self.config.MAX_REQUEST_BODY_SIZE
        self.plugins.app_built(self)

    @property
    def redis(self) -> Any:
        """The app's ``redis.asyncio`` client (``REDIS`` setting), or ``None``."""
        return self.stash.get(REDIS)

    # --- Building -----------------------------------------------------------------------------------------------

    def _apply_plugin_defaults(self, values: Mapping[str, Any]) -> None:
        defaults = self.plugins.config_defaults()
        for key, value in values.items():
            if key in CONFIG_KEYS and key not in defaults and value not in (None, False, {}, []):
                raise PantherError(
                    f"`{key}` is set in your configs, but no active plugin reads it: "
                    f"{missing_plugin(CONFIG_KEYS[key], self.plugins.names())}, or remove `{key}`."
                )
        for key, value in defaults.items():
            if key not in self.config:
                self.config[key] = copy.deepcopy(value)

    def _check_core_config(self) -> None:
        config = self.config
        size = config.MAX_REQUEST_BODY_SIZE
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise PantherError(f"MAX_REQUEST_BODY_SIZE must be a number of bytes or None, got {size!r}.")
        try:
            ZoneInfo(str(config.TIMEZONE))
        except (ZoneInfoNotFoundError, ValueError):
            raise PantherError(
                f"TIMEZONE {config.TIMEZONE!r} is not a known time zone (e.g. 'UTC', 'Asia/Tehran')."
            ) from None

    def _collect_urls(self, urls: Mapping[str, Any] | None) -> dict[str, Any]:
        if urls is None:
            urls = self.config.URLs
            if isinstance(urls, str):
                urls = import_object(urls, "URLs")
            if urls is None:
                raise PantherError("No URLs: pass `urls={...}` to Panther(...) or set `URLs = 'module.url_routing'`.")
        flat = flatten_urls(urls)
        for plugin_urls in self.plugins.routes(self):
            for path, endpoint in flatten_urls(plugin_urls).items():
                if path in flat:
                    raise PantherError(f"URL '{path}/' is defined by your URLs and by a plugin.")
                flat[path] = endpoint
        return flat

    def on_startup(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Register a function to run at this app's startup (sync or async)."""
        self._startups.append(func)
        return func

    def on_shutdown(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Register a function to run at this app's shutdown (sync or async)."""
        self._shutdowns.append(func)
        return func

    # --- ASGI ---------------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.handle_other(scope, receive, send)
        # HTTP is handled here rather than in a method of its own: one coroutine less on every request.
        # Code without an app argument (models, plugins) finds this app through panther.context.current_app().
        token = _current_app.set(self)
        request = Request(scope, receive, send, self, self._max_body_size)
        try:
            result: Any = None
            try:
                if self._chain is None:
                    try:
                        result = await self._handler_for(request)(request)
                    except ClientDisconnected:
                        raise
                    except Exception as exc:  # an APIError becomes its response, anything else a logged 500
                        result = error_response(exc)
                else:
                    await read_body_for_middlewares(request)
                    result = await self._chain(request)
                    if result is None:
                        raise TypeError(
                            "An HTTP middleware returned None instead of a response: "
                            "it must `return await self.dispatch(request=request)`."
                        )
                if needs_finishing(result):  # a cursor to read or pagination to apply
                    result = await finish_response(result)
                status, headers, body, response = self._encode(result, request)
            except ClientDisconnected:
                return
            except Exception as exc:  # raised by a middleware, or while reading a cursor or rendering
                status, headers, body, response = self._encode(failure_response(exc, result), request)
            if body is None:  # a response that streams its body sends itself
                assert response is not None
                if request.method == "HEAD":
                    await response.send_head(send, None)
                else:
                    await response.send_rendered(send, receive, None, self.render_context)
                return
            await send({"type": "http.response.start", "status": status, "headers": headers})
            if request.method == "HEAD" or status in NO_CONTENT:
                body = b""
            await send({"type": "http.response.body", "body": body})
        except ClientDisconnected:
            pass
        finally:
            _current_app.reset(token)
            if request.uploads:
                request.close_uploads()

    def _handler_for(self, request: Request) -> Handler:
        """The compiled handler for the request's path and method; raises 404, 405 or 426 (or the body's error)."""
        found = self.router.match(request.scope["path"])
        if found is None:
            raise NotFoundAPIError
        route, variables = found
        if variables:  # static routes all share one empty dict: keep the request's own
            request._path_variables = variables
        if request.body_error is not None:
            raise request.body_error
        handler = route.handlers.get(request.method)
        if handler is None:
            raise route.refuse()
        return handler

    async def handle_other(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Lifespan, and scope types handled by plugins (``websocket``); an unhandled WebSocket is closed."""
        token = _current_app.set(self)
        try:
            handler = self.scope_handlers.get(scope["type"])
            if handler is not None:
                return await handler(scope, receive, send)
            if scope["type"] == "lifespan":
                return await self.handle_lifespan(receive, send)
            if scope["type"] == "websocket":
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1000})
        finally:
            _current_app.reset(token)

    async def _dispatch(self, request: Request) -> Response:
        """Innermost handler of the global middleware chain: route, run the endpoint, and turn errors into
        responses here so that middlewares (CORS, monitoring) see them like any other response."""
        try:
            result = await self._handler_for(request)(request)
            return await finish_response(result)  # middlewares get a Response
        except ClientDisconnected:
            raise
        except Exception as exc:  # an APIError becomes its response, anything else a logged 500
            return error_response(exc)

    # --- Lifespan -----------------------------------------------------------------------------------------------

    async def handle_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    logger.exception("Startup failed")
                    await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.shutdown()
                except Exception as exc:
                    logger.exception("Shutdown failed")
                    await send({"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        """Enter plugin lifespans, then run startup functions (``Event.startup`` and ``app.on_startup``)."""
        mark_current(self)
        token = _current_app.set(self)
        stack = AsyncExitStack()
        try:
            for context in self.plugins.lifespans(self):
                await stack.enter_async_context(context)
            await run_functions([*Event._startups, *self._startups])
        except BaseException:
            await stack.aclose()
            raise
        finally:
            _current_app.reset(token)
        self._exit_stack = stack

    async def shutdown(self) -> None:
        """Run shutdown functions, then exit plugin lifespans in reverse order."""
        await run_functions([*Event._shutdowns, *self._shutdowns], raise_errors=False)
        stack, self._exit_stack = self._exit_stack, None
        if stack is not None:
            await stack.aclose()

    def __repr__(self) -> str:
        return f"<Panther base_dir={self.config.BASE_DIR} routes={len(self.urls)} plugins={self.plugins.names()}>"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return ["."]
    if isinstance(value, (str, Path)):
        return [value]
    return list(value)
