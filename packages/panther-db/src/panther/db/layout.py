"""What a model class needs converting when it is stored: its collection, reference fields and file fields.

Worked out once per class, on its first query, so that storing and loading a model with plain fields only costs
pydantic's own validation and dump.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from panther.db.annotations import unwrap_optional
from panther.file_handler import File


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """A field stored differently from its Python value: a reference (stored as id) or a file (stored as a path)."""

    name: str
    target: type  # the referenced Model class, or the File class
    many: bool  # `list[...]` of them


@dataclass(frozen=True, slots=True)
class Layout:
    collection: str
    references: tuple[FieldPlan, ...]
    files: tuple[FieldPlan, ...]
    #: Fields whose filter values are ids: ``_id`` and the reference fields.
    id_fields: frozenset[str]
    #: Left out of ``model_dump`` when storing: ``id`` and the fields converted by hand.
    dump_exclude: frozenset[str]

    @property
    def plain(self) -> bool:
        return not (self.references or self.files)


_layouts: dict[type, Layout] = {}


def layout_of(cls: type[BaseModel]) -> Layout:
    try:
        return _layouts[cls]
    except KeyError:
        layout = _layouts[cls] = _analyse(cls)
        return layout


def collection_name(cls: type[BaseModel]) -> str:
    """The class's ``__collection__`` if it sets one, else its name (upstream's rule)."""
    name = cls.__dict__.get("__collection__")
    return name if isinstance(name, str) and name else cls.__name__


def _analyse(cls: type[BaseModel]) -> Layout:
    from panther.db.models import Model  # models import this module

    if not cls.__pydantic_complete__:
        cls.model_rebuild()  # resolves forward references such as `author: 'User'`
    references: list[FieldPlan] = []
    files: list[FieldPlan] = []
    for name, field in cls.model_fields.items():
        if name == "id":
            continue
        target, many = _unwrap(field.annotation)
        if isinstance(target, type) and issubclass(target, Model):
            references.append(FieldPlan(name, target, many))
        elif isinstance(target, type) and issubclass(target, File):
            files.append(FieldPlan(name, target, many))
    special = {plan.name for plan in (*references, *files)}
    return Layout(
        collection=collection_name(cls),
        references=tuple(references),
        files=tuple(files),
        id_fields=frozenset({"_id", *(plan.name for plan in references)}),
        dump_exclude=frozenset({"id", *special}),
    )


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``Annotated[list[User] | None, ...]`` → ``(User, many=True)``; a real union is stored as pydantic dumps it."""
    many = False
    while True:
        annotation, _ = unwrap_optional(annotation)
        if many or get_origin(annotation) not in (list, Sequence):
            return annotation, many
        args = get_args(annotation)
        many = True
        annotation = args[0] if args else Any
