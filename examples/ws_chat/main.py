"""A chat over WebSockets: rooms, messages to everyone else in the room, announcements from an HTTP endpoint.

Run from the repository root: ``panther run examples.ws_chat.main:app --workers 2`` (needs panther-core and
panther-ws). With ``REDIS_URL`` set (``REDIS_URL=redis://127.0.0.1:6379/0``) messages reach the members held by
every worker and server; without it, only those of the worker that sends.

Try it with two terminals running ``python -m websockets ws://127.0.0.1:8000/chat/tea/``.
"""

import os

from pydantic import BaseModel, Field

from panther import Panther
from panther.app import API
from panther.request import Request
from panther.websocket import GenericWebsocket, send_message_to_group

if os.environ.get("REDIS_URL"):
    REDIS = {"url": os.environ["REDIS_URL"]}


class Chat(GenericWebsocket):
    async def connect(self, room: str):
        await self.accept()
        await self.join(room)
        await self.send({"joined": room, "you": self.connection_id})

    async def receive(self, data: str | bytes):
        room = self.path_variables["room"]
        await send_message_to_group(room, {"from": self.connection_id, "text": data}, exclude=self.connection_id)


class Announcement(BaseModel):
    text: str = Field(min_length=1, max_length=500)


@API(methods=["POST"], input_model=Announcement)
async def announce(request: Request, room: str):
    """Send a message to every member of a room, from plain HTTP."""
    await send_message_to_group(room, {"announcement": request.validated_data.text})
    return {"sent": True}


urls = {"chat/<room>/": Chat, "rooms/<room>/announce/": announce}

app = Panther(__name__, configs=__name__, urls=urls)
