"""The generic views through real apps on both engines: retrieve, list (filters, escaped search, sort), create,
update (PUT/PATCH), delete (hooks), the 501s of unimplemented hooks and the 404s of bad ids."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from panther.db import Model
from panther.exceptions import APIError, PantherError
from panther.generics import CreateAPI, DeleteAPI, ListAPI, RetrieveAPI, UpdateAPI
from panther.request import Request
from panther.serializer import ModelSerializer
from panther.test import APIClient


class Shelf(Model):
    label: str


class Book(Model):
    title: str
    author: str = ""
    pages: int = 0
    rating: float = 0.0
    available: bool = True
    shelf: Shelf | None = None
    owner: str = ""


class BookIn(ModelSerializer):
    class Config:
        model = Book
        fields = ["title", "author", "pages", "shelf"]


class BookPatch(ModelSerializer):
    class Config:
        model = Book
        fields = ["title", "author", "pages", "shelf"]
        optional_fields = "*"


# --- views ------------------------------------------------------------------------------------------------------


class BookDetail(RetrieveAPI):
    async def get_instance(self, request: Request, **kwargs):
        return await Book.find_one_or_raise(id=kwargs["book_id"])


class BookMaybe(RetrieveAPI):
    async def get_instance(self, request: Request, **kwargs):
        return await Book.find_one(id=kwargs["book_id"])


class NoInstance(RetrieveAPI, UpdateAPI, DeleteAPI):
    input_model = BookIn


class Books(ListAPI):
    filter_fields = ["author", "pages", "rating", "available", "shelf", "id"]
    search_fields = ["title", "author"]
    sort_fields = ["pages", "title"]

    async def get_query(self, request: Request, **kwargs):
        return await Book.find()


class OwnBooks(ListAPI):
    filter_fields = ["owner", "title"]
    search_fields = ["title"]

    async def get_query(self, request: Request, **kwargs):
        # Scoped to one owner, sorted by pages descending: neither can be undone by the query string.
        return (await Book.find(owner=kwargs["owner"])).sort("pages", -1)


class NoQuery(ListAPI):
    pass


class NotACursor(ListAPI):
    async def get_query(self, request: Request, **kwargs):
        return await (await Book.find()).to_list()


class CreateBook(CreateAPI):
    input_model = BookIn


class NoInputModel(CreateAPI):
    pass


class EditBook(UpdateAPI):
    input_model = BookIn

    async def get_instance(self, request: Request, **kwargs):
        return await Book.find_one_or_raise(id=kwargs["book_id"])


class PatchBook(UpdateAPI):
    input_model = BookPatch

    async def get_instance(self, request: Request, **kwargs):
        return await Book.find_one_or_raise(id=kwargs["book_id"])


class RemoveBook(DeleteAPI):
    calls: ClassVar[list[Any]] = []

    async def get_instance(self, request: Request, **kwargs):
        return await Book.find_one_or_raise(id=kwargs["book_id"])

    async def pre_delete(self, instance, request: Request, **kwargs):
        type(self).calls.append(("pre", instance.title, await Book.exists(id=instance.id), kwargs))

    async def post_delete(self, instance, request: Request, **kwargs):
        type(self).calls.append(("post", instance.title, await Book.exists(id=instance.id), kwargs))


class GuardedDelete(DeleteAPI):
    async def get_instance(self, request: Request, **kwargs):
        return await Book.find_one_or_raise(id=kwargs["book_id"])

    async def pre_delete(self, instance, request: Request, **kwargs):
        raise APIError(detail="kept", status_code=409)


URLS = {
    "books": Books,
    "books/<book_id>": BookDetail,
    "maybe/<book_id>": BookMaybe,
    "none/<book_id>": NoInstance,
    "own/<owner>": OwnBooks,
    "no-query": NoQuery,
    "not-a-cursor": NotACursor,
    "create": CreateBook,
    "no-input": NoInputModel,
    "edit/<book_id>": EditBook,
    "patch/<book_id>": PatchBook,
    "remove/<book_id>": RemoveBook,
    "guarded/<book_id>": GuardedDelete,
}

BAD_IDS = ("zzz", "65f0c0ffee0000000000abcd")


async def _books() -> list[Book]:
    shelf = await Shelf.insert_one(label="top")
    return await Book.insert_many(
        [
            {"title": "Dune", "author": "Herbert", "pages": 412, "rating": 4.5, "shelf": shelf},
            {"title": "Emma", "author": "Austen", "pages": 320, "rating": 4.0, "available": False},
            {"title": "a.*(", "author": "Regex", "pages": 10},
            {"title": "abc", "author": "Plain", "pages": 99, "rating": 4.5},
        ]
    )


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [item["title"] for item in response.data]


# --- RetrieveAPI --------------------------------------------------------------------------------------------------


async def test_retrieve(make_app):
    app = await make_app(URLS)
    books = await _books()
    async with APIClient(app) as client:
        response = await client.get(f"/books/{books[0].id}")
        assert response.status_code == 200
        assert response.data["title"] == "Dune"
        assert response.data["shelf"]["label"] == "top"
        for bad in BAD_IDS:
            response = await client.get(f"/books/{bad}")
            assert response.status_code == 404, bad
            assert response.data == {"detail": "Book Does Not Exist"}
            response = await client.get(f"/maybe/{bad}")  # get_instance returned None
            assert response.status_code == 404
            assert response.data == {"detail": "Not Found"}


async def test_unimplemented_get_instance_is_501(make_app, caplog):
    app = await make_app(URLS)
    books = await _books()
    async with APIClient(app) as client:
        for method in ("get", "put", "delete"):
            kwargs = {"payload": {"title": "x"}} if method == "put" else {}
            response = await getattr(client, method)(f"/none/{books[0].id}", **kwargs)
            assert response.status_code == 501, method
            assert response.data == {"detail": "Not Implemented"}
    assert "NoInstance: `get_instance()` is not implemented." in caplog.text
    assert await Book.count() == 4


# --- ListAPI ------------------------------------------------------------------------------------------------------


async def test_list_and_the_501s(make_app, caplog):
    app = await make_app(URLS)
    await _books()
    async with APIClient(app) as client:
        assert _titles(await client.get("/books")) == ["Dune", "Emma", "a.*(", "abc"]
        response = await client.get("/no-query")
        assert response.status_code == 501
        assert response.data == {"detail": "Not Implemented"}
        response = await client.get("/not-a-cursor")
        assert response.status_code == 501
    assert "NoQuery: `get_query()` is not implemented." in caplog.text
    assert "NotACursor: `get_query()` should return a Cursor, e.g. `await Model.find()`." in caplog.text


async def test_filters(make_app):
    app = await make_app(URLS)
    books = await _books()
    shelf_id = books[0].shelf.id
    async with APIClient(app) as client:

        async def titles(**params: str) -> list[str]:
            return _titles(await client.get("/books", query_params=params))

        assert await titles(author="Austen") == ["Emma"]
        assert await titles(pages="99") == ["abc"]  # converted to the field's type
        assert await titles(rating="4.5") == ["Dune", "abc"]
        assert await titles(available="false") == ["Emma"]
        assert await titles(author="Austen", available="true") == []
        assert await titles(shelf=shelf_id) == ["Dune"]  # a reference, by id
        assert await titles(id=books[1].id) == ["Emma"]
        assert await titles(title="Emma") == ["Dune", "Emma", "a.*(", "abc"]  # not a filter field: ignored
        for bad in BAD_IDS:  # ids that are malformed or unknown match nothing
            assert await titles(shelf=bad) == []
            assert await titles(id=bad) == []

        response = await client.get("/books", query_params={"pages": "many"})
        assert response.status_code == 400
        assert response.data == {"pages": "Input should be a valid integer, unable to parse string as an integer"}
        response = await client.get("/books", query_params={"available": "maybe"})
        assert response.status_code == 400
        assert set(response.data) == {"available"}


async def test_search_is_literal_and_covers_every_search_field(make_app):
    app = await make_app(URLS)
    await _books()
    async with APIClient(app) as client:

        async def found(text: str) -> list[str]:
            return _titles(await client.get("/books", query_params={"search": text}))

        assert await found("a.*(") == ["a.*("]  # not a pattern: would be invalid, or match "abc" too
        assert await found(".*") == ["a.*("]
        assert await found("(") == ["a.*("]
        assert await found("^E") == []
        assert await found("[a-z]") == []
        assert await found("ab") == ["abc"]
        assert await found("u") == ["Dune", "Emma"]  # title "Dune", author "Austen"
        assert await found("Herb") == ["Dune"]
        assert await found("dune") == []  # case-sensitive, like upstream
        assert await found("") == ["Dune", "Emma", "a.*(", "abc"]


async def test_sort(make_app):
    app = await make_app(URLS)
    await _books()
    async with APIClient(app) as client:

        async def ordered(sort: str) -> list[str]:
            return _titles(await client.get("/books", query_params={"sort": sort}))

        assert await ordered("pages") == ["a.*(", "abc", "Emma", "Dune"]
        assert await ordered("-pages") == ["Dune", "Emma", "abc", "a.*("]
        assert await ordered("-title") == ["abc", "a.*(", "Emma", "Dune"]
        # Fields not in sort_fields are ignored (rating, author); a repeated field counts once.
        assert await ordered("rating,-pages,pages") == ["Dune", "Emma", "abc", "a.*("]
        assert await ordered("author") == ["Dune", "Emma", "a.*(", "abc"]
        await Book.insert_one(title="Zed", pages=99)
        assert await ordered("-pages, -title") == ["Dune", "Emma", "abc", "Zed", "a.*("]  # byte order: "a" > "Z"


async def test_filters_and_search_only_narrow_get_query(make_app):
    app = await make_app(URLS)
    await Book.insert_many(
        [
            {"title": "mine-1", "owner": "ann", "pages": 1},
            {"title": "mine-2", "owner": "ann", "pages": 2},
            {"title": "theirs", "owner": "bob", "pages": 3},
        ]
    )
    async with APIClient(app) as client:
        assert _titles(await client.get("/own/ann")) == ["mine-2", "mine-1"]
        assert _titles(await client.get("/own/ann", query_params={"owner": "bob"})) == []
        assert _titles(await client.get("/own/ann", query_params={"title": "theirs"})) == []
        # get_query's order is kept when the query string narrows the cursor.
        assert _titles(await client.get("/own/ann", query_params={"search": "mine"})) == ["mine-2", "mine-1"]
        assert _titles(await client.get("/own/bob", query_params={"search": "e"})) == ["theirs"]


# --- CreateAPI ------------------------------------------------------------------------------------------------------


async def test_create(make_app):
    app = await make_app(URLS)
    shelf = await Shelf.insert_one(label="low")
    async with APIClient(app) as client:
        response = await client.post("/create", {"title": "New", "pages": 5, "shelf": shelf.id, "owner": "x"})
        assert response.status_code == 201
        created = await Book.find_one_or_raise(id=response.data["id"])
        assert (created.title, created.pages, created.shelf.label) == ("New", 5, "low")
        assert created.owner == ""  # not a field of the input model
        assert response.data == created.model_dump(mode="json")

        response = await client.post("/create", {"title": "Chosen", "id": "65f0c0ffee0000000000abcd"})
        assert response.status_code == 201
        assert response.data["id"] != "65f0c0ffee0000000000abcd"  # the database assigns ids

        response = await client.post("/create", {"pages": "x"})
        assert response.status_code == 400
        assert set(response.data) == {"title", "pages"}
        response = await client.post("/create", {"title": "Lost", "shelf": "zzz"})
        assert response.status_code == 400
        assert response.data == {"shelf": "Shelf Does Not Exist"}
        assert await Book.count() == 2


async def test_create_without_a_serializer(make_app, caplog):
    app = await make_app(URLS)
    async with APIClient(app) as client:
        response = await client.post("/no-input", {"title": "x"})
    assert response.status_code == 501
    assert "NoInputModel: CreateAPI needs an `input_model` that is a ModelSerializer of a Model." in caplog.text
    from pydantic import BaseModel

    class Plain(BaseModel):
        title: str

    with pytest.raises(PantherError, match=r"`input_model` must be a ModelSerializer of a `panther.db.Model`"):

        class Wrong(CreateAPI):
            input_model = Plain


# --- UpdateAPI ------------------------------------------------------------------------------------------------------


async def test_put_writes_every_field(make_app):
    app = await make_app(URLS)
    books = await _books()
    dune = books[0]
    async with APIClient(app) as client:
        response = await client.put(f"/edit/{dune.id}", {"title": "Dune II", "owner": "eve"})
        assert response.status_code == 200
        assert response.data["title"] == "Dune II"
        stored = await Book.find_one_or_raise(id=dune.id)
        # Fields of the input model that were not sent get their defaults: PUT replaces.
        assert (stored.title, stored.author, stored.pages, stored.shelf) == ("Dune II", "", 0, None)
        assert (stored.rating, stored.owner) == (4.5, "")  # not in the input model: untouched
        assert response.data == stored.model_dump(mode="json")

        response = await client.put(f"/edit/{dune.id}", {"author": "nobody"})
        assert response.status_code == 400
        for bad in BAD_IDS:
            response = await client.put(f"/edit/{bad}", {"title": "x"})
            assert response.status_code == 404, bad


async def test_patch_writes_only_what_was_sent(make_app):
    app = await make_app(URLS)
    books = await _books()
    dune = books[0]
    other_shelf = await Shelf.insert_one(label="other")
    async with APIClient(app) as client:
        response = await client.patch(f"/patch/{dune.id}", {"pages": 500})
        assert response.status_code == 200
        stored = await Book.find_one_or_raise(id=dune.id)
        assert (stored.title, stored.author, stored.pages, stored.shelf.label) == ("Dune", "Herbert", 500, "top")
        assert response.data["pages"] == 500 and response.data["shelf"]["label"] == "top"

        response = await client.patch(f"/patch/{dune.id}", {"shelf": other_shelf.id, "author": ""})
        assert response.status_code == 200
        stored = await Book.find_one_or_raise(id=dune.id)
        assert (stored.author, stored.shelf.label) == ("", "other")
        assert response.data["shelf"] == {"id": other_shelf.id, "label": "other"}

        response = await client.patch(f"/patch/{dune.id}", {"shelf": None})  # an explicit null is written
        assert (await Book.find_one_or_raise(id=dune.id)).shelf is None

        response = await client.patch(f"/patch/{dune.id}", {})
        assert response.status_code == 200
        assert response.data["title"] == "Dune"

        response = await client.patch(f"/patch/{dune.id}", {"shelf": "zzz"})
        assert response.status_code == 400
        assert response.data == {"shelf": "Shelf Does Not Exist"}
        assert (await client.patch("/patch/zzz", {"pages": 1})).status_code == 404


# --- DeleteAPI ------------------------------------------------------------------------------------------------------


async def test_delete_runs_the_hooks_around_the_deletion(make_app):
    app = await make_app(URLS)
    books = await _books()
    RemoveBook.calls.clear()
    async with APIClient(app) as client:
        response = await client.delete(f"/remove/{books[1].id}")
        assert response.status_code == 204
        assert response.data in (None, b"", "")
        assert RemoveBook.calls == [
            ("pre", "Emma", True, {"book_id": books[1].id}),
            ("post", "Emma", False, {"book_id": books[1].id}),
        ]
        assert await Book.count() == 3
        for bad in (*BAD_IDS, books[1].id):
            assert (await client.delete(f"/remove/{bad}")).status_code == 404
        response = await client.delete(f"/guarded/{books[0].id}")
        assert response.status_code == 409
        assert await Book.exists(id=books[0].id)
