"""The project's own pytest settings fail a test on a warning raised from Panther's modules, and only those."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILTERS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["filterwarnings"]


def test_a_warning_from_panthers_code_fails_and_others_do_not(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings =\n" + "".join(f"    {line}\n" for line in FILTERS))
    pytester.makepyfile(
        """
        import warnings

        import pytest

        def warn_from(module, category=DeprecationWarning):
            warnings.warn_explicit("deprecated call", category, "x.py", 1, module=module)

        @pytest.mark.parametrize("module", ["panther", "panther.main", "panther.db.models"])
        def test_from_panther(module):
            warn_from(module)

        @pytest.mark.parametrize("module", ["pantherdb", "pydantic.main", "test_mine"])
        def test_from_elsewhere(module):
            warn_from(module)

        def test_resource_warning_from_panther():  # the garbage collector's location, not a culprit
            warn_from("panther.main", ResourceWarning)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(failed=3, passed=4, warnings=3)
    result.stdout.fnmatch_lines(["E * DeprecationWarning: deprecated call"])
