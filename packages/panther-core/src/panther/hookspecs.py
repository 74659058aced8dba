"""The hooks a Panther plugin can implement, grouped by when they are called.

Every hook is synchronous and called while an app is built or during its lifespan startup/shutdown — never per
request. A hook *contributes objects* (a scope handler, middleware classes, routes, JSON encoders, an async context
manager, a compiled throttle, CLI commands); the core folds them into tables it precomputes once.

Implement a hook with ``panther.plugins.hookimpl``::

    from panther.plugins import hookimpl

    @hookimpl
    def panther_json_encoders(app):
        return {Decimal: str}

Implementations may accept any subset of the arguments a spec lists. A misspelled hook name makes ``Panther(...)``
fail with the name. pluggy calls the plugin registered last first; where results are merged (dicts, lists) the core
rejects duplicates instead of letting registration order decide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from datetime import timedelta

    from panther.configs import Config
    from panther.main import Panther
    from panther.types import Receive, Scope, Send

hookspec = pluggy.HookspecMarker("panther")


# --- Plugin registration --------------------------------------------------------------------------------------


@hookspec(historic=True)
def panther_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add hook specifications of a plugin's own (e.g. panther-db lets other plugins add database engines).

    Called once per plugin as it is registered, before any other hook. Call
    ``pluginmanager.add_hookspecs(module_or_class)``. Returns nothing.
    """


# --- Configuration (when the app is built) --------------------------------------------------------------------


@hookspec
def panther_config_defaults() -> Mapping[str, Any] | None:
    """Declare the configuration keys this plugin owns and their default values.

    Called once while the app's config is loaded, before ``panther_configure``. Return a mapping of UPPERCASE key
    to default value. Results are merged; two plugins declaring the same key is a startup error. A key the user set
    that no installed plugin declares (e.g. ``DATABASE`` without panther-db) is a startup error naming the extra to
    install.
    """


@hookspec
def panther_configure(app: Panther, config: Config) -> None:
    """Validate and prepare this plugin's configuration for ``app``.

    Called once per app after the config is loaded and defaults are applied, before routes are compiled. Raise
    ``panther.exceptions.PantherError`` with a message that says what to change. May store prepared objects on
    ``app.state`` (a plain namespace owned by the app). Returns nothing; every implementation is called.
    """


# --- Dispatch (when the app is built) -------------------------------------------------------------------------


@hookspec
def panther_scope_handlers(app: Panther) -> Mapping[str, Callable[[Scope, Receive, Send], Any]] | None:
    """Handle ASGI scope types the core does not (e.g. ``{"websocket": handler}``).

    Called once when the app is built. Return a mapping of ``scope["type"]`` to an async ASGI callable
    ``handler(scope, receive, send)``. Results are merged; two plugins handling the same type is a startup error,
    and ``http``/``lifespan`` belong to the core. A WebSocket connection with no handler is closed.
    """


@hookspec
def panther_http_middlewares(app: Panther) -> list[type] | None:
    """Add global HTTP middleware classes (subclasses of ``panther.middlewares.HTTPMiddleware``).

    Called once when the app is built. Returned classes are placed outside the user's ``MIDDLEWARES`` (outermost
    first, in the order returned); lists from several plugins are concatenated.
    """


@hookspec
def panther_ws_middlewares(app: Panther) -> list[type] | None:
    """Add global WebSocket middleware classes (subclasses of ``panther.middlewares.WebsocketMiddleware``).

    Called once when the app is built, like ``panther_http_middlewares``; the WebSocket handler reads the result
    from ``app.ws_middlewares``.
    """


@hookspec
def panther_routes(app: Panther) -> Mapping[str, Any] | None:
    """Contribute URL routes (a nested URL dict, as in ``urls=``) mounted next to the user's.

    Called once when the app is built. Results are merged into the route table; a path defined twice is a startup
    error.
    """


@hookspec
def panther_json_encoders(app: Panther) -> Mapping[type, Callable[[Any], Any]] | None:
    """Teach the JSON encoder types orjson does not know (database models, cursors, ObjectId, ...).

    Called once when the app is built. Return ``{type: encoder}``; an encoder returns something orjson can encode.
    Subclasses are matched through the MRO. Results are merged; two plugins encoding the same type is an error.
    """


@hookspec(firstresult=True)
def panther_authentication(app: Panther, auth: Any) -> Callable[..., Any] | None:
    """Turn an ``auth=`` declaration (or the ``AUTHENTICATION`` config value) into the callable used at runtime.

    Called once per endpoint that declares authentication, when the app is built. Return an async callable
    ``auth(request) -> user`` or ``None`` to leave it to the next plugin (the core's fallback accepts async
    functions and classes with an async ``__call__``). The first non-None result wins.
    """


@hookspec(firstresult=True)
def panther_throttler(app: Panther, throttle: Any) -> Callable[..., Any] | None:
    """Compile a throttling declaration (``API(throttling=...)`` or ``THROTTLING``) into a runtime check.

    Called once per throttled endpoint when the app is built. Return an async callable ``check(request)`` that raises
    ``ThrottlingAPIError`` when the limit is exceeded, or ``None`` if this plugin does not handle ``throttle``. The
    first non-None result wins; with none, declaring throttling is a startup error ("install panther-core[cache]").
    """


@hookspec(firstresult=True)
def panther_response_cache(app: Panther, duration: timedelta) -> Any | None:
    """Compile ``API(cache=timedelta(...))`` into a response cache for one endpoint.

    Called once per cached endpoint when the app is built. Return an object with ``async get(request) -> Response |
    None`` and ``async set(request, response) -> None``, or ``None``. The first non-None result wins; with none,
    declaring a cache is a startup error ("install panther-core[cache]").
    """


# --- Lifespan (ASGI lifespan startup and shutdown) ------------------------------------------------------------


@hookspec
def panther_lifespan(app: Panther) -> AbstractAsyncContextManager[Any] | None:
    """Run something for the app's lifetime: open connections, start a listener or a scheduler.

    Called once at lifespan startup. Return an async context manager (e.g. from ``contextlib.asynccontextmanager``);
    it is entered at startup, before ``Event.startup`` functions run, and exited at shutdown after
    ``Event.shutdown`` functions, in reverse order of entry. An exception while entering fails the startup with its
    message.
    """


# --- Command line ---------------------------------------------------------------------------------------------


@hookspec
def panther_cli_commands() -> Mapping[str, Callable[[list[str]], int | None]] | None:
    """Add ``panther <command>`` sub-commands (e.g. ``createuser``).

    Called once when the CLI starts. Return ``{name: main}`` where ``main(argv)`` receives the arguments after the
    command name and returns an exit code (``None`` means 0). A name taken by the core or another plugin is an
    error. The function's docstring's first line is shown in ``panther --help``.
    """


def panther_hook_names() -> list[str]:
    """The names of every hook specified here."""
    return [name for name in globals() if name.startswith("panther_") and name != "panther_hook_names"]
