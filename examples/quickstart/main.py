"""Panther's quickstart: a template page, JSON, a path variable, books stored in the embedded PantherDB (no server to
install), a file download, and its API documented under /docs/ (OpenAPI 3.1, five UIs that work offline).

From the repository root, ``hatch run example:serve`` (or ``panther run examples.quickstart.main:app --reload``)
serves it on http://127.0.0.1:8000; README.md next to this file lists requests to try.
"""

import os

from pydantic import BaseModel, Field

from panther import Panther, status
from panther.app import API
from panther.db import Model
from panther.openapi import OutputSchema
from panther.openapi.urls import url_routing as docs_routing
from panther.request import Request
from panther.response import FileResponse, Response, TemplateResponse

# Relative to this file's folder (the app's BASE_DIR), like the database path below.
TEMPLATES_DIR = "templates"
# The embedded document database: one file, created on the first write. (MongoDB: {'class': 'mongodb', 'host': ...})
DATABASE = {"engine": {"class": "pantherdb", "path": os.environ.get("QUICKSTART_DB", "database.pdb")}}
# The documentation served under /docs/ (openapi.json, swagger/, redoc/, scalar/, rapidoc/, spotlight/).
OPENAPI = {"title": "Quickstart", "version": "1.0.0", "description": "Books stored in the embedded PantherDB."}


class Book(Model):
    title: str
    author: str
    pages: int


class BookIn(BaseModel):
    """A book to create; a body that doesn't fit is answered 400 with a message per field."""

    title: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=200)
    pages: int = Field(gt=0, le=100_000)


@API(methods=["GET"])
async def index() -> TemplateResponse:
    """The home page (HTML)."""
    # The bio holds HTML typed by a user: templates are autoescaped, so the page shows it as text, never runs it.
    user = {"name": "Ada", "bio": "<script>alert('hi')</script> writes <b>engines</b>"}
    return TemplateResponse(name="index.html", context={"user": user, "books": ["Dune", "Solaris"]})


@API(methods=["GET"])
async def hello() -> dict[str, str]:
    """Say hello."""
    return {"message": "Hello, World!"}


@API(methods=["GET"])
async def user_detail(user_id: int) -> dict[str, object]:
    """A user, by id."""
    # `user_id: int` makes Panther convert the path segment; `/users/abc/` is answered 400.
    return {"id": user_id, "name": f"user-{user_id}"}


# The two methods answer differently: the documentation says so per method (the return annotation cannot).
@API(
    methods=["GET", "POST"],
    input_model=BookIn,
    output_schema={"GET": OutputSchema(list[Book]), "POST": OutputSchema(Book, status_code=status.HTTP_201_CREATED)},
)
async def books(request: Request) -> Response:
    """List the books, or store a new one."""
    if request.method == "POST":
        book = await Book.insert_one(request.validated_data.model_dump())
        return Response(data=book, status_code=status.HTTP_201_CREATED)
    return Response(data=await Book.find())  # a cursor: read asynchronously before the response is sent


@API(methods=["GET"])
async def book_detail(book_id: str) -> Book:
    """One book, by id."""
    return await Book.find_one_or_raise(id=book_id)  # an unknown id is answered 404


@API(methods=["GET"])
async def download() -> FileResponse:
    """Download a text file."""
    # Streamed from disk with Content-Length, ETag and Range support; `filename=` makes browsers save it.
    # A relative path starts at the working directory (as in upstream Panther): `root=` anchors it to this folder.
    return FileResponse("files/hello.txt", root=os.path.dirname(__file__), filename="hello.txt")


url_routing = {
    "": index,
    "hello": hello,
    "users/<user_id>": user_detail,
    "books": books,
    "books/<book_id>": book_detail,
    "download": download,
    "docs": docs_routing,
}

app = Panther(__name__, configs=__name__, urls=url_routing)
