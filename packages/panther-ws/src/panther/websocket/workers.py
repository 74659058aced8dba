"""How many worker processes this server was started with, as far as the command line and environment tell.

Used only for a warning: without Redis, WebSocket delivery reaches the connections of one process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

__all__ = ["configured_workers"]

_WORKER_OPTIONS = ("--workers", "-w")


def configured_workers(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The worker count asked for with ``--workers N`` / ``-w N`` (uvicorn, gunicorn; worker processes inherit
    their server's ``sys.argv``) or ``WEB_CONCURRENCY``; 1 when nothing says more."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    counts = [_as_int(environ.get("WEB_CONCURRENCY"))]
    for index, argument in enumerate(argv):
        name, equals, value = argument.partition("=")
        if name in _WORKER_OPTIONS:
            counts.append(_as_int(value if equals else (argv[index + 1] if index + 1 < len(argv) else None)))
        elif argument.startswith("-w") and argument[2:].isdigit():  # gunicorn's -w4
            counts.append(_as_int(argument[2:]))
    return max((count for count in counts if count is not None), default=1)


def _as_int(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value)
