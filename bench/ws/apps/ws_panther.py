"""This project: a `GenericWebsocket` in a group; `broadcast:...` goes to the group with `send_message_to_group`.

With `BENCH_REDIS_URL` set, the app delivers through Redis (every worker holding members gets the broadcast).
"""

from __future__ import annotations

import os
from typing import Any

from panther import Panther
from panther.websocket import GenericWebsocket, send_message_to_group


class Echo(GenericWebsocket):
    async def connect(self) -> None:
        await self.accept()
        await self.join("all")

    async def receive(self, data: str | bytes) -> None:
        if isinstance(data, str) and data.startswith("broadcast:"):
            await send_message_to_group("all", data)
        else:
            await self.send(data)


configs: dict[str, Any] = {"LOG_LEVEL": "WARNING"}
if os.environ.get("BENCH_REDIS_URL"):
    configs["REDIS"] = {"url": os.environ["BENCH_REDIS_URL"]}
    configs["WS_REDIS_CHANNEL"] = os.environ.get("BENCH_REDIS_CHANNEL", "panther:websocket:bench")

app = Panther(__name__, configs=configs, urls={"ws": Echo})
