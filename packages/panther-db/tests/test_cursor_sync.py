"""Find results used the way upstream apps use them: plain ``for``, ``list()``, indexing, truthiness — on both engines.

Upstream cursors were synchronous iterables; here ``await Model.find()`` prefetches the matches so those uses work,
and a result too big to prefetch streams, where the synchronous uses raise ``TypeError`` at once (never a hang).
"""

from __future__ import annotations

import pytest

from panther.app import API
from panther.db import Model
from panther.db import cursor as cursors
from panther.db.context import DB
from panther.response import Response
from panther.test import APIClient


class Book(Model):
    name: str
    pages: int = 0
    tags: list[str] = []


class Shelf(Model):
    label: str
    books: list[Book] = []


async def _books() -> list[Book]:
    return await Book.insert_many(
        [
            {"name": "dune", "pages": 412, "tags": ["sf"]},
            {"name": "emma", "pages": 300},
            {"name": "ubik", "pages": 202, "tags": ["sf", "pkd"]},
            {"name": "beloved", "pages": 300},
        ]
    )


async def test_plain_for_list_and_generators_end(app):
    await _books()
    names = []
    for book in await Book.find():
        names.append(book.name)
    assert names == ["dune", "emma", "ubik", "beloved"]
    assert [book.pages for book in list(await Book.find(pages=300))] == [300, 300]
    assert sum(1 for _ in await Book.find()) == 4
    assert list(await Book.find(name="nobody")) == []


async def test_a_cursor_can_be_iterated_again(app):
    await _books()
    cursor = await Book.find()
    assert [b.name for b in cursor] == [b.name for b in cursor] == [b.name async for b in cursor]
    assert isinstance(next(iter(cursor)), Book)


async def test_indexing_returns_models(app):
    books = await _books()
    cursor = await Book.find()
    assert cursor[0].id == books[0].id
    assert cursor[-1].name == "beloved"
    with pytest.raises(IndexError):
        cursor[4]
    assert [b.name for b in cursor[1:3]] == ["emma", "ubik"]


async def test_sort_skip_limit_after_the_await(app):
    await _books()
    by_pages = (await Book.find()).sort([("pages", -1), ("name", 1)])
    assert [b.name for b in by_pages] == ["dune", "beloved", "emma", "ubik"]
    window = (await Book.find()).sort("name").skip(1).limit(2)
    assert [b.name for b in window] == ["dune", "emma"]
    assert [b.name for b in (await Book.find()).sort("name", -1)[:2]] == ["ubik", "emma"]


async def test_in_memory_order_is_the_engines_order(app, monkeypatch):
    """A sort applied to prefetched matches orders them as the engine's own query does (mixed kinds included)."""
    await Book.insert_many(
        [{"name": "a", "pages": 3, "tags": ["m", "b"]}, {"name": "b", "pages": 1, "tags": []}, {"name": "c"}]
    )
    await Book.update_one({"name": "c"}, {"$unset": {"tags": ""}})
    for sort in ([("tags", 1)], [("tags", -1)], [("pages", -1)], [("name", -1)]):
        held = (await Book.find()).sort(sort)
        assert held.prefetched
        monkeypatch.setattr(app.stash[DB], "prefetch_limit", 1)
        streamed = (await Book.find()).sort(sort)
        monkeypatch.undo()
        assert not streamed.prefetched
        assert [b.name for b in held] == [b.name for b in await streamed.to_list()], sort


async def test_no_len_and_always_truthy_as_upstream(app):
    await _books()
    with pytest.raises(TypeError, match=r"Model.count"):
        len(await Book.find())
    assert await Book.find()
    assert await Book.find(name="nobody")  # upstream's cursors were truthy even when empty
    assert not await Book.exists(name="nobody")


async def test_references_are_loaded_for_plain_iteration(app):
    dune, emma, *_ = await _books()
    await Shelf.insert_one(label="top", books=[dune, emma])
    (shelf,) = list(await Shelf.find())
    assert [book.name for book in shelf.books] == ["dune", "emma"]


async def test_ten_thousand_documents_iterate_and_one_more_streams(app):
    await Book.insert_many([{"name": f"b{i}", "pages": i} for i in range(cursors.PREFETCH_LIMIT)])
    cursor = await Book.find()
    assert cursor.prefetched
    assert sum(book.pages for book in cursor) == sum(range(cursors.PREFETCH_LIMIT))
    assert cursor[9_999].name == "b9999"

    await Book.insert_one(name="one more")
    streaming = await Book.find()
    assert not streaming.prefetched
    for use in (list, lambda c: c[0], lambda c: [b for b in c]):
        with pytest.raises(TypeError, match="async for"):
            use(streaming)
    count = 0
    async for _ in streaming:  # streamed in batches, never all held
        count += 1
    assert count == cursors.PREFETCH_LIMIT + 1
    assert len(await (await Book.find()).to_list()) == cursors.PREFETCH_LIMIT + 1
    assert [b.name for b in await (await Book.find(name="one more")).to_list()] == ["one more"]


@pytest.mark.timeout(20)  # a hang (Python's fallback to __getitem__ iteration) fails here instead of looping on
async def test_a_streaming_cursor_never_hangs(app, monkeypatch):
    monkeypatch.setattr(app.stash[DB], "prefetch_limit", 2)
    await _books()
    cursor = await Book.find()
    for operation in (list, tuple, sorted, set, lambda c: sum(1 for _ in c), lambda c: c[1], lambda c: "x" in c):
        with pytest.raises(TypeError, match=r"DATABASE\['prefetch'\] = 2"):
            operation(cursor)
    assert [b.name for b in await cursor[1:3].to_list()] == ["emma", "ubik"]


async def test_endpoints_iterate_find_results_as_upstream_apps_do(make_app):
    @API()
    async def titles():
        books = await Book.find()
        return {"titles": [book.name for book in books], "first": books[0], "all": books}

    @API()
    async def as_response():
        return Response(data=await Book.find(pages=300))

    app = await make_app({"titles": titles, "response": as_response})
    await _books()
    async with APIClient(app) as client:
        response = await client.get("titles")
        assert response.status_code == 200
        assert response.data["titles"] == ["dune", "emma", "ubik", "beloved"]
        assert response.data["first"]["name"] == "dune"
        assert [b["name"] for b in response.data["all"]] == response.data["titles"]
        assert [b["name"] for b in (await client.get("response")).data] == ["emma", "beloved"]


async def test_prefetch_is_an_app_setting(make_app, engine):
    await make_app(DATABASE={**engine.database(), "prefetch": 0})  # this app only streams (as async code can)
    await _books()
    cursor = await Book.find()
    assert not cursor.prefetched
    with pytest.raises(TypeError, match=r"DATABASE\['prefetch'\] = 0"):
        list(cursor)
    assert [b.name for b in await cursor.to_list()] == ["dune", "emma", "ubik", "beloved"]
    assert [b.name for b in cursor] == ["dune", "emma", "ubik", "beloved"]  # read: held from now on
