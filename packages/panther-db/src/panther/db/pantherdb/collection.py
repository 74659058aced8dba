"""A collection in memory: documents in insertion order keyed by ``_id``, plus equality indexes built on demand."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Iterator

from panther.db.pantherdb.query import MISSING, SCALARS, Document, Query, getter


class Index:
    """Equality index on one field: value -> ids (an ordered set), kept in insertion order lazily.

    A document lands in the bucket of its value, of each scalar in its array, or of ``None`` when the field is
    missing: a superset of what an equality filter matches, which the filter then checks.
    """

    __slots__ = ("buckets", "get", "unsorted")

    def __init__(self, path: str) -> None:
        self.get = getter(path)
        self.buckets: dict[Hashable, dict[str, None]] = {}
        self.unsorted: set[Hashable] = set()  # buckets an update appended to out of insertion order

    def keys(self, doc: Document) -> set[Hashable]:
        value = self.get(doc)
        if value is MISSING or value is None:
            return {None}
        if type(value) is list:
            return {item for item in value if isinstance(item, SCALARS)}
        return {value} if isinstance(value, SCALARS) else set()

    def add(self, doc_id: str, keys: Iterable[Hashable], seq: dict[str, int]) -> None:
        for key in keys:
            bucket = self.buckets.get(key)
            if bucket is None:
                self.buckets[key] = {doc_id: None}
                continue
            if seq[next(reversed(bucket))] > seq[doc_id]:
                self.unsorted.add(key)
            bucket[doc_id] = None

    def discard(self, doc_id: str, keys: Iterable[Hashable]) -> None:
        for key in keys:
            bucket = self.buckets.get(key)
            if bucket is not None:
                bucket.pop(doc_id, None)
                if not bucket:
                    del self.buckets[key]
                    self.unsorted.discard(key)

    def lookup(self, key: Hashable, seq: dict[str, int]) -> dict[str, None]:
        bucket = self.buckets.get(key)
        if bucket is None:
            return {}
        if key in self.unsorted:
            bucket = self.buckets[key] = dict.fromkeys(sorted(bucket, key=seq.__getitem__))
            self.unsorted.discard(key)
        return bucket


class Collection:
    """Documents of one collection. ``insert``/``replace``/``delete`` keep every index up to date."""

    __slots__ = ("_counter", "docs", "indexes", "seq")

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}  # dicts keep insertion order: the collection's order
        self.seq: dict[str, int] = {}  # _id -> position in insertion order, to order index buckets
        self.indexes: dict[str, Index] = {}
        self._counter = 0

    def __len__(self) -> int:
        return len(self.docs)

    def insert(self, doc: Document) -> None:
        doc_id = doc["_id"]
        if doc_id in self.docs:
            self.replace(doc)
            return
        self._counter += 1
        self.docs[doc_id] = doc
        self.seq[doc_id] = self._counter
        for index in self.indexes.values():
            index.add(doc_id, index.keys(doc), self.seq)

    def replace(self, doc: Document) -> None:
        """Replace the document with the same ``_id``, keeping its position."""
        doc_id = doc["_id"]
        old = self.docs.get(doc_id)
        if old is None:
            self.insert(doc)
            return
        self.docs[doc_id] = doc
        for index in self.indexes.values():
            before, after = index.keys(old), index.keys(doc)
            if before != after:
                index.discard(doc_id, before - after)
                index.add(doc_id, after - before, self.seq)

    def delete(self, doc_id: str) -> None:
        old = self.docs.pop(doc_id, None)
        if old is None:
            return
        del self.seq[doc_id]
        for index in self.indexes.values():
            index.discard(doc_id, index.keys(old))

    def index(self, path: str) -> Index:
        index = self.indexes.get(path)
        if index is None:
            index = self.indexes[path] = Index(path)
            for doc_id, doc in self.docs.items():
                index.add(doc_id, index.keys(doc), self.seq)
        return index

    def select(self, query: Query, *, reverse: bool = False) -> Iterator[Document]:
        """Yield the matching documents in insertion order (or reversed)."""
        candidates: list[str] | dict[str, None] | dict[str, Document]
        if query.ids is not None:
            found = [doc_id for doc_id in dict.fromkeys(query.ids) if doc_id in self.docs]
            found.sort(key=self.seq.__getitem__)
            candidates = found
        elif query.equal:
            candidates = min((self.index(path).lookup(value, self.seq) for path, value in query.equal), key=len)
        else:
            candidates = self.docs
        docs, match = self.docs, query.match
        for doc_id in reversed(candidates) if reverse else candidates:
            doc = docs[doc_id]
            if match(doc):
                yield doc

    def values(self) -> list[Document]:
        return list(self.docs.values())


def derived_id(collection: str, position: int) -> str:
    """An ``_id`` for a snapshot document that has none: the same in every process that reads the file."""
    return hashlib.blake2b(f"{collection}\0{position}".encode(), digest_size=12).hexdigest()
