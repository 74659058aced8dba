"""A ``ModelSerializer``'s ``class Config``: its checks (upstream's messages) and the fields it generates.

The generated fields are copies of the source model's ``FieldInfo`` objects: the model itself is never changed,
whatever ``required_fields``/``optional_fields`` say.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from panther.db import Model
from panther.utils import timezone_now

#: ``Config`` attributes read by the serializer itself; every other one is a pydantic ``model_config`` entry.
KNOWN_CONFIGS = ("model", "fields", "exclude", "required_fields", "optional_fields")

FieldSelection = str | Collection[str]  # '*' or field names


@dataclass(frozen=True, slots=True)
class SerializerConfig:
    """A checked ``Config``."""

    model: type[BaseModel]
    fields: FieldSelection
    exclude: Collection[str]
    required_fields: FieldSelection
    optional_fields: FieldSelection
    model_config: dict[str, Any]


def read_config(cls_name: str, module: str, config: Any, class_model_config: Any) -> SerializerConfig:
    """Check ``config`` as upstream did, raising ``AttributeError`` with upstream's messages."""
    if config is None:
        raise AttributeError(f"`class Config` is required in {module}.{cls_name}.")

    model = getattr(config, "model", None)
    if model is None:
        raise AttributeError(f"`{cls_name}.Config.model` is required.")
    if not (isinstance(model, type) and issubclass(model, (Model, BaseModel))):
        raise AttributeError(
            f"`{cls_name}.Config.model` is not subclass of `panther.db.Model` or `pydantic.BaseModel`."
        )
    if not model.__pydantic_complete__:
        model.model_rebuild()  # forward references (`author: 'User'`) must be resolved before copying fields
    model_fields = model.model_fields

    if not hasattr(config, "fields"):
        raise AttributeError(f"`{cls_name}.Config.fields` is required.")
    fields = config.fields
    if fields != "*":
        _check_names(fields, cls_name, "fields")
        for name in fields:
            if name == "*":
                raise AttributeError(f"`{cls_name}.Config.fields.{name}` is not valid. Did you mean `fields = '*'`")
            if name not in model_fields:
                raise AttributeError(f"`{cls_name}.Config.fields.{name}` is not in `{model.__name__}.model_fields`")

    required = getattr(config, "required_fields", [])
    optional = getattr(config, "optional_fields", [])
    for option, selection in (("required_fields", required), ("optional_fields", optional)):
        if selection == "*":
            continue
        _check_names(selection, cls_name, option)
        for name in selection:
            if name not in model_fields:
                raise AttributeError(f"`{cls_name}.Config.{option}.{name}` is not valid.")
            if fields != "*" and name not in fields:
                raise AttributeError(f"`{cls_name}.Config.{option}.{name}` is not defined in `Config.fields`.")

    if (optional == "*" and required) or (required == "*" and optional):
        raise AttributeError(
            f"`{cls_name}.Config.optional_fields` and "
            f"`{cls_name}.Config.required_fields` can't include same fields at the same time"
        )
    if optional != "*" and required != "*":
        for name in optional:
            if name in required:
                raise AttributeError(
                    f"`{name}` can't be in `{cls_name}.Config.optional_fields` and "
                    f"`{cls_name}.Config.required_fields` at the same time"
                )

    exclude = getattr(config, "exclude", [])
    _check_names(exclude, cls_name, "exclude")
    for name in exclude:
        if name not in model_fields:
            raise AttributeError(f"`{cls_name}.Config.exclude.{name}` is not valid.")
        if fields != "*" and name not in fields:
            raise AttributeError(f"`{cls_name}.Config.exclude.{name}` is not defined in `Config.fields`.")
    # Upstream crashed with a KeyError here; a field cannot be both left out and made required/optional.
    for option, selection in (("required_fields", required), ("optional_fields", optional)):
        if selection != "*":
            for name in selection:
                if name in exclude:
                    raise AttributeError(f"`{cls_name}.Config.{option}.{name}` is excluded by `Config.exclude`.")

    extra_config = {
        attr: getattr(config, attr) for attr in dir(config) if not attr.startswith("__") and attr not in KNOWN_CONFIGS
    }
    model_config = {**extra_config, **(class_model_config or {}), "arbitrary_types_allowed": True}
    return SerializerConfig(model, fields, exclude, required, optional, model_config)


def _check_names(selection: Any, cls_name: str, option: str) -> None:
    # A bare string other than '*' would be read letter by letter.
    if isinstance(selection, str) or not isinstance(selection, Iterable):
        allowed = "'*' or a list of field names" if option != "exclude" else "a list of field names"
        raise AttributeError(f"`{cls_name}.Config.{option}` must be {allowed}, not {selection!r}.")


def field_definitions(cls_name: str, config: SerializerConfig) -> dict[str, tuple[Any, FieldInfo]]:
    """``{name: (annotation, FieldInfo)}`` for ``pydantic.create_model``; every ``FieldInfo`` is a new copy."""
    source = config.model.model_fields
    names = list(source) if config.fields == "*" else list(dict.fromkeys(config.fields))
    definitions: dict[str, tuple[Any, FieldInfo]] = {}
    for name in names:
        if name in config.exclude:
            continue
        info = source[name]
        if config.required_fields == "*" or name in config.required_fields:
            info = copy_field(info, default=PydanticUndefined, default_factory=None)
        elif (config.optional_fields == "*" or name in config.optional_fields) and info.is_required():
            info = _optional(cls_name, name, info)
        else:
            info = copy_field(info, default=info.default, default_factory=info.default_factory)
        definitions[name] = (info.annotation, info)
    return definitions


def copy_field(info: FieldInfo, *, default: Any, default_factory: Callable[..., Any] | None) -> FieldInfo:
    """A copy of ``info`` with another default; ``info`` is left as it was (upstream mutated it, defect #19)."""
    copied = copy.copy(info)
    copied.default = default
    copied.default_factory = default_factory
    copied.metadata = list(info.metadata)
    # pydantic merges FieldInfos by the attributes recorded as explicitly set: record the new default there
    # too (in a new dict: a shallow copy would share, and then change, the model's own record).
    explicit = dict(getattr(info, "_attributes_set", {}))
    explicit.pop("default", None)
    explicit.pop("default_factory", None)
    if default is not PydanticUndefined:
        explicit["default"] = default
    if default_factory is not None:
        explicit["default_factory"] = default_factory
    copied._attributes_set = explicit
    return copied


def _optional(cls_name: str, name: str, info: FieldInfo) -> FieldInfo:
    """``info`` made optional: ``None`` where the type allows it (or for a model), the current time for a
    datetime, else the type's empty value (``''``, ``0``, ``[]``...) — each built per instance, never shared."""
    annotation = _strip_annotated(info.annotation)
    if _allows_none(annotation) or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return copy_field(info, default=None, default_factory=None)
    if isinstance(annotation, type) and issubclass(annotation, datetime):
        # A factory: upstream computed one timestamp when the class was created and gave it to every instance.
        return copy_field(info, default=PydanticUndefined, default_factory=timezone_now)
    try:
        annotation()
    except Exception:
        raise AttributeError(
            f"`{cls_name}.Config.optional_fields.{name}` has no default value and `{annotation!r}` cannot be "
            f"built without arguments: give the field a default or declare it on the serializer."
        ) from None
    return copy_field(info, default=PydanticUndefined, default_factory=annotation)


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _allows_none(annotation: Any) -> bool:
    if annotation is Any or annotation is None or annotation is type(None):
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_allows_none(_strip_annotated(arg)) for arg in get_args(annotation))
    return False
