"""Logging set-up, done by each app when it is built (never at import): the ``panther`` and ``monitoring``
loggers write to stderr, and to files only when ``LOG_FILE`` / ``MONITORING_LOG_FILE`` are configured."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from panther.configs import Config

_MARK = "_panther_handler"
FORMAT = "%(asctime)s | %(levelname)s | %(name)s | %(message)s"


def configure_logging(config: Config) -> None:
    level = str(config.LOG_LEVEL or "INFO").upper()
    if level not in logging.getLevelNamesMapping():
        from panther.exceptions import PantherError

        raise PantherError(f"LOG_LEVEL {config.LOG_LEVEL!r} is not a logging level; use DEBUG, INFO, WARNING, ...")
    # python-multipart logs a warning for every malformed body it sees; Panther answers those with a 400 already,
    # and any client could otherwise fill the logs at will.
    logging.getLogger("python_multipart").setLevel(logging.ERROR)
    for name, file in (("panther", config.LOG_FILE), ("monitoring", config.MONITORING_LOG_FILE)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for ours in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(ours)
            ours.close()
        handler: logging.Handler
        if file:
            path = Path(file)
            if not path.is_absolute() and config.BASE_DIR:
                path = Path(config.BASE_DIR) / path
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, delay=True, encoding="utf-8")
        elif logging.getLogger().handlers:
            continue  # the application configured logging itself: let records propagate to it
        else:
            handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
