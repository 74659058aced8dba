"""``Pagination``: ``?limit=&skip=`` paging of a cursor, answered as ``{count, next, previous, results}``.

``ListAPI(pagination=Pagination)`` uses it; an endpoint can too::

    pagination = Pagination(request.query_params, await Book.find())
    return Response(data=pagination.paginate(), pagination=pagination)

The request pipeline reads the paginated cursor, then calls ``await pagination.template(results)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from panther.db.cursor import Cursor
from panther.exceptions import BadRequestAPIError

__all__ = ["Pagination"]

_INTEGER = re.compile(r"-?[0-9]{1,18}")


class Pagination:
    """Limit/skip paging. Subclass to change ``DEFAULT_LIMIT``, ``DEFAULT_SKIP`` or ``MAX_LIMIT``.

    ``limit`` above ``MAX_LIMIT`` is lowered to it (``None``: no cap); ``limit`` must be at least 1 and ``skip`` at
    least 0, and both whole numbers: anything else is a 400 saying which parameter is wrong.
    """

    DEFAULT_LIMIT: int = 20
    DEFAULT_SKIP: int = 0
    MAX_LIMIT: int | None = 100

    def __init__(self, query_params: Mapping[str, Any], cursor: Cursor[Any]) -> None:
        self.limit = self.get_limit(query_params=query_params)
        self.skip = self.get_skip(query_params=query_params)
        self.cursor = cursor

    def get_limit(self, query_params: Mapping[str, Any]) -> int:
        limit = _integer(query_params, "limit", self.DEFAULT_LIMIT, minimum=1)
        # A limit of 0 would mean "no limit" to the cursor, so it is refused above rather than capped here.
        return limit if self.MAX_LIMIT is None else min(limit, self.MAX_LIMIT)

    def get_skip(self, query_params: Mapping[str, Any]) -> int:
        return _integer(query_params, "skip", self.DEFAULT_SKIP, minimum=0)

    def build_next_params(self) -> str:
        return f"?limit={self.limit}&skip={self.skip + self.limit}"

    def build_previous_params(self) -> str:
        return f"?limit={self.limit}&skip={max(self.skip - self.limit, 0)}"

    def paginate(self) -> Cursor[Any]:
        """The cursor narrowed to the requested page."""
        return self.cursor.skip(self.skip).limit(self.limit)

    async def template(self, results: Any) -> dict[str, Any]:
        """The response body for the page ``results``; ``count`` is every match of the cursor's filter."""
        count = await self.cursor.count()
        return {
            "count": count,
            "next": self.build_next_params() if self.skip + self.limit < count else None,
            "previous": self.build_previous_params() if self.skip else None,
            "results": results,
        }


def _integer(query_params: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    raw = query_params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):  # given by code rather than a URL
        value: int | None = raw
    else:  # plain ASCII digits only: int() would also take '1_000', '٣' or thousands of digits
        value = int(raw) if isinstance(raw, str) and _INTEGER.fullmatch(raw) else None
    if value is None or value < minimum:
        kind = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise BadRequestAPIError(detail=f"`{name}` must be {kind}, not {raw!r}")
    return value
