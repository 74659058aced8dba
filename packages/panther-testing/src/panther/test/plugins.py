"""Checks for plugin authors: an installed plugin is discovered through its entry point and can be disabled."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from contextlib import contextmanager

from panther import Panther

__all__ = ["assert_plugin_installed"]


@contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def assert_plugin_installed(name: str, module: str) -> None:
    """Assert that plugin ``name`` is declared in the ``panther`` entry-point group as ``module``, is registered
    in a new app, and is left out when disabled by name (``disable_plugins=`` and ``PANTHER_DISABLE_PLUGINS``)."""
    declared = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="panther")}
    assert declared.get(name) == module, f"entry point {name!r} = {declared.get(name)!r}, expected {module!r}"
    with _environment(PANTHER_DISABLE_PLUGIN_AUTOLOAD=None, PANTHER_DISABLE_PLUGINS=None):
        app = Panther(__name__, configs={}, urls={})
        assert app.plugins.has(name), f"plugin {name!r} is not registered in a new app"
        assert name in [info.name for info in app.plugins.info()]
        assert not Panther(__name__, configs={}, urls={}, disable_plugins=[name]).plugins.has(name)
    with _environment(PANTHER_DISABLE_PLUGIN_AUTOLOAD=None, PANTHER_DISABLE_PLUGINS=name):
        assert not Panther(__name__, configs={}, urls={}).plugins.has(name)
