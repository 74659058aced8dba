"""The hooks a Panther plugin can implement, grouped by when they are called.

Every hook is synchronous and called while an app is built or during its lifespan startup/shutdown — never per
request. A hook *contributes objects* (a scope handler, middleware classes, routes, a route for another scope type,
pipeline steps, JSON encoders, an async context manager, CLI commands); the core folds them into tables it
precomputes once.

When an app is built (``Panther(...)``), hooks are called in this order: ``panther_addhooks`` (as each plugin is
registered), ``panther_config_defaults``, ``panther_configure``, ``panther_json_encoders``,
``panther_endpoint_options``, ``panther_scope_handlers``, ``panther_http_middlewares``, ``panther_ws_middlewares``,
``panther_routes``, then for every route ``panther_build_route`` and — for HTTP endpoints the core compiles —
``panther_authentication`` and ``panther_endpoint_steps``; last ``panther_app_built``. ``panther_lifespan`` is called
at lifespan startup; ``panther_cli_commands`` when the command line starts; ``panther_project_scaffolds`` when
``panther create`` runs.

A plugin keeps its per-app objects in ``app.stash`` under a ``panther.stash.StashKey`` of its own.

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

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from panther.cli.create import Scaffold
    from panther.configs import Config
    from panther.main import Panther
    from panther.plan import AuthCallable, EndpointPlan, Step
    from panther.routings import Route
    from panther.types import Receive, Scope, Send

hookspec = pluggy.HookspecMarker("panther")


# --- Plugin registration --------------------------------------------------------------------------------------


@hookspec(historic=True)
def panther_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add hook specifications of a plugin's own (e.g. panther-db lets other plugins add database engines).

    Called once per plugin as it is registered, before any other hook.

    :param pluginmanager: the app's ``pluggy.PluginManager``; call ``pluginmanager.add_hookspecs(module_or_class)``.

    Returns nothing.
    """


# --- Configuration (when the app is built) --------------------------------------------------------------------


@hookspec
def panther_config_defaults() -> Mapping[str, Any] | None:
    """Declare the configuration keys this plugin owns and their default values.

    Called once while the app's config is loaded, before ``panther_configure``. Return a mapping of UPPERCASE key
    to default value. Results are merged; two plugins declaring the same key is a startup error. A key of a known
    plugin (listed in ``panther.hints.CONFIG_KEYS``, e.g. ``DATABASE``) set while that plugin is not active is a
    startup error naming the distribution to install; other unknown keys are kept as they are, as upstream did.
    """


@hookspec
def panther_configure(app: Panther, config: Config) -> None:
    """Validate and prepare this plugin's configuration for ``app``.

    Called once per app after the config is loaded and defaults are applied, before routes are compiled.

    :param app: the app being built; store prepared objects in ``app.stash[YOUR_KEY]``.
    :param config: the app's config, defaults applied.

    Raise ``panther.exceptions.PantherError`` with a message that says what to change. Returns nothing; every
    implementation is called.
    """


# --- Dispatch (when the app is built) -------------------------------------------------------------------------


@hookspec
def panther_scope_handlers(app: Panther) -> Mapping[str, Callable[[Scope, Receive, Send], Any]] | None:
    """Handle ASGI scope types the core does not (e.g. ``{"websocket": handler}``).

    Called once when the app is built.

    :param app: the app being built (its routes are built after this hook: look them up per connection with
        ``app.router.match(path)``).

    Return a mapping of ``scope["type"]`` to an async ASGI callable
    ``handler(scope, receive, send)``. Results are merged; two plugins handling the same type is a startup error,
    and ``http``/``lifespan`` belong to the core. A WebSocket connection with no handler is closed.
    """


@hookspec
def panther_http_middlewares(app: Panther) -> list[type] | None:
    """Add global HTTP middleware classes (subclasses of ``panther.middlewares.HTTPMiddleware``).

    Called once when the app is built.

    :param app: the app being built.

    Returned classes are placed outside the user's ``MIDDLEWARES`` (outermost
    first, in the order returned); lists from several plugins are concatenated.
    """


@hookspec
def panther_ws_middlewares(app: Panther) -> list[type] | None:
    """Add global WebSocket middleware classes (subclasses of ``panther.middlewares.WebsocketMiddleware``).

    :param app: the app being built.

    Called once when the app is built, like ``panther_http_middlewares``: returned classes are placed outside the
    user's ``WS_MIDDLEWARES`` (outermost first). The plugin serving WebSockets reads the whole list from
    ``app.ws_middlewares``.
    """


@hookspec
def panther_routes(app: Panther) -> Mapping[str, Any] | None:
    """Contribute URL routes (a nested URL dict, as in ``urls=``) mounted next to the user's.

    Called once when the app is built, before any route is compiled.

    :param app: the app being built.

    Results are merged into the route table; a path defined twice is a startup error.
    """


@hookspec
def panther_json_encoders(app: Panther) -> Mapping[type, Callable[[Any], Any]] | None:
    """Teach the JSON encoder types orjson does not know (database models, cursors, ObjectId, ...).

    Called once when the app is built, after ``panther_configure``.

    :param app: the app being built.

    Return ``{type: encoder}``; an encoder returns something orjson can encode.
    Subclasses are matched through the MRO. Results are merged; two plugins encoding the same type is an error.
    """


@hookspec
def panther_endpoint_options() -> Mapping[str, Callable[[Any, str], Any] | None] | None:
    """Declare the endpoint options this plugin owns: ``@API(name=...)`` and ``GenericAPI.name``.

    Called once when the app is built, before any route. Return ``{name: check}`` where ``check(value, where)``
    validates one endpoint's value (``where`` names the route) and returns the value to keep, raising
    ``PantherError`` for a bad one; ``check`` may be ``None``. Results are merged; two plugins declaring the same
    name, or a plugin declaring a core option, is a startup error. An option set on an endpoint that no installed
    plugin declares is a startup error naming the distribution to install. The plugin reads the values from
    ``plan.option(name)`` in ``panther_endpoint_steps`` (and any other hook given a plan).
    """


@hookspec(firstresult=True)
def panther_build_route(app: Panther, path: str, endpoint: Any, variables: tuple[str, ...]) -> Route | None:
    """Build the route for an endpoint the core does not compile (e.g. a ``GenericWebsocket`` class).

    Called once per URL of the route table, when the app is built, before the core tries its own endpoint types.

    :param app: the app being built.
    :param path: the URL as written in the route table, without outer slashes (``'rooms/<seat>'``).
    :param endpoint: the object the URL points to.
    :param variables: the URL's path variable names, in order.

    Return a ``panther.routings.Route`` (``Route(path, endpoint, {scope_type: handler}, scope_type=...,
    plan=...)``) or ``None`` for endpoints this plugin does not know; the first non-None result wins. Bind the
    handler's parameters with ``panther.parameters.bind_parameters(func, variables, path)``: path variables are
    then cast exactly as for HTTP. The plugin's scope handler (``panther_scope_handlers``) finds the route with
    ``app.router.match(path)``. Routes of another scope type answer HTTP requests with 426.

    A plugin-built route is the plugin's to enforce: the core compiles nothing for it, so the plugin runs the
    endpoint's authentication (``panther.building.resolve_authentication``) and permissions itself, as panther-ws
    does. For an HTTP endpoint of its own kind, ``app.builder.plan(path, endpoint, options, variables)`` gives the
    full plan (options checked, authentication, permissions, every plugin's steps) and
    ``panther.pipeline.compile_endpoint(plan, app)`` compiles it when the endpoint has ``get``/``post``/... methods.
    """


@hookspec(firstresult=True)
def panther_authentication(app: Panther, auth: Any, endpoint: EndpointPlan) -> AuthCallable | None:
    """Turn an ``auth=`` declaration (or the ``AUTHENTICATION`` setting) into the callable used per request.

    Called once per endpoint that declares authentication, when the app is built (for WebSocket endpoints, by the
    plugin that builds them, through ``panther.building.resolve_authentication``).

    :param app: the app being built.
    :param auth: the declaration: a class, an async function, or an object only a plugin understands.
    :param endpoint: the endpoint's plan; ``endpoint.scope_type`` says whether it serves ``'http'`` or
        ``'websocket'`` connections (e.g. read the token from a header or from the query string).

    Return an async callable ``auth(request_or_connection) -> user`` or ``None`` to leave it to the next plugin
    (the core's fallback accepts async functions and classes with an async ``__call__``, one instance per request).
    The first non-None result wins.
    """


@hookspec
def panther_endpoint_steps(app: Panther, endpoint: EndpointPlan) -> Step | Iterable[Step] | None:
    """Contribute steps to an HTTP endpoint's pipeline (throttling, caching, auditing, ...).

    Called once per endpoint — not per method — when the app is built, after its authentication and permissions
    are resolved, with its route and options (``endpoint.path``, ``endpoint.option('cache')``).

    :param app: the app being built.
    :param endpoint: the endpoint's plan.

    Return a ``panther.plan.Step`` (``Step(Stage.THROTTLE, wrap, methods=None)``), several, or ``None``. Each
    step's ``wrap(inner)`` is called once per method the step applies to and returns the handler of that stage;
    state shared by the endpoint's methods lives in the closure that made the step. A step that never reads the
    request body says ``reads_body=False``, so an endpoint that does not use the body is not made to read it; one
    that neither reads nor changes the response says ``uses_response=False``, so no ``Response`` is built for it.
    Steps from every plugin are collected; within a stage, registration order decides (the first is outermost).
    """


@hookspec
def panther_app_built(app: Panther) -> None:
    """Look at the finished app: every route compiled, middleware chains built (e.g. to describe its API).

    Called once, at the end of ``Panther(...)``.

    :param app: the finished app; ``app.routes`` lists its routes (``route.path``, ``route.scope_type``,
        ``route.plan`` with the endpoint, its options, methods, authentication and steps), ``app.router`` resolves
        paths.

    Returns nothing; every implementation is called. Raise ``PantherError`` to refuse the app.
    """


# --- Lifespan (ASGI lifespan startup and shutdown) ------------------------------------------------------------


@hookspec
def panther_lifespan(app: Panther) -> AbstractAsyncContextManager[Any] | None:
    """Run something for the app's lifetime: open connections, start a listener or a scheduler.

    Called once at lifespan startup.

    :param app: the app starting; its plugin state is in ``app.stash``.

    Return an async context manager (e.g. from ``contextlib.asynccontextmanager``);
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


@hookspec
def panther_project_scaffolds() -> Mapping[str, Callable[[str], Scaffold]] | None:
    """Offer databases to ``panther create --database NAME``.

    Called once when ``panther create`` starts (no app exists). Return ``{name: scaffold}`` where
    ``scaffold(project_name)`` returns a ``panther.cli.create.Scaffold`` (the models, endpoints, URL module and
    ``DATABASE`` setting of the new project, and the requirement to install). Results are merged; two plugins
    offering the same name is an error. ``none`` (no database) belongs to the core.
    """


def panther_hook_names() -> list[str]:
    """The names of every hook specified here."""
    return [name for name in globals() if name.startswith("panther_") and name != "panther_hook_names"]
