"""Hooks panther-db adds to the plugin system (registered through ``panther_addhooks``): database engines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from panther.db.engines.base import BaseDatabaseConnection

hookspec = pluggy.HookspecMarker("panther")


@hookspec
def panther_db_engines() -> Mapping[str, type[BaseDatabaseConnection]] | None:
    """Offer database engines that ``DATABASE = {'engine': {'class': <name>, ...}}`` can name.

    Called once per app when its config is loaded. Return ``{name: EngineClass}``; a class subclasses
    ``panther.db.engines.BaseDatabaseConnection``. Names may be short (``'sqlite'``) or dotted paths. Results are
    merged; two plugins offering the same name is a startup error. (A dotted path to an engine class also works
    without any hook.)
    """
