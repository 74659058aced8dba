"""Per-app plugin state: ``app.stash[key]``, typed by its key (after pytest's ``config.stash``).

Each plugin keeps its own objects (a connection, a registry, a scheduler, a store) on the app that uses them, under
a ``StashKey[T]`` it owns, instead of in module globals or an untyped bag::

    DB = StashKey[BaseDatabaseConnection]("db")

    @hookimpl
    def panther_configure(app, config):
        app.stash[DB] = build_connection(config)

    connection = app.stash[DB]  # typed: BaseDatabaseConnection

Two apps in one process have two stashes, so their plugins never share state. What a plugin must open and close
with the app (connections, background loops) it opens in ``panther_lifespan``; the stash only holds the objects.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

__all__ = ["Stash", "StashKey"]

T = TypeVar("T")
D = TypeVar("D")


class StashKey(Generic[T]):
    """A key for ``Stash``; its type parameter is the type of the value. Keys compare by identity."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"StashKey({self.name!r})"


class Stash:
    """A typed mapping of ``StashKey[T]`` to ``T``, one per app."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[StashKey[Any], Any] = {}

    def __setitem__(self, key: StashKey[T], value: T) -> None:
        self._items[key] = value

    def __getitem__(self, key: StashKey[T]) -> T:
        try:
            return self._items[key]  # type: ignore[no-any-return,unused-ignore]
        except KeyError:
            raise KeyError(f"{key!r} is not set on this app (is its plugin installed and enabled?)") from None

    @overload
    def get(self, key: StashKey[T]) -> T | None: ...
    @overload
    def get(self, key: StashKey[T], default: D) -> T | D: ...
    def get(self, key: StashKey[T], default: Any = None) -> Any:
        return self._items.get(key, default)

    def setdefault(self, key: StashKey[T], default: T) -> T:
        return self._items.setdefault(key, default)  # type: ignore[no-any-return,unused-ignore]

    def __delitem__(self, key: StashKey[T]) -> None:
        del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Stash({', '.join(key.name for key in self._items)})"
