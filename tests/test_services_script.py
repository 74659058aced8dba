"""``scripts/services``: what it tells a user to export is what the tests read, and nothing when the ports are the
defaults (the servers themselves are started by CI, not here)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from panther.test.services import SERVICES

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "services"
VARIABLES = ("PANTHER_TEST_REDIS_URL", "PANTHER_TEST_MONGODB_URL", "PANTHER_REDIS_PORT", "PANTHER_MONGO_PORT")


def bash(code: str, **env: str) -> str:
    """Run ``code`` in bash with the script sourced, in an environment without the test variables plus ``env``."""
    clean = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    result = subprocess.run(
        ["bash", "-c", f"source {SCRIPT}; {code}"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def exported(output: str) -> dict[str, str]:
    """The variables that ``eval "$(...)"`` of ``output``'s `export` lines sets."""
    lines = "\n".join(line for line in output.splitlines() if line.startswith("export "))
    values = bash(f'{lines}\nprintf "%s\\n" "$PANTHER_TEST_REDIS_URL" "$PANTHER_TEST_MONGODB_URL"').splitlines()
    return dict(zip(("redis", "mongodb"), values))


def test_env_prints_what_the_tests_use_by_default() -> None:
    urls = exported(bash("print_env"))
    assert urls == {"redis": SERVICES["redis"].default_url, "mongodb": SERVICES["mongodb"].default_url}


def test_default_ports_need_nothing_exported() -> None:
    advice = bash("advise")
    assert "nothing to export" in advice
    assert "export " not in advice


def test_other_ports_print_the_exports_to_eval() -> None:
    advice = bash("advise", PANTHER_REDIS_PORT="6390")
    assert "PANTHER_TEST_REDIS_URL must point at these servers" in advice
    assert [line for line in advice.splitlines() if line.startswith("export ")] == [
        "export PANTHER_TEST_REDIS_URL=redis://127.0.0.1:6390/0"
    ]
    both = bash("advise; print_env", PANTHER_REDIS_PORT="6390", PANTHER_MONGO_PORT="27018")
    assert exported(both) == {"redis": "redis://127.0.0.1:6390/0", "mongodb": "mongodb://127.0.0.1:27018"}


def test_a_variable_pointing_elsewhere_is_called_out() -> None:
    advice = bash("advise", PANTHER_TEST_MONGODB_URL="mongodb://elsewhere:27017")
    assert "PANTHER_TEST_MONGODB_URL must point at these servers" in advice
    assert "export PANTHER_TEST_MONGODB_URL=mongodb://127.0.0.1:27017" in advice.splitlines()


@pytest.mark.parametrize("command", ["bogus", ""])
def test_unknown_command_prints_the_usage(command: str) -> None:
    result = subprocess.run([str(SCRIPT), command], capture_output=True, text=True)
    assert result.returncode == 2
    assert "start|stop|restart|status|install|env" in result.stderr
