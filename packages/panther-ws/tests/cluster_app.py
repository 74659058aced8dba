"""The app ``test_cluster.py`` serves with real uvicorn processes (Redis URL and channel from the environment)."""

from __future__ import annotations

import base64
import os
from typing import Any

from panther import Panther
from panther.app import API
from panther.request import Request
from panther.websocket import (
    GenericWebsocket,
    close_websocket_connection,
    send_message_to_group,
    send_message_to_websocket,
)

REDIS_URL = os.environ.get("CLUSTER_REDIS_URL")


class Room(GenericWebsocket):
    async def connect(self, room: str) -> None:
        await self.accept(headers={"X-Worker": str(os.getpid())})  # a dict: upstream crashed uvicorn with it
        await self.join(room)
        await self.send({"id": self.connection_id, "pid": os.getpid()})

    async def receive(self, data: str | bytes) -> None:
        if data == "crash":
            raise RuntimeError("receive crashed on purpose")
        await send_message_to_group(self.path_variables["room"], data, exclude=self.connection_id)


class Seat(GenericWebsocket):
    async def connect(self, seat: int) -> None:
        await self.accept()
        await self.send({"seat": seat})


async def deny(connection: Any) -> bool:
    return False


class Private(GenericWebsocket):
    permissions = [deny]


@API(methods=["POST"])
async def deliver(request: Request) -> dict[str, Any]:
    body = request.data
    data = base64.b64decode(body["bytes"]) if "bytes" in body else body.get("data")
    if body.get("close"):
        await close_websocket_connection(body["id"], code=body["code"], reason=body["reason"])
    elif "group" in body:
        await send_message_to_group(body["group"], data)
    else:
        await send_message_to_websocket(body["id"], data)
    return {"pid": os.getpid()}


@API()
async def pid() -> dict[str, int]:
    return {"pid": os.getpid()}


configs: dict[str, Any] = {"WS_REDIS_CHANNEL": os.environ.get("CLUSTER_CHANNEL", "panther:websocket")}
if REDIS_URL:
    configs["REDIS"] = {"url": REDIS_URL}

app = Panther(
    __name__,
    configs=configs,
    urls={"rooms/<room>": Room, "seats/<seat>": Seat, "private": Private, "deliver": deliver, "pid": pid},
)
