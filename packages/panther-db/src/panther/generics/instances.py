"""Generic views over one document: ``RetrieveAPI`` (GET), ``CreateAPI`` (POST), ``UpdateAPI`` (PUT/PATCH) and
``DeleteAPI`` (DELETE).

``get_instance(request, **path_variables)`` returns the document, typically
``await Book.find_one_or_raise(id=kwargs['book_id'])`` (an unknown or malformed id is then a 404); returning ``None``
is a 404 too, and leaving it unimplemented is a 501. Combine them: ``class BookAPI(RetrieveAPI, UpdateAPI)``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from panther import status
from panther.app import GenericAPI
from panther.db import Model
from panther.exceptions import PantherError
from panther.generics.common import found, not_implemented
from panther.request import Request
from panther.response import Response

__all__ = ["CreateAPI", "DeleteAPI", "RetrieveAPI", "UpdateAPI"]


class _InstanceAPI(GenericAPI):
    async def get_instance(self, request: Request, **kwargs: Any) -> Model:
        """Return the document this request is about, e.g. ``await Book.find_one_or_raise(id=kwargs['id'])``."""
        raise not_implemented(self, "`get_instance()` is not implemented.")


class RetrieveAPI(_InstanceAPI):
    """GET → 200 with the instance."""

    async def get(self, request: Request, **kwargs: Any) -> Response:
        instance = found(await self.get_instance(request=request, **kwargs))
        return Response(data=instance, status_code=status.HTTP_200_OK)


def _stores(model: Any) -> bool:
    target = getattr(model, "model", None)
    return isinstance(target, type) and issubclass(target, Model)


class CreateAPI(GenericAPI):
    """POST → 201 with the new document: ``input_model.model.insert_one(validated_data.model_dump())``.

    ``input_model`` must be a ``ModelSerializer`` of a ``panther.db.Model`` (a class with a ``model``). ``id`` is
    left out of what is inserted: the database assigns it.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        input_model = cls.input_model
        if input_model is not None and cls.post is CreateAPI.post and not _stores(input_model):
            raise PantherError(
                f"{cls.__qualname__}: `input_model` must be a ModelSerializer of a `panther.db.Model` "
                f"(CreateAPI inserts into `input_model.model`), got {input_model.__qualname__}."
            )

    async def post(self, request: Request, **kwargs: Any) -> Response:
        data = request.validated_data
        if not (isinstance(data, BaseModel) and _stores(data)):
            raise not_implemented(self, "CreateAPI needs an `input_model` that is a ModelSerializer of a Model.")
        instance = await data.model.insert_one(data.model_dump(exclude={"id"}))  # type: ignore[attr-defined]
        return Response(data=instance, status_code=status.HTTP_201_CREATED)


class UpdateAPI(_InstanceAPI):
    """PUT → every field of ``input_model`` is written; PATCH → only the fields the client sent. Both → 200 with
    the updated instance.

    Fields of the input model that the document's model does not have, and ``id``, are not written. For PATCH to
    accept partial bodies the input model's fields need defaults (e.g. ``optional_fields = '*'``).
    """

    async def put(self, request: Request, **kwargs: Any) -> Response:
        return await self._update(request, partial=False, **kwargs)

    async def patch(self, request: Request, **kwargs: Any) -> Response:
        return await self._update(request, partial=True, **kwargs)

    async def _update(self, request: Request, partial: bool, **kwargs: Any) -> Response:
        data = request.validated_data
        if not isinstance(data, BaseModel):
            raise not_implemented(self, "UpdateAPI needs an `input_model`.")
        instance = found(await self.get_instance(request=request, **kwargs))
        names = data.model_fields_set if partial else type(data).model_fields
        writable = type(instance).model_fields
        # The validated values themselves, not a dump: a reference stays a model and is stored as its id.
        values = {name: getattr(data, name) for name in names if name in writable and name != "id"}
        if values:
            await instance.update(values)
        return Response(data=instance, status_code=status.HTTP_200_OK)


class DeleteAPI(_InstanceAPI):
    """DELETE → ``pre_delete``, the deletion, ``post_delete`` → 204."""

    async def pre_delete(self, instance: Model, request: Request, **kwargs: Any) -> None:
        """Runs before the document is deleted (raise an ``APIError`` to refuse)."""

    async def post_delete(self, instance: Model, request: Request, **kwargs: Any) -> None:
        """Runs after the document is deleted."""

    async def delete(self, request: Request, **kwargs: Any) -> Response:
        instance = found(await self.get_instance(request=request, **kwargs))
        await self.pre_delete(instance, request=request, **kwargs)
        await instance.delete()
        await self.post_delete(instance, request=request, **kwargs)
        return Response(status_code=status.HTTP_204_NO_CONTENT)
