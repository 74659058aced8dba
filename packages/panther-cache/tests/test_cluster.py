"""Across processes: two real uvicorn servers on one Redis share the limit (R requests in total, not 2R) and the
response cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from panther.test.processes import free_ports, stop_process, wait_until_serving

pytestmark = [pytest.mark.panther_redis, pytest.mark.slow]

SERVERS = Path(__file__).resolve().parent / "servers"
RATE = 20


def fetch(url: str) -> tuple[int, dict[str, str], dict[str, int]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "shared_limit:app", "--app-dir", str(SERVERS), "--port", str(port)]
    return subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def two_servers(panther_redis_url: str, redis_prefix: str) -> Iterator[list[str]]:
    env = dict(os.environ)
    env.pop("PANTHER_DISABLE_PLUGIN_AUTOLOAD", None)  # the servers load panther-cache like a deployed app
    env.update(SHARED_LIMIT_RATE=str(RATE), SHARED_LIMIT_REDIS_URL=panther_redis_url, SHARED_LIMIT_PREFIX=redis_prefix)
    ports = free_ports(2)
    servers = [start_server(port, env) for port in ports]
    try:
        for server, port in zip(servers, ports):
            wait_until_serving(server, f"http://127.0.0.1:{port}/ready")
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.terminate()  # both shut down at once
        for server in servers:
            stop_process(server)


def test_two_processes_let_rate_requests_through_in_total(two_servers: list[str]) -> None:
    if time.time() % 3600 > 3600 - 15:  # the hour's window ends within the test: count in the next one
        time.sleep(3600 - time.time() % 3600 + 0.5)
    urls = [f"{two_servers[i % 2]}/limited" for i in range(3 * RATE)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(fetch, urls))
    statuses = [status for status, _, _ in answers]
    assert statuses.count(200) == RATE and statuses.count(429) == 2 * RATE
    # Both processes answered and both refused: neither counted on its own (that would allow 2 x RATE).
    refused_by = {two_servers[i % 2] for i, (status, _, _) in enumerate(answers) if status == 429}
    assert refused_by == set(two_servers)
    remaining = sorted(int(headers["x-ratelimit-remaining"]) for status, headers, _ in answers if status == 200)
    assert remaining == list(range(RATE))


def test_a_response_cached_by_one_process_is_served_by_the_other(two_servers: list[str]) -> None:
    first, second = two_servers
    _, _, made = fetch(f"{first}/cached")
    _, _, ready = fetch(f"{second}/ready")
    assert made["pid"] != ready["pid"]
    _, _, served = fetch(f"{second}/cached")
    assert served == made
