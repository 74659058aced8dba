"""The documentation UIs' JavaScript and CSS, vendored into this package so the pages work without a network.

Each UI comes from one npm package pinned by version and by the integrity hash of its tarball.
``scripts/fetch_assets.py`` (next to this package's ``pyproject.toml``) downloads exactly these tarballs with
``npm pack``, checks the hashes and copies the files listed here, with the package's licence, into
``static/<bundle.directory>/``; building a wheel needs no network. A bundle's directory name carries its
version, so its files can be cached by browsers for a year: a new version is a new URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

__all__ = ["BUNDLES", "STATIC_DIR", "Asset", "Bundle", "find_asset"]

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class Patch:
    """A change the fetch script makes to a vendored file, and why: only to stop a request leaving the server."""

    file: str
    old: str
    new: str
    why: str


@dataclass(frozen=True, slots=True)
class Bundle:
    """One npm package a UI loads: which files of its tarball (paths under ``package/``) are vendored."""

    package: str
    version: str
    #: ``dist.integrity`` of the npm tarball (sha512, base64).
    integrity: str
    #: The files the pages load, then licence files; all are copied flat into the bundle's directory.
    files: tuple[str, ...]
    licence_files: tuple[str, ...]
    #: The SPDX licence the package declares (written out when it ships no licence file).
    licence: str
    #: ``(file, old, new)``: text replaced in a vendored file, each ``old`` found exactly once (see ``Patch``).
    patches: tuple[Patch, ...] = ()

    @property
    def directory(self) -> str:
        """``swagger-ui-dist-5.35.0``; ``@scalar/api-reference`` becomes ``scalar-api-reference-1.76.4``."""
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}"

    def names(self) -> tuple[str, ...]:
        """The file names in the bundle's directory (``LICENSE`` is written when the package ships none)."""
        licences = self.licence_files or ("LICENSE",)
        return tuple(Path(path).name for path in (*self.files, *licences))


BUNDLES: dict[str, Bundle] = {
    "swagger": Bundle(
        package="swagger-ui-dist",
        version="5.35.0",
        integrity="sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        files=("swagger-ui-bundle.js", "swagger-ui.css"),
        licence_files=("LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"),
        licence="Apache-2.0",
    ),
    "redoc": Bundle(
        # 3.0.x's standalone bundle uses `import.meta` and fails as a classic script: the 2.x line it replaced.
        package="redoc",
        version="2.5.4",
        integrity="sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ==",
        files=("bundles/redoc.standalone.js",),
        licence_files=("LICENSE", "bundles/redoc.standalone.js.LICENSE.txt"),
        licence="MIT",
        patches=(
            Patch(
                "redoc.standalone.js",
                '"https://cdn.redoc.ly/redoc/logo-mini.svg"',
                "\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E\"",
                "the sidebar's 'API docs by Redocly' link shows a logo from Redocly's CDN, with no option to turn "
                "it off; an empty inline image takes its place",
            ),
        ),
    ),
    "scalar": Bundle(
        package="@scalar/api-reference",
        version="1.76.4",
        integrity="sha512-bHSVv494yuNTcBzmfZR3eYhckOTiu3L6IJmvM2kdKzBVmWqm+JhEHbYc7ydsv7FBSs3vTW9sCz00La2dFgWxVg==",
        files=("dist/browser/standalone.js",),
        licence_files=(),  # the tarball has none: the fetch script writes LICENSE from the declared licence
        licence="MIT",
    ),
    "rapidoc": Bundle(
        package="rapidoc",
        version="9.3.8",
        integrity="sha512-eCYEbr1Xr8OJZvVCw8SXl9zBCRoLJbhNGuG5IZTHq/RWAOq/O4MafUCuFEyZHsrhLrlUcGZMa64pyhpib8fQKQ==",
        files=("dist/rapidoc-min.js",),
        licence_files=("LICENSE.txt", "dist/rapidoc-min.js.LICENSE.txt"),
        licence="MIT",
    ),
    "stoplight": Bundle(
        package="@stoplight/elements",
        version="9.0.25",
        integrity="sha512-rDbNsgSCNo74lyV57cBzym+8F68/R2j7UPq4r3w5qK608vX8APNJhTq+2MkbTjsM3bUhFIoRdI225tlI85KpCA==",
        files=("web-components.min.js", "styles.min.css"),
        licence_files=("LICENSE", "web-components.min.js.LICENSE.txt"),
        licence="Apache-2.0",
    ),
}


@dataclass(frozen=True, slots=True)
class Asset:
    """A vendored file the static view may serve."""

    path: Path
    content_type: str


def _content_type(name: str) -> str:
    if name.endswith(".js"):
        return "text/javascript; charset=utf-8"
    if name.endswith(".css"):
        return "text/css; charset=utf-8"
    return "text/plain; charset=utf-8"  # licences and notices


# A fixed table of (directory, name): a request can only ever name one of these files, never a path.
_ASSETS: Mapping[tuple[str, str], Asset] = MappingProxyType(
    {
        (bundle.directory, name): Asset(STATIC_DIR / bundle.directory / name, _content_type(name))
        for bundle in BUNDLES.values()
        for name in bundle.names()
    }
)


def find_asset(directory: str, name: str) -> Asset | None:
    """The vendored file ``name`` of bundle directory ``directory``, or ``None``."""
    return _ASSETS.get((directory, name))
