"""Turn a user's update (``update_one(filter, name='x', age={'$inc'...})``) into the engine's form.

Keys starting with ``$`` are update operators and pass through; every other key is a field to set (``$set``).
Values of the model's own fields are validated against the field's type first (so the database keeps what the
model accepts) and stored like ``insert_one`` stores them: references as ids, files saved under the media folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from panther.db.documents import field_value, invalid, stored_id
from panther.db.engines.base import BaseDatabaseConnection, Document
from panther.db.layout import FieldPlan, Layout
from panther.exceptions import DatabaseError

_adapters: dict[tuple[type, str], TypeAdapter[Any]] = {}


@dataclass(slots=True)
class PreparedUpdate:
    engine_update: Document
    #: Validated new values of the model's fields, for an instance to apply to itself without a reload.
    values: dict[str, Any] = field(default_factory=dict)
    #: Whether ``values`` is the whole effect of the update (no operators, no unknown or dotted keys).
    exact: bool = True


def _adapter(cls: type[BaseModel], name: str) -> TypeAdapter[Any]:
    key = (cls, name)
    adapter = _adapters.get(key)
    if adapter is None:
        # rebuild_annotation() keeps the field's constraints (max_length, ge, ...).
        adapter = _adapters[key] = TypeAdapter(cls.model_fields[name].rebuild_annotation())
    return adapter


def _plan(layout: Layout, name: str) -> FieldPlan | None:
    for plan in (*layout.references, *layout.files):
        if plan.name == name:
            return plan
    return None


def _is_raw_reference(plan: FieldPlan | None, layout: Layout, value: Any) -> bool:
    # A reference may be set by id (`author=user.id`) instead of by model.
    if plan is None or plan not in layout.references or value is None:
        return False
    items = value if plan.many and isinstance(value, list) else [value]
    return any(not isinstance(item, BaseModel) for item in items)


async def prepare_update(
    cls: type[BaseModel], layout: Layout, connection: BaseDatabaseConnection, update: Mapping[str, Any]
) -> PreparedUpdate:
    if not update:
        raise DatabaseError("an update needs at least one field or operator")
    result = PreparedUpdate({})
    to_set: dict[str, Any] = {}
    for key, value in update.items():
        if key.startswith("$"):
            if not isinstance(value, Mapping):
                raise DatabaseError(f"the update operator {key} takes a dict")
            existing = result.engine_update.setdefault(key, {})
            existing.update(value)
            result.exact = False
            continue
        if key in ("id", "_id"):
            raise DatabaseError("a document's id cannot be updated")
        if key not in cls.model_fields:
            to_set[key] = value  # a dotted path or a field the model does not declare: stored as given
            result.exact = False
            continue
        plan = _plan(layout, key)
        if _is_raw_reference(plan, layout, value):
            items = value if isinstance(value, list) else [value]
            ids = [stored_id(connection, getattr(item, "id", item)) for item in items]
            to_set[key] = ids if isinstance(value, list) else ids[0]
            result.exact = False
            continue
        adapter = _adapter(cls, key)
        try:
            validated = adapter.validate_python(value)
        except ValidationError as exc:
            raise invalid(cls, exc, (key,)) from exc
        dumped = adapter.dump_python(validated) if plan is None else None
        to_set[key] = await field_value(connection, layout, plan, validated, dumped)
        result.values[key] = validated
    if to_set:
        result.engine_update.setdefault("$set", {}).update(to_set)
    return result
