"""The ``tasks`` plugin: claims ``BACKGROUND_TASKS`` (the scheduler arrives with the background-tasks issue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panther.plugins import hookimpl


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"BACKGROUND_TASKS": False}
