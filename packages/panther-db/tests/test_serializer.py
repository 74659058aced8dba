"""``ModelSerializer``: Config checks (upstream's messages), generated fields, the source model left untouched, and
reference fields given by id, loaded asynchronously by the request pipeline (on both engines)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from panther.app import API
from panther.db import Model
from panther.request import Request
from panther.response import Response
from panther.serializer import ModelSerializer
from panther.test import APIClient


class Writer(Model):
    name: str
    age: int = 0


class Article(Model):
    title: str = Field(min_length=2, description="The title")
    views: int = 7
    tags: list[str] = []
    published: datetime | None = None
    reviewed: datetime
    writer: Writer
    coauthors: list[Writer] = []


def _define(**config: Any) -> type[ModelSerializer]:
    """A serializer of ``Article`` named ``ArticleSerializer`` with ``config`` as its ``Config``."""
    Config = type("Config", (), config)
    return type("ArticleSerializer", (ModelSerializer,), {"Config": Config, "__module__": __name__})


def _error(**config: Any) -> str:
    with pytest.raises(AttributeError) as caught:
        _define(**config)
    return str(caught.value)


# --- Config checks: upstream's exact messages -------------------------------------------------------------------


def test_config_is_required():
    with pytest.raises(AttributeError) as caught:
        type("NoConfig", (ModelSerializer,), {"__module__": __name__})
    assert str(caught.value) == f"`class Config` is required in {__name__}.NoConfig."


def test_model_is_required_and_must_be_a_model():
    assert _error(fields="*") == "`ArticleSerializer.Config.model` is required."
    expected = "`ArticleSerializer.Config.model` is not subclass of `panther.db.Model` or `pydantic.BaseModel`."
    assert _error(model=int, fields="*") == expected
    assert _error(model="Article", fields="*") == expected


def test_fields_are_required_and_checked():
    assert _error(model=Article) == "`ArticleSerializer.Config.fields` is required."
    assert _error(model=Article, fields=["title", "nope"]) == (
        "`ArticleSerializer.Config.fields.nope` is not in `Article.model_fields`"
    )
    assert _error(model=Article, fields=["title", "*"]) == (
        "`ArticleSerializer.Config.fields.*` is not valid. Did you mean `fields = '*'`"
    )


def test_required_and_optional_fields_are_checked():
    assert _error(model=Article, fields="*", required_fields=["nope"]) == (
        "`ArticleSerializer.Config.required_fields.nope` is not valid."
    )
    assert _error(model=Article, fields=["title"], required_fields=["views"]) == (
        "`ArticleSerializer.Config.required_fields.views` is not defined in `Config.fields`."
    )
    assert _error(model=Article, fields="*", optional_fields=["nope"]) == (
        "`ArticleSerializer.Config.optional_fields.nope` is not valid."
    )
    assert _error(model=Article, fields=["title"], optional_fields=["views"]) == (
        "`ArticleSerializer.Config.optional_fields.views` is not defined in `Config.fields`."
    )


def test_required_and_optional_fields_cannot_overlap():
    both = (
        "`ArticleSerializer.Config.optional_fields` and "
        "`ArticleSerializer.Config.required_fields` can't include same fields at the same time"
    )
    assert _error(model=Article, fields="*", required_fields="*", optional_fields=["title"]) == both
    assert _error(model=Article, fields="*", required_fields=["title"], optional_fields="*") == both
    assert _error(model=Article, fields="*", required_fields="*", optional_fields="*") == both
    assert _error(model=Article, fields="*", required_fields=["views", "title"], optional_fields=["title"]) == (
        "`title` can't be in `ArticleSerializer.Config.optional_fields` and "
        "`ArticleSerializer.Config.required_fields` at the same time"
    )


def test_exclude_is_checked():
    assert (
        _error(model=Article, fields="*", exclude=["nope"]) == "`ArticleSerializer.Config.exclude.nope` is not valid."
    )
    assert _error(model=Article, fields=["title"], exclude=["views"]) == (
        "`ArticleSerializer.Config.exclude.views` is not defined in `Config.fields`."
    )
    # Upstream crashed with a KeyError on these.
    assert _error(model=Article, fields="*", exclude=["views"], required_fields=["views"]) == (
        "`ArticleSerializer.Config.required_fields.views` is excluded by `Config.exclude`."
    )
    assert _error(model=Article, fields="title") == (
        "`ArticleSerializer.Config.fields` must be '*' or a list of field names, not 'title'."
    )


def test_an_optional_field_without_a_buildable_default_is_a_clear_error():
    class Odd(Model):
        size: timedelta | int  # a real union: neither None nor an empty value fits

    with pytest.raises(AttributeError, match=r"`OddSerializer.Config.optional_fields.size` has no default value"):

        class OddSerializer(ModelSerializer):
            class Config:
                model = Odd
                fields = "*"
                optional_fields = ["size"]


# --- Generated fields -------------------------------------------------------------------------------------------


def _snapshot(model: type[BaseModel]) -> dict[str, Any]:
    return {
        name: (repr(info), info.default, info.default_factory, info.is_required(), dict(info._attributes_set))
        for name, info in model.model_fields.items()
    }


def test_fields_exclude_and_model_classvar():
    serializer = _define(model=Article, fields=["title", "views", "tags"], exclude=["tags"])
    assert list(serializer.model_fields) == ["title", "views"]
    assert serializer.model is Article
    assert "model" not in serializer.model_fields
    assert isinstance(serializer(title="hello"), ModelSerializer)
    # The field's constraints and metadata come along.
    assert serializer.model_fields["title"].description == "The title"
    with pytest.raises(ValidationError):
        serializer(title="x")


def test_required_and_optional_fields_never_change_the_source_model():
    before = _snapshot(Article)
    serializer = _define(
        model=Article,
        fields="*",
        required_fields=["views", "tags"],
        optional_fields=["title", "reviewed", "writer"],
    )
    assert _snapshot(Article) == before
    assert serializer.model_fields["views"].is_required()
    assert serializer.model_fields["tags"].is_required()
    assert not serializer.model_fields["title"].is_required()
    assert not Article.model_fields["views"].is_required()
    assert Article.model_fields["title"].is_required()
    # The model still validates as it did.
    with pytest.raises(ValidationError):
        Article(views=1, reviewed=datetime.now(), writer=Writer(name="w"))  # title is still required
    assert Article(title="ok", reviewed=datetime.now(), writer=Writer(name="w")).views == 7

    everything = _define(model=Article, fields="*", required_fields="*")
    assert all(info.is_required() for info in everything.model_fields.values())
    assert _snapshot(Article) == before


def test_optional_fields_defaults_are_built_per_instance():
    serializer = _define(model=Article, fields="*", optional_fields="*")
    created = datetime.now().astimezone()
    time.sleep(0.01)
    first = serializer()
    time.sleep(0.01)
    second = serializer()
    assert first.title == "" and first.views == 7  # an existing default is kept
    assert first.published is None and first.writer is None
    # Evaluated per instance, not frozen when the class was created (upstream froze it at import).
    assert created < first.reviewed < second.reviewed
    first.tags.append("x")
    assert second.tags == []


def test_other_config_attributes_become_model_config_and_class_fields_override():
    class Loud(ModelSerializer):
        class Config:
            model = Article
            fields = ["title", "views"]
            str_strip_whitespace = True

        model_config = {"str_to_upper": True}  # merged with Config's entries
        views: str  # replaces the generated field
        extra: int = 3  # adds one

        @field_validator("title")
        @classmethod
        def exclaim(cls, value: str) -> str:
            return value + "!"

    assert Loud.model_config["str_strip_whitespace"] is True
    assert Loud.model_config["str_to_upper"] is True
    assert Loud.model_config["arbitrary_types_allowed"] is True
    assert list(Loud.model_fields) == ["title", "views", "extra"]
    loud = Loud(title="  hi  ", views="many")
    assert loud.model_dump() == {"title": "HI!", "views": "MANY", "extra": 3}


def test_a_subclass_without_config_inherits_the_serializer():
    class Base(ModelSerializer):
        class Config:
            model = Writer
            fields = ["name"]

    class Child(Base):
        note: str = ""

    assert Child.model is Writer
    assert list(Child.model_fields) == ["name", "note"]


def test_a_plain_pydantic_model_can_be_serialized():
    class Point(BaseModel):
        x: int
        y: int = 0

    class PointSerializer(ModelSerializer):
        class Config:
            model = Point
            fields = "*"
            required_fields = ["y"]

    with pytest.raises(ValidationError):
        PointSerializer(x=1)
    assert Point(x=1).y == 0


# --- Through real apps, on both engines ---------------------------------------------------------------------------


class ArticleIn(ModelSerializer):
    class Config:
        model = Article
        fields = ["title", "writer", "coauthors", "reviewed"]
        optional_fields = ["reviewed"]


class WriterOut(ModelSerializer):
    class Config:
        model = Writer
        fields = ["id", "name"]

    seen: ClassVar[list[Any]] = []

    async def to_response(self, instance: Any, data: dict[str, Any]) -> dict[str, Any]:
        type(self).seen.append(instance)
        return {**data, "name": data["name"].upper()}


class ArticleOut(ModelSerializer):
    class Config:
        model = Article
        fields = ["title", "writer"]


@API(input_model=ArticleIn)
async def check_article(request: Request):
    data = request.validated_data
    return {
        "writer_type": type(data.writer).__name__,
        "writer": data.writer.model_dump(),
        "coauthors": [writer.name for writer in data.coauthors],
    }


@API(input_model=ArticleIn)
async def create_article(request: Request):
    article = await Article.insert_one(request.validated_data.model_dump())
    return Response(data=article, status_code=201)


@API(output_model=WriterOut)
async def writers():
    return await Writer.find()


@API(output_model=ArticleOut)
async def article_from_ids(writer_id: str):
    return {"title": "raw", "writer": writer_id}


URLS = {
    "check": check_article,
    "create": create_article,
    "writers": writers,
    "raw/<writer_id>": article_from_ids,
}


async def test_a_reference_given_by_id_is_loaded_asynchronously(make_app):
    app = await make_app(URLS)
    ann, bob = await Writer.insert_many([{"name": "ann", "age": 30}, {"name": "bob"}])
    threads = threading.active_count()
    async with APIClient(app) as client:
        response = await client.post("/check", {"title": "Tea", "writer": ann.id, "coauthors": [bob.id, ann.id]})
        assert response.status_code == 200, response.data
        assert response.data == {
            "writer_type": "Writer",
            "writer": {"id": ann.id, "name": "ann", "age": 30},
            "coauthors": ["bob", "ann"],
        }
        # A whole object is still accepted, as upstream did.
        response = await client.post("/check", {"title": "Tea", "writer": {"id": ann.id, "name": "given"}})
        assert response.data["writer"]["name"] == "given"

        response = await client.post("/create", {"title": "Tea", "writer": ann.id, "coauthors": [bob.id]})
        assert response.status_code == 201
        stored = await Article.find_one_or_raise(id=response.data["id"])
        assert stored.writer.name == "ann" and [w.name for w in stored.coauthors] == ["bob"]
        assert stored.reviewed is not None
    assert threading.active_count() <= threads + 1  # loaded on the event loop, not in a thread per reference


async def test_unknown_or_invalid_reference_ids_are_400(make_app):
    app = await make_app(URLS)
    ann = await Writer.insert_one(name="ann")
    async with APIClient(app) as client:
        for bad in ("65f0c0ffee0000000000abcd", "zzz"):
            response = await client.post("/check", {"title": "Tea", "writer": bad})
            assert response.status_code == 400, bad
            assert response.data == {"writer": "Writer Does Not Exist"}
        response = await client.post("/check", {"title": "Tea", "writer": ann.id, "coauthors": [ann.id, "zzz"]})
        assert response.status_code == 400
        assert response.data == {"coauthors.1": "Writer Does Not Exist"}
        # Plain validation errors come first, in the usual shape.
        response = await client.post("/check", {"title": "T", "writer": ann.id})
        assert response.status_code == 400
        assert set(response.data) == {"title"}
        assert await Article.count() == 0


async def test_output_model_to_response_hook(make_app):
    app = await make_app(URLS)
    WriterOut.seen.clear()
    ann, bob = await Writer.insert_many([{"name": "ann", "age": 3}, {"name": "bob"}])
    async with APIClient(app) as client:
        response = await client.get("/writers")
    assert response.status_code == 200
    assert response.data == [{"id": ann.id, "name": "ANN"}, {"id": bob.id, "name": "BOB"}]
    assert [type(item) for item in WriterOut.seen] == [Writer, Writer]  # the endpoint's items


async def test_output_model_loads_references_given_by_id(make_app):
    app = await make_app(URLS)
    ann = await Writer.insert_one(name="ann", age=4)
    async with APIClient(app) as client:
        response = await client.get(f"/raw/{ann.id}")
        assert response.status_code == 200
        assert response.data == {"title": "raw", "writer": {"id": ann.id, "name": "ann", "age": 4}}


async def test_load_references_outside_a_request(app):
    ann = await Writer.insert_one(name="ann")
    data = ArticleIn.model_validate({"title": "Tea", "writer": ann.id})
    assert data.writer.model_fields_set == {"id"}  # a placeholder until loaded
    assert await data.load_references() is data
    assert data.writer.name == "ann"
    assert await data.load_references() is data  # nothing left to load
