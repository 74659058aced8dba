"""Panther app: the same file serves upstream Panther 5.5.0 and this project (they share the public API).

Each of them is installed in its own virtualenv; the harness imports this module there.
"""

from pydantic import BaseModel

from panther import Panther
from panther.app import API
from panther.request import Request
from panther.response import Response


@API()
async def json_view():
    return {"message": "Hello, World!"}


@API()
async def user_view(id: int):
    return {"id": id}


class Item(BaseModel):
    name: str
    price: float
    tags: list[str]


@API(methods=["POST"], input_model=Item)
async def item_view(request: Request):
    # The validated model itself, as Panther's documentation writes it (FastAPI and Litestar return theirs too):
    # rendering a model is part of what is measured, not done by hand in the endpoint.
    return Response(data=request.validated_data, status_code=201)


URLS = {"json": json_view, "users/<id>/": user_view, "items/": item_view}


def build() -> Panther:
    return Panther(__name__, configs=__name__, urls=URLS)


def build_routing(routes: int) -> Panther:
    """`routes` routes: a static list route and a variable detail route per resource, registered interleaved."""
    urls = {}
    for i in range(routes // 2):
        urls[f"res{i}/"] = json_view
        urls[f"res{i}/<id>/"] = user_view
    return Panther(__name__, configs=__name__, urls=urls)
