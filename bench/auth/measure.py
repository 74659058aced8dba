"""Runs inside the bench virtualenv: builds every app of ``apps.py``, checks their answers, then times them.

    python -I measure.py BENCH_DIR REPEATS TARGET_SECONDS     prints one JSON object on stdout

Each app is called in-process (ASGI, fake ``receive``/``send``, a fresh copy of the scope per request) through the
main bench's ``Served`` harness; the repeats of all apps are interleaved in a rotating order so that a noisy
moment hits them alike. Also timed alone: PyJWT's ``decode``, Panther's token check, the user lookup.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


def main() -> None:
    bench_dir, repeats, target = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    sys.path[:0] = [str(bench_dir / "harness"), str(bench_dir / "auth")]
    out = sys.stdout
    sys.stdout = sys.stderr  # the apps' own prints must not corrupt the JSON answer
    import apps
    from worker import Served  # the main bench's harness (standard library only)

    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    built = {(name, auth): build(auth) for name, build in apps.FRAMEWORKS.items() for auth in (False, True)}
    token = loop.run_until_complete(apps.issue_token(built["panther", True]))
    served: dict[str, Served] = {}
    for (name, auth), app in built.items():
        key = f"{name}/{'jwt' if auth else 'none'}"
        serve = Served(app, loop)
        loop.run_until_complete(serve.startup())
        headers = [["authorization", f"Bearer {token}"]] if auth else []
        serve.add_request(_endpoint(key, headers))
        problem = loop.run_until_complete(serve.check(key))
        if problem is None and auth:
            problem = loop.run_until_complete(_check_refusals(serve, key, token))
        if problem:
            raise SystemExit(f"{key}: {problem}")
        served[key] = serve

    counts = {key: _calibrate(loop, lambda n, s=serve, k=key: s.timed(k, n), target) for key, serve in served.items()}
    micro = _micro(loop, apps, built["panther", True], token)
    micro_counts = {key: _calibrate(loop, call, target) for key, call in micro.items()}
    gc.collect()
    gc.freeze()
    samples: dict[str, list[float]] = {key: [] for key in [*served, *micro]}
    keys = list(samples)
    for repeat in range(repeats):
        shift = repeat % len(keys)
        for key in keys[shift:] + keys[:shift]:
            n = counts.get(key) or micro_counts[key]
            call = (lambda n, s=served[key], k=key: s.timed(k, n)) if key in served else micro[key]
            samples[key].append(loop.run_until_complete(call(n)) / n / 1000)
    for serve in served.values():
        loop.run_until_complete(serve.shutdown())
    result = {"median_us": {key: statistics.median(values) for key, values in samples.items()}, "samples": samples}
    out.write(json.dumps(result) + "\n")


def _endpoint(key: str, headers: list[list[str]]) -> dict[str, Any]:
    return {
        "key": key,
        "method": "GET",
        "path": "/me/",
        "status": 200,
        "expected": {"id": "1", "name": "ann"},
        "body": "",
        "invalid_body": None,
        "headers": headers,
    }


async def _check_refusals(serve: Any, key: str, token: str) -> str | None:
    """An authenticated endpoint must refuse a request without a token and one with a tampered token."""
    scope = serve.requests[key]["scope"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    for label, auth in (("no token", None), ("a tampered token", f"Bearer {tampered}")):
        headers = [(name, value) for name, value in scope["headers"] if name != b"authorization"]
        if auth is not None:
            headers.append((b"authorization", auth.encode()))
        status, _, body = await serve._call_captured({**scope, "headers": headers}, serve.requests[key]["receive"])
        if status is None or not 400 <= status < 500:
            return f"a request with {label} must be refused with a 4xx, got {status} {body[:200]!r}"
    return None


def _micro(loop: Any, apps: Any, panther_app: Any, token: str) -> dict[str, Callable[[int], Awaitable[int]]]:
    """The parts on their own: PyJWT's decode, Panther's token check (decode + required claims), the user lookup,
    Panther's revocation lookup (in memory)."""
    import jwt

    from panther.authentications.state import AUTH
    from panther.authentications.tokens import session_of

    state = panther_app.stash[AUTH]
    tokens, store = state.jwt(), state.revocations
    session = session_of(tokens.decode(token))[0]
    first_use = type(tokens)(tokens.config)
    first_use.cache_size = 0

    def timed_sync(function: Callable[[], Any]) -> Callable[[int], Awaitable[int]]:
        async def run(n: int) -> int:
            clock = time.perf_counter_ns
            start = clock()
            for _ in range(n):
                function()
            return clock() - start

        return run

    def timed_async(function: Callable[[], Awaitable[Any]]) -> Callable[[int], Awaitable[int]]:
        async def run(n: int) -> int:
            clock = time.perf_counter_ns
            start = clock()
            for _ in range(n):
                await function()
            return clock() - start

        return run

    return {
        "pyjwt.decode": timed_sync(lambda: jwt.decode(token, apps.KEY, algorithms=[apps.ALGORITHM])),
        "panther token check, first use": timed_sync(lambda: first_use.decode(token)),
        "panther token check, repeat use": timed_sync(lambda: tokens.decode(token)),
        "user lookup": timed_async(lambda: apps.load_user("1")),
        "revocation lookup": timed_async(lambda: store.is_revoked(session)),
    }


def _calibrate(loop: Any, call: Callable[[int], Awaitable[int]], target: float) -> int:
    """Warm up, then the number of calls that take about ``target`` seconds."""
    n = 10
    while True:
        elapsed = loop.run_until_complete(call(n))
        if elapsed > 20_000_000:
            break
        n *= 2
    loop.run_until_complete(call(n))
    return max(20, int(target * 1e9 / (elapsed / n)))


if __name__ == "__main__":
    main()
