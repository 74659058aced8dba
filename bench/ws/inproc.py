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
    # One pre-built message handed out again and again, as a server hands out one per frame and drops it: a list of
    # `count` messages kept alive would make the garbage collector walk every app's heap, the larger the slower.
    connect = {"type": "websocket.connect"}
    message = {"type": "websocket.receive", "text": PAYLOAD}
    disconnect = {"type": "websocket.disconnect", "code": 1000}
    left = count + 1
    sent = 0

    async def receive() -> Any:
        nonlocal left
        left -= 1
        if left == count:
            return connect
        return message if left >= 0 else disconnect

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
