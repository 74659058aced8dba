"""An app with a bit of everything the document describes, served by uvicorn in the browser and schemathesis tests.

No database: it runs with panther-core and panther-openapi only.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from panther import Panther, status
from panther.app import API, GenericAPI
from panther.exceptions import AuthenticationAPIError, NotFoundAPIError
from panther.openapi import OutputSchema
from panther.openapi.urls import url_routing as docs_routing
from panther.request import Request
from panther.response import HTMLResponse, PlainTextResponse, Response

OPENAPI = {"title": "Docs test app", "version": "0.1.0", "description": "Everything the document can say."}

NOTES = {1: {"id": 1, "text": "first"}}  # grows by one per POST: a test app, served for one test module


class NoteIn(BaseModel):
    """A note to write."""

    text: str = Field(min_length=1, max_length=100)
    pinned: bool = False


class NoteOut(BaseModel):
    id: int
    text: str


class ApiKey:
    """An API key in the `X-API-Key` header."""

    openapi_security_scheme = {"type": "apiKey", "in": "header", "name": "X-API-Key"}

    async def __call__(self, request: Request) -> dict[str, Any]:
        if request.headers.get("x-api-key") != "secret":
            raise AuthenticationAPIError
        return {"name": "admin"}


@API(methods=["GET"])
async def index() -> dict[str, str]:
    """The index of this API."""
    return {"docs": "/docs/swagger/"}


@API(methods=["GET"])
async def hello() -> dict[str, str]:
    """Say hello.

    A greeting, as JSON.
    """
    return {"message": "hello"}


@API(methods=["GET"])
async def double(number: int) -> dict[str, int]:
    """Double a number."""
    return {"number": number, "double": number * 2}  # within 64 bits for any int path variable


@API(methods=["GET"])
async def flag(value: bool, ratio: float) -> dict[str, Any]:
    """Echo a boolean and a number."""
    return {"value": value, "ratio": ratio}


class Notes(GenericAPI):
    """The notes."""

    input_model = NoteIn
    output_schema = {"GET": OutputSchema(list[NoteOut]), "POST": OutputSchema(NoteOut, status.HTTP_201_CREATED)}

    async def get(self) -> list[dict[str, Any]]:
        """List the notes."""
        return list(NOTES.values())

    async def post(self, request: Request) -> Response:
        """Write a note."""
        created = {"id": max(NOTES) + 1, "text": request.validated_data.text}
        NOTES[created["id"]] = created
        return Response(created, status_code=status.HTTP_201_CREATED)


@API(methods=["GET"], output_model=NoteOut)
async def note(note_id: int) -> dict[str, Any]:
    """One note."""
    if note_id not in NOTES:
        raise NotFoundAPIError
    return NOTES[note_id]


@API(methods=["DELETE"], auth=ApiKey)
async def admin_reset() -> None:
    """Reset everything (needs the API key)."""


@API(methods=["GET"])
async def page() -> HTMLResponse:
    """An HTML page."""
    return HTMLResponse("<h1>hi</h1>")


@API(methods=["GET"])
async def text() -> PlainTextResponse:
    """Plain text."""
    return PlainTextResponse("hi")


url_routing = {
    "": index,
    "hello": hello,
    "double/<number>": double,
    "flag/<value>/<ratio>": flag,
    "notes": Notes,
    "notes/<note_id>": note,
    "admin/reset": admin_reset,
    "page": page,
    "text": text,
    "reserved/": {},
    "docs": docs_routing,
}

app = Panther(__name__, configs=__name__, urls=url_routing)
