"""Test clients for Panther apps: ``APIClient`` for HTTP and ``WebsocketClient`` for WebSockets, both in-process.

The pytest plugin (``panther.test.pytest_plugin``, loaded automatically) adds fixtures on top of them.
"""

from panther.test.client import APIClient, ClientResponse, ResponseCookies, ResponseHeaders
from panther.test.cookies import CookieJar
from panther.test.lifespan import LifespanError
from panther.test.websocket import WebsocketClient, WebsocketClosed, WebsocketConnection, WebsocketRejected

__all__ = [
    "APIClient",
    "ClientResponse",
    "CookieJar",
    "LifespanError",
    "ResponseCookies",
    "ResponseHeaders",
    "WebsocketClient",
    "WebsocketClosed",
    "WebsocketConnection",
    "WebsocketRejected",
]
