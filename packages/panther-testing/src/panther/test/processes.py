"""For tests that run an app in a real server process (uvicorn on a port): a free port, and a clean stop."""

from __future__ import annotations

import socket
import subprocess

__all__ = ["free_port", "free_ports", "stop_process"]


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
