"""The app ``test_cluster.py`` runs in two uvicorn processes: a throttled and a cached endpoint on one Redis.

Settings come from the environment the test gives each process.
"""

import os
from datetime import timedelta

from panther import Panther
from panther.app import API
from panther.throttling import Throttle

RATE = int(os.environ["SHARED_LIMIT_RATE"])


@API(throttling=Throttle(RATE, timedelta(hours=1)))
async def limited():
    return {"pid": os.getpid()}


@API(cache=timedelta(minutes=5))
async def cached():
    return {"pid": os.getpid()}


@API()
async def ready():
    return {"pid": os.getpid()}


app = Panther(
    __name__,
    configs={
        "REDIS": {"url": os.environ["SHARED_LIMIT_REDIS_URL"]},
        "CACHE": {"key_prefix": os.environ["SHARED_LIMIT_PREFIX"]},
    },
    urls={"limited": limited, "cached": cached, "ready": ready},
)
