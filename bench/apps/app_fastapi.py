"""FastAPI app (idiomatic, default settings: typed path parameter, pydantic body, response model)."""

from fastapi import FastAPI
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float
    tags: list[str]


async def json_view() -> dict[str, str]:
    return {"message": "Hello, World!"}


async def user_view(id: int) -> dict[str, int]:
    return {"id": id}


async def item_view(item: Item) -> Item:
    return item


def build() -> FastAPI:
    app = FastAPI()
    app.add_api_route("/json", json_view, methods=["GET"])
    app.add_api_route("/users/{id}/", user_view, methods=["GET"])
    app.add_api_route("/items/", item_view, methods=["POST"], status_code=201)
    return app


def build_routing(routes: int) -> FastAPI:
    """`routes` routes: a static list route and a variable detail route per resource, registered interleaved."""
    app = FastAPI()
    for i in range(routes // 2):
        app.add_api_route(f"/res{i}/", json_view, methods=["GET"], name=f"list{i}")
        app.add_api_route(f"/res{i}/{{id}}/", user_view, methods=["GET"], name=f"detail{i}")
    return app
