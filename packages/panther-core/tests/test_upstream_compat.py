"""Upstream Panther behaviour that existing apps and middlewares rely on."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from panther import Panther
from panther.app import API, GenericAPI
from panther.exceptions import PantherError
from panther.middlewares import HTTPMiddleware
from panther.plugins import hookimpl
from panther.response import Response


def test_api_keeps_a_coroutine_function_a_coroutine_function() -> None:
    @API()
    async def view() -> dict[str, int]:
        return {}

    @API()
    def sync_view() -> dict[str, int]:
        return {}

    assert inspect.iscoroutinefunction(view)
    assert not inspect.iscoroutinefunction(sync_view)


def test_response_headers_include_the_content_type() -> None:
    response = Response({"a": 1}, headers={"X-Id": "7"})
    assert response.headers == {"X-Id": "7", "Content-Type": "application/json"}
    assert dict(response.bytes_headers)[b"content-type"] == b"application/json"


async def test_a_middleware_reading_the_body_gets_the_apps_encoders(caller: Any) -> None:
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    class Encoders:
        @hookimpl
        def panther_json_encoders(self) -> dict[type, Any]:
            return {Money: lambda money: money.cents}

    bodies: list[bytes] = []

    class Audit(HTTPMiddleware):
        async def __call__(self, request: Any) -> Response:
            response = await self.dispatch(request=request)
            bodies.append(response.body)
            return response

    @API()
    async def price() -> dict[str, Money]:
        return {"price": Money(250)}

    app = Panther(__name__, configs={"MIDDLEWARES": [Audit]}, urls={"price": price}, plugins=[Encoders()])
    result = await caller(app).get("/price")
    assert result.json() == {"price": 250} and bodies == [b'{"price":250}']


async def test_no_content_responses_have_no_content_headers(caller: Any) -> None:
    @API()
    async def empty() -> Response:
        return Response(status_code=204)

    result = await caller(Panther(__name__, configs={}, urls={"empty": empty})).get("/empty")
    assert result.status == 204 and result.body == b""
    assert result.header("content-type") is None and result.header("content-length") is None


@pytest.mark.parametrize(
    "value", ["99999999999999999999999", "1234567890123456789", "1_000", "+5", "٣", " 7", "-", "--5", "-٣", "-+5"]
)
async def test_int_path_variables_accept_plain_64_bit_integers_only(caller: Any, value: str) -> None:
    @API()
    async def user(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    client = caller(Panther(__name__, configs={}, urls={"users/<user_id>": user}))
    assert (await client.get("/users/-42")).json() == {"id": -42}
    assert (await client.get("/users/-123456789012345678")).json() == {"id": -123456789012345678}
    result = await client.get(f"/users/{value}")
    assert (result.status, result.json()) == (400, {"detail": f"Path variable `{value}` is not `int`"})


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e"])
async def test_float_path_variables_are_finite_numbers(caller: Any, value: str) -> None:
    @API()
    async def price(amount: float) -> dict[str, float]:
        return {"amount": amount}

    client = caller(Panther(__name__, configs={}, urls={"price/<amount>": price}))
    assert (await client.get("/price/2.5e1")).json() == {"amount": 25.0}
    assert (await client.get(f"/price/{value}")).status == 400


def test_an_endpoint_without_methods_fails_at_startup() -> None:
    @API(methods=[])
    async def nothing() -> None: ...

    class Empty(GenericAPI):
        pass

    with pytest.raises(PantherError, match="answers no method"):
        Panther(__name__, configs={}, urls={"nothing": nothing})
    with pytest.raises(PantherError, match="answers no method"):
        Panther(__name__, configs={}, urls={"empty": Empty})


async def test_endpoint_middlewares_are_built_once_per_endpoint(caller: Any) -> None:
    built: list[object] = []

    class Counted(HTTPMiddleware):
        def __init__(self, dispatch: Any, app: Any = None) -> None:
            super().__init__(dispatch, app)
            built.append(self)

    class Items(GenericAPI):
        middlewares = [Counted]

        async def get(self) -> list[int]:
            return [1]

        async def post(self) -> dict[str, bool]:
            return {"created": True}

    client = caller(Panther(__name__, configs={}, urls={"items": Items}))
    assert (await client.get("/items")).json() == [1]
    assert (await client.request("POST", "/items")).json() == {"created": True}
    assert (await client.request("OPTIONS", "/items")).header("allow") == "GET, POST, HEAD, OPTIONS"
    assert len(built) == 1
