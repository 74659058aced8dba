"""Field types round-trip on both engines: nested models, lists, datetimes, optionals, references and files."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from panther.db import Model
from panther.db.context import DB
from panther.exceptions import BadRequestAPIError
from panther.file_handler import File, Image


class Address(BaseModel):
    city: str
    zip: str | None = None


class Profile(Model):
    name: str
    address: Address
    addresses: list[Address] = []
    scores: list[int] = []
    born: datetime
    nickname: str | None = None
    extra: dict[str, int] = {}


class Author(Model):
    name: str


class Publisher(Model):
    name: str
    owner: Author | None = None


class Book(Model):
    title: str
    author: Author
    editor: Author | None = None
    reviewers: list[Author] = []
    publisher: Publisher | None = None


class Upload(Model):
    title: str
    attachment: File | None = None
    photo: Image | None = None


# BSON stores milliseconds; a round value compares equal on both engines.
WHEN = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)


async def test_nested_models_lists_datetimes_and_optionals_round_trip(app):
    saved = await Profile.insert_one(
        name="ann",
        address=Address(city="Tehran"),
        addresses=[{"city": "Shiraz", "zip": "71"}],
        scores=[3, 1, 2],
        born=WHEN,
        extra={"a": 1},
    )
    loaded = await Profile.find_one(id=saved.id)
    assert loaded == saved
    assert loaded.address == Address(city="Tehran")
    assert loaded.addresses[0].zip == "71"
    assert loaded.born == WHEN and loaded.born.utcoffset() == timedelta(0)
    assert loaded.nickname is None
    await loaded.update(nickname="a", address=Address(city="Yazd"))
    assert (await Profile.find_one(id=saved.id)).address.city == "Yazd"
    assert await Profile.count({"address.city": "Yazd"}) == 1


async def test_references_are_stored_as_ids_and_loaded_back(app, engine):
    from panther.db.connections import db

    ann = await Author.insert_one(name="ann")
    bob = await Author.insert_one(name="bob")
    book = await Book.insert_one(title="t", author=ann, reviewers=[ann, bob])
    raw = await db.find_one("Book", {"_id": db.native_id(book.id)})
    assert raw["author"] == db.native_id(ann.id)  # an id, not a copy of the author
    assert raw["reviewers"] == [db.native_id(ann.id), db.native_id(bob.id)]
    assert raw["editor"] is None

    loaded = await Book.find_one(id=book.id)
    assert loaded.author == ann
    assert [r.name for r in loaded.reviewers] == ["ann", "bob"]
    assert loaded.model_dump()["author"] == {"id": ann.id, "name": "ann"}


async def test_references_can_be_given_and_filtered_by_id_or_model(app):
    ann = await Author.insert_one(name="ann")
    book = await Book.insert_one(title="t", author=ann.id, reviewers=[ann.id])
    assert book.author == ann
    assert (await Book.find_one(author=ann)).id == book.id
    assert (await Book.find_one(author=ann.id)).id == book.id
    assert await Book.count(author={"$in": [ann.id, "zzz"]}) == 1
    bob = await Author.insert_one(name="bob")
    assert await Book.update_one({"id": book.id}, editor=bob) == 1
    assert (await Book.find_one(id=book.id)).editor == bob
    await book.update(editor=ann.id)  # by id: the instance reloads to get the model
    assert book.editor == ann


async def test_unsaved_references_are_inserted_with_the_document(app):
    # As upstream: a model never inserted, nested in a new document, is inserted too and stored by its id.
    ghost, extra = Author(name="ghost"), Author(name="extra")
    book = await Book.insert_one(title="t", author=ghost, reviewers=[extra])
    assert ghost.id is not None and extra.id is not None
    assert book.author.id == ghost.id
    loaded = await Book.find_one(title="t")
    assert loaded.author == ghost and loaded.reviewers == [extra]
    assert sorted(a.name for a in await (await Author.find()).to_list()) == ["extra", "ghost"]
    late = Author(name="late")
    await loaded.update(editor=late)
    assert (await Book.find_one(title="t")).editor == late == await Author.find_one(name="late")


async def test_deleted_reference_loads_as_none_or_is_dropped(app):
    ann = await Author.insert_one(name="ann")
    bob = await Author.insert_one(name="bob")
    await Book.insert_one(title="t", author=ann, editor=bob, reviewers=[ann, bob])
    await bob.delete()
    book = await Book.find_one(title="t")
    assert book.editor is None
    assert [r.name for r in book.reviewers] == ["ann"]


async def test_references_are_loaded_with_one_query_per_field_per_batch(make_app, caplog):
    await make_app(LOG_QUERIES=True)
    authors = await Author.insert_many([{"name": f"a{i}"} for i in range(5)])
    owner = await Author.insert_one(name="owner")
    publisher = await Publisher.insert_one(name="p", owner=owner)
    await Book.insert_many(
        [
            {"title": f"b{i}", "author": authors[i % 5], "reviewers": authors[:3], "publisher": publisher}
            for i in range(40)
        ]
    )
    caplog.clear()
    caplog.set_level(logging.INFO, logger="panther.db.query")
    books = await (await Book.find()).to_list()
    assert len(books) == 40 and books[7].author.name == "a2" and books[0].publisher.owner.name == "owner"
    operations = [record.getMessage() for record in caplog.records if record.name == "panther.db.query"]
    # The books, one query per reference field (author, reviewers, publisher; editor is None everywhere, so it
    # needs none), then the publishers' own reference (owner): 5 queries for 40 books, not 1 + 40 * 4.
    assert len(operations) == 5, operations
    assert sorted(op.split()[1] for op in operations) == [
        "find('Author')",
        "find('Author')",
        "find('Author')",
        "find('Book')",
        "find('Publisher')",
    ]

    caplog.clear()
    assert [book.title async for book in await Book.find()][:2] == ["b0", "b1"]
    assert len([r for r in caplog.records if r.name == "panther.db.query"]) == 5

    caplog.clear()
    await Book.find_one(title="b3")
    assert len([r for r in caplog.records if r.name == "panther.db.query"]) == 5


async def test_iterating_loads_references_once_per_batch(make_app, caplog, monkeypatch):
    from panther.db import cursor as cursors

    app = await make_app(LOG_QUERIES=True)
    ann = await Author.insert_one(name="ann")
    await Book.insert_many([{"title": f"b{i}", "author": ann} for i in range(2 * cursors.BATCH_SIZE + 50)])
    caplog.set_level(logging.INFO, logger="panther.db.query")

    def operations() -> list[str]:
        return sorted(r.getMessage().split()[1] for r in caplog.records if r.name == "panther.db.query")

    # Prefetched by find(): one query for the books, one for all their authors.
    caplog.clear()
    assert all(book.author == ann for book in await Book.find())
    assert operations() == ["find('Author')", "find('Book')"]

    # A streaming cursor (more matches than the prefetch holds): one author query per batch.
    monkeypatch.setattr(app.stash[DB], "prefetch_limit", 10)
    cursor = await Book.find()
    assert not cursor.prefetched
    caplog.clear()
    count = 0
    async for book in cursor:
        assert book.author == ann
        count += 1
    assert count == 2 * cursors.BATCH_SIZE + 50
    assert operations() == ["find('Author')"] * 3 + ["find('Book')"]  # 3 batches: one author query each


async def test_file_fields_are_saved_under_media_dir_and_loaded_lazily(make_app, tmp_path):
    await make_app(MEDIA_DIR="uploads")
    upload = await Upload.insert_one(
        title="doc",
        attachment=File(file_name="../../etc/passwd", content_type="text/plain", file=b"hello"),
        photo=Image(file_name="me.png", content_type="image/png", file=b"\x89PNG..."),
    )
    media = tmp_path / "uploads" / "Upload"
    assert sorted(os.listdir(media)) == ["me.png", "passwd"]  # the client's path is reduced to a bare name
    assert (media / "passwd").read_bytes() == b"hello"

    again = await Upload.insert_one(
        title="doc2", attachment=File(file_name="passwd", content_type="text/plain", file=b"other")
    )
    assert len(os.listdir(media)) == 3  # a clashing name gets a unique suffix, nothing is overwritten
    assert again.attachment.read() == b"other"

    loaded = await Upload.find_one(id=upload.id)
    assert type(loaded.photo).__name__ == "StoredImage" and isinstance(loaded.photo, Image)
    assert loaded.photo._spool is None  # nothing opened or read by loading
    assert loaded.attachment.size == 5
    assert loaded.model_dump()["attachment"] == {
        "file_name": "../../etc/passwd",
        "content_type": "text/plain",
        "size": 5,
    }
    assert loaded.attachment.read() == b"hello"
    assert loaded.photo.file == b"\x89PNG..."
    assert Path(loaded.attachment.save()) == media / "passwd"  # already saved: the same path
    loaded.attachment.close()
    loaded.photo.close()


async def test_file_fields_survive_save_and_update(make_app, tmp_path):
    await make_app()
    upload = await Upload.insert_one(
        title="x", attachment=File(file_name="a.txt", content_type="text/plain", file=b"1")
    )
    loaded = await Upload.find_one(id=upload.id)
    loaded.title = "y"
    await loaded.save()  # the stored file is kept, not copied
    assert len(os.listdir(tmp_path / "media" / "Upload")) == 1
    await loaded.update(photo=Image(file_name="p.gif", content_type="image/gif", file=b"GIF89a"))
    fresh = await Upload.find_one(id=upload.id)
    assert fresh.attachment.read() == b"1" and fresh.photo.read() == b"GIF89a"
    fresh.attachment.close()
    fresh.photo.close()


async def test_an_explicit_invalid_id_on_insert_is_a_bad_request(app, engine):
    if engine.name == "pantherdb":
        pytest.skip("PantherDB ids are any string")
    with pytest.raises(BadRequestAPIError):
        await Author.insert_one(id="not-an-object-id", name="x")


async def test_an_explicit_valid_id_is_kept(app):
    chosen = "65f0c0ffee0000000000abcd"
    author = await Author.insert_one(id=chosen, name="x")
    assert author.id == chosen
    assert (await Author.find_one(id=chosen)).name == "x"
