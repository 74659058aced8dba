"""``assert_plugin_installed`` fails for a plugin that is not installed (and passes for one that is)."""

import pytest

from panther.test.plugins import assert_plugin_installed


def test_unknown_plugin_fails() -> None:
    with pytest.raises(AssertionError, match="entry point 'nope'"):
        assert_plugin_installed("nope", "panther.nope.plugin")


def test_wrong_module_fails() -> None:
    pytest.importorskip("panther.db", reason="needs an installed plugin to compare against")
    with pytest.raises(AssertionError, match=r"expected 'panther\.elsewhere'"):
        assert_plugin_installed("db", "panther.elsewhere")
