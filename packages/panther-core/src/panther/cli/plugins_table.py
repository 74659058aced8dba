"""``panther plugins``: a table of the active plugins with their distribution, version and hooks."""

from __future__ import annotations

import os
import sys

from panther.plugins import PluginInfo, PluginManager


def load_app(target: str) -> object:
    """Import ``'module:attribute'`` (the current directory is importable, as with uvicorn)."""
    from panther.importing import import_object

    module, _, attribute = target.partition(":")
    sys.path.insert(0, os.getcwd())
    return import_object(f"{module}.{attribute or 'app'}", "panther plugins")


def render(infos: list[PluginInfo]) -> str:
    rows = [("NAME", "DISTRIBUTION", "VERSION", "HOOKS")]
    rows += [(i.name, i.distribution, i.version, ", ".join(h.removeprefix("panther_") for h in i.hooks)) for i in infos]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    return "\n".join(
        f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}".rstrip() for row in rows
    )


def plugins_table(argv: list[str]) -> int:
    if argv:
        app = load_app(argv[0])
        manager = app.plugins  # type: ignore[attr-defined]
    else:
        manager = PluginManager()
    print(render(manager.info()))
    if manager.disabled:
        print(f"\ndisabled: {', '.join(manager.disabled)}")
    return 0
