"""The built wheels share the ``panther`` namespace safely: only panther-core ships ``panther/__init__.py`` and
every plugin wheel ships only its own sub-packages (a stray ``__init__.py`` would overwrite the core's on install)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Each distribution and the top-level entries it may ship under ``panther/``.
EXPECTED = {
    "panther-core": None,  # the core ships panther/__init__.py and its modules
    "panther-db": {"db", "serializer", "generics", "pagination"},
    "panther-ws": {"websocket"},
    "panther-auth": {"authentications"},
    "panther-cache": {"throttling", "caching"},
    "panther-tasks": {"background_tasks"},
    "panther-openapi": {"openapi"},
    "panther-testing": {"test"},
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    out = tmp_path_factory.mktemp("wheels")
    contents = {}
    for distribution in EXPECTED:
        subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
            cwd=ROOT / "packages" / distribution,
            check=True,
            capture_output=True,
        )
        wheel = next(out.glob(f"{distribution.replace('-', '_')}-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            contents[distribution] = [n for n in archive.namelist() if ".dist-info/" not in n]
        wheel.unlink()
    return contents


@pytest.mark.slow
def test_every_package_builds_a_wheel(wheels: dict[str, list[str]]) -> None:
    assert set(wheels) == set(EXPECTED)
    for distribution, names in wheels.items():
        assert names, f"{distribution} built an empty wheel"
        assert all(name.startswith("panther/") for name in names), f"{distribution}: files outside panther/"


@pytest.mark.slow
def test_only_core_ships_the_namespace_init(wheels: dict[str, list[str]]) -> None:
    owners = [dist for dist, names in wheels.items() if "panther/__init__.py" in names]
    assert owners == ["panther-core"]
    assert "panther/py.typed" in wheels["panther-core"]


@pytest.mark.slow
def test_plugin_wheels_ship_only_their_sub_packages(wheels: dict[str, list[str]]) -> None:
    core_top = {name.split("/")[1].removesuffix(".py") for name in wheels["panther-core"]}
    for distribution, allowed in EXPECTED.items():
        if allowed is None:
            continue
        top = {name.split("/")[1] for name in wheels[distribution]}
        assert top <= allowed, f"{distribution} ships {sorted(top - allowed)} outside its sub-packages"
        assert not top & core_top, f"{distribution} overlaps the core: {sorted(top & core_top)}"
        for package in top:
            assert f"panther/{package}/__init__.py" in wheels[distribution], f"{package} must be a regular package"
            assert f"panther/{package}/py.typed" in wheels[distribution], f"{package} needs its own py.typed"
