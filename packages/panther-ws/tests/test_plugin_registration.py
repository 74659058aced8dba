"""The `ws` plugin is found through its entry point and can be disabled by name."""

import importlib.metadata

from panther import Panther


def test_entry_point_is_declared():
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="panther")}
    assert names["ws"] == "panther.websocket.plugin"


def test_registered_in_a_new_app(monkeypatch):
    monkeypatch.delenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("PANTHER_DISABLE_PLUGINS", raising=False)
    app = Panther(__name__, configs={}, urls={})
    assert app.plugins.has("ws")
    assert "ws" in [info.name for info in app.plugins.info()]


def test_disabled_by_name(monkeypatch):
    monkeypatch.delenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    app = Panther(__name__, configs={}, urls={}, disable_plugins=["ws"])
    assert not app.plugins.has("ws")
    monkeypatch.setenv("PANTHER_DISABLE_PLUGINS", "ws")
    assert not Panther(__name__, configs={}, urls={}).plugins.has("ws")
