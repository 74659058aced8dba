"""The ``Panther`` ASGI application: builds everything at startup, then dispatches requests from precomputed tables.

Building an app loads its config, its plugins, its routes and middleware chains, and compiles one handler per
endpoint. Per request, HTTP dispatch is: read body → middlewares → route lookup → method → handler → render →
send. Plugins are
consulted while the app is built and at lifespan startup/shutdown, never per request.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import logging
import warnings
from collections.abc import Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from panther.app import API, GenericAPI, check_async_callable
from panther.configs import PLUGIN_KEYS, Config, read_config_module, resolve_base_dir
from panther.context import _current as _current_app
from panther.context import mark_started
from panther.encoders import make_json_dumps
from panther.events import Event, run_functions
from panther.exceptions import (
    APIError,
    ClientDisconnected,
    MethodNotAllowedAPIError,
    NotFoundAPIError,
    PantherError,
    UpgradeRequiredError,
)
from panther.log import configure_logging
from panther.middlewares.base import HTTPMiddleware, WebsocketMiddleware, build_chain
from panther.pipeline import (
    PLAIN_DATA,
    Handler,
    allowed_methods,
    compile_class,
    compile_function,
    finish_response,
    is_finished,
    options_answer,
    per_request_callable,
    read_body_for_middlewares,
)
from panther.plugins import PluginManager
from panther.request import Request
from panther.response import CONTENT_LENGTH, NO_CONTENT, RenderContext, Response
from panther.routings import Router, flatten_urls, variable_names
from panther.templates import build_environment
from panther.types import Receive, Scope, Send

logger = logging.getLogger("panther")

_JSON_CONTENT_TYPE = Response._content_type_header

__all__ = ["Panther", "Route"]


class Route:
    """One URL of the route table: its endpoint and a compiled handler per HTTP method."""

    __slots__ = ("allow", "endpoint", "handlers", "path", "scope_type")

    def __init__(self, path: str, endpoint: Any, handlers: dict[str, Handler], scope_type: str = "http") -> None:
        self.path = path
        self.endpoint = endpoint
        self.scope_type = scope_type
        self.allow = allowed_methods(handlers) if handlers else ""
        if "GET" in handlers:
            handlers.setdefault("HEAD", handlers["GET"])
        if scope_type == "http":
            handlers.setdefault("OPTIONS", options_answer(self.allow))
        self.handlers = handlers

    def refuse(self) -> APIError:
        """The error for a method this route does not answer: 426 on a WebSocket route, else 405 with ``Allow``."""
        if self.scope_type != "http":
            return UpgradeRequiredError()
        return MethodNotAllowedAPIError(headers={"Allow": self.allow})


class Panther:
    """An ASGI application.

    ``Panther(__name__, configs=__name__, urls={...})`` reads settings from the named module (or ``core.configs``),
    loads plugins (built-ins, then entry points of the ``panther`` group, then ``plugins=``, minus the disabled
    ones) and compiles every route. Configuration mistakes raise ``PantherError`` here, with what to change.
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
        self.state = SimpleNamespace()  # plugins keep their per-app objects here
        self.redis: Any = None
        self._startups: list[Callable[[], Any]] = []
        self._shutdowns: list[Callable[[], Any]] = []
        self._exit_stack: AsyncExitStack | None = None

        self.plugins = PluginManager(plugins=plugins, disable=[*disable_plugins, *(self.config.DISABLED_PLUGINS or [])])
        self._apply_plugin_defaults(values)
        self._check_core_config()
        configure_logging(self.config)
        self.plugins.configure(self, self.config)

        self.render_context = RenderContext(
            dumps=make_json_dumps(self.plugins.json_encoders(self)),
            templates=build_environment(_as_list(self.config.TEMPLATES_DIR), self.config.BASE_DIR),
            base_dir=self.config.BASE_DIR,
        )
        self.default_auth = self._load_default_auth()
        self.scope_handlers = self.plugins.scope_handlers(self)
        self.http_middlewares = [
            *self.plugins.http_middlewares(self),
            *self.load_middlewares(self.config.MIDDLEWARES or [], where="MIDDLEWARES"),
        ]
        self.ws_middlewares = [
            *self.plugins.ws_middlewares(self),
            *self.load_middlewares(self.config.WS_MIDDLEWARES or [], where="WS_MIDDLEWARES", base=WebsocketMiddleware),
        ]
        self.urls = self._collect_urls(urls)
        self.router: Router[Route] = Router(self.urls, self._build_route)
        # With global middlewares every request goes through their chain; without, `__call__` dispatches itself.
        self._chain = build_chain(self._dispatch, self.http_middlewares, self) if self.http_middlewares else None
        self._dumps = self.render_context.dumps
        self._max_body_size: int | None = self.config.MAX_REQUEST_BODY_SIZE
        mark_started(self)

    # --- Building -----------------------------------------------------------------------------------------------

    def _apply_plugin_defaults(self, values: Mapping[str, Any]) -> None:
        defaults = self.plugins.config_defaults()
        for key, value in values.items():
            if key in PLUGIN_KEYS and key not in defaults and value not in (None, False, {}, []):
                extra = PLUGIN_KEYS[key]
                raise PantherError(
                    f"`{key}` is set in your configs, but no installed plugin reads it: "
                    f"install it with `pip install 'panther-core[{extra}]'` (or remove `{key}`)."
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

    def _build_route(self, path: str, endpoint: Any) -> Route:
        variables = variable_names(path)
        api = getattr(endpoint, "api", None)
        if isinstance(api, API) and hasattr(endpoint, "__wrapped__"):
            return Route(path, endpoint, _require_methods(path, compile_function(endpoint, self, path, variables)))
        if isinstance(endpoint, type) and issubclass(endpoint, GenericAPI):
            return Route(path, endpoint, _require_methods(path, compile_class(endpoint, self, path, variables)))
        scope_type = getattr(endpoint, "__panther_scope__", None)
        if isinstance(scope_type, str) and scope_type != "http":
            if scope_type not in self.scope_handlers:
                raise PantherError(
                    f"URL '{path}/' is a {scope_type} endpoint but no installed plugin handles {scope_type} "
                    f"connections: install `panther-core[ws]`."
                )
            return Route(path, endpoint, {}, scope_type=scope_type)
        if inspect.isfunction(endpoint) or inspect.ismethod(endpoint):
            raise PantherError(f"URL '{path}/' points to {endpoint.__qualname__}(), which is not wrapped by @API().")
        raise PantherError(
            f"URL '{path}/' points to {endpoint!r}: use an @API() function or a GenericAPI/GenericWebsocket class."
        )

    def load_middlewares(self, items: Iterable[Any], where: str, base: type = HTTPMiddleware) -> list[type]:
        """Resolve middleware classes (or dotted paths) and check they subclass ``base``."""
        result = []
        for item in items:
            if isinstance(item, tuple):  # upstream's legacy `(path, data)` form
                warnings.warn(f"{where}: the `(path, data)` form is deprecated; list the class.", stacklevel=2)
                item = item[0]
            middleware = import_object(item, where) if isinstance(item, str) else item
            if not (isinstance(middleware, type) and issubclass(middleware, base)):
                raise PantherError(f"{where}: {middleware!r} is not a subclass of {base.__module__}.{base.__name__}.")
            result.append(middleware)
        return result

    def _load_default_auth(self) -> Any:
        auth = self.config.AUTHENTICATION
        if auth is None:
            return None
        if isinstance(auth, str):
            auth = import_object(auth, "AUTHENTICATION")
        check_async_callable(auth, "AUTHENTICATION", "configs")
        return auth

    def resolve_auth(self, auth: Any, where: str) -> Callable[..., Any] | None:
        """The runtime auth callable for an endpoint (``None``: use ``AUTHENTICATION``; ``False``: none)."""
        if auth is False:
            return None
        if auth is None or auth is True:
            if auth is True and self.default_auth is None:
                raise PantherError(f"'{where}' declares `auth=True` but AUTHENTICATION is not set in configs.")
            auth = self.default_auth
            if auth is None:
                return None
        resolved = self.plugins.authentication(self, auth)
        if resolved is not None:
            return resolved
        if not callable(auth):
            raise PantherError(f"'{where}': auth {auth!r} is not an async callable and no installed plugin handles it.")
        return per_request_callable(auth)

    def resolve_throttle(self, throttling: Any, where: str) -> Callable[..., Any] | None:
        throttle = throttling if throttling is not None else self.config.THROTTLING
        if throttle is None or throttle is False:
            return None
        check = self.plugins.throttler(self, throttle)
        if check is None:
            raise PantherError(
                f"'{where}' declares throttling ({throttle!r}) but no installed plugin handles it: "
                "install `panther-core[cache]`."
            )
        return check

    def resolve_cache(self, duration: Any, where: str) -> Any:
        if duration is None:
            return None
        cache = self.plugins.response_cache(self, duration)
        if cache is None:
            raise PantherError(
                f"'{where}' declares `cache={duration!r}` but no installed plugin caches responses: "
                "install `panther-core[cache]`."
            )
        return cache

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
            response: Any = None
            body: bytes | None
            headers: list[tuple[bytes, bytes]] | None
            try:
                if self._chain is None:
                    try:
                        response = await self._handler_for(request)(request)
                    except ClientDisconnected:
                        raise
                    except Exception as exc:  # an APIError becomes its response, anything else a logged 500
                        response = error_response(exc)
                else:
                    await read_body_for_middlewares(request)
                    response = await self._chain(request)
                    if response is None:
                        raise TypeError(
                            "An HTTP middleware returned None instead of a response: "
                            "it must `return await self.dispatch(request=request)`."
                        )
                if type(response) in PLAIN_DATA:  # what most endpoints return: sent as Response(data) would be
                    status, data, plain = 200, response, True
                else:
                    # is_finished(response), inlined: a cursor to read or pagination to apply needs finishing.
                    if (
                        type(response) is not Response
                        or response.pagination is not None
                        or type(response.data) not in PLAIN_DATA
                    ):
                        response = await finish_response(response)
                    status, data = response.status_code, response.data
                    # A JSON Response with a body and no header or cookie of its own is sent like plain data.
                    plain = (
                        type(response) is Response
                        and response._headers is None
                        and response._cookies is None
                        and status not in NO_CONTENT
                    )
                if plain:  # Response.render() and raw_headers(), inlined for the common case
                    body = data if isinstance(data, bytes) else b"" if data is None else self._dumps(data)
                    headers = [_JSON_CONTENT_TYPE, (CONTENT_LENGTH, b"%d" % len(body))]
                else:
                    if response.reads_request:
                        response.prepare(request)
                    body = response.render(self.render_context)
                    headers = None if body is None else response.raw_headers(len(body))
            except ClientDisconnected:
                return
            except Exception as exc:  # raised by a middleware, or while reading a cursor or rendering
                response, body = self._render_failure(response, exc)
                status = response.status_code
                headers = None if body is None else response.raw_headers(len(body))
            if body is None:  # a response that streams its body sends itself
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

    def _render_failure(self, failed: Any, exc: Exception) -> tuple[Response, bytes | None]:
        response = error_response(exc)
        if isinstance(failed, Response):
            # Rendering failed after the middlewares ran: keep the CORS headers they added, or the browser hides
            # even the 500 from the page.
            response.headers.update(
                (k, v)
                for k, v in failed.headers.items()
                if k.lower().startswith("access-control-") or k.lower() == "vary"
            )
        return response, response.render(self.render_context)

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
            return result if is_finished(result) else await finish_response(result)
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
        mark_started(self)
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


def _require_methods(path: str, handlers: dict[str, Handler]) -> dict[str, Handler]:
    if not handlers:
        raise PantherError(
            f"URL '{path}/' has an endpoint that answers no method: give @API() some `methods`, "
            "or implement get/post/put/patch/delete on the GenericAPI."
        )
    return handlers


def error_response(exc: Exception) -> Response:
    """The response for an exception: an ``APIError`` as ``{"detail": ...}``, anything else a logged 500."""
    if isinstance(exc, APIError):
        return Response(data=exc.body, status_code=exc.status_code, headers=exc.headers)
    logger.error("Internal Server Error", exc_info=exc)
    return Response(data={"detail": "Internal Server Error"}, status_code=500)


def import_object(dotted: str, what: str) -> Any:
    """Import ``'package.module.attribute'``; a failure is a ``PantherError`` saying which setting to fix."""
    module_name, _, attribute = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise PantherError(f"{what}: cannot import {dotted!r} ({exc}).") from None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return ["."]
    if isinstance(value, (str, Path)):
        return [value]
    return list(value)
