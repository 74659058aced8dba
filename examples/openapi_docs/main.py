"""An API documented with OpenAPI 3.1: the document and five UIs (Swagger UI, ReDoc, Scalar, RapiDoc, Stoplight
Elements) under /docs/, working offline.

Run from the repository root: ``panther run examples.openapi_docs.main:app`` (needs panther-core and
panther-openapi), then open http://127.0.0.1:8000/docs/swagger/.
"""

from pydantic import BaseModel, Field

from panther import Panther, status
from panther.app import API
from panther.exceptions import NotFoundAPIError
from panther.openapi import OutputSchema
from panther.openapi.urls import url_routing as docs_urls
from panther.request import Request
from panther.response import Response

OPENAPI = {"title": "Bookshop", "version": "1.0.0", "description": "Books, documented from the code."}


class BookIn(BaseModel):
    title: str = Field(min_length=1)
    pages: int = Field(gt=0)


class Book(BookIn):
    id: int


BOOKS = {1: Book(id=1, title="Dune", pages=412)}  # a stand-in for a database; see the CRUD example for one


@API(methods=["POST"], input_model=BookIn, output_schema=OutputSchema(Book, status_code=status.HTTP_201_CREATED))
async def create_book(request: Request):
    """Store a book.

    The rest of a docstring becomes the operation's description (Markdown).
    """
    book = Book(id=max(BOOKS, default=0) + 1, **request.validated_data.model_dump())
    BOOKS[book.id] = book
    return Response(book, status_code=status.HTTP_201_CREATED)


@API(methods=["GET"])
async def book(book_id: int) -> Book:
    """One book, by id."""
    if book_id not in BOOKS:
        raise NotFoundAPIError("Book Does Not Exist")
    return BOOKS[book_id]


urls = {"books/": create_book, "books/<book_id>/": book, "docs/": docs_urls}

app = Panther(__name__, configs=__name__, urls=urls)
