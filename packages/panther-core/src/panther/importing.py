"""Import an object named by a dotted path in a setting (``'app.middlewares.Timing'``)."""

from __future__ import annotations

import importlib
from typing import Any

from panther.exceptions import PantherError

__all__ = ["import_object"]


def import_object(dotted: str, what: str) -> Any:
    """Import ``'package.module.attribute'``; a failure is a ``PantherError`` saying which setting to fix."""
    module_name, _, attribute = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise PantherError(f"{what}: cannot import {dotted!r} ({exc}).") from None
