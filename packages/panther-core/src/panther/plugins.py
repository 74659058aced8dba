"""The per-app plugin manager: loads plugins in a fixed order and calls hooks through typed methods.

Load order: blocked names → the core's built-in plugins → entry points of the ``panther`` group → plugins passed
as ``Panther(plugins=[...])`` → ``check_pending()``. A plugin is disabled by its name with
``Panther(disable_plugins=[...])``, the ``DISABLED_PLUGINS`` config key or ``PANTHER_DISABLE_PLUGINS=ws,auth``;
``PANTHER_DISABLE_PLUGIN_AUTOLOAD=1`` loads no entry points at all.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from panther import hookspecs
from panther.app import HTTP_METHODS
from panther.exceptions import PantherError
from panther.plan import Step

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from panther.configs import Config
    from panther.main import Panther
    from panther.plan import AuthCallable, EndpointPlan
    from panther.routings import Route

PROJECT = "panther"
ENTRY_POINT_GROUP = "panther"

hookimpl = pluggy.HookimplMarker(PROJECT)

#: The core's own plugins, registered by name exactly like external ones (so they can be disabled too).
BUILTIN_PLUGINS: dict[str, str] = {
    "encoders": "panther.encoders",
    "redis": "panther.redis_client",
}


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What ``panther plugins`` shows about one registered plugin."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


def disabled_from_env() -> list[str]:
    raw = os.environ.get("PANTHER_DISABLE_PLUGINS", "")
    return [name.strip() for name in raw.split(",") if name.strip()]


def autoload_from_env() -> bool:
    return os.environ.get("PANTHER_DISABLE_PLUGIN_AUTOLOAD", "").strip().lower() not in ("1", "true", "yes")


class PluginManager:
    """One app's plugins, with a method per hook so call sites read ``plugins.json_encoders(app)``."""

    def __init__(
        self,
        plugins: Iterable[object] = (),
        disable: Iterable[str] = (),
        autoload: bool | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.pm.hook.panther_addhooks.call_historic(kwargs={"pluginmanager": self.pm})
        self.disabled = sorted({*disable, *disabled_from_env()})
        for name in self.disabled:
            self.pm.set_blocked(name)
        self._distributions: dict[str, tuple[str, str]] = {}
        for name, module_name in BUILTIN_PLUGINS.items():
            if not self.pm.is_blocked(name):
                self.pm.register(importlib.import_module(module_name), name=name)
                self._distributions[name] = ("panther-core", _version("panther-core"))
        if autoload_from_env() if autoload is None else autoload:
            self._load_entry_points()
        for plugin in plugins:
            self._register_user_plugin(plugin)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PantherError(f"{exc} — check the hook's spelling against panther.hookspecs.") from None

    def _load_entry_points(self) -> None:
        try:
            self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except pluggy.PluginValidationError as exc:
            raise PantherError(f"Plugin {exc.plugin!r} is invalid: {exc}") from None
        for plugin, dist in self.pm.list_plugin_distinfo():
            name = self.pm.get_name(plugin)
            if name is not None:
                self._distributions[name] = (dist.project_name, dist.version)

    def _register_user_plugin(self, plugin: object) -> None:
        name = getattr(plugin, "__name__", None) or getattr(plugin, "name", None) or None
        if name is not None and self.pm.is_blocked(name):
            return
        if self.pm.is_registered(plugin):
            return
        try:
            self.pm.register(plugin, name=name)
        except ValueError as exc:  # a name that is already registered
            raise PantherError(f"Plugin {name!r} is registered twice: {exc}") from None
        except pluggy.PluginValidationError as exc:
            raise PantherError(f"Plugin {name!r} is invalid: {exc}") from None
        self._distributions[self.pm.get_name(plugin) or repr(plugin)] = ("(passed to Panther)", "")

    # --- Introspection ----------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return [name for name, plugin in self.pm.list_name_plugin() if plugin is not None]  # None marks "blocked"

    def has(self, name: str) -> bool:
        return self.pm.has_plugin(name)

    def info(self) -> list[PluginInfo]:
        """The registered plugins in load order, with their distribution, version and implemented hooks."""
        result = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:  # a blocked name
                continue
            hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
            distribution, version = self._distributions.get(name, ("?", ""))
            result.append(PluginInfo(name, distribution, version, hooks))
        return result

    # --- Hooks, one typed method each -------------------------------------------------------------------------

    def config_defaults(self) -> dict[str, Any]:
        return _merge_mappings(self.pm.hook.panther_config_defaults(), "config key")

    def configure(self, app: Panther, config: Config) -> None:
        self.pm.hook.panther_configure(app=app, config=config)

    def scope_handlers(self, app: Panther) -> dict[str, Callable[..., Any]]:
        handlers = _merge_mappings(self.pm.hook.panther_scope_handlers(app=app), "ASGI scope type")
        for reserved in ("http", "lifespan"):
            if reserved in handlers:
                raise PantherError(f"A plugin tried to handle {reserved!r} scopes, which belong to the core.")
        return handlers

    def http_middlewares(self, app: Panther) -> list[type]:
        return _concat(self.pm.hook.panther_http_middlewares(app=app))

    def ws_middlewares(self, app: Panther) -> list[type]:
        return _concat(self.pm.hook.panther_ws_middlewares(app=app))

    def routes(self, app: Panther) -> list[Mapping[str, Any]]:
        return [routes for routes in reversed(self.pm.hook.panther_routes(app=app)) if routes]

    def json_encoders(self, app: Panther) -> dict[type, Callable[[Any], Any]]:
        return _merge_mappings(self.pm.hook.panther_json_encoders(app=app), "JSON encoder for type")

    def endpoint_options(self) -> dict[str, Callable[[Any, str], Any] | None]:
        return _merge_mappings(self.pm.hook.panther_endpoint_options(), "endpoint option")

    def build_route(self, app: Panther, path: str, endpoint: Any, variables: tuple[str, ...]) -> Route | None:
        return self.pm.hook.panther_build_route(app=app, path=path, endpoint=endpoint, variables=variables)

    def authentication(self, app: Panther, auth: Any, endpoint: EndpointPlan) -> AuthCallable | None:
        return self.pm.hook.panther_authentication(app=app, auth=auth, endpoint=endpoint)

    def endpoint_steps(self, app: Panther, endpoint: EndpointPlan) -> list[Step]:
        steps: list[Step] = []
        for result in reversed(self.pm.hook.panther_endpoint_steps(app=app, endpoint=endpoint)):  # registration order
            if result is None:
                continue
            for step in [result] if isinstance(result, Step) else result:
                steps.append(_checked_step(step, endpoint))
        return steps

    def app_built(self, app: Panther) -> None:
        self.pm.hook.panther_app_built(app=app)

    def lifespans(self, app: Panther) -> list[AbstractAsyncContextManager[Any]]:
        # pluggy calls the last registered plugin first; enter in registration order instead.
        return [ctx for ctx in reversed(self.pm.hook.panther_lifespan(app=app)) if ctx is not None]

    def project_scaffolds(self) -> dict[str, Callable[[str], Any]]:
        scaffolds = _merge_mappings(self.pm.hook.panther_project_scaffolds(), "project database")
        if "none" in scaffolds:
            raise PantherError("A plugin offers the project database 'none', which belongs to the core.")
        return scaffolds

    def cli_commands(self) -> dict[str, Callable[[list[str]], int | None]]:
        return _merge_mappings(self.pm.hook.panther_cli_commands(), "CLI command")


def _checked_step(step: Any, endpoint: EndpointPlan) -> Step:
    """A step as a plugin returned it, refused at startup if it could never work."""
    where = f"panther_endpoint_steps for '{endpoint.where}'"
    if not isinstance(step, Step):
        raise PantherError(f"{where} returned {step!r}; return panther.plan.Step objects.")
    if isinstance(step.stage, bool) or not isinstance(step.stage, int):
        raise PantherError(f"{where}: a Step's stage must be a panther.plan.Stage (or an int), got {step.stage!r}.")
    if not callable(step.wrap):
        raise PantherError(f"{where}: a Step's wrap must be callable, got {step.wrap!r}.")
    if step.methods is not None:
        unknown = sorted(set(step.methods) - set(HTTP_METHODS))
        if unknown:
            raise PantherError(
                f"{where}: a Step's methods {unknown} are not among {', '.join(HTTP_METHODS)} (HEAD follows GET)."
            )
    return step


def _merge_mappings(results: list[Mapping[Any, Any] | None], what: str) -> dict[Any, Any]:
    merged: dict[Any, Any] = {}
    for result in reversed(results):  # registration order
        for key, value in (result or {}).items():
            if key in merged and merged[key] is not value:
                label = getattr(key, "__qualname__", key)
                raise PantherError(f"Two plugins define the same {what} {label!r}; disable one of them.")
            merged[key] = value
    return merged


def _concat(results: list[list[Any] | None]) -> list[Any]:
    return [item for result in reversed(results) for item in (result or ())]


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return ""
