"""One virtualenv per app under `bench/.venvs/`, reused while its requirements (and local sources) are unchanged."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.registry import AppSpec

MARKER = ".bench-env.json"
_SKIPPED_PARTS = {"__pycache__", "tests", "build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


class EnvError(Exception):
    """The virtualenv of an app could not be prepared."""


@dataclass(frozen=True)
class Env:
    app: AppSpec
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def source_hash(repo: Path, directories: tuple[str, ...]) -> str:
    """Hash of every file that goes into the local packages (tests and caches excluded)."""
    digest = hashlib.sha256()
    for directory in directories:
        root = repo / directory
        if not root.is_dir():
            raise EnvError(f"{directory} does not exist")
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root)
            if not file.is_file() or _SKIPPED_PARTS.intersection(relative.parts) or file.name.endswith(".pyc"):
                continue
            digest.update(f"{directory}/{relative.as_posix()}\0".encode())
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def snapshot(repo: Path, directories: set[str], target: Path) -> Path:
    """Copy the local packages to `target`, so that every virtualenv of a run installs the very same sources even
    while they are being edited, and the recorded hash is the hash of what was installed."""
    for directory in sorted(directories):
        if (repo / directory).is_dir():
            shutil.copytree(
                repo / directory, target / directory, ignore=shutil.ignore_patterns(*_SKIPPED_PARTS, "*.pyc")
            )
    return target


def _pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [
            line
            for line in (result.stderr + result.stdout).splitlines()
            if line.strip() and "is ignored: it is neither a file nor a directory" not in line
        ]
        raise EnvError("pip install failed: " + " | ".join(lines[-6:]))


def prepare(app: AppSpec, root: Path, venvs: Path, rebuild: bool = False, log: bool = True) -> Env:
    """Create (or reuse) the virtualenv of `app` (local packages are read from `root`); raise `EnvError` on failure."""
    env = Env(app, venvs / app.key)
    wanted = {
        "python": sys.version.split()[0],
        "requirements": list(app.all_requirements),
        "local_packages": list(app.local_packages),
    }
    local_hash = source_hash(root, app.local_packages) if app.local_packages else ""
    marker = env.path / MARKER
    current: dict[str, object] = json.loads(marker.read_text()) if marker.is_file() and not rebuild else {}
    same_requirements = bool(current) and {key: current.get(key) for key in wanted} == wanted
    if same_requirements and env.python.exists() and current.get("local_hash") == local_hash:
        return env
    fresh = not same_requirements or not env.python.exists()
    if fresh:
        if log:
            print(f"  creating virtualenv for {app.key} ...", flush=True)
        shutil.rmtree(env.path, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(env.path)], check=True, capture_output=True)
    elif log:
        print(f"  reinstalling the local packages of {app.key} (sources changed) ...", flush=True)
    marker.unlink(missing_ok=True)
    local = [str(root / directory) for directory in app.local_packages]
    _pip(env.python, *app.all_requirements, *local)
    if local and not fresh:
        # Same version number as the installed copy: force pip to rebuild the changed sources.
        _pip(env.python, "--force-reinstall", "--no-deps", *local)
    marker.write_text(json.dumps({**wanted, "local_hash": local_hash}, indent=2) + "\n")
    return env
