"""Upstream Panther 5.5.0's panel over a PantherDB file (``PANEL_BENCH_DB``); upstream reads its settings from a
module, hence this file."""

from __future__ import annotations

import os

from panther import Panther
from panther.db import Model
from panther.panel.urls import url_routing


class Book(Model):
    title: str
    pages: int = 0
    published: bool = False


DATABASE = {"engine": {"class": "panther.db.connections.PantherDBConnection", "path": os.environ["PANEL_BENCH_DB"]}}
SECRET_KEY = "bench-secret-key-of-the-panel-benchmark-0123456789"
URLS = {"panel/": url_routing}

app = Panther(__name__, configs=__name__, urls=URLS)
