"""The Jinja2 environment of an app: templates from ``TEMPLATES_DIR``, HTML autoescaped."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import jinja2


def build_environment(directories: Iterable[str | Path], base_dir: Path | None = None) -> jinja2.Environment:
    paths = []
    for directory in directories:
        path = Path(directory)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        paths.append(str(path))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        # Escape every template, inline sources included: context values are user data.
        autoescape=True,
        enable_async=False,
    )
