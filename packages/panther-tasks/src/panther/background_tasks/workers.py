"""How many server worker processes run this app, as far as this process can tell (for a startup warning).

uvicorn's and gunicorn's workers see the server's command line (``--workers 4``, gunicorn's ``-w 4``) — uvicorn
starts them with multiprocessing's *spawn*, which hands them the parent's ``sys.argv`` — and both servers read
``WEB_CONCURRENCY``. A server started from Python code with several workers is not detected.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

__all__ = ["worker_count"]


def worker_count(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    counts = [_int(environ.get("WEB_CONCURRENCY"))]
    for index, arg in enumerate(argv):
        if arg in ("--workers", "-w") and index + 1 < len(argv):
            counts.append(_int(argv[index + 1]))
        elif arg.startswith("--workers="):
            counts.append(_int(arg.partition("=")[2]))
        elif arg.startswith("-w") and arg[2:].isdigit():
            counts.append(_int(arg[2:]))
    return max(1, *counts)


def _int(value: str | None) -> int:
    try:
        return int(value) if value else 1
    except ValueError:
        return 1
