"""Read the db plugin's settings (``DATABASE``, ``USER_MODEL``, ``LOG_QUERIES``, ``MEDIA_DIR``) when an app is built.

Every mistake is a ``PantherError`` raised while the app is built, saying what to change, so a bad setting never
reaches the first request.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from panther.db.engines.base import PREFETCH_LIMIT, BaseDatabaseConnection
from panther.exceptions import PantherError

if TYPE_CHECKING:
    from panther.configs import Config
    from panther.db.models import BaseUser
    from panther.main import Panther

DEFAULT_ENGINE = "pantherdb"
_DATABASE_KEYS = ("engine", "query", "prefetch")
_EXAMPLE = "DATABASE = {'engine': {'class': 'panther.db.connections.PantherDBConnection', 'path': 'database.pdb'}}"


def engine_classes(app: Panther) -> dict[str, type[BaseDatabaseConnection]]:
    """Every engine offered through ``panther_db_engines``, by name (duplicates rejected)."""
    merged: dict[str, type[BaseDatabaseConnection]] = {}
    for offered in app.plugins.pm.hook.panther_db_engines():
        for name, engine in (offered or {}).items():
            if name in merged and merged[name] is not engine:
                raise PantherError(f"Two plugins offer a database engine named {name!r}; disable one of them.")
            merged[name] = engine
    return merged


def _import(dotted: str, what: str) -> Any:
    module_name, _, attribute = dotted.rpartition(".")
    if not module_name:
        raise PantherError(f"{what}: {dotted!r} is neither an installed engine name nor a dotted path to a class.")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise PantherError(f"{what}: cannot import {dotted!r} ({exc}).") from None


def resolve_engine(app: Panther, spec: Any) -> type[BaseDatabaseConnection]:
    engines = engine_classes(app)
    engine = (engines.get(spec) or _import_engine(spec, engines)) if isinstance(spec, str) else spec
    if not (isinstance(engine, type) and issubclass(engine, BaseDatabaseConnection)):
        raise PantherError(
            f"DATABASE['engine']['class'] is {spec!r}, which is not a database engine (a subclass of "
            f"panther.db.engines.BaseDatabaseConnection). Installed engines: {', '.join(sorted(engines))}."
        )
    return engine


def _import_engine(spec: str, engines: Mapping[str, type[BaseDatabaseConnection]]) -> Any:
    if "." not in spec:
        raise PantherError(
            f"DATABASE['engine']['class'] is {spec!r}: no installed engine has that name "
            f"(installed: {', '.join(sorted(engines))}); use one of them or a dotted path to an engine class."
        )
    return _import(spec, "DATABASE['engine']['class']")


def build_connection(app: Panther, config: Config) -> BaseDatabaseConnection:
    """The connection described by ``DATABASE`` (the embedded PantherDB when it is not set)."""
    settings = config.DATABASE
    if settings is None:
        settings = {}
    if not isinstance(settings, Mapping):
        raise PantherError(f"DATABASE must be a dict, for example: {_EXAMPLE}")
    unknown = sorted(set(settings) - set(_DATABASE_KEYS))
    if unknown:
        raise PantherError(
            f"DATABASE has unknown keys {unknown}; it takes 'engine', 'prefetch' (and upstream's 'query')."
        )
    # 'query' selected upstream's query class; the engine decides it here, so any value is accepted and unused.
    engine_settings = settings.get("engine") or {}
    if not isinstance(engine_settings, Mapping):
        raise PantherError(f"DATABASE['engine'] must be a dict, for example: {_EXAMPLE}")
    options = {key: value for key, value in engine_settings.items() if key != "class"}
    engine = resolve_engine(app, engine_settings.get("class", DEFAULT_ENGINE))
    try:
        connection = engine.from_config(options, config)
    except TypeError as exc:
        raise PantherError(f"DATABASE['engine'] has an option {engine.__name__} does not take: {exc}.") from None
    connection.media_root = media_root(config)
    connection.prefetch_limit = prefetch_limit(settings.get("prefetch", PREFETCH_LIMIT))
    return connection


def prefetch_limit(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PantherError(
            f"DATABASE['prefetch'] must be a whole number of documents (0: never prefetch), got {value!r}."
        )
    return value


def media_root(config: Config) -> Path:
    value = config.MEDIA_DIR
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise PantherError(f"MEDIA_DIR must be a folder path (relative to BASE_DIR), got {value!r}.")
    return Path(config.BASE_DIR or ".") / value


def check_log_queries(config: Config) -> bool:
    value = config.LOG_QUERIES
    if not isinstance(value, bool):
        raise PantherError(f"LOG_QUERIES must be True or False, got {value!r}.")
    return value


def resolve_user_model(value: Any) -> type[BaseUser]:
    """``USER_MODEL`` as a class: a ``BaseUser`` subclass, given as the class or its dotted path."""
    from panther.db.models import BaseUser

    if value is None:
        return BaseUser
    model = _import(value, "USER_MODEL") if isinstance(value, str) else value
    if not (isinstance(model, type) and issubclass(model, BaseUser)):
        raise PantherError(f"USER_MODEL must be a subclass of panther.db.models.BaseUser, got {value!r}.")
    return model
