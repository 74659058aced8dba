"""The ``auth`` plugin: claims ``JWT_CONFIG`` (JWT classes and ``createuser`` arrive with the auth issue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panther.plugins import hookimpl


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"JWT_CONFIG": None}
