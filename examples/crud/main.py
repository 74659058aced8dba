"""CRUD on the embedded PantherDB: list (filtered, searched, sorted, paginated), create, read, update, delete.

Run from the repository root: ``panther run examples.crud.main:app --reload`` (needs panther-core and panther-db).
The books are kept in ``database.pdb`` next to this file.
"""

from panther import Panther
from panther.db import Model
from panther.generics import CreateAPI, DeleteAPI, ListAPI, RetrieveAPI, UpdateAPI
from panther.pagination import Pagination
from panther.request import Request
from panther.serializer import ModelSerializer

DATABASE = {"engine": {"class": "pantherdb", "path": "database.pdb"}}


class Book(Model):
    title: str
    author: str
    pages: int = 0


class BookSerializer(ModelSerializer):
    class Config:
        model = Book
        fields = ["title", "author", "pages"]
        optional_fields = ["pages"]


class PartialBookSerializer(ModelSerializer):
    """PATCH bodies: every field may be left out."""

    class Config:
        model = Book
        fields = ["title", "author", "pages"]
        optional_fields = "*"


class BookList(ListAPI, CreateAPI):
    """GET /books/?author=…&search=…&sort=-pages&limit=10&skip=0 and POST /books/."""

    input_model = BookSerializer
    filter_fields = ["author", "pages"]
    search_fields = ["title"]
    sort_fields = ["title", "pages"]
    pagination = Pagination

    async def get_query(self, request: Request, **kwargs):
        return await Book.find()


class BookDetail(RetrieveAPI, UpdateAPI, DeleteAPI):
    """GET, PUT, PATCH and DELETE /books/<book_id>/; an unknown or malformed id is a 404."""

    input_model = PartialBookSerializer

    async def get_instance(self, request: Request, **kwargs):
        return await Book.find_one_or_raise(id=kwargs["book_id"])


urls = {"books/": BookList, "books/<book_id>/": BookDetail}

app = Panther(__name__, configs=__name__, urls=urls)
