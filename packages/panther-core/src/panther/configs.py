"""Per-app configuration: the values an app was built with, read from its configs module and plugin defaults.

Every ``Panther`` app owns one ``Config``; two apps with different settings live side by side. The module-level
``config`` exists for upstream compatibility only: it reads the config of the most recently built app and nothing
on the request path uses it.
"""

from __future__ import annotations

import copy
import importlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from panther.exceptions import PantherError

MiB = 1024 * 1024

#: The keys the core reads, with their defaults. Plugins declare theirs with ``panther_config_defaults``.
CORE_DEFAULTS: dict[str, Any] = {
    "BASE_DIR": None,
    "URLs": None,
    "SECRET_KEY": None,
    "MIDDLEWARES": [],
    "WS_MIDDLEWARES": [],
    "AUTHENTICATION": None,
    "TIMEZONE": "UTC",
    "TEMPLATES_DIR": ".",
    "MAX_REQUEST_BODY_SIZE": 10 * MiB,
    "DISABLED_PLUGINS": [],
    "LOG_LEVEL": "INFO",
    "LOG_FILE": None,
    "MONITORING_LOG_FILE": None,
    "ALLOW_ORIGINS": ["*"],
    "ALLOW_METHODS": ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    "ALLOW_HEADERS": ["*"],
    "ALLOW_CREDENTIALS": False,
    "EXPOSE_HEADERS": [],
    "CORS_MAX_AGE": 600,
}


class Config:
    """The settings of one app. Attribute access (``config.SECRET_KEY``) and ``config['secret_key']`` both work.

    Unknown UPPERCASE attributes read as ``None``, as in upstream Panther.
    """

    BASE_DIR: Path
    MAX_REQUEST_BODY_SIZE: int | None
    TIMEZONE: str

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self.__dict__.update(copy.deepcopy(CORE_DEFAULTS))
        if values:
            self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        # Only called for missing attributes.
        if name[:1].isupper():
            return None
        raise AttributeError(name)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key if key == "URLs" else key.upper())

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key if key == "URLs" else key.upper(), value)

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def get(self, key: str, default: Any = None) -> Any:
        return self.__dict__.get(key, default)

    def setdefault(self, key: str, default: Any) -> Any:
        return self.__dict__.setdefault(key, default)

    def vars(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def refresh(self) -> None:
        """Reset to the core defaults (upstream tests call this between tests)."""
        self.__dict__.clear()
        self.__dict__.update(copy.deepcopy(CORE_DEFAULTS))

    def __repr__(self) -> str:
        keys = ", ".join(sorted(k for k in self.__dict__ if k != "SECRET_KEY"))
        return f"Config({keys})"


def is_config_key(name: str) -> bool:
    return name == "URLs" or (name.isupper() and not name.startswith("_"))


def read_config_module(configs: str | ModuleType | Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the settings of a configs module: its UPPERCASE attributes (and ``URLs``).

    ``configs`` is a module, a module name (``__name__`` works for single-file apps), a mapping, or ``None`` for
    ``core.configs``.
    """
    if isinstance(configs, Mapping):
        return {k: v for k, v in configs.items() if is_config_key(k)}
    if configs is None:
        try:
            module: ModuleType = importlib.import_module("core.configs")
        except ModuleNotFoundError as exc:
            if exc.name not in ("core", "core.configs"):
                raise
            raise PantherError(
                "No configs found: pass `configs=__name__` (or a module name) to Panther(...), "
                "or create `core/configs.py`."
            ) from None
    elif isinstance(configs, ModuleType):
        module = configs
    else:
        module = sys.modules.get(configs) or importlib.import_module(configs)
    return {k: v for k, v in vars(module).items() if is_config_key(k)}


def resolve_base_dir(name: str | None, values: Mapping[str, Any]) -> Path:
    if values.get("BASE_DIR"):
        return Path(values["BASE_DIR"]).resolve()
    if name:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None) if module else None
        return Path(file or name).resolve().parent
    return Path.cwd()


class _CurrentConfig:
    """Upstream-compatible ``panther.configs.config``: the config of the current app (see ``panther.context``).

    Inside a request or lifespan that is the app serving it; elsewhere, the most recently built or started app.
    Before any app exists it reads as an empty ``Config``.
    """

    __slots__ = ()

    @staticmethod
    def _target() -> Config:
        from panther.context import current_app

        try:
            return current_app().config
        except RuntimeError:
            return _EMPTY

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        from panther.context import current_app

        try:
            target = current_app().config
        except RuntimeError:
            raise RuntimeError(
                f"Cannot set config.{name}: no Panther app exists yet. Put it in the configs you pass to Panther()."
            ) from None
        setattr(target, name, value)

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __repr__(self) -> str:
        return repr(self._target())


_EMPTY = Config()  # read-only: `_CurrentConfig.__setattr__` never writes into it

config: Any = _CurrentConfig()
