"""The connections one app holds in this process, and delivery to them — here, or through Redis to every worker.

Each app has one ``Connections`` (in ``app.stash``). A message for a connection id held here is sent directly; any
other id is published on the app's Redis channel, where the worker holding it picks it up. A group broadcast is
sent to the local members and published for the members other workers hold. Without Redis, delivery reaches only
the connections of this process.

A delivery that fails (the client just left, a broken socket) is logged and does not stop the others.
"""

from __future__ import annotations

import base64
import logging
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from panther.websocket.connection import Frame

if TYPE_CHECKING:
    from panther.websocket.connection import Websocket

__all__ = ["Connections", "decode_message", "encode_message"]

logger = logging.getLogger("panther")

SEND, CLOSE, GROUP = "send", "close", "group"


class Connections:
    """The accepted connections of one app in this process, by id and by group."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        #: Tells this process's own group broadcasts apart when they come back from Redis.
        self.origin = uuid.uuid4().hex
        #: The app's ``redis.asyncio`` client when ``REDIS`` is set: what other workers hold is published on it.
        self.redis: Any = None
        self.by_id: dict[str, Websocket] = {}
        self.by_group: dict[str, dict[str, Websocket]] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, connection_id: str) -> Websocket | None:
        return self.by_id.get(connection_id)

    # --- Membership -------------------------------------------------------------------------------------------

    def add(self, connection: Websocket) -> None:
        self.by_id[connection.connection_id] = connection

    def discard(self, connection: Websocket) -> None:
        connection_id = connection._connection_id
        if connection_id is None:
            return
        self.by_id.pop(connection_id, None)
        for group in connection._groups:
            self.leave(connection, group)

    def join(self, connection: Websocket, group: str) -> None:
        self.by_group.setdefault(group, {})[connection.connection_id] = connection

    def leave(self, connection: Websocket, group: str) -> None:
        members = self.by_group.get(group)
        if members is not None and connection._connection_id is not None:
            members.pop(connection._connection_id, None)
            if not members:
                del self.by_group[group]

    # --- Delivery ---------------------------------------------------------------------------------------------

    async def send(self, connection_id: str, frame: Frame) -> None:
        connection = self.by_id.get(connection_id)
        if connection is not None:
            await deliver(connection, frame)
        elif self.redis is not None:
            await self.redis.publish(self.channel, encode_message(SEND, connection_id, frame))

    async def close(self, connection_id: str, code: int, reason: str) -> None:
        connection = self.by_id.get(connection_id)
        if connection is not None:
            await close_quietly(connection, code, reason)
        elif self.redis is not None:
            await self.redis.publish(self.channel, encode_message(CLOSE, connection_id, code=code, reason=reason))

    async def broadcast(self, group: str, frame: Frame, exclude: str | None = None) -> None:
        await self.deliver_to_group(group, frame, exclude)
        if self.redis is not None:
            message = encode_message(GROUP, group, frame, origin=self.origin, exclude=exclude)
            await self.redis.publish(self.channel, message)

    async def deliver_to_group(self, group: str, frame: Frame, exclude: str | None = None) -> None:
        members = self.by_group.get(group)
        if not members:
            return
        for connection_id, connection in list(members.items()):  # a delivery may end a connection
            if connection_id != exclude:
                await deliver(connection, frame)

    async def on_message(self, raw: bytes | str) -> None:
        """Deliver a message read from the Redis channel, if it is for a connection this process holds."""
        try:
            message = decode_message(raw)
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("Ignored a malformed message on the WebSocket channel %r: %s", self.channel, exc)
            return
        action, target = message["action"], message["target"]
        if action == GROUP:
            if message.get("origin") != self.origin:  # this process delivered its own broadcast already
                await self.deliver_to_group(target, message["frame"], message.get("exclude"))
            return
        connection = self.by_id.get(target)
        if connection is None:
            return
        if action == SEND:
            await deliver(connection, message["frame"])
        elif action == CLOSE:
            await close_quietly(connection, message["code"], message["reason"])


async def deliver(connection: Websocket, frame: Frame) -> None:
    try:
        await connection.send_frame(frame)
    except Exception as exc:  # the client left meanwhile, or its socket broke: the other deliveries go on
        logger.info("WebSocket %s: message not delivered (%s: %s)", connection._connection_id, type(exc).__name__, exc)


async def close_quietly(connection: Websocket, code: int, reason: str) -> None:
    try:
        await connection.close(code, reason)
    except Exception as exc:
        logger.info("WebSocket %s: close not delivered (%s: %s)", connection._connection_id, type(exc).__name__, exc)


# --- The channel's messages ---------------------------------------------------------------------------------------
# JSON text, so that a client configured with `decode_responses=True` reads them too; binary frames travel as
# base64 so their bytes arrive exactly as sent, and text stays text.


def encode_message(
    action: str,
    target: str,
    frame: Frame | None = None,
    *,
    code: int | None = None,
    reason: str | None = None,
    origin: str | None = None,
    exclude: str | None = None,
) -> bytes:
    message: dict[str, Any] = {"action": action, "target": target}
    if isinstance(frame, str):
        message["text"] = frame
    elif frame is not None:
        message["bytes"] = base64.b64encode(frame).decode("ascii")
    if code is not None:
        message["code"], message["reason"] = code, reason or ""
    if origin is not None:
        message["origin"] = origin
    if exclude is not None:
        message["exclude"] = exclude
    return orjson.dumps(message)


def decode_message(raw: bytes | str) -> dict[str, Any]:
    """The message as a dict with ``frame`` restored; raises ``ValueError``/``KeyError`` for a malformed one."""
    message = orjson.loads(raw)
    if not isinstance(message, dict) or message.get("action") not in (SEND, CLOSE, GROUP):
        raise ValueError(f"unknown message {str(raw)[:80]!r}")
    if not isinstance(message["target"], str):
        raise ValueError("the target is not a string")
    if message["action"] == CLOSE:
        message["code"] = int(message["code"])
        message["reason"] = str(message.get("reason") or "")
    elif "text" in message:
        message["frame"] = str(message["text"])
    else:
        message["frame"] = base64.b64decode(message["bytes"], validate=True)
    return message
