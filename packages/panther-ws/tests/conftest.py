"""Fixtures for panther-ws's tests: apps built with the installed ``ws`` plugin, driven by panther-testing's
clients (and, in ``test_cluster.py``, by real uvicorn servers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    # The ws plugin comes from its entry point, as it does for users.
    monkeypatch.delenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("PANTHER_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)


@pytest.fixture
def channel() -> str:
    """A Redis channel of this test's own: pub/sub channels are shared by every database of a server, and other
    test suites may use the same server at the same time."""
    return f"panther-ws-test:{uuid.uuid4().hex}"


@pytest.fixture
def redis_configs(panther_redis_url: str, channel: str) -> Iterator[dict[str, Any]]:
    yield {"REDIS": {"url": panther_redis_url}, "WS_REDIS_CHANNEL": channel}
