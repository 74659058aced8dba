"""Fixtures for panther-testing's own tests (the plugin's fixtures come from its entry point, as for users)."""

from __future__ import annotations

import pytest

# pytester comes from the root config's addopts (`-p pytester`).


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    # The WebSocket tests bring their own scope handler; an installed panther-ws would handle the same scope type.
    monkeypatch.setenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("PANTHER_DISABLE_PLUGINS", raising=False)
