"""``worker_count``: what the command line and environment say about the number of worker processes."""

from __future__ import annotations

import pytest

from panther.authentications.workers import worker_count


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["uvicorn", "main:app"], {}, 1),
        (["uvicorn", "main:app", "--workers", "4"], {}, 4),
        (["uvicorn", "main:app", "--workers=3"], {}, 3),
        (["panther", "run", "main:app", "--reload"], {}, 1),
        (["gunicorn", "-w", "2", "main:app"], {}, 2),
        (["gunicorn", "-w8", "main:app"], {}, 8),
        (["gunicorn", "main:app"], {"GUNICORN_CMD_ARGS": "--workers 5 --bind :80"}, 5),
        (["uvicorn", "main:app"], {"WEB_CONCURRENCY": "6"}, 6),
        (["uvicorn", "main:app", "--workers", "x"], {"WEB_CONCURRENCY": ""}, 1),
    ],
)
def test_worker_count(argv, environ, expected):
    assert worker_count(argv, environ) == expected
