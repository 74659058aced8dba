#!/usr/bin/env python3
"""Vendor the documentation UIs' files into ``src/panther/openapi/static/`` from the npm registry.

    python packages/panther-openapi/scripts/fetch_assets.py            # fetch what is missing or changed
    python packages/panther-openapi/scripts/fetch_assets.py --check    # only check the vendored files

The packages, versions, tarball hashes and files are pinned in ``panther/openapi/assets.py`` (``BUNDLES``). Each
tarball is downloaded with ``npm pack`` (so npm's configured registry and proxy apply), its sha512 is compared
with the pinned integrity, and the listed files are copied flat into ``static/<package>-<version>/`` with the
package's licence and a ``SHA256SUMS`` of what was copied. A bundle's ``patches`` (each with its reason) are
applied to the copies, only ever to keep a page from loading something from another host.

Run it after changing a pin, and commit the result: building the wheel and running the app never touch the
network. ``--check`` needs no network: it compares every vendored file with its ``SHA256SUMS`` and reports
missing, extra or changed files.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

# The pins, read from the package's own module (loaded as a file: it needs only the standard library).
_spec = importlib.util.spec_from_file_location(
    "_panther_openapi_assets", Path(__file__).resolve().parents[1] / "src" / "panther" / "openapi" / "assets.py"
)
assert _spec is not None and _spec.loader is not None
assets = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = assets  # dataclasses look their module up while the class is created
_spec.loader.exec_module(assets)
if TYPE_CHECKING:
    from panther.openapi.assets import Bundle
else:
    Bundle = assets.Bundle
BUNDLES: dict[str, Bundle] = assets.BUNDLES
STATIC_DIR: Path = assets.STATIC_DIR

#: Written as LICENSE for a package whose tarball ships no licence file (its package.json declares MIT).
MIT_TEXT = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def sha512_integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_pack(bundle: Bundle, into: Path) -> Path:
    """Download the bundle's tarball with npm and check it against the pinned integrity."""
    spec = f"{bundle.package}@{bundle.version}"
    result = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    (info,) = json.loads(result.stdout)
    tarball = into / info["filename"]
    actual = sha512_integrity(tarball)
    if actual != bundle.integrity:
        raise SystemExit(f"{spec}: the tarball's hash is {actual}, not the pinned {bundle.integrity}")
    return tarball


def vendor(bundle: Bundle, tarball: Path) -> None:
    target = STATIC_DIR / bundle.directory
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        for path in (*bundle.files, *bundle.licence_files):
            member = archive.getmember(f"package/{path}")
            source = archive.extractfile(member)
            if source is None:
                raise SystemExit(f"{bundle.package}: {path} is not a file in the tarball")
            (target / Path(path).name).write_bytes(source.read())
        if not bundle.licence_files:
            package = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
            if bundle.licence != "MIT" or package.get("license") != "MIT":
                raise SystemExit(f"{bundle.package}: no licence file, and no licence text here for {bundle.licence}")
            author = package.get("author")
            holder = author.get("name") if isinstance(author, dict) else author
            (target / "LICENSE").write_text(
                f"{bundle.package} {bundle.version} declares the MIT licence in its package.json and ships no "
                f"licence file; this is the MIT licence text for its declared author.\n\n"
                + MIT_TEXT.format(holder=holder)
            )
    for patch in bundle.patches:
        file = target / patch.file
        text = file.read_text(encoding="utf-8")
        if text.count(patch.old) != 1:
            raise SystemExit(f"{bundle.package}: {patch.old!r} is not in {patch.file} exactly once; review the patch")
        file.write_text(text.replace(patch.old, patch.new), encoding="utf-8")
    sums = "".join(f"{sha256(file)}  {file.name}\n" for file in sorted(target.iterdir()))
    (target / "SHA256SUMS").write_text(sums)


def check() -> list[str]:
    """Problems with the vendored files: missing or changed files, unexpected ones, stale bundles."""
    problems = []
    expected_dirs = {bundle.directory for bundle in BUNDLES.values()}
    for stray in sorted(p.name for p in STATIC_DIR.iterdir() if p.name not in expected_dirs):
        problems.append(f"static/{stray} belongs to no pinned bundle")
    for bundle in BUNDLES.values():
        target = STATIC_DIR / bundle.directory
        sums_file = target / "SHA256SUMS"
        if not sums_file.is_file():
            problems.append(f"static/{bundle.directory} is missing: run this script")
            continue
        sums: dict[str, str] = {}
        for line in sums_file.read_text().splitlines():
            digest, name = line.split("  ", 1)
            sums[name] = digest
        wanted = set(bundle.names())
        for name in sorted(wanted - set(sums)):
            problems.append(f"static/{bundle.directory}/{name} is missing")
        for name, digest in sorted(sums.items()):
            file = target / name
            if not file.is_file():
                problems.append(f"static/{bundle.directory}/{name} is missing")
            elif sha256(file) != digest:
                problems.append(f"static/{bundle.directory}/{name} differs from the fetched file")
        for extra in sorted(p.name for p in target.iterdir() if p.name not in {*sums, "SHA256SUMS"}):
            problems.append(f"static/{bundle.directory}/{extra} was not fetched")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the vendored files (no network)")
    parser.add_argument("--force", action="store_true", help="fetch every bundle, even those that check out")
    args = parser.parse_args(argv)
    STATIC_DIR.mkdir(exist_ok=True)
    if not args.check:
        for stray in (p for p in STATIC_DIR.iterdir() if p.name not in {b.directory for b in BUNDLES.values()}):
            shutil.rmtree(stray) if stray.is_dir() else stray.unlink()
        current = check()
        with tempfile.TemporaryDirectory() as tmp:
            for bundle in BUNDLES.values():
                if args.force or any(f"static/{bundle.directory}" in problem for problem in current):
                    print(f"fetching {bundle.package}@{bundle.version}")
                    vendor(bundle, npm_pack(bundle, Path(tmp)))
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(BUNDLES)} bundles vendored in {STATIC_DIR}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
