"""What ``panther create --database pantherdb|mongodb`` puts into a new project (``panther_project_scaffolds``)."""

from __future__ import annotations

from panther.cli.create import Scaffold

__all__ = ["mongodb", "pantherdb"]


def pantherdb(name: str) -> Scaffold:
    """The embedded database: a file next to main.py."""
    return Scaffold(MODELS_DB, APIS_DB, APP_URLS_DB, SINGLE_FILE_IMPORTS_DB, "BookAPI", PANTHERDB_SETTING, "panther-db")


def mongodb(name: str) -> Scaffold:
    """MongoDB, database named after the project."""
    setting = MONGODB_SETTING.format(name=name)
    return Scaffold(MODELS_DB, APIS_DB, APP_URLS_DB, SINGLE_FILE_IMPORTS_DB, "BookAPI", setting, "panther-db[mongodb]")


PANTHERDB_SETTING = """
# The embedded database: one file next to main.py.
DATABASE = {
    "engine": {
        "class": "panther.db.connections.PantherDBConnection",
        "path": BASE_DIR / "database.pdb",
    },
}
"""

MONGODB_SETTING = """
DATABASE = {{
    "engine": {{
        "class": "panther.db.connections.MongoDBConnection",
        "host": os.environ.get("MONGODB_HOST", "127.0.0.1"),
        "port": 27017,
        "database": "{name}",
    }},
}}
"""

MODELS_DB = '''"""The stored documents, and the shapes of the data the API accepts."""

from panther.db import Model
from pydantic import BaseModel, Field


class Book(Model):
    """A stored book (its collection is named after the class)."""

    title: str
    author: str
    pages: int


class BookIn(BaseModel):
    """What `POST /books/` accepts; anything else is answered 400 with the reasons."""

    title: str = Field(min_length=1)
    author: str = Field(min_length=1)
    pages: int = Field(gt=0)
'''

APIS_DB = '''"""The endpoints."""

from panther import status
from panther.app import API, GenericAPI
from panther.request import Request
from panther.response import Response

from app.models import Book, BookIn


@API()
async def hello_api() -> dict[str, str]:
    return {"detail": "Hello from Panther!"}


class BookAPI(GenericAPI):
    """`GET /books/` lists the books, `POST /books/` stores one."""

    input_model = BookIn

    async def get(self) -> Response:
        return Response(data=await Book.find())

    async def post(self, request: Request) -> Response:
        book = await Book.insert_one(request.validated_data.model_dump())
        return Response(data=book, status_code=status.HTTP_201_CREATED)
'''

APP_URLS_DB = '''"""The routes of this app, mounted by core/urls.py."""

from app.apis import BookAPI, hello_api

urls = {
    "": hello_api,
    "books": BookAPI,
}
'''

SINGLE_FILE_IMPORTS_DB = """from panther import Panther, status
from panther.app import API, GenericAPI
from panther.db import Model
from panther.request import Request
from panther.response import Response
from panther.utils import load_env
from pydantic import BaseModel, Field"""
