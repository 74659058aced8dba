"""The `db` plugin is found through its entry point and can be disabled by name."""

import importlib.metadata

from panther import Panther


def test_entry_point_is_declared():
    names = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="panther")}
    assert names["db"] == "panther.db.plugin"


def test_registered_in_a_new_app(monkeypatch):
    monkeypatch.delenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("PANTHER_DISABLE_PLUGINS", raising=False)
    app = Panther(__name__, configs={}, urls={})
    assert app.plugins.has("db")
    assert "db" in [info.name for info in app.plugins.info()]


def test_disabled_by_name(monkeypatch):
    monkeypatch.delenv("PANTHER_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    app = Panther(__name__, configs={}, urls={}, disable_plugins=["db"])
    assert not app.plugins.has("db")
    monkeypatch.setenv("PANTHER_DISABLE_PLUGINS", "db")
    assert not Panther(__name__, configs={}, urls={}).plugins.has("db")
