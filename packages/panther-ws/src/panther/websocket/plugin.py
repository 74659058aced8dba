"""The ``ws`` plugin: will handle ``websocket`` ASGI scopes for the app (features arrive with the WebSocket issue)."""
