"""Reference fields of a serializer given as ids: accepted while validating, loaded asynchronously afterwards.

Validation is synchronous and cannot query the database, so it happens in two steps. ``stub_references`` runs
before pydantic validates: each id given for a reference field (``author: User`` sent as ``"author": "<id>"``, or
ids inside ``list[User]``) becomes a placeholder model holding only that id, and is remembered. ``load_references``
then loads every remembered id with one ``$in`` query per referenced model and puts the loaded models in place; an id
that matches no document is a 400 naming the field. The request pipeline runs the second step (through the
serializer's ``__panther_materialize__``) right after validating an ``input_model`` and each ``output_model``
instance; code validating a serializer itself awaits ``serializer.load_references()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from panther.db.layout import FieldPlan
from panther.exceptions import BadRequestAPIError


@dataclass(frozen=True, slots=True)
class PendingReference:
    """An id given for a reference field, held as a placeholder until it is loaded."""

    field: str
    index: int | None  # its position in a `list[Model]` field
    target: type[BaseModel]
    id: str

    @property
    def location(self) -> str:
        return self.field if self.index is None else f"{self.field}.{self.index}"


def stub_references(
    cls: type[BaseModel], references: tuple[FieldPlan, ...], data: Mapping[str, Any]
) -> tuple[Mapping[str, Any], list[PendingReference]]:
    """``data`` with the ids of reference fields replaced by placeholder models, and the list of those ids."""
    pending: list[PendingReference] = []
    changed: dict[str, Any] = {}
    for plan in references:
        key = _input_key(cls, plan.name, data)
        if key is None:
            continue
        value = data[key]
        if isinstance(value, str):
            pending.append(PendingReference(plan.name, None, plan.target, value))
            changed[key] = _placeholder(plan.target, value)
        elif plan.many and isinstance(value, list) and any(isinstance(item, str) for item in value):
            items = []
            for index, item in enumerate(value):
                if isinstance(item, str):
                    pending.append(PendingReference(plan.name, index, plan.target, item))
                    item = _placeholder(plan.target, item)
                items.append(item)
            changed[key] = items
    return ({**data, **changed} if changed else data), pending


def _input_key(cls: type[BaseModel], name: str, data: Mapping[str, Any]) -> str | None:
    info = cls.model_fields[name]
    for key in (info.validation_alias, info.alias, name):
        if isinstance(key, str) and key in data:
            return key
    return None


def _placeholder(target: type[BaseModel], object_id: str) -> BaseModel:
    # Not validated: a model holding only its id, which the field accepts as an instance of its type.
    return target.model_construct(id=object_id)


async def load_references(instance: BaseModel, pending: list[PendingReference]) -> None:
    """Load the documents ``pending`` refers to into ``instance``'s fields; unknown ids → 400 ``{field: ...}``."""
    by_target: dict[type[BaseModel], list[PendingReference]] = {}
    for reference in pending:
        by_target.setdefault(reference.target, []).append(reference)
    errors: dict[str, str] = {}
    for target, references in by_target.items():
        ids = list(dict.fromkeys(reference.id for reference in references))
        cursor = await target.find({"id": {"$in": ids}})  # type: ignore[attr-defined]
        found = {model.id: model for model in await cursor.to_list()}
        for reference in references:
            loaded = found.get(reference.id)
            if loaded is None:
                errors.setdefault(reference.location, f"{target.__name__} Does Not Exist")
            elif reference.index is None:
                # Straight into the field's storage: the value has the field's type, and a frozen serializer
                # must be completed too.
                instance.__dict__[reference.field] = loaded
            else:
                getattr(instance, reference.field)[reference.index] = loaded
    if errors:
        raise BadRequestAPIError(detail=errors)
