"""FastAPI + fastapi-limiter + fastapi-cache2, in Redis."""

from fastapi_app import build_app


def build():
    return build_app("redis")
