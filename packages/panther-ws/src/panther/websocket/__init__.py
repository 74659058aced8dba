"""WebSocket endpoints for Panther (distribution ``panther-ws``, plugin ``ws``)."""
