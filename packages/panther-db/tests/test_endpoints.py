"""Models through HTTP endpoints: cursors and lists of models as responses, bad ids in URLs, two apps side by side."""

from __future__ import annotations

import threading

from pydantic import BaseModel

from panther.app import API, GenericAPI
from panther.db import Model, use_app
from panther.db.context import DB
from panther.response import Response
from panther.test import APIClient


class Item(Model):
    name: str
    price: int = 0


class ItemOut(BaseModel):
    name: str


@API()
async def items_cursor():
    return (await Item.find()).sort("price", -1)


@API()
async def items_response():
    return Response(data=await Item.find(price={"$gte": 2}), status_code=201)


@API()
async def items_list():
    return await (await Item.all()).to_list()


@API(output_model=ItemOut)
async def items_filtered():
    return await Item.find()


@API()
async def item_detail(item_id: str):
    return await Item.find_one_or_raise(id=item_id)


class ItemView(GenericAPI):
    async def get(self, item_id: str):
        item = await Item.find_one(id=item_id)
        return Response(status_code=404) if item is None else item

    async def post(self, item_id: str):
        return await Item.insert_one(id=item_id, name="chosen")


@API()
async def nested_cursor():
    return {"items": await Item.find()}  # rendered from the prefetched matches, as upstream rendered it


@API()
async def items_aggregated():
    return await Item.aggregate([{"$match": {"price": {"$gte": 2}}}, {"$sort": {"price": 1}}])


URLS = {
    "aggregated": items_aggregated,
    "cursor": items_cursor,
    "response": items_response,
    "list": items_list,
    "filtered": items_filtered,
    "items/<item_id>": item_detail,
    "view/<item_id>": ItemView,
    "nested": nested_cursor,
}


async def _seed() -> list[Item]:
    return await Item.insert_many([{"name": "a", "price": 1}, {"name": "b", "price": 3}, {"name": "c", "price": 2}])


async def test_endpoint_returning_a_cursor(make_app):
    app = await make_app(URLS)
    items = await _seed()
    threads = threading.active_count()
    async with APIClient(app) as client:
        response = await client.get("/cursor")
        assert response.status_code == 200
        assert response.data == [
            {"id": items[1].id, "name": "b", "price": 3},
            {"id": items[2].id, "name": "c", "price": 2},
            {"id": items[0].id, "name": "a", "price": 1},
        ]
        response = await client.get("/response")
        assert response.status_code == 201
        assert [item["name"] for item in response.data] == ["b", "c"]
        response = await client.get("/list")
        assert [item["name"] for item in response.data] == ["a", "b", "c"]
        response = await client.get("/filtered")
        assert response.data == [{"name": "a"}, {"name": "b"}, {"name": "c"}]
    assert threading.active_count() <= threads + 1  # no thread per document (at most the PantherDB worker)


async def test_a_cursor_nested_in_data_renders_its_prefetched_matches(make_app):
    app = await make_app(URLS)
    await _seed()
    async with APIClient(app) as client:
        response = await client.get("/nested")
    assert response.status_code == 200
    assert [item["name"] for item in response.data["items"]] == ["a", "b", "c"]


async def test_a_streaming_cursor_nested_in_data_is_a_clear_error(make_app, caplog, engine):
    app = await make_app(URLS, DATABASE={**engine.database(), "prefetch": 1})
    await _seed()
    async with APIClient(app) as client:
        response = await client.get("/nested")
    assert response.status_code == 500
    assert "was not read before the response was rendered" in caplog.text


async def test_found_and_missing_items_by_path_variable(make_app):
    app = await make_app(URLS)
    items = await _seed()
    async with APIClient(app) as client:
        response = await client.get(f"/items/{items[0].id}")
        assert response.status_code == 200
        assert response.data == {"id": items[0].id, "name": "a", "price": 1}
        response = await client.get("/items/65f0c0ffee0000000000abcd")
        assert response.status_code == 404
        assert response.data == {"detail": "Item Does Not Exist"}


async def test_invalid_object_ids_in_urls_are_404_or_400_never_500(make_app, engine):
    app = await make_app(URLS)
    await _seed()
    async with APIClient(app) as client:
        for bad in ("zzz", "123", "not-an-object-id-at-all-x"):
            response = await client.get(f"/items/{bad}")
            assert response.status_code == 404, bad
            assert response.data == {"detail": "Item Does Not Exist"}
            assert (await client.get(f"/view/{bad}")).status_code == 404
        response = await client.post("/view/zzz")
        if engine.name == "mongodb":
            assert response.status_code == 400
            assert response.data == {"detail": "'zzz' is not a valid id"}
        else:
            assert response.status_code == 200  # any string is an id on PantherDB


async def test_two_apps_have_two_databases(make_app):
    first = await make_app(URLS, label="first")
    second = await make_app(URLS, label="second")
    assert first.stash[DB] is not second.stash[DB]
    with use_app(first):
        await Item.insert_one(name="only-in-first")
    with use_app(second):
        await Item.insert_many([{"name": "x"}, {"name": "y"}])
        assert await Item.count() == 2
    with use_app(first):
        assert [item.name for item in await (await Item.all()).to_list()] == ["only-in-first"]
    # Requests use the database of the app that serves them, whatever app was started last.
    async with APIClient(first) as one, APIClient(second) as two:
        assert [item["name"] for item in (await one.get("/list")).data] == ["only-in-first"]
        assert [item["name"] for item in (await two.get("/list")).data] == ["x", "y"]


async def test_raw_documents_with_object_ids_are_encoded(make_app, engine):
    if engine.name == "pantherdb":
        return  # no aggregate on PantherDB (tested in test_queries)
    app = await make_app(URLS)
    items = await _seed()
    async with APIClient(app) as client:
        response = await client.get("/aggregated")
    assert response.status_code == 200
    assert response.data == [
        {"_id": items[2].id, "name": "c", "price": 2},
        {"_id": items[1].id, "name": "b", "price": 3},
    ]
