"""What the generic views share: the 501 answered for a hook left unimplemented, and the missing-instance rule."""

from __future__ import annotations

import logging
from typing import Any

from panther import status
from panther.exceptions import APIError, NotFoundAPIError

logger = logging.getLogger("panther.generics")


def not_implemented(view: object, problem: str) -> APIError:
    """Log ``problem`` (a mistake in the view's code, for its developer) and return the 501 to raise."""
    logger.error(f"{type(view).__qualname__}: {problem}")
    return APIError(detail=status.status_text[501], status_code=status.HTTP_501_NOT_IMPLEMENTED)


def found(instance: Any) -> Any:
    """``instance``, or a 404 when ``get_instance()`` returned ``None`` (``find_one`` found nothing)."""
    if instance is None:
        raise NotFoundAPIError
    return instance
