"""A throttled endpoint and a cached one.

Run from the repository root: ``panther run examples.cache.main:app`` (needs panther-core and panther-cache).
Without ``REDIS`` each worker counts and caches on its own; with ``REDIS_URL`` set
(``REDIS_URL=redis://127.0.0.1:6379/0``) the counts and the cached responses are shared by every worker.
"""

import os
from datetime import timedelta

from panther import Panther
from panther.app import API
from panther.context import current_app
from panther.request import Request
from panther.throttling import Throttle

if os.environ.get("REDIS_URL"):
    REDIS = {"url": os.environ["REDIS_URL"]}


@API(throttling=Throttle(rate=3, duration=timedelta(minutes=1)))
async def search(request: Request):
    """At most 3 requests a minute per client; the 4th is a 429 with Retry-After."""
    return {"results": [], "query": request.query_params.get("q", "")}


@API(cache=timedelta(minutes=5))
async def catalogue():
    """Computed once per five minutes per client and query string; hits do not run this function."""
    state = current_app().state
    state.catalogue_builds = getattr(state, "catalogue_builds", 0) + 1
    return {"books": ["Dune", "Emma"], "build": state.catalogue_builds}


urls = {"search/": search, "catalogue/": catalogue}

app = Panther(__name__, configs=__name__, urls=urls)
