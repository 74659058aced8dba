"""Every query method of ``Model``, on both engines (the ``engine`` fixture runs each test on PantherDB and MongoDB)."""

from __future__ import annotations

import pytest

from panther.db import Cursor, Model
from panther.exceptions import DatabaseError, NotFoundAPIError


class Person(Model):
    name: str
    age: int = 0
    tags: list[str] = []


async def _people() -> list[Person]:
    return await Person.insert_many(
        [{"name": "ann", "age": 30}, {"name": "bob", "age": 25}, {"name": "cid", "age": 35}, {"name": "dan", "age": 25}]
    )


async def test_insert_one_returns_the_model_with_a_string_id(app):
    person = await Person.insert_one({"name": "ann"}, age=3)
    assert isinstance(person, Person)
    assert isinstance(person.id, str) and len(person.id) == 24
    assert (person.name, person.age) == ("ann", 3)
    assert person.model_dump() == {"id": person.id, "name": "ann", "age": 3, "tags": []}


async def test_insert_many_keeps_order_and_gives_ids(app):
    people = await _people()
    assert [p.name for p in people] == ["ann", "bob", "cid", "dan"]
    assert len({p.id for p in people}) == 4
    assert await Person.insert_many([]) == []


async def test_find_one_by_dict_kwargs_and_id(app):
    people = await _people()
    assert (await Person.find_one({"name": "bob"})).id == people[1].id
    assert (await Person.find_one(name="cid")).age == 35
    assert (await Person.find_one({"age": 25}, name="dan")).name == "dan"
    assert (await Person.find_one(id=people[0].id)).name == "ann"
    assert (await Person.find_one({"_id": people[0].id})).name == "ann"
    assert await Person.find_one(name="nobody") is None


async def test_find_with_operators(app):
    await _people()
    older = await (await Person.find(age={"$gt": 26})).sort("name").to_list()
    assert [p.name for p in older] == ["ann", "cid"]
    picked = await (await Person.find(name={"$in": ["bob", "dan", "zed"]})).sort("name").to_list()
    assert [p.name for p in picked] == ["bob", "dan"]


async def test_cursor_sort_skip_limit(app):
    await _people()
    cursor = await Person.find()
    assert isinstance(cursor, Cursor)
    ordered = await cursor.sort([("age", -1), ("name", 1)]).skip(1).limit(2).to_list()
    assert [p.name for p in ordered] == ["ann", "bob"]
    by_name = await (await Person.find()).sort("name", -1).to_list()
    assert [p.name for p in by_name] == ["dan", "cid", "bob", "ann"]


async def test_cursor_async_for_indexing_and_slices(app):
    await _people()
    names = [person.name async for person in (await Person.find()).sort("name")]
    assert names == ["ann", "bob", "cid", "dan"]
    cursor = (await Person.find()).sort("name")
    assert cursor[0].name == "ann"
    assert cursor[3].name == "dan"
    with pytest.raises(IndexError):
        cursor[4]
    assert [p.name for p in await cursor[1:3].to_list()] == ["bob", "cid"]
    assert await cursor[2:2].to_list() == []
    limited = (await Person.find()).sort("name").limit(2)
    assert [p.name for p in await limited[1:].to_list()] == ["bob"]


async def test_cursor_is_read_once_and_then_reused(app):
    await _people()
    cursor = await Person.find(age=25)
    first = await cursor.to_list()
    assert await cursor.to_list() is first
    assert [p.name async for p in cursor] == [p.name for p in first]
    assert cursor[-1].name == first[-1].name
    assert await cursor.count() == 2
    with pytest.raises(DatabaseError, match="already been read"):
        cursor.limit(1)


async def test_cursor_argument_checks(app):
    cursor = await Person.find()
    with pytest.raises(DatabaseError):
        cursor.sort("age", 2)
    with pytest.raises(DatabaseError):
        cursor.limit(-1)
    with pytest.raises(DatabaseError):
        cursor.skip("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cursor["a"]  # type: ignore[index]


async def test_all_first_last(app):
    people = await _people()
    assert [p.name for p in await (await Person.all()).to_list()] == ["ann", "bob", "cid", "dan"]
    assert (await Person.first()).id == people[0].id
    assert (await Person.last()).id == people[-1].id
    assert (await Person.first(age=25)).name == "bob"
    assert (await Person.last(age=25)).name == "dan"
    assert await Person.first(age=99) is None


async def test_count_and_exists(app):
    await _people()
    assert await Person.count() == 4
    assert await Person.count(age=25) == 2
    assert await Person.count({"age": {"$gte": 30}}) == 2
    assert await Person.exists(name="ann") is True
    assert await Person.exists(name="zed") is False


async def test_find_one_or_raise(app):
    person = await Person.insert_one(name="ann")
    assert (await Person.find_one_or_raise(id=person.id)).name == "ann"
    with pytest.raises(NotFoundAPIError) as caught:
        await Person.find_one_or_raise(name="zed")
    assert caught.value.status_code == 404
    assert caught.value.body == {"detail": "Person Does Not Exist"}


async def test_find_one_or_insert(app):
    person, created = await Person.find_one_or_insert(name="ann", age=1)
    assert created is True and person.id is not None
    again, created_again = await Person.find_one_or_insert({"name": "ann"}, age=1)
    assert created_again is False and again.id == person.id
    assert await Person.count() == 1


async def test_update_one_and_update_many_return_matched(app):
    await _people()
    assert await Person.update_one({"name": "ann"}, age=31) == 1
    assert (await Person.find_one(name="ann")).age == 31
    assert await Person.update_one({"name": "zed"}, age=1) == 0
    # Matched, not modified (upstream's update_many returned modified_count): both 25s match, one already is.
    assert await Person.update_many({"age": 25}, {"tags": ["young"]}) == 2
    assert await Person.update_many({"age": 25}, tags=["young"]) == 2
    assert await Person.count(tags="young") == 2
    assert await Person.update_many({"age": {"$lt": 100}}, {"$inc": {"age": 1}}) == 4
    assert sorted(p.age for p in await (await Person.all()).to_list()) == [26, 26, 32, 36]


async def test_update_validates_known_fields(app):
    await Person.insert_one(name="ann")
    with pytest.raises(DatabaseError, match=r'^Person\(age="Input should be a valid integer'):
        await Person.update_one({"name": "ann"}, age="not a number")
    with pytest.raises(DatabaseError):
        await Person.update_one({"name": "ann"}, {})
    with pytest.raises(DatabaseError):
        await Person.update_one({"name": "ann"}, id="x")


async def test_delete_one_and_delete_many(app):
    await _people()
    assert await Person.delete_one(age=25) is True
    assert await Person.count(age=25) == 1
    assert await Person.delete_one(name="zed") is False
    assert await Person.delete_many({"age": {"$gte": 25}}) == 3
    assert await Person.count() == 0


async def test_aggregate(app, engine):
    await _people()
    pipeline = [{"$group": {"_id": "$age", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    if engine.name == "pantherdb":
        with pytest.raises(DatabaseError, match="aggregate"):
            await Person.aggregate(pipeline)
    else:
        assert await Person.aggregate(pipeline) == [{"_id": 25, "n": 2}, {"_id": 30, "n": 1}, {"_id": 35, "n": 1}]


async def test_instance_save_update_delete_reload(app):
    person = Person(name="ann", age=1)
    await person.save()
    assert person.id is not None
    person.age = 2
    await person.save()
    assert (await Person.find_one(id=person.id)).age == 2
    assert await Person.count() == 1

    await person.update(age=3, tags=["a"])
    assert (person.age, person.tags) == (3, ["a"])
    assert (await Person.find_one(id=person.id)).age == 3
    await person.update({"$inc": {"age": 10}})  # an operator: the model is reloaded
    assert person.age == 13

    await Person.update_one({"id": person.id}, name="renamed")
    await person.reload()
    assert person.name == "renamed"

    await person.delete()
    assert await Person.count() == 0
    with pytest.raises(NotFoundAPIError):
        await person.reload()


async def test_instance_methods_need_a_saved_model(app):
    with pytest.raises(DatabaseError, match="not saved"):
        await Person(name="x").update(age=1)
    with pytest.raises(DatabaseError, match="not saved"):
        await Person(name="x").delete()


async def test_save_with_an_unknown_id_inserts_it(app):
    existing = await Person.insert_one(name="ann")
    await existing.delete()
    await existing.save()
    assert (await Person.find_one(id=existing.id)).name == "ann"


async def test_invalid_ids_match_nothing(app, engine):
    await Person.insert_one(name="ann")
    for bad in ("zzz", "not-an-object-id", "0" * 23):
        assert await Person.find_one(id=bad) is None
        assert await Person.first(id=bad) is None
        assert await Person.exists(id=bad) is False
        assert await Person.count(id=bad) == 0
        assert await (await Person.find(id=bad)).to_list() == []
        assert await Person.update_one({"id": bad}, name="x") == 0
        assert await Person.delete_many(id=bad) == 0
        with pytest.raises(NotFoundAPIError):
            await Person.find_one_or_raise(id=bad)
    # Invalid ids in $in / $ne are ignored rather than failing the query.
    assert await Person.count(id={"$in": ["zzz"]}) == 0
    assert await Person.count(id={"$ne": "zzz"}) == 1
    assert await Person.count({"$or": [{"id": "zzz"}, {"name": "ann"}]}) == 1


async def test_id_property_is_the_native_id(app, engine):
    person = await Person.insert_one(name="ann")
    if engine.name == "mongodb":
        from bson import ObjectId

        assert person._id == ObjectId(person.id)
    else:
        assert person._id == person.id
    assert Person(name="new")._id is None


async def test_collection_name_is_the_class_name_or_dunder_collection(app):
    from panther.db.connections import db

    class Renamed(Model):
        __collection__ = "renamed_things"
        value: int

    await Person.insert_one(name="ann")
    await Renamed.insert_one(value=1)
    if hasattr(db.session, "list_collection_names"):
        names = await db.session.list_collection_names()
    else:
        names = await db.session.collection_names()
    assert {"Person", "renamed_things"} <= set(names)
