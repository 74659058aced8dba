"""BlackSheep app (idiomatic: router decorators, `FromJSON` binding, `json` responses)."""

from blacksheep import Application, FromJSON, Response, json
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float
    tags: list[str]


async def json_view() -> Response:
    return json({"message": "Hello, World!"})


async def user_view(id: int) -> Response:
    return json({"id": id})


async def item_view(item: FromJSON[Item]) -> Response:
    return json(item.value.model_dump(), status=201)


def build() -> Application:
    app = Application()
    app.router.add_get("/json", json_view)
    app.router.add_get("/users/{int:id}/", user_view)
    app.router.add_post("/items/", item_view)
    return app


def build_routing(routes: int) -> Application:
    """`routes` routes: a static list route and a variable detail route per resource, registered interleaved."""
    app = Application()
    for i in range(routes // 2):
        app.router.add_get(f"/res{i}/", json_view)
        app.router.add_get(f"/res{i}/{{int:id}}/", user_view)
    return app
