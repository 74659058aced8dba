"""Runs inside one suite's virtualenv: builds that suite's admin over ``--records`` books, logs in, checks every
page once, then times them. Prints one JSON object on stdout.

    python measure.py --suite ours|upstream|sqladmin --records 10000 --repeats 15 --budget 8 --workdir DIR

Requests are in-process ASGI calls (``call`` below: a fresh scope, the body in one message); the pages' repeats
are interleaved in a rotating order so a noisy moment hits them alike. A page's repeats are capped so that it
costs about ``--budget`` seconds (upstream's table renders every record). Memory: ``tracemalloc``'s peak during one
more request of each page, after a ``gc.collect()``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

PASSWORD = "correct horse battery staple"
SEARCH = "zephyr"  # in the title of one book in 100
WORDS = ("apple", "river", "stone", "cloud", "ember", "maple", "orbit")
TITLE = re.compile(rb"bk-\d{5}")
HERE = str(Path(__file__).resolve().parent)

Page = dict[str, Any]  # method, path, query, headers, body, status


def title(i: int) -> str:
    return f"bk-{i:05d} {'Zephyr' if i % 100 == 0 else WORDS[i % len(WORDS)]} tales"


def book(i: int) -> dict[str, Any]:
    return {"title": title(i), "pages": 50 + i % 900, "published": i % 2 == 0}


class Client:
    """Calls an ASGI app in-process; keeps the cookies it is given, as a browser does."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}

    async def startup(self) -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await queue.put({"type": "lifespan.startup"})

        async def send(message: dict[str, Any]) -> None:
            if message["type"].startswith("lifespan.startup") and not started.done():
                started.set_result(None)

        async def run() -> None:
            try:
                await self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, queue.get, send)
            finally:
                if not started.done():
                    started.set_result(None)

        self._lifespan = asyncio.ensure_future(run())
        await started

    async def call(self, page: Page, keep_cookies: bool = False) -> tuple[int, dict[str, str], bytes]:
        headers = [(b"host", b"testserver"), *((k.encode(), v.encode()) for k, v in page.get("headers", {}).items())]
        if self.cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()))
        body: bytes = page.get("body", b"")
        if body:
            headers += [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"%d" % len(body))]
        path: str = page["path"]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": page.get("method", "GET"),
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": page.get("query", "").encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        done = asyncio.Event()
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        status, chunks, answer = 0, [], {}
        set_cookies: list[str] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", []):
                    name = key.decode().lower()
                    if name == "set-cookie":
                        set_cookies.append(value.decode())
                    answer[name] = value.decode()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        await self.app(scope, receive, send)
        if keep_cookies:
            for cookie in set_cookies:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0].strip('"')
                if value and "max-age=0" not in cookie.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
        return status, answer, b"".join(chunks)


# # # this project's panel # # #
async def build_ours(workdir: Path, records: int) -> tuple[Client, dict[str, Page], dict[str, str]]:
    from panther import Panther
    from panther.app import API
    from panther.db import Model
    from panther.db.context import use_app
    from panther.db.models import BaseUser
    from panther.panel.urls import url_routing

    class Book(Model):
        title: str
        pages: int = 0
        published: bool = False

    @API(input_model=Book)
    async def books() -> list[Any]:
        return []

    database = {"engine": {"class": "pantherdb", "path": str(workdir / "ours.pdb")}}
    app = Panther(
        __name__,
        configs={"SECRET_KEY": "bench-secret-key-of-the-panel-benchmark-0123456789", "DATABASE": database},
        urls={"panel/": url_routing, "books/": books},
    )
    client = Client(app)
    await client.startup()
    with use_app(app):
        await Book.insert_many([book(i) for i in range(records)])
        user = BaseUser(username="admin", is_staff=True)
        await user.set_password(PASSWORD)
        await BaseUser.insert_one(user.model_dump(exclude={"id"}))
        middle = await Book.find_one(title=title(records // 2))
    index = _index_on_home(await client_get_logged_in(client), "Book")
    login_client = Client(app)
    status, _, html = await login_client.call({"path": "/panel/login/"}, keep_cookies=True)
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    assert status == 200 and csrf is not None, html[:500]
    form = {"username": "admin", "password": PASSWORD, "csrf_token": csrf.group(1).decode()}
    login_cookie = dict(login_client.cookies)
    table = f"/panel/{index}/"
    pages = {
        "list, first page": {"path": table, "status": 200},
        "list, middle page": {"path": table, "query": f"page={records // 25 // 2}", "status": 200},
        "list, search": {"path": table, "query": urlencode({"q": SEARCH}), "status": 200},
        "detail": {"path": f"/panel/{index}/{middle.id}/", "status": 200},
        "login POST": {
            "method": "POST",
            "path": "/panel/login/",
            "body": urlencode(form).encode(),
            "status": 303,
            "cookies": login_cookie,
        },
    }
    return client, pages, {}


async def client_get_logged_in(client: Client) -> bytes:
    _, _, html = await client.call({"path": "/panel/login/"}, keep_cookies=True)
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    assert csrf is not None, html[:500]
    form = {"username": "admin", "password": PASSWORD, "csrf_token": csrf.group(1).decode()}
    page = {"method": "POST", "path": "/panel/login/", "body": urlencode(form).encode()}
    status, _, body = await client.call(page, keep_cookies=True)
    assert status == 303, (status, body[:500])
    status, _, home = await client.call({"path": "/panel/"})
    assert status == 200, (status, home[:500])
    return home


def _index_on_home(home: bytes, name: str) -> int:
    found = re.search(rb'href="/panel/(\d+)/"[^>]*>\s*' + name.encode(), home)
    if found is None:
        found = re.search(rb'href="/panel/(\d+)/".{0,200}?' + name.encode(), home, re.S)
    assert found is not None, home[:2000]
    return int(found.group(1))


# # # upstream Panther 5.5.0's panel # # #
async def build_upstream(workdir: Path, records: int) -> tuple[Client, dict[str, Page], dict[str, str]]:
    path = workdir / "upstream.pdb"
    os.environ["PANEL_BENCH_DB"] = str(path)
    sys.path.insert(0, HERE)
    import ulid  # pantherdb's id generator
    from app_upstream import Book, app

    from panther.configs import config
    from panther.db.connections import db
    from panther.db.models import BaseUser

    client = Client(app)
    await client.startup()
    user = await BaseUser.insert_one(username="admin", password=PASSWORD)
    await user.set_password(password=PASSWORD)
    # Upstream's insert_many writes the whole file once per record: the books are written in one go instead.
    database = db.session  # upstream's own PantherDB instance (one per file)
    database.reload()
    for document in database.content["BaseUser"]:
        if "_id" not in document:  # kept under "id" by upstream's in-memory copy after `set_password`
            document["_id"] = document.pop("id")
    database.content["Book"] = [{**book(i), "_id": str(ulid.new())} for i in range(records)]
    database.write()
    middle = await Book.find_one(title=title(records // 2))
    assert middle is not None
    index = config.MODELS.index(Book)
    form = {"username": "admin", "password": PASSWORD}
    status, _, body = await client.call(
        {"method": "POST", "path": "/panel/login/", "body": urlencode(form).encode()}, keep_cookies=True
    )
    assert status == 302, (status, body[:500])
    table = f"/panel/{index}/"
    pages = {
        "list, first page": {"path": table, "status": 200},
        "list, middle page": {"path": table, "query": f"page={records // 25 // 2}", "status": 200},
        "list, search": {"path": table, "query": urlencode({"q": SEARCH}), "status": 200},
        "detail": {"path": f"/panel/{index}/{middle.id}/", "status": 200},
        "login POST": {
            "method": "POST",
            "path": "/panel/login/",
            "body": urlencode(form).encode(),
            "status": 302,
            "cookies": {},
        },
    }
    notes = {
        "list, middle page": "no pagination: `?page=` is ignored, the page is the whole table",
        "list, search": "no search: `?q=` is ignored, the page is the whole table",
    }
    return client, pages, notes


# # # sqladmin on SQLite # # #
async def build_sqladmin(workdir: Path, records: int) -> tuple[Client, dict[str, Page], dict[str, str]]:
    import sqlite3

    from sqladmin import Admin, ModelView
    from sqlalchemy import Boolean, Column, Integer, String
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.orm import DeclarativeBase
    from starlette.applications import Starlette

    class Base(DeclarativeBase):
        pass

    class Book(Base):
        __tablename__ = "book"
        # Column() rather than Mapped[] annotations: this module's annotations are strings, its imports local.
        id = Column(Integer, primary_key=True)
        title = Column(String(200), nullable=False)
        pages = Column(Integer, nullable=False, default=0)
        published = Column(Boolean, nullable=False, default=False)

    path = workdir / "sqladmin.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE book (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL, pages INTEGER NOT NULL, "
            "published BOOLEAN NOT NULL)"
        )
        connection.executemany(
            "INSERT INTO book (title, pages, published) VALUES (?, ?, ?)",
            [(b["title"], b["pages"], b["published"]) for b in map(book, range(records))],
        )

    class BookAdmin(ModelView, model=Book):
        column_list = [Book.id, Book.title, Book.pages, Book.published]
        column_searchable_list = [Book.title]
        column_sortable_list = [Book.id, Book.title, Book.pages, Book.published]
        page_size = 25

    app = Starlette()
    admin = Admin(app, create_async_engine(f"sqlite+aiosqlite:///{path}"))
    admin.add_view(BookAdmin)
    client = Client(app)
    await client.startup()
    middle = records // 2 + 1
    pages = {
        "list, first page": {"path": "/admin/book/list", "status": 200},
        "list, middle page": {"path": "/admin/book/list", "query": f"page={records // 25 // 2}", "status": 200},
        "list, search": {"path": "/admin/book/list", "query": urlencode({"search": SEARCH}), "status": 200},
        "detail": {"path": f"/admin/book/details/{middle}", "status": 200},
    }
    return client, pages, {"login POST": "sqladmin has no login of its own (an `AuthenticationBackend` is yours)"}


BUILDERS: dict[str, Callable[[Path, int], Awaitable[tuple[Client, dict[str, Page], dict[str, str]]]]] = {
    "ours": build_ours,
    "upstream": build_upstream,
    "sqladmin": build_sqladmin,
}


async def request(client: Client, page: Page) -> tuple[int, bytes]:
    if "cookies" in page:  # the login POST: its own cookies, none of the session's
        saved, client.cookies = client.cookies, dict(page["cookies"])
        try:
            status, _, body = await client.call(page)
        finally:
            client.cookies = saved
        return status, body
    status, _, body = await client.call(page)
    return status, body


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(args.workdir)
    started = time.perf_counter()
    client, pages, notes = await BUILDERS[args.suite](workdir, args.records)
    setup = time.perf_counter() - started
    checks: dict[str, Any] = {}
    first: dict[str, float] = {}
    for name, page in pages.items():
        began = time.perf_counter()
        status, body = await request(client, page)
        first[name] = time.perf_counter() - began
        if status != page["status"]:
            raise SystemExit(f"{args.suite} {name}: status {status}, expected {page['status']}: {body[:800]!r}")
        checks[name] = {"status": status, "bytes": len(body), "records": len(set(TITLE.findall(body)))}
    counts = {name: max(3, min(args.repeats, int(args.budget / max(first[name], 1e-6)))) for name in pages}
    samples: dict[str, list[float]] = {name: [] for name in pages}
    names = list(pages)
    gc.collect()
    for repeat in range(args.repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            if len(samples[name]) >= counts[name]:
                continue
            began = time.perf_counter()
            await request(client, pages[name])
            samples[name].append(time.perf_counter() - began)
    memory: dict[str, int] = {}
    for name, page in pages.items():
        gc.collect()
        tracemalloc.start()
        await request(client, page)
        memory[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "suite": args.suite,
        "records": args.records,
        "setup_s": setup,
        "checks": checks,
        "median_ms": {name: statistics.median(values) * 1000 for name, values in samples.items()},
        "best_ms": {name: min(values) * 1000 for name, values in samples.items()},
        "repeats": {name: len(values) for name, values in samples.items()},
        "peak_bytes": memory,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "notes": notes,
        "python": sys.version.split()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=sorted(BUILDERS), required=True)
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--budget", type=float, default=8.0)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    out = sys.stdout
    sys.stdout = sys.stderr  # the apps' own prints must not corrupt the JSON answer
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    result = loop.run_until_complete(run(args))
    out.write(json.dumps(result) + "\n")
    out.flush()
    os._exit(0)  # the apps' database threads and lifespan tasks need no orderly shutdown here


if __name__ == "__main__":
    main()
