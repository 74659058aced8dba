"""Models to stored documents and back: ids, references (stored as ids, batch-loaded) and file fields.

Storing: ``model_dump`` of the plain fields, the id as the engine's native id, each reference as the referenced
document's id and each file as a saved-file sub-document. Loading: ``_id`` becomes ``id``, references are loaded
with one ``$in`` query per reference field for the whole batch of documents (recursively for the referenced
models' own references, again per batch), files become lazy ``File`` objects, then pydantic validates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from panther.db.engines.base import BaseDatabaseConnection, Document
from panther.db.files import load_file, store_file
from panther.db.layout import FieldPlan, Layout, layout_of
from panther.exceptions import BadRequestAPIError, DatabaseError

M = TypeVar("M", bound=BaseModel)

#: References loaded through more levels than this are taken for a cycle (a → b → a → ...).
MAX_REFERENCE_DEPTH = 32


def invalid(cls: type, error: ValidationError, path: tuple[Any, ...] = ()) -> DatabaseError:
    """Upstream's ``DatabaseError`` for a document its model rejects: ``Book(name="Field required", ...)``."""
    fields = ", ".join(
        '{}="{}"'.format(".".join(str(part) for part in (*path, *detail["loc"])), detail["msg"])
        for detail in error.errors(include_url=False)
    )
    return DatabaseError(f"{cls.__name__}({fields})")


def stored_id(connection: BaseDatabaseConnection, value: Any) -> Any:
    """``value`` as a native id for writing: an invalid one is the client's mistake (400)."""
    try:
        return connection.native_id(value)
    except ValueError:
        raise BadRequestAPIError(detail=f"{value!r} is not a valid id") from None


# --- storing --------------------------------------------------------------------------------------------------


async def to_document(obj: BaseModel, layout: Layout, connection: BaseDatabaseConnection) -> Document:
    """The document stored for ``obj`` (without ``_id`` unless ``obj.id`` is set)."""
    doc = obj.model_dump(exclude=layout.dump_exclude)  # type: ignore[arg-type]
    object_id = getattr(obj, "id", None)
    if object_id is not None:
        doc["_id"] = stored_id(connection, object_id)
    for plan in layout.references:
        doc[plan.name] = await _reference_value(connection, plan, getattr(obj, plan.name))
    for plan in layout.files:
        doc[plan.name] = await _file_value(connection, layout, plan, getattr(obj, plan.name))
    if layout.plain:
        return doc
    # The converted fields were added last: put every field back in the model's order, as upstream stored them.
    ordered = {"_id": doc.pop("_id")} if "_id" in doc else {}
    for name in type(obj).model_fields:
        if name in doc:
            ordered[name] = doc.pop(name)
    ordered.update(doc)
    return ordered


async def field_value(
    connection: BaseDatabaseConnection, layout: Layout, plan: FieldPlan | None, value: Any, dumped: Any
) -> Any:
    """The stored form of one field's validated ``value`` (``dumped``: its plain ``model_dump`` form)."""
    if plan is None:
        return dumped
    if plan in layout.references:
        return await _reference_value(connection, plan, value)
    return await _file_value(connection, layout, plan, value)


async def _reference_value(connection: BaseDatabaseConnection, plan: FieldPlan, value: Any) -> Any:
    if value is None:
        return None
    if plan.many:
        return [await _reference_id(connection, item) for item in value]
    return await _reference_id(connection, value)


async def _reference_id(connection: BaseDatabaseConnection, value: Any) -> Any:
    if isinstance(value, BaseModel):
        if getattr(value, "id", None) is None:
            # As upstream: a model never inserted is inserted along with the document that refers to it.
            layout = layout_of(type(value))
            new_id = await connection.insert_one(layout.collection, await to_document(value, layout, connection))
            value.id = str(new_id)  # type: ignore[attr-defined]
        value = value.id  # type: ignore[attr-defined]
    return stored_id(connection, value)


async def _file_value(connection: BaseDatabaseConnection, layout: Layout, plan: FieldPlan, value: Any) -> Any:
    root = connection.media_root
    if plan.many and value is not None:
        return list(await asyncio.gather(*(store_file(item, root, layout.collection) for item in value)))
    return await store_file(value, root, layout.collection)


# --- loading --------------------------------------------------------------------------------------------------


def _with_id(doc: Document) -> Document:
    doc["id"] = str(doc["_id"])
    return doc


async def load_one(cls: type[M], doc: Document, connection: BaseDatabaseConnection) -> M:
    layout = layout_of(cls)
    if layout.plain:
        return cls.model_validate(_with_id(doc))
    return (await load_models(cls, [doc], connection))[0]


async def load_models(
    cls: type[M], docs: list[Document], connection: BaseDatabaseConnection, depth: int = 0
) -> list[M]:
    layout = layout_of(cls)
    if layout.references:
        await resolve_references(layout, docs, connection, depth)
    return validate_loaded(cls, docs, connection)


def validate_loaded(cls: type[M], docs: list[Document], connection: BaseDatabaseConnection) -> list[M]:
    """The models of ``docs`` whose references are already loaded (``resolve_references``): the synchronous half
    of ``load_models``, which a cursor runs when its prefetched documents are read (``for``, ``cursor[i]``)."""
    layout = layout_of(cls)
    if layout.files:
        root = connection.media_root
        for plan in layout.files:
            name, target = plan.name, plan.target
            for doc in docs:
                value = doc.get(name)
                if plan.many and isinstance(value, list):
                    doc[name] = [load_file(target, item, root) for item in value]
                else:
                    doc[name] = load_file(target, value, root)
    validate = cls.model_validate
    try:
        return [validate(_with_id(doc)) for doc in docs]
    except ValidationError as exc:  # a stored document the model no longer accepts
        raise invalid(cls, exc) from exc


def _is_id(value: Any) -> bool:
    return isinstance(value, str) or type(value).__name__ == "ObjectId"


async def resolve_references(
    layout: Layout, docs: Iterable[dict[str, Any]], connection: BaseDatabaseConnection, depth: int = 0
) -> None:
    """Replace reference ids in ``docs`` by the referenced models: one query per reference field.

    A value that is not an id (already a model, a dict to validate) is left alone; an id whose document is gone
    becomes ``None`` (dropped from lists).
    """
    if depth >= MAX_REFERENCE_DEPTH:
        raise DatabaseError(f"references nested deeper than {MAX_REFERENCE_DEPTH} levels: is there a cycle?")
    docs = list(docs)
    for plan in layout.references:
        wanted: dict[str, Any] = {}
        for doc in docs:
            value = doc.get(plan.name)
            for item in value if plan.many and isinstance(value, list) else (value,):
                if _is_id(item) and str(item) not in wanted:
                    try:
                        wanted[str(item)] = connection.native_id(item)
                    except ValueError:
                        continue
        if not wanted:
            continue
        found: list[BaseModel] = await fetch_by_ids(plan.target, connection, list(wanted.values()), depth + 1)
        by_id = {getattr(model, "id", None): model for model in found}
        for doc in docs:
            value = doc.get(plan.name)
            if plan.many and isinstance(value, list):
                doc[plan.name] = [
                    by_id[str(item)] if _is_id(item) else item
                    for item in value
                    if not _is_id(item) or str(item) in by_id
                ]
            elif _is_id(value):
                doc[plan.name] = by_id.get(str(value))


async def fetch_by_ids(cls: type[M], connection: BaseDatabaseConnection, ids: list[Any], depth: int = 0) -> list[M]:
    docs: list[Document] = []
    async for batch in connection.find(layout_of(cls).collection, {"_id": {"$in": ids}}):
        docs.extend(batch)
    return await load_models(cls, docs, connection, depth)
