"""``Pagination``: limit/skip paging for list endpoints (``from panther.pagination import Pagination``)."""

from panther.pagination.limit_skip import Pagination

__all__ = ["Pagination"]
