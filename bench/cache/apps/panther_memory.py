"""This project, counting and caching in memory."""

from panther_app import build_app


def build():
    return build_app("memory")
