"""Starlette app (idiomatic: `Route`s, `JSONResponse`, pydantic validation of the raw body)."""

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class Item(BaseModel):
    name: str
    price: float
    tags: list[str]


async def json_view(request: Request) -> Response:
    return JSONResponse({"message": "Hello, World!"})


async def user_view(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["id"]})


async def item_view(request: Request) -> Response:
    try:
        item = Item.model_validate_json(await request.body())
    except ValidationError as exc:
        return Response(exc.json(), status_code=422, media_type="application/json")
    return JSONResponse(item.model_dump(), status_code=201)


def build() -> Starlette:
    return Starlette(
        routes=[
            Route("/json", json_view),
            Route("/users/{id:int}/", user_view),
            Route("/items/", item_view, methods=["POST"]),
        ]
    )


def build_routing(routes: int) -> Starlette:
    """`routes` routes: a static list route and a variable detail route per resource, registered interleaved."""
    table = []
    for i in range(routes // 2):
        table.append(Route(f"/res{i}/", json_view))
        table.append(Route(f"/res{i}/{{id:int}}/", user_view))
    return Starlette(routes=table)
