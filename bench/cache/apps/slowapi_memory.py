"""Starlette + slowapi, counting in memory."""

from slowapi_app import build_app


def build():
    return build_app("memory://")
