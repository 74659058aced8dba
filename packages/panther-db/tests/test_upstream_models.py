"""Model code written for upstream Panther, run unchanged on both engines: what it relied on keeps working."""

from __future__ import annotations

import pytest

from panther.db import Model
from panther.db.models import BaseUser
from panther.exceptions import DatabaseError


class Author(Model):
    name: str


class Book(Model):
    name: str
    pages: int = 0
    author: Author | None = None


class User(BaseUser):
    pass


async def test_insert_one_with_missing_or_invalid_fields_raises_database_error(app):
    with pytest.raises(DatabaseError) as missing:
        await Book.insert_one()
    assert str(missing.value) == 'Book(name="Field required")'
    with pytest.raises(DatabaseError) as invalid:
        await Book.insert_one(name=3, pages="many")
    assert str(invalid.value) == (
        'Book(name="Input should be a valid string", '
        'pages="Input should be a valid integer, unable to parse string as an integer")'
    )
    with pytest.raises(DatabaseError, match=r'^Book\(name="Field required"\)$'):
        await Book.insert_many([{"name": "ok"}, {"pages": 1}])
    with pytest.raises(DatabaseError, match=r'^Book\(pages="Input should be a valid integer'):
        await Book.update_one({"name": "x"}, pages="many")
    assert await Book.count() == 0


async def test_a_nested_model_never_inserted_is_inserted_and_read_back(app):
    author = Author(name="ann")
    book = await Book.insert_one(name="dune", author=author)
    assert author.id is not None
    assert book.author.id == author.id
    loaded = await Book.find_one(name="dune")
    assert loaded.author.name == "ann" and loaded.author.id == author.id
    assert (await Author.find_one(name="ann")).id == author.id


async def test_a_model_instance_as_a_filter(app):
    ann = await Author.insert_one(name="ann")
    dune = await Book.insert_one(name="dune", author=ann, pages=412)
    await Book.insert_one(name="emma", pages=300)
    assert (await Book.find_one(dune)).id == dune.id  # the model as the whole filter: its fields
    assert await Book.exists(dune)
    assert (await Book.find_one(author=ann)).id == dune.id  # as a field's value: by reference
    assert await Book.count({"author": ann}) == 1
    assert [book.name for book in await Book.find(author=ann)] == ["dune"]
    ghost = Author(name="ghost")  # never inserted: nothing refers to it
    assert await Book.find_one(author=ghost) is None
    assert await Book.count(author=ghost) == 0
    assert await Book.update_one({"author": ann}, name="dune 2") == 1


async def test_check_password_is_a_bool_for_if_statements(app):
    user = await User.insert_one(username="ali")
    await user.set_password("correct horse")
    user = await User.find_one(username="ali")
    if user.check_password("wrong"):
        pytest.fail("a wrong password logged in")
    assert user.check_password("correct horse") is True
    assert user.check_password("wrong") is False
