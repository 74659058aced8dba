"""The ``cache`` plugin: claims ``THROTTLING`` (throttles and response caches arrive with the caching issue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panther.plugins import hookimpl


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"THROTTLING": None}
