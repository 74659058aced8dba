"""The reliability suite's shared pieces: a raw ASGI driver (bytes in, bytes out, nothing normalised by a client),
a log watcher that catches any unhandled exception, the fuzz settings and the count of cases run.

Long runs (``hatch run reliability``) set ``PANTHER_RELIABILITY_LONG=1``: each fuzz test then runs
``PANTHER_FUZZ_EXAMPLES`` cases (default 20 000); otherwise 150 (or ``PANTHER_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
from typing import Any

from hypothesis import HealthCheck, settings

from panther import Panther
from panther.test import APIClient

LONG = os.environ.get("PANTHER_RELIABILITY_LONG") == "1"

settings.register_profile(
    "reliability-ci",
    max_examples=int(os.environ.get("PANTHER_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    # The same cases on every CI run: a new input found by chance must not fail an unrelated change. The long run
    # (`hatch run reliability`) searches afresh each time.
    derandomize=True,
)
settings.register_profile(
    "reliability-long",
    max_examples=int(os.environ.get("PANTHER_FUZZ_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
FUZZ = settings.get_profile("reliability-long" if LONG else "reliability-ci")

#: Figures measured in this session (load, leaks), printed in the terminal summary.
FIGURES: dict[str, str] = {}

#: Fuzz cases run in this session, per test (printed in the terminal summary).
CASES: collections.Counter[str] = collections.Counter()


class Reply:
    """What the app sent for one HTTP request."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""


class Driver:
    """Calls an app over raw ASGI on an event loop of its own, its lifespan started once."""

    def __init__(self, app: Panther) -> None:
        self.app = app
        self.runner = asyncio.Runner()
        self.client = APIClient(app)
        self.runner.run(self.client.startup())

    def close(self) -> None:
        self.runner.run(self.client.close())
        self.runner.close()

    def http(
        self,
        method: str,
        raw_path: bytes,
        query: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
        body: bytes = b"",
    ) -> Reply:
        return self.runner.run(asyncio.wait_for(self._http(method, raw_path, query, headers or [], body), 10))

    async def _http(
        self, method: str, raw_path: bytes, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Reply:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": raw_path.decode("latin-1"),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]
        reply = Reply()
        parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if chunks:
                chunk = chunks.pop(0)
                return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
            await asyncio.sleep(3600)  # a disconnect never comes while the app still answers
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                reply.status = message["status"]
                reply.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, receive, send)
        reply.body = b"".join(parts)
        return reply

    def websocket(
        self, raw_path: bytes, query: bytes, headers: list[tuple[bytes, bytes]], messages: list[str | bytes]
    ) -> list[dict[str, Any]]:
        return self.runner.run(asyncio.wait_for(self._websocket(raw_path, query, headers, messages), 10))

    async def _websocket(
        self, raw_path: bytes, query: bytes, headers: list[tuple[bytes, bytes]], messages: list[str | bytes]
    ) -> list[dict[str, Any]]:
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": raw_path.decode("latin-1"),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "subprotocols": [],
            "state": {},
            "extensions": {"websocket.http.response": {}},
        }
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        sent: list[dict[str, Any]] = []
        accepted = asyncio.Event()

        async def receive() -> dict[str, Any]:
            return await inbox.get()

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "websocket.accept":
                for item in messages:
                    key = "text" if isinstance(item, str) else "bytes"
                    inbox.put_nowait({"type": "websocket.receive", key: item})
                inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
            if message["type"] in ("websocket.accept", "websocket.close", "websocket.http.response.start"):
                accepted.set()

        await self.app(scope, receive, send)
        return sent


class ErrorLog(logging.Handler):
    """Keeps every record of an exception: a record with a traceback, or at CRITICAL.

    Panther logs an unhandled exception at ERROR with its traceback (``Internal Server Error``). A refused
    credential is also logged at ERROR, as upstream does (``JWTAuthentication Error: "..."``), without one: that
    is a client's mistake reported, not a failure.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.CRITICAL or "Internal Server Error" in record.getMessage():
            self.records.append(record)

    def take(self) -> list[str]:
        records, self.records = self.records, []
        return [f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage() for r in records]
