"""This project: panther-core + panther-cache. One module per backend (panther_memory, panther_redis) builds it.

GET /json              no throttle, no cache (the baseline)
GET /json/throttled    the same endpoint with Throttle(10**9 per hour)
GET /json/quiet        the same with Throttle(10**9 per hour, headers=False): limits on refusals only
GET /json/headers      no throttle, but a Response carrying the throttle's three header lines
GET /report            the report, computed on every request
GET /report/cached     the same, with cache=timedelta(hours=1): every timed request is a hit
"""

import os
from datetime import timedelta

from report import report

from panther import Panther
from panther.app import API
from panther.response import Response
from panther.throttling import Throttle

HOUR = timedelta(hours=1)


@API()
async def json_view():
    return {"message": "Hello, World!"}


@API(throttling=Throttle(10**9, HOUR))
async def throttled_view():
    return {"message": "Hello, World!"}


@API(throttling=Throttle(10**9, HOUR, headers=False))
async def quiet_view():
    return {"message": "Hello, World!"}


LIMIT_HEADERS = {
    "X-RateLimit-Limit": "1000000000",
    "X-RateLimit-Remaining": "999999999",
    "X-RateLimit-Reset": "1800000000",
}


@API()
async def headers_view():
    return Response({"message": "Hello, World!"}, headers=LIMIT_HEADERS)


@API()
async def report_view():
    return report()


@API(cache=HOUR)
async def cached_report_view():
    return report()


URLS = {
    "json": json_view,
    "json/throttled": throttled_view,
    "json/quiet": quiet_view,
    "json/headers": headers_view,
    "report": report_view,
    "report/cached": cached_report_view,
}


def build_app(backend: str) -> Panther:
    configs: dict[str, object] = {"CACHE": {"backend": backend, "key_prefix": "bench-panther:"}, "LOG_LEVEL": "ERROR"}
    if backend == "redis":
        configs["REDIS"] = {"url": os.environ["BENCH_REDIS_URL"]}
    return Panther(__name__, configs=configs, urls=URLS)
