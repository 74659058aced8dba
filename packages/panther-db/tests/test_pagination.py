"""``Pagination``: limit/skip parsing (400 for bad values, a cap on ``limit``) and the ``{count, next, previous,
results}`` body, through real apps on both engines."""

from __future__ import annotations

import pytest

from panther.app import API
from panther.db import Model
from panther.exceptions import BadRequestAPIError
from panther.generics import ListAPI
from panther.pagination import Pagination
from panther.request import Request
from panther.response import Response
from panther.test import APIClient


class Page(Model):
    number: int
    odd: bool = False


class SmallPages(Pagination):
    DEFAULT_LIMIT = 3
    MAX_LIMIT = 5


class Pages(ListAPI):
    pagination = Pagination
    filter_fields = ["odd"]
    sort_fields = ["number"]

    async def get_query(self, request: Request, **kwargs):
        return (await Page.find()).sort("number")


class Small(ListAPI):
    pagination = SmallPages

    async def get_query(self, request: Request, **kwargs):
        return (await Page.find()).sort("number")


@API()
async def by_hand(request: Request):
    pagination = Pagination(request.query_params, (await Page.find(odd=True)).sort("number", -1))
    return Response(data=pagination.paginate(), pagination=pagination)


URLS = {"pages": Pages, "small": Small, "by-hand": by_hand}


async def _seed(count: int) -> None:
    await Page.insert_many([{"number": n, "odd": n % 2 == 1} for n in range(count)])


def _numbers(response) -> list[int]:
    return [item["number"] for item in response.data["results"]]


# --- Parsing ------------------------------------------------------------------------------------------------------


def test_defaults_and_values():
    pagination = Pagination({}, cursor=None)
    assert (pagination.limit, pagination.skip) == (Pagination.DEFAULT_LIMIT, Pagination.DEFAULT_SKIP) == (20, 0)
    pagination = Pagination({"limit": "7", "skip": "14"}, cursor=None)
    assert (pagination.limit, pagination.skip) == (7, 14)
    assert pagination.build_next_params() == "?limit=7&skip=21"
    assert pagination.build_previous_params() == "?limit=7&skip=7"
    assert Pagination({"limit": "7", "skip": "3"}, cursor=None).build_previous_params() == "?limit=7&skip=0"
    assert Pagination({"limit": "", "skip": ""}, cursor=None).limit == 20
    assert Pagination({"limit": 4}, cursor=None).limit == 4  # values given by code


def test_limit_is_capped():
    assert Pagination.MAX_LIMIT == 100
    assert Pagination({"limit": "100000"}, cursor=None).limit == 100
    assert SmallPages({"limit": "6"}, cursor=None).limit == 5

    class Unbounded(Pagination):
        MAX_LIMIT = None

    assert Unbounded({"limit": "100000"}, cursor=None).limit == 100000


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"limit": "abc"}, "`limit` must be a positive integer, not 'abc'"),
        ({"limit": "0"}, "`limit` must be a positive integer, not '0'"),
        ({"limit": "-5"}, "`limit` must be a positive integer, not '-5'"),
        ({"limit": "1.5"}, "`limit` must be a positive integer, not '1.5'"),
        ({"limit": "1_0"}, "`limit` must be a positive integer, not '1_0'"),
        ({"limit": "9" * 5000}, f"`limit` must be a positive integer, not '{'9' * 5000}'"),
        ({"skip": "x"}, "`skip` must be a non-negative integer, not 'x'"),
        ({"skip": "-1"}, "`skip` must be a non-negative integer, not '-1'"),
    ],
)
def test_bad_values_are_400(params, detail):
    with pytest.raises(BadRequestAPIError) as caught:
        Pagination(params, cursor=None)
    assert caught.value.status_code == 400
    assert caught.value.detail == detail


# --- Through real apps ----------------------------------------------------------------------------------------------


async def test_pages_count_next_and_previous(make_app):
    app = await make_app(URLS)
    await _seed(25)
    async with APIClient(app) as client:
        first = await client.get("/pages")
        assert first.status_code == 200
        assert first.data["count"] == 25
        assert first.data["next"] == "?limit=20&skip=20"
        assert first.data["previous"] is None
        assert _numbers(first) == list(range(20))

        middle = await client.get("/pages", query_params={"limit": "10", "skip": "10"})
        assert middle.data == {
            "count": 25,
            "next": "?limit=10&skip=20",
            "previous": "?limit=10&skip=0",
            "results": middle.data["results"],
        }
        assert _numbers(middle) == list(range(10, 20))

        last = await client.get("/pages", query_params={"limit": "10", "skip": "20"})
        assert last.data["next"] is None
        assert last.data["previous"] == "?limit=10&skip=10"
        assert _numbers(last) == list(range(20, 25))

        beyond = await client.get("/pages", query_params={"skip": "100"})
        assert beyond.data == {"count": 25, "next": None, "previous": "?limit=20&skip=80", "results": []}


async def test_count_follows_filters_and_sort_applies_before_paging(make_app):
    app = await make_app(URLS)
    await _seed(25)
    async with APIClient(app) as client:
        response = await client.get("/pages", query_params={"odd": "true", "limit": "5", "sort": "-number"})
    assert response.data["count"] == 12
    assert response.data["next"] == "?limit=5&skip=5"
    assert _numbers(response) == [23, 21, 19, 17, 15]


async def test_limit_cap_and_errors_through_the_app(make_app):
    app = await make_app(URLS)
    await _seed(8)
    async with APIClient(app) as client:
        response = await client.get("/small")
        assert _numbers(response) == [0, 1, 2]
        assert response.data["next"] == "?limit=3&skip=3"
        response = await client.get("/small", query_params={"limit": "1000"})
        assert _numbers(response) == [0, 1, 2, 3, 4]
        assert response.data["next"] == "?limit=5&skip=5"
        for params, detail in [
            ({"limit": "abc"}, "`limit` must be a positive integer, not 'abc'"),
            ({"limit": "0"}, "`limit` must be a positive integer, not '0'"),
            ({"skip": "-1"}, "`skip` must be a non-negative integer, not '-1'"),
        ]:
            response = await client.get("/pages", query_params=params)
            assert response.status_code == 400, params
            assert response.data == {"detail": detail}


async def test_pagination_in_a_function_endpoint(make_app):
    app = await make_app(URLS)
    await _seed(10)
    async with APIClient(app) as client:
        response = await client.get("/by-hand", query_params={"limit": "2", "skip": "1"})
    assert response.status_code == 200
    assert response.data["count"] == 5
    assert response.data["next"] == "?limit=2&skip=3"
    assert response.data["previous"] == "?limit=2&skip=0"
    assert _numbers(response) == [7, 5]
