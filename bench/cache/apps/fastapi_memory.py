"""FastAPI + fastapi-limiter + fastapi-cache2, in memory."""

from fastapi_app import build_app


def build():
    return build_app("memory")
