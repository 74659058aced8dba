"""What is benchmarked: the apps (each in its own virtualenv) and the endpoints every app answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Versions every virtualenv shares, so the frameworks are compared on the same validation, serialisation and
# server stack. Upstream Panther 5.5.0 pins pydantic ~=2.12.3, orjson ~=3.11.3 and httptools ~=0.7.1.
COMMON_REQUIREMENTS: tuple[str, ...] = (
    "pydantic==2.12.5",
    "orjson==3.11.9",
    "uvicorn==0.54.0",
    "httptools==0.7.1",
    "uvloop==0.23.0",
)
COMMON_DISTRIBUTIONS: tuple[str, ...] = ("pydantic", "orjson", "uvicorn", "httptools", "uvloop")

PLUGIN_PACKAGES: tuple[str, ...] = (
    "panther-db",
    "panther-ws",
    "panther-auth",
    "panther-cache",
    "panther-tasks",
    "panther-openapi",
)

RAW = "raw"
UPSTREAM = "upstream"
PROJECT = "panther"
PROJECT_PLUGINS = "panther-plugins"


@dataclass(frozen=True)
class AppSpec:
    """One benchmarked app: how to install it and which module (in `bench/apps/`) builds it."""

    key: str
    label: str
    module: str
    requirements: tuple[str, ...] = ()
    local_packages: tuple[str, ...] = ()  # repo-relative directories, installed non-editable
    distributions: tuple[str, ...] = ()  # reported with their installed versions
    routing: bool = True  # the module has `build_routing(n)`

    @property
    def all_requirements(self) -> tuple[str, ...]:
        return COMMON_REQUIREMENTS + self.requirements

    @property
    def all_distributions(self) -> tuple[str, ...]:
        return self.distributions + COMMON_DISTRIBUTIONS


APPS: tuple[AppSpec, ...] = (
    AppSpec(RAW, "raw ASGI + orjson", "app_raw", routing=False),
    AppSpec(
        PROJECT,
        "Panther (this project)",
        "app_panther",
        local_packages=("packages/panther-core",),
        distributions=("panther-core",),
    ),
    AppSpec(
        PROJECT_PLUGINS,
        "Panther + all plugins (this project)",
        "app_panther",
        local_packages=("packages/panther-core", *(f"packages/{name}" for name in PLUGIN_PACKAGES)),
        distributions=("panther-core", *PLUGIN_PACKAGES),
        routing=False,
    ),
    AppSpec(UPSTREAM, "Panther 5.5.0 (upstream)", "app_panther", ("panther==5.5.0",), distributions=("panther",)),
    AppSpec("starlette", "Starlette", "app_starlette", ("starlette==1.10.0",), distributions=("starlette",)),
    AppSpec("fastapi", "FastAPI", "app_fastapi", ("fastapi==0.165.0",), distributions=("fastapi", "starlette")),
    AppSpec("blacksheep", "BlackSheep", "app_blacksheep", ("blacksheep==2.6.4",), distributions=("blacksheep",)),
    AppSpec("litestar", "Litestar", "app_litestar", ("litestar==2.25.0",), distributions=("litestar",)),
)
APPS_BY_KEY: dict[str, AppSpec] = {app.key: app for app in APPS}


@dataclass(frozen=True)
class Endpoint:
    """A request and the exact answer every app must give to it."""

    key: str
    method: str
    path: str
    status: int
    expected: Any
    body: bytes = b""
    invalid_body: bytes | None = None  # when set, this body must be rejected with a 4xx
    headers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def to_wire(self) -> dict[str, Any]:
        """JSON-serialisable form, sent to the workers."""
        return {
            "key": self.key,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "expected": self.expected,
            "body": self.body.decode(),
            "invalid_body": None if self.invalid_body is None else self.invalid_body.decode(),
            "headers": [list(pair) for pair in self.headers],
        }


ITEM = {"name": "Panther", "price": 9.99, "tags": ["fast", "async"]}
JSON_HEADERS = (("content-type", "application/json"),)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("json", "GET", "/json", 200, {"message": "Hello, World!"}),
    Endpoint("user", "GET", "/users/12345/", 200, {"id": 12345}),
    Endpoint(
        "item",
        "POST",
        "/items/",
        201,
        ITEM,
        body=json.dumps(ITEM).encode(),
        invalid_body=b'{"name": "Panther", "price": "free"}',
        headers=JSON_HEADERS,
    ),
)


def routing_endpoints(routes: int) -> tuple[Endpoint, ...]:
    """The last static and the last variable route of an app built with `build_routing(routes)`."""
    last = routes // 2 - 1
    return (
        Endpoint("static", "GET", f"/res{last}/", 200, {"message": "Hello, World!"}),
        Endpoint("variable", "GET", f"/res{last}/12345/", 200, {"id": 12345}),
    )
