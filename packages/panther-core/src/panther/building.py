"""Building an app's routes: each URL becomes a ``Route``, either built by a plugin (``panther_build_route``) or
planned and compiled by the core.

For an ``@API`` function or a ``GenericAPI`` class the builder collects one ``EndpointPlan``: the endpoint's options
(plugin options checked against what installed plugins declare), its authentication and permissions, its own
middlewares and the plugins' steps. ``panther.pipeline`` compiles the plan; nothing here runs per request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from panther.app import API, CORE_OPTIONS, EndpointOptions, GenericAPI, check_async_callable
from panther.exceptions import PantherError
from panther.hints import ENDPOINT_CLASSES, ENDPOINT_OPTIONS, missing_plugin
from panther.importing import import_object
from panther.middlewares.base import load_middlewares
from panther.pipeline import compile_endpoint, per_request_callable
from panther.plan import AuthCallable, EndpointPlan
from panther.routings import Route, variable_names

if TYPE_CHECKING:
    from panther.main import Panther

__all__ = ["RouteBuilder", "load_auth_setting", "resolve_authentication"]

OptionCheck = Callable[[Any, str], Any]


class RouteBuilder:
    """Builds the routes of one app, with what its plugins declared (computed once per app)."""

    def __init__(self, app: Panther) -> None:
        self.app = app
        self.options: dict[str, OptionCheck | None] = app.plugins.endpoint_options()
        for name in self.options:
            if name in CORE_OPTIONS:
                raise PantherError(f"A plugin declares the endpoint option `{name}`, which belongs to the core.")
        self.default_auth = load_auth_setting(app.config.AUTHENTICATION, "AUTHENTICATION")

    def __call__(self, path: str, endpoint: Any) -> Route:
        variables = variable_names(path)
        route = self.app.plugins.build_route(self.app, path, endpoint, variables)
        if route is not None:
            if not isinstance(route, Route):
                raise PantherError(f"panther_build_route returned {route!r} for '{path}/'; return a Route.")
            return route
        if isinstance(endpoint, type) and issubclass(endpoint, GenericAPI):
            options = self._with_class_options(endpoint, endpoint.options)
        elif isinstance(getattr(endpoint, "api", None), API):
            options = endpoint.api.options
        else:
            raise PantherError(_not_an_endpoint(path, endpoint, self.app.plugins.names()))
        plan = self.plan(path, endpoint, options, variables)
        if not plan.methods:
            raise PantherError(
                f"URL '{path}/' has an endpoint that answers no method: give @API() some `methods`, "
                "or implement get/post/put/patch/delete on the GenericAPI."
            )
        return Route(path, endpoint, compile_endpoint(plan, self.app), plan=plan)

    def plan(self, path: str, endpoint: Any, options: EndpointOptions, variables: tuple[str, ...]) -> EndpointPlan:
        """The plan of one HTTP endpoint: checked options, authentication, permissions, middlewares, steps."""
        where = f"{path}/"
        plan = EndpointPlan(
            path=path,
            endpoint=endpoint,
            options=self._checked(options, where),
            variables=variables,
            methods=options.methods,
        )
        plan.authentication = resolve_authentication(self.app, self._effective_auth(options.auth, where), plan)
        plan.permissions = [per_request_callable(p) for p in options.permissions]
        plan.middlewares = load_middlewares(options.middlewares, where=f"middlewares of '{where}'")
        plan.steps = self.app.plugins.endpoint_steps(self.app, plan)
        return plan

    def _with_class_options(self, cls: type, options: EndpointOptions) -> EndpointOptions:
        # A GenericAPI declares plugin options as class attributes; only now are their names known.
        values = {name: getattr(cls, name, None) for name in self.options if name not in options.plugin_options}
        values = {name: value for name, value in values.items() if value is not None}
        return options.with_plugin_options(values) if values else options

    def _checked(self, options: EndpointOptions, where: str) -> EndpointOptions:
        checked = {}
        for name, value in options.plugin_options.items():
            if name not in self.options:
                if value is False:  # `cache=False`: nothing asked for
                    continue
                plugin = ENDPOINT_OPTIONS.get(name)
                fix = (
                    missing_plugin(plugin, self.app.plugins.names())
                    if plugin
                    else "check its spelling, or install the plugin that reads it"
                )
                raise PantherError(
                    f"'{where}' sets the endpoint option `{name}` but no installed plugin reads it: {fix}."
                )
            check = self.options[name]
            checked[name] = check(value, where) if check is not None else value
        if checked == options.plugin_options:
            return options
        copy = options.with_plugin_options({})
        copy.plugin_options = checked
        return copy

    def _effective_auth(self, auth: Any, where: str) -> Any:
        """``None``: the ``AUTHENTICATION`` setting; ``False``: none; ``True``: the setting, which must be set."""
        if auth is False:
            return None
        if auth is None or auth is True:
            if auth is True and self.default_auth is None:
                raise PantherError(f"'{where}' declares `auth=True` but AUTHENTICATION is not set in configs.")
            return self.default_auth
        return auth


def load_auth_setting(value: Any, setting: str) -> Any:
    """The authentication named by a setting (``AUTHENTICATION``, ``WS_AUTHENTICATION``): imported if a dotted
    path, checked if callable; ``None`` when unset."""
    if value is None:
        return None
    if isinstance(value, str):
        value = import_object(value, setting)
    if callable(value):
        check_async_callable(value, setting, "configs")
    return value


def resolve_authentication(app: Panther, auth: Any, plan: EndpointPlan) -> AuthCallable | None:
    """The per-request callable for the declaration ``auth`` of ``plan``'s endpoint (``None``: no authentication).

    Plugins are asked first (``panther_authentication``, told the plan and so its scope type); an async function or a
    class with an async ``__call__`` is the core's fallback, a class instantiated per request.
    """
    if auth is None:
        return None
    resolved = app.plugins.authentication(app, auth, plan)
    if resolved is not None:
        return resolved
    if not callable(auth):
        raise PantherError(
            f"'{plan.where}': auth {auth!r} is not an async callable and no installed plugin handles it."
        )
    return per_request_callable(auth)


def _not_an_endpoint(path: str, endpoint: Any, active: list[str]) -> str:
    for cls in getattr(endpoint, "__mro__", ())[1:]:
        plugin = ENDPOINT_CLASSES.get(cls.__name__)
        if plugin is not None:
            fix = missing_plugin(plugin, active)
            return f"URL '{path}/' points to a {cls.__name__}, but no active plugin serves it: {fix}."
    if inspect.isfunction(endpoint) or inspect.ismethod(endpoint):
        return f"URL '{path}/' points to {endpoint.__qualname__}(), which is not wrapped by @API()."
    return f"URL '{path}/' points to {endpoint!r}: use an @API() function or a GenericAPI class."
