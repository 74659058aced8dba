"""The vendored UI files: all there, unchanged since they were fetched, with their licences; the wheel ships them
(building it needs no network)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from panther.openapi.assets import BUNDLES, STATIC_DIR, find_asset

PACKAGE = Path(__file__).resolve().parents[1]


def test_vendored_files_match_what_the_fetch_script_recorded() -> None:
    result = subprocess.run(
        [sys.executable, str(PACKAGE / "scripts" / "fetch_assets.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("ui", sorted(BUNDLES))
def test_every_bundle_has_its_files_and_a_licence(ui: str) -> None:
    bundle = BUNDLES[ui]
    directory = STATIC_DIR / bundle.directory
    assert bundle.version in bundle.directory  # a new version is a new URL: the year-long cache stays right
    for name in bundle.names():
        asset = find_asset(bundle.directory, name)
        assert asset is not None and asset.path == directory / name and asset.path.stat().st_size > 0
    licences = [name for name in bundle.names() if "LICENSE" in name]
    assert licences and all((directory / name).read_text().strip() for name in licences)


def test_only_listed_files_are_found() -> None:
    assert find_asset("swagger-ui-dist-5.35.0", "SHA256SUMS") is None
    assert find_asset("..", "assets.py") is None


def test_the_redoc_patch_removed_its_only_cdn_url() -> None:
    text = (STATIC_DIR / BUNDLES["redoc"].directory / "redoc.standalone.js").read_text(encoding="utf-8")
    assert "cdn.redoc.ly" not in text


@pytest.mark.slow
def test_the_wheel_ships_the_templates_and_static_files(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="builds the wheel with hatchling")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=PACKAGE,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("panther_openapi-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for bundle in BUNDLES.values():
        for name in bundle.names():
            assert f"panther/openapi/static/{bundle.directory}/{name}" in names
    assert {
        f"panther/openapi/templates/{ui}.html" for ui in ("swagger", "redoc", "scalar", "rapidoc", "spotlight")
    } <= names
