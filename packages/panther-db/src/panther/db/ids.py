"""The ``ID`` field type: a document id held and serialised as a string, whatever the engine stores."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _as_string(value: Any) -> Any:
    # MongoDB hands out bson ObjectIds; recognised by name so that models never import pymongo.
    if type(value).__name__ == "ObjectId" or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)  # an integer id (`{'_id': 1}`) reads as '1', as upstream's ID gave it
    return value


ID = Annotated[str | None, BeforeValidator(_as_string)]
"""``str | None``; an ``ObjectId`` or an integer is accepted and kept as its string."""
