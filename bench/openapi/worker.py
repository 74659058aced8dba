"""Runs inside one framework's virtualenv: builds an API of N endpoints, then times its OpenAPI document.

Reads a JSON job from stdin (``framework``, ``endpoints``, ``seconds``) and prints the results as JSON. Uses only the
standard library and the framework under test. The API is written as a module file (imported normally), because
upstream Panther reads its endpoints' source with ``inspect.getsource``.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODELS = '''
from pydantic import BaseModel


class ItemIn(BaseModel):
    """An item to create."""

    name: str
    price: float
    tags: list[str] = []


class ItemOut(BaseModel):
    id: int
    name: str
    price: float
'''

PANTHER_ENDPOINTS = '''
@API(methods=["GET"], output_model=ItemOut)
async def get_item{i}(item_id: int) -> ItemOut:
    """Read an item of group {i}."""
    return {{"id": item_id, "name": "x", "price": 1.0}}


@API(methods=["POST"], input_model=ItemIn, output_schema=OutputSchema(ItemOut, status_code=201))
async def create_item{i}(request):
    """Create an item in group {i}."""
    return {{"id": 1, "name": "x", "price": 1.0}}
'''

UPSTREAM_ENDPOINTS = '''
@API(methods=["GET"], output_model=ItemOut)
async def get_item{i}(item_id: int):
    """Read an item of group {i}."""
    return {{"id": item_id, "name": "x", "price": 1.0}}


@API(methods=["POST"], input_model=ItemIn, output_schema=OutputSchema(ItemOut, status_code=201))
async def create_item{i}(request):
    """Create an item in group {i}."""
    return {{"id": 1, "name": "x", "price": 1.0}}
'''

FASTAPI_ENDPOINTS = '''
@app.get("/items{i}/{{item_id}}/", response_model=ItemOut)
async def get_item{i}(item_id: int):
    """Read an item of group {i}."""
    return {{"id": item_id, "name": "x", "price": 1.0}}


@app.post("/items{i}/", status_code=201, response_model=ItemOut)
async def create_item{i}(item: ItemIn):
    """Create an item in group {i}."""
    return {{"id": 1, "name": "x", "price": 1.0}}
'''


def panther_module(groups: int, upstream: bool) -> str:
    endpoints = UPSTREAM_ENDPOINTS if upstream else PANTHER_ENDPOINTS
    urls = ", ".join(f'"items{i}/<item_id>": get_item{i}, "items{i}": create_item{i}' for i in range(groups))
    return (
        "from panther import Panther\nfrom panther.app import API\nfrom panther.openapi import OutputSchema\n"
        "from panther.openapi.urls import url_routing as docs\n"
        + MODELS
        + "".join(endpoints.format(i=i) for i in range(groups))
        + f"\nurls = {{{urls}, 'docs': docs}}\napp = Panther(__name__, configs=__name__, urls=urls)\n"
    )


def fastapi_module(groups: int) -> str:
    return (
        "from fastapi import FastAPI\n"
        + MODELS
        + "\napp = FastAPI(title='Bench')\n"
        + "".join(FASTAPI_ENDPOINTS.format(i=i) for i in range(groups))
    )


def load(source: str, directory: Path, name: str = "bench_api") -> Any:
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def timed_ms(call: Any, seconds: float) -> tuple[float, int]:
    """Median ms of ``call()``, repeated for about ``seconds`` (at least 3 times)."""
    call()  # warm-up: imports, caches
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(times) < 3 or time.perf_counter() < deadline:
        start = time.perf_counter_ns()
        call()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times), len(times)


async def asgi_get(app: Any, path: str) -> tuple[int, int]:
    """One in-process GET: ``(status, body length)``."""
    status, length = 0, 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, length
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            length += len(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    await app(dict(scope), receive, send)
    return status, length


async def serve_us(app: Any, path: str, seconds: float) -> tuple[float, int]:
    """Median µs per in-process GET of ``path`` (batches of calls, about ``seconds`` in all)."""
    status, length = await asgi_get(app, path)
    if status != 200 or length == 0:
        raise SystemExit(f"GET {path} answered {status} with {length} bytes")
    for _ in range(20):
        await asgi_get(app, path)
    start = time.perf_counter_ns()
    await asgi_get(app, path)
    one = max((time.perf_counter_ns() - start) / 1e9, 1e-6)
    batch = max(1, int(0.05 / one))
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(samples) < 5 or time.perf_counter() < deadline:
        start = time.perf_counter_ns()
        for _ in range(batch):
            await asgi_get(app, path)
        samples.append((time.perf_counter_ns() - start) / batch / 1000)
    return statistics.median(samples), length


def main() -> None:
    job = json.loads(sys.stdin.read())
    framework, groups, seconds = job["framework"], job["endpoints"] // 2, job["seconds"]
    result: dict[str, Any] = {"framework": framework, "operations": groups * 2}

    def source(groups: int) -> str:
        return fastapi_module(groups) if framework == "fastapi" else panther_module(groups, framework == "upstream")

    with tempfile.TemporaryDirectory() as tmp:
        # A one-endpoint app first: the framework's imports and one-time warm-ups (plugins, pydantic's JSON Schema
        # generator, templates) are not part of building an app.
        load(source(1), Path(tmp), "bench_warm_up")
        start = time.perf_counter_ns()
        module = load(source(groups), Path(tmp))
        result["app_build_ms"] = (time.perf_counter_ns() - start) / 1e6
        app = module.app
        if framework == "panther":
            # What serving the docs adds to startup: the same routes built again with and without the docs,
            # alternately (caches warmed by the first build help both alike).
            with_docs, without = module.urls, {k: v for k, v in module.urls.items() if k != "docs"}
            times: dict[str, list[float]] = {"docs": [], "no_docs": []}
            for _ in range(5):
                for key, urls in (("docs", with_docs), ("no_docs", without)):
                    start = time.perf_counter_ns()
                    type(app)("bench_api", configs={}, urls=urls)
                    times[key].append((time.perf_counter_ns() - start) / 1e6)
            result["rebuild_ms"] = statistics.median(times["docs"])
            result["rebuild_no_docs_ms"] = statistics.median(times["no_docs"])
        gc.collect()
        if framework == "panther":
            from panther.openapi.document import build_document
            from panther.openapi.settings import read_settings

            settings = read_settings(None)
            result["generate_ms"], result["generate_runs"] = timed_ms(lambda: build_document(app, settings), seconds)
            json_path, page_path = "/docs/openapi.json", "/docs/swagger/"
        elif framework == "fastapi":

            def generate() -> Any:
                app.openapi_schema = None  # FastAPI caches the document after the first call
                return app.openapi()

            result["generate_ms"], result["generate_runs"] = timed_ms(generate, seconds)
            app.openapi()
            json_path, page_path = "/openapi.json", "/docs"
        else:
            from panther.openapi.utils import OpenAPIGenerator

            generator = OpenAPIGenerator.generate_openapi_spec
            result["generate_ms"], result["generate_runs"] = timed_ms(generator, seconds)
            json_path, page_path = None, "/docs/swagger/"
        loop = asyncio.new_event_loop()
        try:
            if json_path is not None:
                result["json_us"], result["json_bytes"] = loop.run_until_complete(serve_us(app, json_path, seconds))
            result["page_us"], result["page_bytes"] = loop.run_until_complete(serve_us(app, page_path, seconds))
        finally:
            loop.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
