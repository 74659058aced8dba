"""For tests that drive a real headless Chromium through Playwright (Debian's ``chromium`` package)."""

from __future__ import annotations

import shutil

import pytest

from panther.test.services import in_ci

__all__ = ["require_chromium"]


def require_chromium() -> str:
    """The path of the Chromium executable; the calling test is skipped (failed under ``CI=true``) with the reason
    when Chromium or Playwright is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = None
    if path is None:
        missing = "Chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install playwright)"
    if missing is not None:
        if in_ci():
            pytest.fail(f"{missing}; CI=true, so a missing browser fails the test.", pytrace=False)
        pytest.skip(missing)
    assert path is not None
    return path
