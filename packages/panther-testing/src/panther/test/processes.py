"""For tests that run an app in a real server process (uvicorn on a port): a free port, and a clean stop."""

from __future__ import annotations

import socket
import subprocess

__all__ = ["free_port", "stop_process"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, for a server the test starts."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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
