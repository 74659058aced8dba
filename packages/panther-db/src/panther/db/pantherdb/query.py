"""Filters, update operators and sort keys over JSON documents (plain dicts), MongoDB-style.

Equality follows Python's ``==`` (so ``1 == 1.0 == True``); ``{"field": None}`` also matches documents without the
field, and equality with a scalar also matches arrays that contain it, as in MongoDB.
"""

from __future__ import annotations

import operator
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import orjson

from panther.exceptions import DatabaseError

Document = dict[str, Any]
Predicate = Callable[[Document], bool]
Getter = Callable[[Document], Any]
Update = Callable[[Document], None]


class _Missing:
    """The value of an absent field (distinct from ``None``, which is JSON ``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
SCALARS: Final = (str, int, float, bool, type(None))  # hashable JSON values: what an index can hold


def new_id() -> str:
    """Return a new 24-hex-char id laid out like a BSON ObjectId: 4 bytes of Unix seconds, then 8 random bytes."""
    return (int(time.time()) & 0xFFFFFFFF).to_bytes(4, "big").hex() + os.urandom(8).hex()


def _json_default(value: Any) -> Any:
    if type(value).__name__ == "ObjectId":  # bson's ObjectId, recognised without importing pymongo
        return str(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def normalize(value: Any, what: str) -> Any:
    """Return a private JSON-only copy of ``value``: datetimes become ISO 8601 strings, tuples become lists."""
    try:
        return orjson.loads(orjson.dumps(value, default=_json_default))
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        raise DatabaseError(f"{what} is not JSON-serialisable: {exc}") from None


def clone(value: Any) -> Any:
    """Deep-copy a JSON value: documents handed out must not share objects with the engine's state."""
    if type(value) is dict:
        return {key: clone(item) if type(item) in _CONTAINERS else item for key, item in value.items()}
    if type(value) is list:
        return [clone(item) if type(item) in _CONTAINERS else item for item in value]
    return value


_CONTAINERS: Final = (dict, list)


def prepare_document(document: Any) -> Document:
    """Normalise a document to be inserted and give it a string ``_id`` (first, as MongoDB stores it)."""
    if not isinstance(document, dict):
        raise DatabaseError(f"a document must be a dict, not {type(document).__name__}")
    doc = normalize(document, "document")
    doc_id = doc.pop("_id", None)
    if doc_id is None:
        doc_id = new_id()
    elif not isinstance(doc_id, str):
        raise DatabaseError(f"_id must be a string, not {type(doc_id).__name__}")
    return {"_id": doc_id, **doc}


def getter(path: str) -> Getter:
    """Return a function reading ``path`` (dotted into nested dicts, or list indexes) or ``MISSING``."""
    if "." not in path:
        return lambda doc: doc.get(path, MISSING)
    parts = path.split(".")

    def get(doc: Document) -> Any:
        value: Any = doc
        for part in parts:
            if isinstance(value, dict):
                value = value.get(part, MISSING)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return MISSING
            if value is MISSING:
                return MISSING
        return value

    return get


# --- filters ---------------------------------------------------------------------------------------------------------


class Query:
    """A compiled filter: ``match`` decides, ``ids``/``equal`` let a collection narrow the candidates first."""

    __slots__ = ("equal", "ids", "match")

    def __init__(self, match: Predicate, ids: list[str] | None, equal: list[tuple[str, Any]]) -> None:
        self.match = match
        self.ids = ids  # the filter pins `_id` to these values
        self.equal = equal  # (path, scalar) equalities an index can answer

    @property
    def everything(self) -> bool:
        return self.match is _always


def _always(doc: Document) -> bool:
    return True


EVERYTHING: Final = Query(_always, None, [])


def compile_filter(flt: Mapping[str, Any] | None) -> Query:
    """Compile a filter; raise ``DatabaseError`` for an unknown operator or a malformed argument."""
    if not flt:
        return EVERYTHING
    if not isinstance(flt, Mapping):
        raise DatabaseError(f"a filter must be a dict, not {type(flt).__name__}")
    flt = normalize(dict(flt), "filter")
    ids: list[str] | None = None
    equal: list[tuple[str, Any]] = []
    for key, cond in flt.items():
        if key == "_id":
            if isinstance(cond, str):
                ids = [cond]
            elif isinstance(cond, dict) and isinstance(cond.get("$in"), list):
                ids = [value for value in cond["$in"] if isinstance(value, str)]
        elif not key.startswith("$") and isinstance(cond, SCALARS):
            equal.append((key, cond))
    return Query(_all(_predicates(flt)), ids, equal)


def _all(predicates: list[Predicate]) -> Predicate:
    if not predicates:
        return _always
    if len(predicates) == 1:
        return predicates[0]
    return lambda doc: all(predicate(doc) for predicate in predicates)


def _predicates(flt: Mapping[str, Any]) -> list[Predicate]:
    predicates: list[Predicate] = []
    for key, cond in flt.items():
        if key.startswith("$"):
            predicates.append(_logical(key, cond))
        elif isinstance(cond, dict) and any(name.startswith("$") for name in cond):
            get = getter(key)
            predicates.extend(_operator(get, name, arg, cond) for name, arg in cond.items() if name != "$options")
            if "$options" in cond and "$regex" not in cond:
                raise DatabaseError("$options needs $regex")
        else:
            predicates.append(_equal_to(getter(key), cond))
    return predicates


def _logical(name: str, arg: Any) -> Predicate:
    if name not in ("$and", "$or"):
        raise DatabaseError(f"unknown filter operator {name!r}")
    if not isinstance(arg, list) or not arg or not all(isinstance(sub, dict) for sub in arg):
        raise DatabaseError(f"{name} needs a non-empty list of filters")
    subs = [_all(_predicates(sub)) for sub in arg]
    if name == "$and":
        return lambda doc: all(sub(doc) for sub in subs)
    return lambda doc: any(sub(doc) for sub in subs)


def _equals(value: Any, expected: Any) -> bool:
    if value is MISSING:
        return expected is None
    if value == expected:
        return True
    return type(value) is list and type(expected) is not list and expected in value


def _equal_to(get: Getter, expected: Any) -> Predicate:
    return lambda doc: _equals(get(doc), expected)


def _in(value: Any, options: list[Any]) -> bool:
    return any(_equals(value, option) for option in options)


def _ordered(value: Any, bound: Any, compare: Callable[[Any, Any], bool]) -> bool:
    if value is MISSING:
        return False
    if type(value) is list:
        return any(_ordered(item, bound, compare) for item in value)
    try:
        return compare(value, bound)
    except TypeError:  # values of different kinds never compare, as in MongoDB
        return False


def _searches(value: Any, pattern: re.Pattern[str]) -> bool:
    if isinstance(value, str):
        return pattern.search(value) is not None
    return type(value) is list and any(isinstance(item, str) and pattern.search(item) for item in value)


_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}
_REGEX_FLAGS: Final = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def _operator(get: Getter, name: str, arg: Any, cond: Mapping[str, Any]) -> Predicate:
    if name == "$eq":
        return lambda doc: _equals(get(doc), arg)
    if name == "$ne":
        return lambda doc: not _equals(get(doc), arg)
    if name in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise DatabaseError(f"{name} needs a list")
        if name == "$in":
            return lambda doc: _in(get(doc), arg)
        return lambda doc: not _in(get(doc), arg)
    if name in _ORDER:
        compare = _ORDER[name]
        return lambda doc: _ordered(get(doc), arg, compare)
    if name == "$exists":
        wanted = bool(arg)
        return lambda doc: (get(doc) is not MISSING) is wanted
    if name == "$regex":
        return _regex(get, arg, cond.get("$options", ""))
    raise DatabaseError(f"unknown filter operator {name!r}")


def _regex(get: Getter, pattern: Any, options: Any) -> Predicate:
    if not isinstance(pattern, str) or not isinstance(options, str):
        raise DatabaseError("$regex needs a pattern string (and $options a string)")
    try:
        flags = sum(_REGEX_FLAGS[option] for option in set(options))
        compiled = re.compile(pattern, flags)
    except KeyError as exc:
        raise DatabaseError(f"unknown $options flag {exc.args[0]!r}") from None
    except re.error as exc:
        raise DatabaseError(f"invalid $regex {pattern!r}: {exc}") from None
    return lambda doc: _searches(get(doc), compiled)


# --- updates ---------------------------------------------------------------------------------------------------------


def compile_update(update: Mapping[str, Any]) -> Update:
    """Compile an update (a plain dict means ``$set``) into a function that changes a document in place."""
    if not isinstance(update, Mapping) or not update:
        raise DatabaseError("an update must be a non-empty dict")
    spec: dict[str, Any] = normalize(dict(update), "update")
    operators = [key.startswith("$") for key in spec]
    if not any(operators):
        spec = {"$set": spec}
    elif not all(operators):
        raise DatabaseError("an update cannot mix operators and plain fields")
    steps: list[tuple[Callable[[Document, list[str], Any], None], list[str], Any]] = []
    for name, fields in spec.items():
        step = _UPDATES.get(name)
        if step is None:
            raise DatabaseError(f"unknown update operator {name!r}")
        if not isinstance(fields, dict):
            raise DatabaseError(f"{name} needs a dict of fields")
        for path, value in fields.items():
            if path.split(".")[0] == "_id" and not (name == "$set" and path == "_id"):
                raise DatabaseError("_id cannot be updated")
            steps.append((step, path.split("."), value))

    def apply(doc: Document) -> None:
        for step, parts, value in steps:
            step(doc, parts, value)

    return apply


def _parent(doc: Document, parts: list[str], create: bool) -> dict[str, Any] | None:
    node = doc
    for part in parts[:-1]:
        child = node.get(part, MISSING)
        if child is MISSING and create:
            child = node[part] = {}
        elif not isinstance(child, dict):
            if not create:
                return None
            raise DatabaseError(f"cannot update {'.'.join(parts)!r}: {part!r} is not an object")
        node = child
    return node


def _set(doc: Document, parts: list[str], value: Any) -> None:
    if parts == ["_id"]:
        if value != doc["_id"]:
            raise DatabaseError("_id cannot be updated")
        return
    node = _parent(doc, parts, create=True)
    assert node is not None
    node[parts[-1]] = clone(value)


def _unset(doc: Document, parts: list[str], value: Any) -> None:
    node = _parent(doc, parts, create=False)
    if node is not None:
        node.pop(parts[-1], None)


def _inc(doc: Document, parts: list[str], value: Any) -> None:
    if not _is_number(value):
        raise DatabaseError(f"$inc needs a number for {'.'.join(parts)!r}")
    node = _parent(doc, parts, create=True)
    assert node is not None
    current = node.get(parts[-1], 0)
    if not _is_number(current):
        raise DatabaseError(f"cannot $inc {'.'.join(parts)!r}: it holds a {type(current).__name__}")
    node[parts[-1]] = current + value


def _push(doc: Document, parts: list[str], value: Any) -> None:
    items = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
    if not isinstance(items, list):
        raise DatabaseError("$each needs a list")
    node = _parent(doc, parts, create=True)
    assert node is not None
    current = node.setdefault(parts[-1], [])
    if not isinstance(current, list):
        raise DatabaseError(f"cannot $push to {'.'.join(parts)!r}: it holds a {type(current).__name__}")
    current.extend(clone(items))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_UPDATES: Final[dict[str, Callable[[Document, list[str], Any], None]]] = {
    "$set": _set,
    "$unset": _unset,
    "$inc": _inc,
    "$push": _push,
}


# --- sorting ---------------------------------------------------------------------------------------------------------


def check_sort(sort: Iterable[tuple[str, int]] | None) -> list[tuple[str, int]]:
    """Validate ``[(field, 1 | -1), ...]``."""
    checked = list(sort or ())
    for item in checked:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)):
            raise DatabaseError(f"sort takes (field, direction) pairs, not {item!r}")
        if item[1] not in (1, -1):
            raise DatabaseError(f"sort direction for {item[0]!r} must be 1 or -1")
    return [(field, direction) for field, direction in checked]


def _sort_key(value: Any) -> tuple[int, Any]:
    # MongoDB's order of kinds: missing/null < numbers < strings < objects < arrays < booleans.
    if value is MISSING or value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (5, value)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3 if isinstance(value, dict) else 4, orjson.dumps(value, option=orjson.OPT_SORT_KEYS))


def sort_documents(docs: list[Document], sort: list[tuple[str, int]]) -> None:
    """Sort in place by several keys (the first one wins), keeping insertion order among equals."""
    for field, direction in reversed(sort):
        get = getter(field)
        docs.sort(key=lambda doc: _sort_key(get(doc)), reverse=direction == -1)
