"""Once per cluster, for real: two uvicorn servers of the same app against the real Redis.

The app declares an every-second task at module level (as upstream projects do); each run appends
``"<pid> <time>"`` to a Redis list. Over a few seconds each second must have run exactly once in total — not once
per server — and when the server that ran last is killed, the runs go on in the other one.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from panther.background_tasks.leases import RUNNING_TTL
from panther.test.processes import free_port, stop_process, wait_until_serving

pytestmark = [pytest.mark.panther_redis, pytest.mark.slow]

APP = """
import os
import time

from panther import Panther
from panther.app import API
from panther.background_tasks import BackgroundTask
from panther.context import current_app

PREFIX = os.environ["TASKS_TEST_PREFIX"]


async def tick():
    await current_app().redis.rpush(f"{PREFIX}:runs", f"{os.getpid()} {time.time():.3f}")


@API()
async def health():
    return {"pid": os.getpid()}


app = Panther(
    __name__,
    configs={
        "BACKGROUND_TASKS": True,
        "REDIS": {"url": os.environ["TASKS_TEST_REDIS"]},
        "BACKGROUND_TASKS_KEY_PREFIX": PREFIX,
    },
    urls={"health": health},
)
BackgroundTask(tick).every_seconds(1).interval(-1).submit()
"""


@pytest.fixture
def servers(tmp_path: Path, panther_redis_url: str) -> Iterator[tuple[str, dict[int, subprocess.Popen[bytes]]]]:
    (tmp_path / "cluster_app.py").write_text(textwrap.dedent(APP))
    prefix = f"panther-test:cluster:{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "TASKS_TEST_PREFIX": prefix,
        "TASKS_TEST_REDIS": panther_redis_url,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("PANTHER_DISABLE_PLUGIN_AUTOLOAD", None)
    processes: dict[int, subprocess.Popen[bytes]] = {}
    started = []
    try:
        for _ in range(2):
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "cluster_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
            server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            started.append(server)
            health = wait_until_serving(server, f"http://127.0.0.1:{port}/health/", timeout=20)
            processes[int(health.decode().split(":")[1].strip(" }"))] = server
        yield prefix, processes
    finally:
        for server in started:
            stop_process(server)
        import redis

        client = redis.Redis.from_url(panther_redis_url)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def read_runs(panther_redis_url: str, prefix: str) -> list[tuple[int, float]]:
    import redis

    client = redis.Redis.from_url(panther_redis_url)
    try:
        return [
            (int(pid), float(at))
            for pid, at in (item.decode().split() for item in client.lrange(f"{prefix}:runs", 0, -1))
        ]
    finally:
        client.close()


def assert_once_per_second(runs: list[tuple[int, float]], start: float, end: float) -> None:
    """Every whole second strictly inside (start, end) ran exactly once in the cluster."""
    seconds = [math.floor(at) for _, at in runs]
    duplicates = sorted({s for s in seconds if seconds.count(s) > 1})
    assert not duplicates, f"seconds run more than once: {duplicates} in {runs}"
    expected = set(range(math.floor(start) + 1, math.floor(end)))
    assert expected <= set(seconds), f"missing runs for {sorted(expected - set(seconds))}"


def test_two_servers_run_each_scheduled_run_once(
    servers: tuple[str, dict[int, subprocess.Popen[bytes]]], panther_redis_url: str
) -> None:
    prefix, processes = servers
    start = time.time()
    time.sleep(4.2)
    end = time.time()
    runs = read_runs(panther_redis_url, prefix)
    assert_once_per_second(runs, start, end)
    window = [run for run in runs if start < run[1] < end]
    assert 3 <= len(window) <= 5, f"an every-second task ran {len(window)} times in 4.2 s by two servers: {runs}"
    assert {pid for pid, _ in runs} <= set(processes)

    # Kill the server that ran last, without a shutdown: its leases are left behind and expire. Mid-second, when no
    # run of the every-second task is in progress: a server killed during a run leaves the task's running lease
    # too, and the survivor then runs the next slot late, in the same wall-clock second as the one after it.
    time.sleep((1.5 - time.time() % 1) % 1)
    runs = read_runs(panther_redis_url, prefix)
    last_pid = runs[-1][0]
    processes[last_pid].send_signal(signal.SIGKILL)
    processes[last_pid].wait()
    killed_at = time.time()
    survivor = next(pid for pid in processes if pid != last_pid)
    deadline = killed_at + RUNNING_TTL + 5
    while time.time() < deadline:
        after = [run for run in read_runs(panther_redis_url, prefix) if run[1] > killed_at]
        if len(after) >= 3:
            break
        time.sleep(0.2)
    after = [run for run in read_runs(panther_redis_url, prefix) if run[1] > killed_at]
    assert len(after) >= 3, "the surviving server did not take over the schedule"
    assert {pid for pid, _ in after} == {survivor}
    assert_once_per_second(read_runs(panther_redis_url, prefix), start, start)  # still no second run twice
