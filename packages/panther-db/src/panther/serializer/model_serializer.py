"""``ModelSerializer``: a pydantic model generated from a database model's fields, configured by ``class Config``.

::

    class UserSerializer(ModelSerializer):
        class Config:
            model = User
            fields = '*'                      # or ['username', 'email']
            exclude = ['password']
            required_fields = ['email']       # or '*'
            optional_fields = ['last_login']  # or '*'
            str_strip_whitespace = True       # any other attribute is a pydantic `model_config` entry

        nickname: str = ''                    # class-level fields add to (or replace) the generated ones

The generated fields sit on a base class built with ``pydantic.create_model``, so the class body stays an
ordinary pydantic class body: its annotations override generated fields, its validators see all the fields.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ModelWrapValidatorHandler, PrivateAttr, create_model, model_validator
from pydantic._internal._model_construction import ModelMetaclass

from panther.db.layout import layout_of
from panther.serializer.config import field_definitions, read_config
from panther.serializer.references import PendingReference, load_references, stub_references

__all__ = ["ModelSerializer"]


# pydantic's own metaclass is subclassed (as pydantic-settings and SQLModel do) because the fields must exist before
# the class is built, which no public hook allows.
class ModelSerializerMeta(ModelMetaclass):
    """Builds a serializer from its ``Config`` (checked first, with upstream's ``AttributeError`` messages).

    A subclass of a finished serializer may leave ``Config`` out: it inherits the fields and ``model``.
    """

    def __new__(
        mcs,
        cls_name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        **kwargs: Any,
    ) -> type:
        serializer_bases = [base for base in bases if isinstance(base, ModelSerializerMeta)]
        if not serializer_bases:  # ModelSerializer itself
            return super().__new__(mcs, cls_name, bases, namespace, **kwargs)
        config = namespace.pop("Config", None)
        if config is None and any(getattr(base, "model", None) is not None for base in serializer_bases):
            return super().__new__(mcs, cls_name, bases, namespace, **kwargs)
        module = namespace.get("__module__", "")
        checked = read_config(cls_name, module, config, namespace.get("model_config"))
        fields_base = create_model(  # type: ignore[call-overload]
            f"{cls_name}Fields",
            __config__=checked.model_config,
            __module__=module,
            **field_definitions(cls_name, checked),
        )
        namespace["model_config"] = checked.model_config
        namespace["model"] = checked.model
        # First among the bases, so that its fields override those a parent serializer generated.
        return super().__new__(mcs, cls_name, (fields_base, *bases), namespace, **kwargs)


class ModelSerializer(BaseModel, metaclass=ModelSerializerMeta):
    """Subclass it with a ``class Config`` (``model``, ``fields``, optional ``exclude``, ``required_fields``,
    ``optional_fields``, and pydantic settings); see the module docstring.

    A reference field (typed with a ``panther.db.Model``) also accepts the referenced document's id: it is loaded
    asynchronously after validation (the request pipeline does it for ``input_model``/``output_model``; elsewhere
    ``await serializer.load_references()``). As an ``output_model``, ``to_response`` shapes each item.
    """

    #: The database model of ``Config.model``.
    model: ClassVar[type[BaseModel]]

    # Ids given for reference fields during validation, loaded by `load_references`.
    _pending_references: list[PendingReference] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _accept_reference_ids(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        references = layout_of(cls).references if isinstance(data, dict) else ()
        if not references:
            return handler(data)
        data, pending = stub_references(cls, references, data)
        instance = handler(data)
        if pending:
            instance._pending_references = pending
        return instance

    async def load_references(self) -> Self:
        """Load the documents whose ids were given for reference fields (400 ``{field: ...}`` for unknown ids)."""
        pending, self._pending_references = self._pending_references, []
        if pending:
            await load_references(self, pending)
        return self

    async def __panther_materialize__(self) -> Self:
        """Called by the request pipeline after validation, before the serializer is used."""
        return await self.load_references()

    async def to_response(self, instance: Any, data: dict[str, Any]) -> Any:
        """What the response shows for ``instance`` (the endpoint's item) when this is the ``output_model``;
        ``data`` is this serializer's dump of it. Override to add or reshape fields."""
        return data
