"""``GenericWebsocket``: the base class of WebSocket endpoints, routed from the same URL dict as HTTP endpoints."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from panther.app import EndpointOptions
from panther.exceptions import PantherError
from panther.websocket.connection import Websocket

__all__ = ["GenericWebsocket"]


class GenericWebsocket(Websocket):
    """Subclass it and route the class::

        class Chat(GenericWebsocket):
            async def connect(self, room: str):
                await self.accept()
                await self.join(room)

            async def receive(self, data: str | bytes):
                await send_message_to_group(self.path_variables["room"], data)

        urls = {"chat/<room>/": Chat}

    One instance per connection. ``auth`` (``None``: the ``WS_AUTHENTICATION`` setting, ``False``: none) and
    ``permissions`` run before ``connect``; a refusal there answers the handshake with an HTTP error instead of
    accepting. ``middlewares`` (``WebsocketMiddleware`` classes) wrap this endpoint's connections, inside
    ``WS_MIDDLEWARES``.
    """

    auth: ClassVar[Any] = None
    permissions: ClassVar[Any] = None
    middlewares: ClassVar[list[Any] | None] = None

    options: ClassVar[EndpointOptions]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for hook in ("connect", "receive", "disconnect"):
            if not inspect.iscoroutinefunction(getattr(cls, hook)):
                raise PantherError(f"{cls.__qualname__}.{hook}() must be an `async def`.")
        # Checked when the class is defined, as upstream checked its declarations.
        cls.options = EndpointOptions(
            methods=(),
            auth=cls.auth,
            permissions=cls.permissions,
            middlewares=cls.middlewares,
            _owner=cls.__qualname__,
        )

    async def connect(self, **path_variables: Any) -> None:
        """Check what you need, then ``await self.accept()`` — or ``await self.close()`` to refuse. A connection
        neither accepted nor closed here is refused. Path variables arrive by name, cast by annotation."""

    async def receive(self, data: str | bytes) -> None:
        """A message from the client: ``str`` for text, ``bytes`` for binary."""

    async def disconnect(self, code: int) -> None:
        """Called once when an accepted connection ends, whoever closed it, with the close code. The connection
        has already left its groups and can no longer send."""


GenericWebsocket.options = EndpointOptions(methods=(), _owner="GenericWebsocket")
