"""Fixtures for panther-core's own tests.

These tests must pass with no plugin installed, so they drive apps through a minimal ASGI caller defined here
(not panther-testing's clients), and entry-point plugins are not loaded unless a test asks for them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from panther.events import Event


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Installed plugins (when the whole monorepo is installed) must not change core behaviour under test.
    monkeypatch.setenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("PANTHER_DISABLE_PLUGINS", raising=False)
    yield
    Event.clear()


@dataclass
class Result:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    messages: list[dict[str, Any]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.header_list(name)
        return values[-1] if values else None

    def header_list(self, name: str) -> list[str]:
        key = name.lower().encode()
        return [v.decode("latin-1") for k, v in self.headers if k.lower() == key]

    def json(self) -> Any:
        return json.loads(self.body)


class ASGICaller:
    """Call an ASGI app with one HTTP request and collect what it sends."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | Iterable[bytes] = b"",
        headers: Iterable[tuple[str, str]] | dict[str, str] = (),
        query_string: bytes = b"",
        disconnect: bool = False,
        disconnect_after: int | None = None,
    ) -> Result:
        """Send one request. ``disconnect`` drops the client while the body is sent; ``disconnect_after=n``
        drops it once ``n`` response body messages were received."""
        chunks = [body] if isinstance(body, bytes) else list(body)
        headers = list(headers.items()) if isinstance(headers, dict) else list(headers)
        # Like an HTTP/1.1 client: a body comes with its length (or, sent in several chunks, as chunked).
        names = {name.lower() for name, _ in headers}
        if any(chunks) and not names & {"content-length", "transfer-encoding"}:
            if len(chunks) == 1:
                headers.append(("content-length", str(len(chunks[0]))))
            else:
                headers.append(("transfer-encoding", "chunked"))
        messages: list[dict[str, Any]] = []
        queue = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
        ]
        if disconnect:
            queue = [*queue[:1], {"type": "http.disconnect"}]

        finished = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if queue:
                return queue.pop(0)
            # Like a real server: the client is only "gone" once the response has been sent.
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            if message["type"] == "http.response.body":
                bodies = sum(m["type"] == "http.response.body" for m in messages)
                if not message.get("more_body", False) or bodies == disconnect_after:
                    finished.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query_string,
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        await self.app(scope, receive, send)
        if not messages:
            return Result(status=0, headers=[], body=b"", messages=messages)
        start = messages[0]
        body_bytes = b"".join(m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body")
        return Result(status=start["status"], headers=list(start["headers"]), body=body_bytes, messages=messages)

    async def get(self, path: str, **kwargs: Any) -> Result:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Result:
        if json_body is not None:
            kwargs["body"] = json.dumps(json_body).encode()
            kwargs.setdefault("headers", {"content-type": "application/json"})
        return await self.request("POST", path, **kwargs)


@pytest.fixture
def caller() -> Callable[[Any], ASGICaller]:
    return ASGICaller


async def run_lifespan(app: Any, *messages: str) -> list[dict[str, Any]]:
    """Send lifespan messages (``'startup'``, ``'shutdown'``) and return what the app answered."""
    queue = [{"type": f"lifespan.{m}"} for m in messages]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


@pytest.fixture
def lifespan() -> Callable[..., Any]:
    return run_lifespan


def _reachable(url: str) -> bool:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    """A real Redis server's URL; skipped when none is reachable, a failure under CI=true."""
    import os

    url = os.environ.get("PANTHER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not _reachable(url):
        reason = f"Redis not reachable at {url} (start it with scripts/services start, or set PANTHER_TEST_REDIS_URL)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return url
