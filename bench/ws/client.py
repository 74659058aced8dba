"""The load generator of the WebSocket bench (runs in the bench virtualenv, on uvloop).

A minimal client over asyncio streams — one write and one read per round trip, frames built once — so that on a
small machine the client costs far less than the servers it loads. Every answer is checked.

    python client.py echo PORT CONNECTIONS SECONDS       prints "start", then the round trips as JSON
    python client.py broadcast SOCKETS ROUNDS MEMBERS_PORT:TRIGGER_PORT ...
                                                         prints "connected", waits for a line on stdin, then the
                                                         latency of each broadcast to SOCKETS sockets as JSON
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time

PAYLOAD = b'{"message": "Hello, World!"}'
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """A client frame: FIN, masked with a zero key (valid, and it leaves the payload as it is)."""
    size = len(payload)
    if size < 126:
        header = bytes([0x80 | opcode, 0x80 | size])
    else:
        header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    return header + b"\x00\x00\x00\x00" + payload


class Socket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, path: str = "/ws") -> Socket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16))
        writer.write(
            b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path.encode(), key)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"handshake refused: {head[:80]!r}")
        return cls(reader, writer)

    async def read(self) -> bytes:
        """The next data frame's payload (answering pings on the way)."""
        reader = self.reader
        while True:
            head = await reader.readexactly(2)
            opcode, size = head[0] & 0x0F, head[1] & 0x7F
            if size == 126:
                size = int.from_bytes(await reader.readexactly(2), "big")
            elif size == 127:
                size = int.from_bytes(await reader.readexactly(8), "big")
            payload = await reader.readexactly(size) if size else b""
            if opcode == PING:
                self.writer.write(frame(payload, PONG))
                continue
            if opcode == CLOSE:
                raise ConnectionError(f"the server closed the socket: {payload!r}")
            return payload

    def close(self) -> None:
        self.writer.write(frame(b"\x03\xe8", CLOSE))
        self.writer.close()


async def echo(port: int, connections: int, seconds: float) -> None:
    sockets = [await Socket.open(port) for _ in range(connections)]
    message = frame(PAYLOAD)
    counts = [0] * connections
    running = True

    async def loop(index: int, socket: Socket) -> None:
        write, read = socket.writer.write, socket.read
        while running:
            write(message)
            if await read() != PAYLOAD:
                raise RuntimeError("wrong echo")
            counts[index] += 1

    tasks = [asyncio.create_task(loop(i, s)) for i, s in enumerate(sockets)]
    await asyncio.sleep(0.5)  # warm-up
    print("start", flush=True)
    before, start = sum(counts), time.perf_counter()
    await asyncio.sleep(seconds)
    after, elapsed = sum(counts), time.perf_counter() - start
    print(json.dumps({"round_trips": after - before, "seconds": elapsed}), flush=True)
    running = False
    await asyncio.gather(*tasks, return_exceptions=True)
    for socket in sockets:
        socket.close()


async def broadcast(count: int, rounds: int, targets: list[tuple[int, int]]) -> None:
    """``count`` sockets on each target's members port and one trigger socket on its trigger port; the rounds
    interleave the targets in a rotating order."""
    groups = []
    for members_port, trigger_port in targets:
        members = [await Socket.open(members_port) for _ in range(count)]
        groups.append((members, await Socket.open(trigger_port)))
    await asyncio.sleep(0.5)
    print("connected", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    results: list[list[dict[str, float]]] = [[] for _ in targets]
    for number in range(rounds):
        for index in [(number + i) % len(targets) for i in range(len(targets))]:
            members, trigger = groups[index]
            payload = b"broadcast:%d" % number
            # Every socket is already waiting for its message when the trigger leaves.
            waiting = [asyncio.ensure_future(_arrival(member, payload)) for member in members]
            await asyncio.sleep(0)
            sent = time.perf_counter()
            trigger.writer.write(frame(payload))
            arrivals = await asyncio.gather(*waiting)
            if await trigger.read() != payload:  # the trigger is a member too (of its own server's group)
                raise RuntimeError("wrong broadcast on the trigger socket")
            results[index].append({"first_ms": (min(arrivals) - sent) * 1e3, "last_ms": (max(arrivals) - sent) * 1e3})
            await asyncio.sleep(0.05)
    print(json.dumps(results), flush=True)
    for members, trigger in groups:
        for socket in [*members, trigger]:
            socket.close()


async def _arrival(socket: Socket, payload: bytes) -> float:
    if await socket.read() != payload:
        raise RuntimeError("wrong broadcast")
    return time.perf_counter()


def main() -> None:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    mode, *args = sys.argv[1:]
    if mode == "echo":
        runner(echo(int(args[0]), int(args[1]), float(args[2])))
    elif mode == "broadcast":
        pairs = [tuple(int(port) for port in pair.split(":")) for pair in args[2:]]
        runner(broadcast(int(args[0]), int(args[1]), pairs))  # type: ignore[arg-type]
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
