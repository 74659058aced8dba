"""An app that uses every feature a client can reach, for the reliability suite (fuzzing, load, faults).

``create_app(directory)`` builds it with its embedded database, uploads and files under ``directory``; settings in
``overrides`` replace the defaults (e.g. a MongoDB engine, ``REDIS``). Served by uvicorn for the load run with
``uvicorn --app-dir tests/reliability --factory everything:create_app`` (the directory from
``RELIABILITY_DIR``, default a fresh temporary one).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from panther import Panther, status
from panther.app import API, GenericAPI
from panther.authentications import CookieJWTAuthentication, JWTAuthentication
from panther.background_tasks import BackgroundTask
from panther.db import Model
from panther.db.models import BaseUser
from panther.file_handler import File
from panther.generics import ListAPI
from panther.openapi.urls import url_routing as docs_routing
from panther.pagination import Pagination
from panther.panel.urls import url_routing as panel_routing
from panther.permissions import IsAuthenticated
from panther.request import Request
from panther.response import FileResponse, RedirectResponse, Response, TemplateResponse
from panther.throttling import Throttle
from panther.websocket import GenericWebsocket, send_message_to_group
from panther.websocket.state import WEBSOCKETS

SECRET_KEY = "reliability-suite-secret-key-0123456789"
PASSWORD = "correct horse battery staple"  # the password of the user `create_app` stores


class Book(Model):
    title: str
    author: str
    pages: int


class BookIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=200)
    pages: int = Field(gt=0, le=100_000)


class UploadIn(BaseModel):
    name: str = Field(max_length=100)
    file: File


class FormIn(BaseModel):
    name: str = Field(max_length=100)
    age: int = Field(ge=0, le=200)


class LoginIn(BaseModel):
    username: str = Field(max_length=100)
    password: str = Field(max_length=200)


class User(BaseUser):
    pass


@API()
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@API(methods=["GET", "POST"], input_model=BookIn)
async def books(request: Request) -> Response:
    if request.method == "POST":
        book = await Book.insert_one(request.validated_data.model_dump())
        return Response(data=book, status_code=status.HTTP_201_CREATED)
    return Response(data=(await Book.find()).limit(20))


@API()
async def book_detail(book_id: str) -> Book:
    return await Book.find_one_or_raise(id=book_id)


class BookList(ListAPI):
    search_fields = ["title", "author"]
    filter_fields = ["author", "pages"]
    sort_fields = ["title", "pages"]
    pagination = Pagination

    async def get_query(self, request: Request, **kwargs: Any) -> Any:
        return await Book.find()


@API()
async def user_detail(user_id: int, request: Request) -> dict[str, Any]:
    return {"id": user_id, "query": dict(request.query_params), "cookies": dict(request.cookies)}


@API(methods=["POST"], input_model=UploadIn)
async def upload(request: Request) -> dict[str, Any]:
    data: UploadIn = request.validated_data
    path = data.file.save(str(Path(request.app.state.directory, "uploads")))
    return {"name": data.name, "saved": Path(path).name, "size": len(data.file.read())}


@API(methods=["POST"], input_model=FormIn)
async def form(request: Request) -> dict[str, Any]:
    return request.validated_data.model_dump()


@API(methods=["POST"])
async def echo(request: Request) -> Any:
    return {"data": request.data}


@API(methods=["POST"], input_model=LoginIn, auth=False)
async def login(request: Request) -> Any:
    data: LoginIn = request.validated_data
    user = await User.find_one(username=data.username)
    if user is None or not await user.acheck_password(data.password):
        return Response(data={"detail": "Wrong username or password"}, status_code=status.HTTP_400_BAD_REQUEST)
    return await JWTAuthentication.login(user)


@API(auth=JWTAuthentication, permissions=[IsAuthenticated])
async def me(request: Request) -> dict[str, Any]:
    return {"username": request.user.username}


@API(methods=["POST"], auth=JWTAuthentication, permissions=[IsAuthenticated])
async def logout(request: Request) -> dict[str, str]:
    await JWTAuthentication.logout(request.user)
    return {"detail": "Logged out"}


@API(auth=CookieJWTAuthentication, permissions=[IsAuthenticated])
async def cookie_me(request: Request) -> dict[str, Any]:
    return {"username": request.user.username}


class Notes(GenericAPI):
    auth = JWTAuthentication
    permissions = [IsAuthenticated]

    async def get(self, request: Request) -> dict[str, Any]:
        return {"notes": [], "user": request.user.username}


@API()
async def download(name: str, request: Request) -> FileResponse:
    return FileResponse(name, root=str(Path(request.app.state.directory, "files")))


@API()
async def page(request: Request) -> TemplateResponse:
    return TemplateResponse(source="<p>{{ name }}</p>", context={"name": request.query_params.get("name", "")})


@API()
async def go(request: Request) -> RedirectResponse:
    return RedirectResponse("/hello")


async def _record(app: Panther, value: str) -> None:
    app.state.tasks_done.append(value)


@API(methods=["POST"])
async def later(request: Request) -> dict[str, str]:
    BackgroundTask(_record, request.app, "ran").submit()
    return {"detail": "accepted"}


class Room(GenericWebsocket):
    async def connect(self, room: str) -> None:
        await self.accept()
        await self.join(room)

    async def receive(self, data: str | bytes) -> None:
        await send_message_to_group(self.path_variables["room"], data)


@API(cache=timedelta(seconds=5))
async def cached(request: Request) -> dict[str, Any]:
    request.app.state.cache_misses += 1
    return {"misses": request.app.state.cache_misses, "query": dict(request.query_params)}


@API(throttling=Throttle(rate=5, duration=timedelta(minutes=1)))
async def limited() -> dict[str, str]:
    return {"detail": "ok"}


@API(methods=["POST"])
async def broadcast(room: str, request: Request) -> dict[str, str]:
    await send_message_to_group(room, request.data)
    return {"detail": "sent"}


@API()
async def stats(request: Request) -> dict[str, int]:
    """What the leak checks watch: the WebSockets this process still holds."""
    connections = request.app.stash[WEBSOCKETS].connections
    return {"websockets": len(connections), "groups": len(connections.by_group)}


URLS: dict[str, Any] = {
    "hello": hello,
    "books": books,
    "books/<book_id>": book_detail,
    "library": BookList,
    "users/<user_id>": user_detail,
    "upload": upload,
    "form": form,
    "echo": echo,
    "login": login,
    "logout": logout,
    "me": me,
    "cookie-me": cookie_me,
    "notes": Notes,
    "files/<name>": download,
    "page": page,
    "go": go,
    "later": later,
    "ws/<room>": Room,
    "cached": cached,
    "limited": limited,
    "broadcast/<room>": broadcast,
    "stats": stats,
    "docs": docs_routing,
    "panel": panel_routing,
}


def configs(directory: Path) -> dict[str, Any]:
    return {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE": {"engine": {"class": "pantherdb", "path": str(directory / "reliability.pdb")}},
        "USER_MODEL": User,
        "BACKGROUND_TASKS": True,
        "MIDDLEWARES": ["panther.middlewares.cors.CORSMiddleware"],
        "ALLOW_ORIGINS": ["https://app.example"],
        "ALLOW_CREDENTIALS": True,
        "MAX_REQUEST_BODY_SIZE": 1024 * 1024,
        "OPENAPI": {"title": "Reliability", "version": "1.0.0"},
        # Every endpoint is throttled (a rate the load run never reaches, so it measures the cost, not refusals).
        "THROTTLING": Throttle(rate=100_000_000, duration=timedelta(minutes=1)),
    }


def create_app(directory: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> Panther:
    """The app, its files under ``directory``; the user ``ann`` (password ``PASSWORD``) is stored at startup."""
    if directory is None:
        directory = os.environ.get("RELIABILITY_DIR") or tempfile.mkdtemp(prefix="panther-reliability-")
    directory = Path(directory)
    (directory / "files").mkdir(parents=True, exist_ok=True)
    (directory / "uploads").mkdir(exist_ok=True)
    (directory / "files" / "hello.txt").write_text("hello\n")
    app = Panther(__name__, configs={**configs(directory), **(overrides or {})}, urls=URLS)
    app.state.directory = directory
    app.state.tasks_done = []
    app.state.cache_misses = 0

    @app.on_startup
    async def _store_user() -> None:
        if await User.find_one(username="ann") is None:
            user = await User.insert_one(username="ann")
            await user.set_password(PASSWORD)

    return app
