"""The app's own cost per echoed message, in-process (runs in the bench virtualenv, on uvloop): the app is called
directly with a `receive` that hands out pre-built text messages and a `send` that drops what it gets.

    python inproc.py MODULE MESSAGES REPEATS       prints the µs per message of each repeat as JSON
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

PAYLOAD = '{"message": "Hello, World!"}'


async def once(app: Any, count: int) -> float:
    messages = [{"type": "websocket.connect"}]
    messages += [{"type": "websocket.receive", "text": PAYLOAD} for _ in range(count)]
    messages.append({"type": "websocket.disconnect", "code": 1000})
    feed = iter(messages)
    sent = 0

    async def receive() -> Any:
        return next(feed)

    async def send(message: Any) -> None:
        nonlocal sent
        sent += 1

    scope = {"type": "websocket", "path": "/ws", "query_string": b"", "headers": [], "subprotocols": []}
    start = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - start
    if sent != count + 1:  # the accept, then one echo per message
        raise RuntimeError(f"{count} messages, {sent - 1} echoes")
    return elapsed * 1e6 / count


async def main(module: str, count: int, repeats: int) -> None:
    app = importlib.import_module(module).app
    await once(app, count // 10)  # warm-up
    gc.collect()
    print(json.dumps([await once(app, count) for _ in range(repeats)]), flush=True)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
