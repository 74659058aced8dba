"""Request data containers: ``MultiDict`` for query strings and forms, and ``parse_query_string``.

A query string or a form may repeat a key (``?tag=a&tag=b``). ``MultiDict`` keeps every pair while still being a
plain ``dict`` whose value for a key is the LAST one sent, which is what Panther has always returned for
``request.query_params`` and form data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, overload
from urllib.parse import parse_qsl

__all__ = ["MultiDict", "parse_query_string"]

V = TypeVar("V")
D = TypeVar("D")

_MISSING: Any = object()


class MultiDict(dict[str, V]):
    """A ``dict`` of the last value per key that also remembers every ``(key, value)`` pair in order.

    >>> params = MultiDict([("tag", "a"), ("page", "2"), ("tag", "b")])
    >>> params["tag"], params.getlist("tag"), params.getlist("missing")
    ('b', ['a', 'b'], [])

    Writing through the ``dict`` API keeps the pairs in step: ``md[key] = value`` replaces every value of ``key``
    (like ``pop`` followed by ``add``), ``add`` appends one more value, deleting a key drops all of its values.
    """

    # Built on every request, so construction is just the C-level dict build plus keeping the list of pairs;
    # per-key lists are only computed when `getlist` meets a repeated key.
    __slots__ = ("_lists", "_pairs")

    _pairs: list[tuple[str, V]]
    _lists: dict[str, list[V]] | None

    def __init__(self, pairs: Iterable[tuple[str, V]] | Mapping[str, V] = ()) -> None:
        # A list of pairs (what the parsers hand over) is adopted as is: this runs on every request.
        if type(pairs) is not list:
            pairs = _as_pairs(pairs) if pairs else []
        dict.__init__(self, pairs)  # dict() of pairs keeps the last value of a repeated key
        self._pairs = pairs
        self._lists = None

    def getlist(self, key: str) -> list[V]:
        """Return every value sent for ``key`` in order; an empty list if the key is absent."""
        if len(self._pairs) == dict.__len__(self):  # no repeated key: the dict already holds everything
            return [dict.__getitem__(self, key)] if dict.__contains__(self, key) else []
        if self._lists is None:
            lists: dict[str, list[V]] = {}
            for k, v in self._pairs:
                lists.setdefault(k, []).append(v)
            self._lists = lists
        return list(self._lists.get(key, ()))

    def multi_items(self) -> list[tuple[str, V]]:
        """Return every ``(key, value)`` pair in the order they were received, repeated keys included."""
        return list(self._pairs)

    def add(self, key: str, value: V) -> None:
        """Append one more value for ``key``; it becomes the value the ``dict`` API returns."""
        self._pairs.append((key, value))
        self._lists = None
        dict.__setitem__(self, key, value)

    # --- dict mutators, overridden so the pairs never disagree with the dict ---

    def __setitem__(self, key: str, value: V) -> None:
        if dict.__contains__(self, key):
            self._pairs = [pair for pair in self._pairs if pair[0] != key]
        self.add(key, value)

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self._pairs = [pair for pair in self._pairs if pair[0] != key]
        self._lists = None

    @overload
    def pop(self, key: str, /) -> V: ...

    @overload
    def pop(self, key: str, default: V | D, /) -> V | D: ...

    def pop(self, key: str, default: Any = _MISSING, /) -> Any:
        if not dict.__contains__(self, key):
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = dict.__getitem__(self, key)
        del self[key]
        return value

    def popitem(self) -> tuple[str, V]:
        key, value = dict.popitem(self)
        self._pairs = [pair for pair in self._pairs if pair[0] != key]
        self._lists = None
        return key, value

    def setdefault(self, key: str, default: V = None, /) -> V:  # type: ignore[assignment]
        if not dict.__contains__(self, key):
            self.add(key, default)
        return dict.__getitem__(self, key)

    def update(self, other: Any = (), /, **kwargs: V) -> None:
        """Replace the values of the given keys, like ``dict.update`` (a key repeated in ``other`` keeps all)."""
        items: list[tuple[str, Any]] = _as_pairs(other)
        items.extend(kwargs.items())
        replaced = {k for k, _ in items}
        self._pairs = [pair for pair in self._pairs if pair[0] not in replaced]
        for key, value in items:
            self.add(key, value)

    def clear(self) -> None:
        dict.clear(self)
        self._pairs = []
        self._lists = None

    def __ior__(self, other: Any) -> MultiDict[V]:  # type: ignore[override]
        self.update(other)
        return self

    def __or__(self, other: Any) -> MultiDict[V]:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def copy(self) -> MultiDict[V]:
        return type(self)(list(self._pairs))

    def __copy__(self) -> MultiDict[V]:
        return self.copy()

    def __reduce__(self) -> tuple[Any, ...]:
        # __slots__ and a dict base: pickle/deepcopy need to be told to rebuild from the pairs.
        return type(self), (list(self._pairs),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs!r})"


def _as_pairs(source: Any) -> list[tuple[str, Any]]:
    """Return a new list of the ``(key, value)`` pairs of a MultiDict, a mapping or an iterable of pairs."""
    if isinstance(source, MultiDict):
        return source.multi_items()
    if isinstance(source, Mapping):
        return list(source.items())
    if hasattr(source, "keys"):  # the dict.update protocol: anything with keys() and __getitem__
        return [(key, source[key]) for key in source.keys()]  # noqa: SIM118 - only keys() is promised
    return list(source)


def parse_query_string(raw: bytes | str) -> MultiDict[str]:
    """Parse a query string (or an urlencoded body) into a ``MultiDict``; never raises on bad input.

    Blank values are kept (``?flag`` gives ``{"flag": ""}``), ``+`` is a space, invalid percent-escapes are kept
    as they are (``%zz``) and bytes that are not UTF-8 become U+FFFD.
    """
    if not raw:
        # A fresh instance rather than a shared one: handlers may mutate their query params.
        return MultiDict()
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return MultiDict(parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="replace"))
