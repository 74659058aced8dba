"""Litestar app (idiomatic, default settings: typed handlers, pydantic `data`, `post` answers 201)."""

from litestar import Litestar, get, post
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float
    tags: list[str]


async def json_view() -> dict[str, str]:
    return {"message": "Hello, World!"}


async def user_view(id: int) -> dict[str, int]:
    return {"id": id}


async def item_view(data: Item) -> Item:
    return data


def build() -> Litestar:
    return Litestar(
        route_handlers=[get("/json")(json_view), get("/users/{id:int}/")(user_view), post("/items/")(item_view)],
    )


def build_routing(routes: int) -> Litestar:
    """`routes` routes: a static list route and a variable detail route per resource, registered interleaved."""
    handlers = []
    for i in range(routes // 2):
        handlers.append(get(f"/res{i}/", name=f"list{i}")(json_view))
        handlers.append(get(f"/res{i}/{{id:int}}/", name=f"detail{i}")(user_view))
    return Litestar(route_handlers=handlers)
