"""Where the test Redis and MongoDB servers are, and a quick check that one answers (a TCP connect, no driver).

URLs come from ``PANTHER_TEST_REDIS_URL`` and ``PANTHER_TEST_MONGODB_URL`` (by default, the standard ports on
127.0.0.1). A test marked ``panther_redis``/``panther_mongodb`` is skipped when its server is not reachable, except
under ``CI=true``, where a missing server is a failure: CI must not go green by skipping the tests it exists to run.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["SERVICES", "Service", "in_ci", "reachable"]

CONNECT_TIMEOUT = 0.5


@dataclass(frozen=True, slots=True)
class Service:
    """A server some tests need: its marker name, display name, URL variable, default URL and default port."""

    marker: str
    title: str
    env: str
    default_url: str
    default_port: int

    @property
    def url(self) -> str:
        return os.environ.get(self.env) or self.default_url

    def display_url(self) -> str:
        """The URL without credentials or database, for messages: ``redis://127.0.0.1:6379``."""
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            return f"unix://{parts.path}"
        hosts = ",".join(f"{host}:{port}" for host, port in endpoints(self.url, self.default_port))
        return f"{parts.scheme}://{hosts}"

    def unreachable_reason(self) -> str:
        return f"{self.title} not reachable at {self.display_url()} (set {self.env})"


SERVICES: dict[str, Service] = {
    "redis": Service("panther_redis", "Redis", "PANTHER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0", 6379),
    "mongodb": Service("panther_mongodb", "MongoDB", "PANTHER_TEST_MONGODB_URL", "mongodb://127.0.0.1:27017", 27017),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def endpoints(url: str, default_port: int) -> list[tuple[str, int]]:
    """The ``(host, port)`` pairs of a URL; MongoDB URLs may list several hosts (``mongodb://a:1,b:2/db``)."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    result = []
    for item in netloc.split(","):
        if item.startswith("["):  # [::1]:27017
            host, _, rest = item[1:].partition("]")
            port = rest.lstrip(":")
        else:
            host, _, port = item.partition(":")
        result.append((host or "127.0.0.1", int(port) if port.isdigit() else default_port))
    return result


def reachable(url: str, default_port: int) -> bool:
    """Whether something accepts connections at ``url`` (any of its hosts)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return _connects(socket.AF_UNIX, parts.path)
    if parts.scheme.endswith("+srv"):  # the hosts come from DNS SRV records; leave it to the driver
        return True
    for host, port in endpoints(url, default_port):
        try:
            with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
                return True
        except OSError:
            continue
    return False


def _connects(family: int, address: str) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect(address)
            return True
    except OSError:
        return False
