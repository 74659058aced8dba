"""Fixtures of panther-openapi's tests: apps with the plugin registered, and a real uvicorn server.

``make_app`` registers the plugin explicitly, so the tests do not depend on entry-point autoloading. ``served``
starts ``docs_app.py`` (next to this file) under uvicorn on a free loopback port, for the browser and
schemathesis tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import panther.openapi.plugin
from panther import Panther
from panther.test.processes import free_port, stop_process, wait_until_serving

HERE = Path(__file__).resolve().parent


@pytest.fixture
def make_app(panther_app_factory: Callable[..., Panther]) -> Callable[..., Panther]:
    def build(urls: dict[str, Any], configs: dict[str, Any] | None = None, **kwargs: Any) -> Panther:
        plugins = [panther.openapi.plugin, *kwargs.pop("plugins", [])]
        return panther_app_factory(urls=urls, configs=configs or {}, plugins=plugins, **kwargs)

    return build


def start_uvicorn(app: str, app_dir: Path, ready_path: str, env: dict[str, str] | None = None) -> tuple[Any, str]:
    """Start ``uvicorn app`` on a free port; return the process and the base URL once ``ready_path`` answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--app-dir", str(app_dir), "--port", str(port), "--no-access-log"],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(server, url + ready_path, timeout=20)
    return server, url


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The base URL of ``docs_app.py`` under a real uvicorn server (docs mounted at ``/docs/``)."""
    server, url = start_uvicorn("docs_app:app", HERE, "/docs/openapi.json")
    try:
        yield url
    finally:
        stop_process(server)
