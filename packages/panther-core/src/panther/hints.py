"""What to install: the one table that maps a plugin's config keys, endpoint options and endpoint classes to the
distribution providing them, for startup errors that say what to change.

A hint names a distribution only when it is missing; when it is installed but its plugin is not active (disabled
by name, or autoloading turned off), the hint says so instead.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib.metadata import PackageNotFoundError, distribution

__all__ = ["CONFIG_KEYS", "ENDPOINT_CLASSES", "ENDPOINT_OPTIONS", "PLUGIN_NAMES", "missing_plugin"]

#: Plugin name (entry point of the ``panther`` group) → its distribution.
PLUGIN_NAMES: dict[str, str] = {
    "db": "panther-db",
    "ws": "panther-ws",
    "auth": "panther-auth",
    "cache": "panther-cache",
    "tasks": "panther-tasks",
    "openapi": "panther-openapi",
    "panel": "panther-panel",
}

#: Config keys owned by a plugin → the plugin's name.
CONFIG_KEYS: dict[str, str] = {
    "DATABASE": "db",
    "USER_MODEL": "db",
    "LOG_QUERIES": "db",
    "MEDIA_DIR": "db",
    "WS_AUTHENTICATION": "ws",
    "WS_REDIS_CHANNEL": "ws",
    "JWT_CONFIG": "auth",
    "THROTTLING": "cache",
    "CACHE": "cache",
    "TRUSTED_PROXIES": "cache",
    "BACKGROUND_TASKS": "tasks",
    "BACKGROUND_TASKS_THREADS": "tasks",
    "BACKGROUND_TASKS_GRACE_PERIOD": "tasks",
    "BACKGROUND_TASKS_KEY_PREFIX": "tasks",
    "OPENAPI": "openapi",
}

#: Endpoint options owned by a plugin (``@API(cache=...)``) → the plugin's name.
ENDPOINT_OPTIONS: dict[str, str] = {"throttling": "cache", "cache": "cache"}

#: Endpoint base classes a plugin provides (named in route errors) → the plugin's name.
ENDPOINT_CLASSES: dict[str, str] = {"GenericWebsocket": "ws"}


def missing_plugin(plugin: str, active: Collection[str] = ()) -> str:
    """Why plugin ``plugin`` does not provide what was asked and what to do, as the end of a sentence, without its
    full stop (``active``: the names of the app's registered plugins)."""
    dist = PLUGIN_NAMES.get(plugin, plugin)
    if plugin in active:
        return f"the `{plugin}` plugin (`{dist}`) is active but does not provide it: upgrade `{dist}`"
    if _installed(dist):
        return (
            f"`{dist}` is installed but its plugin `{plugin}` is not active: remove it from DISABLED_PLUGINS / "
            "PANTHER_DISABLE_PLUGINS (or unset PANTHER_DISABLE_PLUGIN_AUTOLOAD)"
        )
    return (
        f"install `{dist}` (`pip install ./packages/{dist}` from a checkout of Panther, or "
        f"`pip install --find-links dist {dist}` from its built wheels)"
    )


def _installed(dist: str) -> bool:
    try:
        distribution(dist)
    except PackageNotFoundError:
        return False
    return True
