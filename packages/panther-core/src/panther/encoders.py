"""JSON encoding: the app's orjson ``dumps``, extended by the types plugins register (built-in plugin ``encoders``).

orjson already encodes dicts, lists, dataclasses, datetimes, UUIDs and enums natively; the encoders below cover
what it does not. Plugins add their own types with the ``panther_json_encoders`` hook; the table is folded into one
``default`` function when the app is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import orjson
from pydantic import BaseModel

from panther.plugins import hookimpl

JSONDumps = Callable[[Any], bytes]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _encode_model(model: BaseModel) -> orjson.Fragment:
    # pydantic serialises straight to JSON bytes in Rust; a Fragment embeds them without re-parsing.
    return orjson.Fragment(model.__pydantic_serializer__.to_json(model))


DEFAULT_ENCODERS: dict[type, Callable[[Any], Any]] = {
    BaseModel: _encode_model,
    set: list,
    frozenset: list,
    Decimal: str,
    PurePath: str,
    bytes: lambda value: value.decode("utf-8", "replace"),
}


@hookimpl
def panther_json_encoders() -> Mapping[type, Callable[[Any], Any]]:
    return DEFAULT_ENCODERS


def make_json_dumps(encoders: Mapping[type, Callable[[Any], Any]]) -> JSONDumps:
    """Build a ``dumps(obj) -> bytes`` that falls back to ``encoders`` (matched along each type's MRO)."""
    table = dict(encoders)
    resolved: dict[type, Callable[[Any], Any] | None] = {}
    # Per type: its encoder when the first attempt may use it at once (the type is not an iterator), else None.
    first_attempt: dict[type, Callable[[Any], Any] | None] = {}

    def lookup(cls: type) -> Callable[[Any], Any] | None:
        return next((table[base] for base in cls.__mro__ if base in table), None)

    def default(obj: Any) -> Any:
        cls = type(obj)
        try:
            encoder = resolved[cls]
        except KeyError:
            encoder = resolved[cls] = lookup(cls)  # a cache: each type is resolved once per app
        if encoder is None:
            if isinstance(obj, Mapping) or (hasattr(obj, "keys") and hasattr(obj, "__getitem__")):
                return dict(obj)  # a mapping iterates over its keys only: list() would drop the values
            if hasattr(obj, "__iter__"):  # cursors, generators, dict views
                return list(obj)
            raise TypeError(f"Type is not JSON serializable: {cls.__name__}")
        return encoder(obj)

    def default_but_iterators(obj: Any) -> Any:
        cls = type(obj)
        encoder = first_attempt.get(cls)
        if encoder is None and cls not in first_attempt:
            encoder = first_attempt[cls] = None if hasattr(cls, "__next__") else lookup(cls)
        if encoder is not None:
            # Checked per type, not per object: probing a pydantic model for `__next__` falls into its
            # `__getattr__`, which raises, and that cost more than the rest of the encoding.
            return encoder(obj)
        if hasattr(obj, "__next__"):  # a generator can be read only once: leave it to the second attempt
            raise TypeError(cls.__name__)
        return default(obj)

    orjson_dumps = orjson.dumps
    encode_error = orjson.JSONEncodeError

    def dumps(obj: Any) -> bytes:
        # Positional arguments: orjson parses keyword arguments on every call, which costs more than this frame.
        try:
            return orjson_dumps(obj, default_but_iterators)
        except encode_error:
            # Non-string dict keys and numpy values need options that make every encoding up to twice as slow:
            # paid only by the data that needs them.
            return orjson_dumps(obj, default, _OPTIONS)

    return dumps


#: Used when a response is rendered outside an app (e.g. ``Response(...).body`` in a unit test).
default_dumps: JSONDumps = make_json_dumps(DEFAULT_ENCODERS)
