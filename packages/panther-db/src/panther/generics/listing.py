"""``ListAPI``: GET → the documents of ``get_query()``, narrowed by the query string.

- ``filter_fields``: ``?price=3&author=<id>`` keeps documents whose field equals the value. Values of ``int``,
  ``float`` and ``bool`` fields are converted first (a value that does not convert is a 400 ``{field: message}``);
  other values are compared as strings. An id that is not valid matches nothing.
- ``search_fields``: ``?search=text`` keeps documents where any of those fields contains ``text`` — literally:
  the text is escaped before it becomes a ``$regex`` (``a.*(`` finds ``a.*(``), on both engines, case-sensitive.
- ``sort_fields``: ``?sort=price,-title`` orders by those fields (``-`` for descending); fields not listed in
  ``sort_fields`` are ignored, as upstream did. It replaces any order ``get_query()`` set.
- ``pagination``: a ``Pagination`` class: ``?limit=&skip=`` and a ``{count, next, previous, results}`` body.

Filter and search are added to ``get_query()``'s own filter with ``$and``: they can only narrow it, so a query
scoped to the user (``find(owner=request.user.id)``) stays scoped whatever the client sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import TypeAdapter, ValidationError

from panther import status
from panther.app import GenericAPI
from panther.db.annotations import unwrap_optional
from panther.db.cursor import Cursor
from panther.exceptions import BadRequestAPIError
from panther.generics.common import not_implemented
from panther.pagination import Pagination
from panther.request import Request
from panther.response import Response

__all__ = ["ListAPI"]

# Field types whose filter values are converted from the query string's text.
_CONVERTED: dict[Any, TypeAdapter[Any]] = {kind: TypeAdapter(kind) for kind in (bool, int, float)}


class ListAPI(GenericAPI):
    """Implement ``get_query(request, **path_variables)`` returning a cursor (``await Book.find(...)``)."""

    sort_fields: ClassVar[list[str]] = []
    search_fields: ClassVar[list[str]] = []
    filter_fields: ClassVar[list[str]] = []
    pagination: ClassVar[type[Pagination] | None] = None

    async def get_query(self, request: Request, **kwargs: Any) -> Cursor[Any]:
        """Return the cursor to list, e.g. ``await Book.find(published=True)``."""
        raise not_implemented(self, "`get_query()` is not implemented.")

    async def get(self, request: Request, **kwargs: Any) -> Response:
        cursor, pagination = await self.prepare_cursor(request=request, **kwargs)
        return Response(data=cursor, pagination=pagination, status_code=status.HTTP_200_OK)

    async def prepare_cursor(self, request: Request, **kwargs: Any) -> tuple[Cursor[Any], Pagination | None]:
        cursor = await self.get_query(request=request, **kwargs)
        if not isinstance(cursor, Cursor):
            raise not_implemented(self, "`get_query()` should return a Cursor, e.g. `await Model.find()`.")
        query_params = request.query_params
        conditions = [
            condition
            for condition in (
                self.process_filters(query_params=query_params, cursor=cursor),
                self.process_search(query_params=query_params),
            )
            if condition
        ]
        if conditions:
            cursor = await cursor.where(*conditions)
        if sort := self.process_sort(query_params=query_params):
            cursor = cursor.sort(sort)
        pagination = self.process_pagination(query_params=query_params, cursor=cursor)
        if pagination is not None:
            cursor = pagination.paginate()
        return cursor, pagination

    def process_filters(self, query_params: Mapping[str, str], cursor: Cursor[Any]) -> dict[str, Any]:
        fields = cursor.cls.model_fields
        result: dict[str, Any] = {}
        for name in self.filter_fields:
            if name in query_params:
                value = query_params[name]
                field = fields.get(name)
                adapter = None if field is None else _CONVERTED.get(unwrap_optional(field.annotation)[0])
                if adapter is not None:
                    try:
                        value = adapter.validate_python(value)
                    except ValidationError as exc:
                        raise BadRequestAPIError(detail={name: exc.errors(include_url=False)[0]["msg"]}) from None
                result[name] = value
        return result

    def process_search(self, query_params: Mapping[str, str]) -> dict[str, Any]:
        text = query_params.get("search")
        if not self.search_fields or not text:
            return {}
        # Escaped: the client's text is searched for as it is, never run as a pattern (defect #23).
        pattern = re.escape(text)
        return {"$or": [{name: {"$regex": pattern}} for name in self.search_fields]}

    def process_sort(self, query_params: Mapping[str, str]) -> list[tuple[str, int]]:
        requested = query_params.get("sort")
        if not self.sort_fields or not requested:
            return []
        result: list[tuple[str, int]] = []
        for part in requested.split(","):
            part = part.strip()
            name = part.removeprefix("-")
            if name in self.sort_fields and all(name != chosen for chosen, _ in result):
                result.append((name, -1 if part.startswith("-") else 1))
        return result

    def process_pagination(self, query_params: Mapping[str, str], cursor: Cursor[Any]) -> Pagination | None:
        return None if self.pagination is None else self.pagination(query_params=query_params, cursor=cursor)
