"""Fixtures of the reliability suite (the pieces they use are in ``harness.py``), the skip of the long runs
unless ``PANTHER_RELIABILITY_LONG=1``, and the count of fuzz cases printed at the end of the run."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# `everything` (the app) and `harness` are imported by name, here, by the tests and by uvicorn.
sys.path.insert(0, str(Path(__file__).parent))

from everything import create_app
from harness import CASES, FIGURES, LONG, Driver, ErrorLog


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="a long run: `hatch run reliability` (PANTHER_RELIABILITY_LONG=1)")
    for item in items:
        if item.get_closest_marker("long") and not LONG:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CASES:
        terminalreporter.section("fuzz cases")
        for name, count in sorted(CASES.items()):
            terminalreporter.write_line(f"{name}: {count}")
        terminalreporter.write_line(f"total: {sum(CASES.values())}")
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture(scope="module")
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    # Panther's logger may not propagate: watch it too.
    panther_logger = logging.getLogger("panther")
    extra = not panther_logger.propagate
    if extra:
        panther_logger.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    if extra:
        panther_logger.removeHandler(handler)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory, error_log: ErrorLog) -> Iterator[Driver]:
    driver = Driver(create_app(tmp_path_factory.mktemp("everything")))
    yield driver
    driver.close()
