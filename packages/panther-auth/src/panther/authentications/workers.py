"""How many worker processes serve this app, as far as this process can tell (for the startup warning about
in-memory revocations).

Servers do not tell their workers how many they are, so this reads what started them: ``--workers N`` / ``-w N``
on the command line (uvicorn's spawned workers and gunicorn's forked ones inherit it), ``GUNICORN_CMD_ARGS`` and
``WEB_CONCURRENCY`` (the default worker count of both servers).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence

__all__ = ["worker_count"]

_FLAGS = ("--workers", "-w")


def worker_count(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The largest worker count found, 1 when nothing says there are several."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    counts = [_from_args(argv), _from_args(shlex.split(environ.get("GUNICORN_CMD_ARGS", "")))]
    counts.append(_number(environ.get("WEB_CONCURRENCY")))
    return max([count for count in counts if count], default=1)


def _from_args(args: Sequence[str]) -> int | None:
    found = None
    for index, arg in enumerate(args):
        if arg in _FLAGS and index + 1 < len(args):
            found = _number(args[index + 1])
        elif arg.startswith("--workers="):
            found = _number(arg.partition("=")[2])
        elif arg.startswith("-w") and arg[2:].isdigit():
            found = _number(arg[2:])
    return found


def _number(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())
