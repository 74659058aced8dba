"""This project, counting and caching in Redis (one Lua script per throttled request, one GET per cache hit)."""

from panther_app import build_app


def build():
    return build_app("redis")
