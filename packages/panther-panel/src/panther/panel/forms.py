"""Model fields as HTML form inputs, and submitted forms back into values the model validates.

Each field gets an input kind from its annotation: ``text``, ``number``, ``checkbox``, ``datetime-local``,
``reference`` (another model, entered by id) or ``json`` (lists, dicts, nested models: a textarea holding JSON).
``BaseUser.password`` is a ``password`` input whose text is hashed before anything is stored; left empty on an
edit, the stored hash is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from panther.db.annotations import unwrap_optional
from panther.db.models import BaseUser, Model
from panther.db.passwords import hash_password

__all__ = [
    "FormField",
    "display",
    "form_fields",
    "input_value",
    "parse_form",
    "reference_model",
    "searchable_fields",
    "validation_messages",
]

_NUMBERS = (int, float)


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    kind: str
    required: bool


def _kind(model: type[BaseModel], name: str, annotation: Any) -> str:
    if name == "password" and issubclass(model, BaseUser):
        return "password"
    inner, _ = unwrap_optional(annotation)
    if inner is bool:
        return "checkbox"
    if inner in _NUMBERS:
        return "number"
    if inner is str:
        return "text"
    if inner in (datetime, date):
        return "datetime-local" if inner is datetime else "date"
    if isinstance(inner, type) and issubclass(inner, Model):
        return "reference"
    return "json"


def form_fields(model: type[BaseModel]) -> list[FormField]:
    """The model's fields as inputs, ``id`` left out (the database gives it)."""
    return [
        FormField(name, _kind(model, name, info.annotation), info.is_required())
        for name, info in model.model_fields.items()
        if name != "id"
    ]


def reference_model(model: type[BaseModel], name: str) -> type[Model]:
    """The model a ``reference`` field points to."""
    inner, _ = unwrap_optional(model.model_fields[name].annotation)
    return inner


def searchable_fields(model: type[BaseModel]) -> list[str]:
    """The text fields the search box looks in."""
    return [field.name for field in form_fields(model) if field.kind == "text"]


def display(value: Any) -> str:
    """A value as text for a table cell or an input (the template escapes it)."""
    if value is None:
        return ""
    if isinstance(value, Model):
        return str(value.id)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, list | dict | tuple):
        return orjson.dumps(value, default=_default).decode()
    return str(value)


def _default(value: Any) -> Any:
    if isinstance(value, Model):
        return value.id
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return str(value)


def input_value(value: Any, kind: str) -> str:
    """The value an input shows for ``value`` (passwords are never shown)."""
    if kind == "password":
        return ""
    if kind == "datetime-local" and isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    return display(value)


async def parse_form(
    model: type[BaseModel], form: Mapping[str, Any], *, editing: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted form as field values (not yet validated by the model) and the errors found reading it.

    An empty required field is an error; an empty optional one is ``None`` (``T | None``), ``""`` (text) or left
    out (its default, or on an edit the stored value). On an edit, an empty password keeps the stored hash.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in form_fields(model):
        raw = form.get(field.name)
        if isinstance(raw, list):  # a repeated field: the last one, as browsers' own forms send it once
            raw = raw[-1] if raw else None
        if field.kind == "checkbox":
            values[field.name] = raw is not None and raw != ""
            continue
        text = raw if isinstance(raw, str) else ""
        if field.kind == "password":
            if text:
                values[field.name] = await hash_password(text)  # hashed before anything else sees it
            elif not editing:
                errors[field.name] = "A password is required."
            continue
        if text == "":
            if field.required:
                errors[field.name] = "This field is required."
            elif _inner_optional(model, field.name):
                values[field.name] = None
            elif field.kind == "text":
                values[field.name] = ""
            # else left out: its default on a create, the stored value on an edit
            continue
        if field.kind == "json":
            try:
                values[field.name] = orjson.loads(text)
            except orjson.JSONDecodeError:
                errors[field.name] = "Enter valid JSON."
            continue
        values[field.name] = text
    return values, errors


def _inner_optional(model: type[BaseModel], name: str) -> bool:
    return unwrap_optional(model.model_fields[name].annotation)[1]


def validation_messages(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors by top-level field (the first message of each)."""
    messages: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        location = error.get("loc") or ("__all__",)
        messages.setdefault(str(location[0]), error["msg"])
    return messages
