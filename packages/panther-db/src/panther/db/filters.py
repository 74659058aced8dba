"""Turn a user's filter (``find(id=..., author=user, age={'$gt': 3})``) into the engine's form.

``id`` becomes ``_id``; ids (of the document and of reference fields, given as strings or models) become the
engine's native ids. A value that cannot be an id (``'abc'`` on MongoDB) cannot match any document: equality with it
raises ``NoMatch``, which the query methods answer as "nothing found" (``None``, ``[]``, ``0``), so a bad id in a URL
ends as a 404, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from panther.db.engines.base import BaseDatabaseConnection, Filter, Sort
from panther.db.layout import Layout
from panther.exceptions import DatabaseError

_LOGICAL = ("$and", "$or", "$nor")


class NoMatch(Exception):
    """The filter cannot match any document (it compares an id with something that is not one)."""


def merge_filter(_filter: Mapping[str, Any] | BaseModel | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    if _filter is None:
        return dict(kwargs)
    if isinstance(_filter, BaseModel):
        _filter = model_fields(_filter)  # upstream took a model as the dict of its fields
    if not isinstance(_filter, Mapping):
        raise DatabaseError(f"a filter must be a dict, not {type(_filter).__name__}")
    return {**_filter, **kwargs} if kwargs else dict(_filter)


def model_fields(model: BaseModel) -> dict[str, Any]:
    """A model as a filter or document: its fields (an ``id`` of ``None``, not inserted yet, is left out)."""
    fields = {name: getattr(model, name) for name in type(model).model_fields}
    if fields.get("id", 0) is None:
        del fields["id"]
    return fields


def prepare_filter(layout: Layout, connection: BaseDatabaseConnection, flt: Mapping[str, Any]) -> Filter:
    result: Filter = {}
    id_fields = layout.id_fields
    for key, value in flt.items():
        if key == "id":
            key = "_id"
        if key in id_fields:
            result[key] = _id_condition(connection, value)
        elif key in _LOGICAL:
            result[key] = _logical(layout, connection, key, value)
        elif isinstance(value, BaseModel) and hasattr(value, "id"):
            result[key] = _native(connection, value)  # a model compared by reference
        else:
            result[key] = value
    return result


def _logical(layout: Layout, connection: BaseDatabaseConnection, operator: str, clauses: Any) -> list[Filter]:
    if not isinstance(clauses, list | tuple):
        raise DatabaseError(f"{operator} takes a list of filters")
    kept = []
    for clause in clauses:
        try:
            kept.append(prepare_filter(layout, connection, clause))
        except NoMatch:
            if operator == "$and":
                raise
            # In $or a clause that matches nothing can go; in $nor it excludes nothing.
    if not kept:
        if operator == "$or":
            raise NoMatch
        return [{}] if operator == "$and" else [{"_id": {"$exists": False}}]  # $nor of nothing: everything
    return kept


def _native(connection: BaseDatabaseConnection, value: Any) -> Any:
    if isinstance(value, BaseModel):
        value = getattr(value, "id", None)
        if value is None:
            raise NoMatch  # a model never inserted: no document refers to it (upstream matched nothing too)
    try:
        return connection.native_id(value)
    except ValueError:
        raise NoMatch from None


def _id_condition(connection: BaseDatabaseConnection, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping) and any(str(key).startswith("$") for key in value):
        return _id_operators(connection, value)
    if isinstance(value, list):
        return [_native(connection, item) for item in value]
    return _native(connection, value)


def _id_operators(connection: BaseDatabaseConnection, conditions: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for operator, argument in conditions.items():
        if operator == "$eq":
            result[operator] = _native(connection, argument)
        elif operator in ("$in", "$nin"):
            # An invalid id in a list can match nothing: drop it rather than fail the whole query.
            result[operator] = _valid_ids(connection, argument)
        elif operator == "$ne":
            try:
                result[operator] = _native(connection, argument)
            except NoMatch:
                result["$exists"] = True  # "not equal to an impossible id": every document with the field
        else:
            result[operator] = argument
    return result


def _valid_ids(connection: BaseDatabaseConnection, values: Any) -> list[Any]:
    if not isinstance(values, list | tuple | set | frozenset):
        raise DatabaseError("$in and $nin take a list")
    result: list[Any] = []
    for value in values:
        if value is None:
            result.append(None)
            continue
        try:
            result.append(_native(connection, value))
        except NoMatch:
            continue
    return result


def prepare_sort(key: str | list[Any] | tuple[Any, ...], direction: int | None) -> Sort:
    """``sort('age', -1)``, ``sort([('age', -1), ('name', 1)])`` or ``sort('name')`` → ``[(field, ±1), ...]``."""
    if isinstance(key, str):
        pairs: list[Any] = [(key, 1 if direction is None else direction)]
    elif isinstance(key, list | tuple):
        if direction is not None:
            raise DatabaseError("sort() takes a direction only with a single field name")
        pairs = [(item, 1) if isinstance(item, str) else item for item in key]
    else:
        raise DatabaseError(f"sort() takes a field name or a list of (field, direction), not {key!r}")
    result: Sort = []
    for pair in pairs:
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise DatabaseError(f"sort() takes (field, direction) pairs, not {pair!r}")
        field, order = pair
        if order not in (1, -1) or isinstance(order, bool):
            raise DatabaseError(f"a sort direction is 1 or -1, not {order!r}")
        result.append(("_id" if field == "id" else field, order))
    return result
