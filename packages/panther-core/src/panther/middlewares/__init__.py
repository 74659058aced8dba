"""HTTP and WebSocket middlewares: the base classes and the built-in CORS and monitoring middlewares."""

from panther.middlewares.base import HTTPMiddleware, WebsocketMiddleware, build_chain
from panther.middlewares.cors import CORSMiddleware
from panther.middlewares.monitoring import MonitoringMiddleware, WebsocketMonitoringMiddleware

__all__ = [
    "CORSMiddleware",
    "HTTPMiddleware",
    "MonitoringMiddleware",
    "WebsocketMiddleware",
    "WebsocketMonitoringMiddleware",
    "build_chain",
]
