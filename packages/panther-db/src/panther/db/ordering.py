"""Sort documents in memory in MongoDB's order, for cursors that sort results they already hold.

``await Model.find()`` prefetches the matches (see ``panther.db.cursor``); a ``sort()`` chained afterwards is then
applied here instead of by a second query. Values compare as MongoDB compares them: by kind first (missing and
``null`` < numbers < strings < objects < arrays < binary < ObjectId < booleans < dates), then by value; an array
field sorts by its smallest element ascending and its largest descending, an empty array before everything.
Engines whose own order differs (PantherDB) override ``BaseDatabaseConnection.sort_documents``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

Document = dict[str, Any]
Sort = list[tuple[str, int]]

_MISSING = object()


def value_at(doc: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` (through sub-documents and list indexes), or ``_MISSING``."""
    value: Any = doc
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def value_key(value: Any) -> tuple[Any, ...]:
    """A key that orders single values as MongoDB does (arrays compared element by element)."""
    if value is _MISSING or value is None:
        return (1,)
    if isinstance(value, bool):
        return (8, value)
    if isinstance(value, int | float):
        return (2, value)
    if isinstance(value, str):
        return (3, value)  # code point order: the same as MongoDB's binary comparison of UTF-8
    if isinstance(value, Mapping):
        return (4, tuple((str(key), value_key(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return (5, tuple(value_key(item) for item in value))
    if isinstance(value, bytes):
        return (6, len(value), value)
    if type(value).__name__ == "ObjectId":
        return (7, value.binary)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return (9, aware.timestamp())
    return (10, repr(value))


def _field_key(path: str, direction: int) -> Callable[[Document], tuple[Any, ...]]:
    def key(doc: Document) -> tuple[Any, ...]:
        value = value_at(doc, path)
        if isinstance(value, list):
            if not value:
                return (0,)
            keys = [value_key(item) for item in value]
            return min(keys) if direction == 1 else max(keys)
        return value_key(value)

    return key


def sort_documents(docs: list[Document], sort: Sort) -> None:
    """Sort ``docs`` in place by ``[(field, 1 | -1), ...]`` (the first field wins); ties keep their order."""
    for path, direction in reversed(sort):
        docs.sort(key=_field_key(path, direction), reverse=direction == -1)
