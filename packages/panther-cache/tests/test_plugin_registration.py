"""The `cache` plugin is found through its entry point and can be disabled by name."""

from panther.test.plugins import assert_plugin_installed


def test_plugin_is_installed_and_can_be_disabled() -> None:
    assert_plugin_installed("cache", "panther.caching.plugin")
