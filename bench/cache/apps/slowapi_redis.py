"""Starlette + slowapi, counting in Redis."""

from slowapi_app import build_app, redis_uri


def build():
    return build_app(redis_uri())
