"""For tests that run an app in a real server process (uvicorn on a port): free ports, waiting for the server to
answer, and a clean stop."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request

import pytest

__all__ = ["free_port", "free_ports", "stop_process", "wait_until_serving"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, for a server the test starts."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` different free ports, for servers started together.

    Two calls of ``free_port`` before either server has bound its port may return the same one (the kernel hands a
    released port out again); these sockets stay bound until all the ports are known.
    """
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_until_serving(process: subprocess.Popen[bytes], url: str, timeout: float = 30) -> bytes:
    """The body of ``url`` once the server ``process`` answers it with a success.

    Fails the test with the server's output (read from its stdout pipe) if the process exits first, or kills it and
    fails if it has not answered within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{_output(process)}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                body: bytes = response.read()
                return body
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"the server did not answer {url} within {timeout:g} s:\n{_output(process)}")
            time.sleep(0.05)


def _output(process: subprocess.Popen[bytes]) -> str:
    if process.stdout is None or process.stdout.closed:
        return ""
    data = process.stdout.read()
    return data.decode(errors="replace") if isinstance(data, bytes) else str(data)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a server process: SIGTERM (a clean shutdown, its lifespan runs), SIGKILL if it is not gone within
    ``timeout`` seconds; then close its output pipe."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()
