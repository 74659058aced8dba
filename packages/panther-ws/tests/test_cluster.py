"""Over the wire: two real uvicorn servers sharing the real Redis, driven by the ``websockets`` client library.

A socket held by one server process receives what an HTTP request to the other process sent, and is closed by it;
a group spans both. The handshake refusals are real HTTP answers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from panther.test.processes import free_port, free_ports, wait_until_serving

HERE = Path(__file__).resolve().parent
STARTUP_TIMEOUT = 20.0


class Server:
    """``uvicorn cluster_app:app`` in a subprocess."""

    def __init__(self, env: dict[str, str], *extra: str, port: int | None = None) -> None:
        self.port = port or free_port()
        command = [sys.executable, "-m", "uvicorn", "cluster_app:app", "--app-dir", str(HERE)]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        wait_until_serving(self.process, f"{self.http}/pid", STARTUP_TIMEOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        self.stop()
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""

    def post(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.http}{path}", data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def server_env(**values: str) -> dict[str, str]:
    dropped = ("PANTHER_DISABLE_PLUGIN_AUTOLOAD", "PANTHER_DISABLE_PLUGINS", "WEB_CONCURRENCY")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(values)
    return env


@pytest.fixture(scope="module")
def servers(request: pytest.FixtureRequest) -> Iterator[tuple[Server, Server]]:
    from panther.test.pytest_plugin import require
    from panther.test.services import SERVICES

    redis_url = require(request.config, SERVICES["redis"])
    env = server_env(CLUSTER_REDIS_URL=redis_url, CLUSTER_CHANNEL=f"panther-ws-cluster:{os.getpid()}:{time.time_ns()}")
    ports = free_ports(2)  # both chosen before either server binds its port: two different ones
    pair = (Server(env, port=ports[0]), Server(env, port=ports[1]))
    try:
        for server in pair:
            server.wait_ready()
        yield pair
    finally:
        for server in pair:
            server.stop()


async def post(server: Server, payload: dict[str, Any]) -> Any:
    status, body = await asyncio.to_thread(server.post, "/deliver", payload)
    assert status == 200, body
    return body


async def joined(server: Server, room: str) -> tuple[ClientConnection, str, int]:
    ws = await connect(f"{server.ws}/rooms/{room}")
    hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return ws, hello["id"], hello["pid"]


async def recv(ws: ClientConnection) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), 5)


async def nothing_arrives(ws: ClientConnection, seconds: float = 0.3) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


@pytest.mark.panther_redis
async def test_a_socket_on_one_process_receives_what_the_other_sent(servers: tuple[Server, Server]) -> None:
    a, b = servers
    ws, connection_id, holder_pid = await joined(a, "solo")
    try:
        assert ws.response is not None and ws.response.headers["X-Worker"] == str(holder_pid)
        sender = await post(b, {"id": connection_id, "data": {"hello": "from the other process"}})
        assert sender["pid"] != holder_pid  # two real processes
        assert json.loads(await recv(ws)) == {"hello": "from the other process"}
        await post(b, {"id": connection_id, "bytes": base64.b64encode(b"\x00\x01\xfe\xff").decode()})
        assert await recv(ws) == b"\x00\x01\xfe\xff"
        await post(b, {"id": connection_id, "data": "plain text"})
        assert await recv(ws) == "plain text"
        await post(b, {"id": connection_id, "close": True, "code": 4100, "reason": "closed by the other process"})
        with pytest.raises(ConnectionClosed) as closed:
            await recv(ws)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4100, "closed by the other process")
    finally:
        await ws.close()


@pytest.mark.panther_redis
async def test_a_group_spans_both_processes(servers: tuple[Server, Server]) -> None:
    a, b = servers
    on_a, _, pid_a = await joined(a, "lobby")
    on_b, _, pid_b = await joined(b, "lobby")
    elsewhere, _, _ = await joined(b, "kitchen")
    try:
        assert pid_a != pid_b
        await post(a, {"group": "lobby", "data": "to everyone in the lobby"})
        assert await recv(on_a) == "to everyone in the lobby"
        assert await recv(on_b) == "to everyone in the lobby"
        await on_a.send("from a socket on A")  # the endpoint forwards to the group, except the sender
        assert await recv(on_b) == "from a socket on A"
        assert await nothing_arrives(on_a) and await nothing_arrives(elsewhere)
    finally:
        for ws in (on_a, on_b, elsewhere):
            await ws.close()


@pytest.mark.panther_redis
async def test_handshake_refusals_are_http_answers(servers: tuple[Server, Server]) -> None:
    a, _ = servers
    async with connect(f"{a.ws}/seats/7") as ws:
        assert json.loads(await recv(ws)) == {"seat": 7}
    with pytest.raises(InvalidStatus) as bad_variable:
        await connect(f"{a.ws}/seats/seven")
    assert bad_variable.value.response.status_code == 400
    assert json.loads(bad_variable.value.response.body or b"") == {"detail": "Path variable `seven` is not `int`"}
    with pytest.raises(InvalidStatus) as denied:
        await connect(f"{a.ws}/private")
    assert denied.value.response.status_code == 403
    assert json.loads(denied.value.response.body or b"") == {"detail": "Permission Denied"}
    with pytest.raises(InvalidStatus) as missing:
        await connect(f"{a.ws}/nowhere")
    assert missing.value.response.status_code == 404
    status, body = await asyncio.to_thread(_get, f"{a.http}/rooms/x")
    assert (status, body) == (426, {"detail": "This service requires use of the WebSocket protocol."})


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.panther_redis
async def test_a_crash_in_receive_closes_that_socket_only(servers: tuple[Server, Server]) -> None:
    a, _ = servers
    crashing, _, _ = await joined(a, "crash-room")
    other, other_id, _ = await joined(a, "other-room")
    try:
        await crashing.send("crash")
        with pytest.raises(ConnectionClosed) as closed:
            await recv(crashing)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
        await post(a, {"id": other_id, "data": "the server carries on"})
        assert await recv(other) == "the server carries on"
    finally:
        await other.close()


def test_several_workers_without_redis_warn_at_startup() -> None:
    server = Server(server_env(), "--workers", "2")
    try:
        server.wait_ready()
    finally:
        output = server.output()
    assert output.count("2 workers and no REDIS") == 2, output  # once per worker
