"""The ``db`` plugin: claims the database settings and (as the db layer grows) opens connections per app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from panther.plugins import hookimpl


@hookimpl
def panther_config_defaults() -> Mapping[str, Any]:
    return {"DATABASE": None, "USER_MODEL": None, "LOG_QUERIES": False, "MEDIA_DIR": "media"}
