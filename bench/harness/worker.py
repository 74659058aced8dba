"""Benchmark worker: runs inside one app's virtualenv (standard library only) and talks JSON lines with the parent.

    python -I worker.py probe APPS_DIR MODULE|-     import + build the app once, print time and RSS, exit
    python -I worker.py serve APPS_DIR MODULE ROUTES  build the app (ROUTES > 0: `build_routing(ROUTES)`), start its
                                                     lifespan, then answer commands read from stdin
    python -I worker.py versions - - DIST...         print the installed versions of the distributions

Replies go to the original stdout; the app's own prints are redirected to stderr so they cannot corrupt them.
`-I` keeps this file's directory off `sys.path`: only the virtualenv and `APPS_DIR` are importable.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from typing import Any


def _protocol_stream() -> Any:
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("VmRSS not found in /proc/self/status")


def _error_text(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return text.splitlines()[0][:300] + where if text else type(exc).__name__


def probe(apps_dir: str, module: str) -> None:
    out = _protocol_stream()
    sys.path.insert(0, apps_dir)
    elapsed = 0
    if module != "-":
        start = time.perf_counter_ns()
        app = __import__(module).build()
        elapsed = time.perf_counter_ns() - start
        assert app is not None
    gc.collect()
    out.write(json.dumps({"import_build_ns": elapsed, "rss_kib": _rss_kib()}) + "\n")


class Served:
    """One built ASGI app, its event loop, lifespan and the pre-built requests it is timed with."""

    def __init__(self, app: Any, loop: Any) -> None:
        import asyncio

        self.app = app
        self.loop = loop
        self.state: dict[str, Any] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        self.lifespan: str = "unsupported"
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._lifespan_task: Any = None

    # lifespan -----------------------------------------------------------------------------------------------
    async def _run_lifespan(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, self._to_app.get, self._from_app.put)
        except BaseException as exc:  # an app without lifespan support raises: run without it, like uvicorn does
            await self._from_app.put({"type": "worker.error", "message": _error_text(exc)})
        await self._from_app.put({"type": "worker.returned"})

    async def startup(self) -> None:
        import asyncio

        self._lifespan_task = asyncio.get_running_loop().create_task(self._run_lifespan())
        await self._to_app.put({"type": "lifespan.startup"})
        message = await asyncio.wait_for(self._from_app.get(), 60)
        if message["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"lifespan startup failed: {message.get('message', '')}")
        if message["type"] == "lifespan.startup.complete":
            self.lifespan = "supported"

    async def shutdown(self) -> None:
        import asyncio

        if self.lifespan != "supported":
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(self._from_app.get(), 10)
        except TimeoutError:
            pass

    # requests -------------------------------------------------------------------------------------------------
    def add_request(self, endpoint: dict[str, Any]) -> None:
        headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
        headers += [(name.encode(), value.encode()) for name, value in endpoint["headers"]]
        body: bytes = endpoint["body"].encode()
        invalid: str | None = endpoint["invalid_body"]
        self.requests[endpoint["key"]] = {
            "endpoint": endpoint,
            "scope": self._scope(endpoint["method"], endpoint["path"], headers, body),
            "receive": self._receive(body),
            "invalid": None if invalid is None else self._receive(invalid.encode()),
            "invalid_scope": None
            if invalid is None
            else self._scope(endpoint["method"], endpoint["path"], headers, invalid.encode()),
        }

    @staticmethod
    def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> dict[str, Any]:
        if body:
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 54321),
            "scheme": "http",
            "root_path": "",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
        }

    @staticmethod
    def _receive(body: bytes) -> Any:
        message = {"type": "http.request", "body": body, "more_body": False}

        async def receive() -> dict[str, Any]:
            return message

        return receive

    async def _call_captured(self, scope: dict[str, Any], receive: Any) -> tuple[int | None, dict[str, str], bytes]:
        import asyncio

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        request_scope = dict(scope, state=self.state.copy())
        await asyncio.wait_for(self.app(request_scope, receive, send), 30)
        status = None
        headers: dict[str, str] = {}
        body = b""
        for message in sent:
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {bytes(k).decode().lower(): bytes(v).decode() for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")
        return status, headers, body

    async def check(self, key: str) -> str | None:
        """`None` when the app answers `key` correctly, else what is wrong."""
        request = self.requests[key]
        endpoint = request["endpoint"]
        status, headers, body = await self._call_captured(request["scope"], request["receive"])
        label = f"{endpoint['method']} {endpoint['path']}"
        problem = _compare(label, endpoint, status, headers, body)
        if problem or request["invalid"] is None:
            return problem
        status, _, body = await self._call_captured(request["invalid_scope"], request["invalid"])
        if status is None or not 400 <= status < 500:
            return f"{label} with an invalid body must be rejected with a 4xx, got {status} {body[:200]!r}"
        return None

    async def timed(self, key: str, n: int) -> int:
        """Nanoseconds for `n` calls, each with a fresh copy of the scope (as a server builds one per request)."""
        request = self.requests[key]
        app, scope, receive, state = self.app, request["scope"], request["receive"], self.state
        send = _discard
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(n):
            request_scope = scope.copy()
            request_scope["state"] = state.copy()
            await app(request_scope, receive, send)
        return clock() - start


async def _discard(message: dict[str, Any]) -> None:
    return None


def _compare(
    label: str, endpoint: dict[str, Any], status: int | None, headers: dict[str, str], body: bytes
) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = "<not JSON>"
    if status != endpoint["status"] or payload != endpoint["expected"]:
        return (
            f"{label}: expected {endpoint['status']} {json.dumps(endpoint['expected'])}, "
            f"got {status} {body[:300].decode(errors='replace')}"
        )
    if "application/json" not in headers.get("content-type", ""):
        return f"{label}: expected an application/json content-type, got {headers.get('content-type')!r}"
    return None


def _calibrate(served: Served, key: str, target_s: float, warmup_s: float) -> int:
    """Warm the endpoint up, then return how many calls take about `target_s`."""
    loop = served.loop
    n, elapsed = 10, 0
    deadline = time.perf_counter() + warmup_s
    while True:
        elapsed = loop.run_until_complete(served.timed(key, n))
        if time.perf_counter() >= deadline and elapsed > 20_000_000:
            break
        if elapsed < 20_000_000:
            n *= 2
    per_call = elapsed / n
    return max(20, int(target_s * 1e9 / per_call))


def serve(apps_dir: str, module: str, routes: int) -> None:
    out = _protocol_stream()

    def reply(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")

    sys.path.insert(0, apps_dir)
    try:
        import asyncio

        try:
            import uvloop

            loop = uvloop.new_event_loop()
            loop_name = "uvloop"
        except ImportError:
            loop = asyncio.new_event_loop()
            loop_name = "asyncio"
        asyncio.set_event_loop(loop)
        imported = __import__(module)
        app = imported.build_routing(routes) if routes else imported.build()
        served = Served(app, loop)
        loop.run_until_complete(served.startup())
    except BaseException as exc:
        reply({"ok": False, "error": _error_text(exc)})
        return
    reply({"ok": True, "lifespan": served.lifespan, "loop": loop_name, "plugins": _plugin_names(app)})

    for line in sys.stdin:
        command = json.loads(line)
        name = command["cmd"]
        try:
            if name == "add":
                for endpoint in command["endpoints"]:
                    served.add_request(endpoint)
                reply({"ok": True})
            elif name == "check":
                problems = [loop.run_until_complete(served.check(key)) for key in served.requests]
                reply({"ok": True, "problems": [problem for problem in problems if problem]})
            elif name == "calibrate":
                counts = {
                    key: _calibrate(served, key, command["target_s"], command["warmup_s"]) for key in served.requests
                }
                gc.collect()
                gc.freeze()
                reply({"ok": True, "n": counts})
            elif name == "run":
                gc.collect()
                # Wall and CPU time of the whole repeat: their ratio tells whether something else had this core.
                cpu_start, wall_start = time.thread_time_ns(), time.perf_counter_ns()
                ns = loop.run_until_complete(served.timed(command["key"], command["n"]))
                wall, cpu = time.perf_counter_ns() - wall_start, time.thread_time_ns() - cpu_start
                reply({"ok": True, "ns": ns, "wall_over_cpu": wall / max(1, cpu)})
            elif name == "quit":
                loop.run_until_complete(served.shutdown())
                reply({"ok": True})
                return
            else:
                reply({"ok": False, "error": f"unknown command {name!r}"})
        except BaseException as exc:
            reply({"ok": False, "error": _error_text(exc)})


def _plugin_names(app: Any) -> list[str] | None:
    """Names of the plugins registered in a Panther app of this project (`None` for other frameworks)."""
    names = getattr(getattr(app, "plugins", None), "names", None)
    try:
        return [str(name) for name in names()] if callable(names) else None
    except Exception:
        return None


def _versions(distributions: list[str]) -> dict[str, str]:
    from importlib import metadata

    found = {}
    for name in distributions:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def main() -> None:
    mode, apps_dir, module, *rest = sys.argv[1:]
    if mode == "probe":
        probe(apps_dir, module)
    elif mode == "serve":
        serve(apps_dir, module, int(rest[0]) if rest else 0)
    elif mode == "versions":
        print(json.dumps(_versions(rest)))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
