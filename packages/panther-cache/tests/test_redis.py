"""Throttling and caching in the real Redis: atomic counting under concurrency, one round trip, key lifetimes,
exact stored responses."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest

from panther import Panther
from panther.app import API
from panther.caching.state import STATE
from panther.request import Request
from panther.response import Cookie, Response
from panther.test import APIClient
from panther.throttling import Throttle

pytestmark = pytest.mark.panther_redis

HOUR = timedelta(hours=1)
BINARY = bytes(range(256)) * 8 + b"\n{}\r\n"


def build(urls, configs) -> Panther:
    return Panther(__name__, configs=configs, urls=urls)


def count_commands(app: Panther) -> list[str]:
    """Record the name of every command the app's throttles and caches send to Redis."""
    client = app.stash[STATE].redis
    sent: list[str] = []
    execute = client.execute_command

    async def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await execute(*args, **options)

    client.execute_command = counted
    return sent


class TestThrottling:
    async def test_n_concurrent_requests_against_rate_r_let_exactly_r_through(self, call, redis_configs) -> None:
        runs = []

        @API(throttling=Throttle(10, HOUR))
        async def slow():
            await asyncio.sleep(0.01)
            runs.append(1)

        app = build({"slow": slow}, redis_configs())
        async with APIClient(app):
            answers = await asyncio.gather(*(call(app, "/slow") for _ in range(60)))
        statuses = [a.status for a in answers]
        assert (statuses.count(200), statuses.count(429)) == (10, 50)
        assert len(runs) == 10
        assert sorted(int(a.limits[1]) for a in answers if a.status == 200) == list(range(10))

    async def test_two_apps_with_their_own_connections_share_the_count(self, call, redis_configs) -> None:
        """Two apps (two connection pools, as two processes would have) hammer the same counter at once."""

        @API(throttling=Throttle(15, HOUR))
        async def view():
            return None

        first = build({"x": view}, redis_configs())
        second = build({"x": view}, redis_configs())
        async with APIClient(first), APIClient(second):
            answers = await asyncio.gather(*(call(app, "/x") for _ in range(30) for app in (first, second)))
        assert [a.status for a in answers].count(200) == 15

    async def test_one_round_trip_per_request(self, call, redis_configs) -> None:
        @API(throttling=Throttle(100, HOUR))
        async def view():
            return None

        app = build({"x": view}, redis_configs())
        async with APIClient(app):
            await call(app, "/x")  # loads the script once
            sent = count_commands(app)
            for _ in range(5):
                assert (await call(app, "/x")).status == 200
        assert sent == ["EVALSHA"] * 5

    async def test_the_counter_lives_as_long_as_its_window(self, call, redis_configs, redis_prefix) -> None:
        @API(throttling=Throttle(5, timedelta(seconds=30)))
        async def view():
            return None

        app = build({"x": view}, redis_configs())
        async with APIClient(app):
            answer = await call(app, "/x", client=("10.3.3.3", 1))
            reset = int(answer.limits[2])  # the end of the window the request was counted in
            left = reset - time.time()
            keys = [key async for key in app.redis.scan_iter(match=f"{redis_prefix}throttle:*")]
            assert [key.decode() for key in keys] == [f"{redis_prefix}throttle:{{x|ip:10.3.3.3}}:{reset // 30 - 1}"]
            ttl = await app.redis.pttl(keys[0])
        assert 0 < ttl <= (left + 1) * 1000 + 1000

    async def test_refusals_and_windows_as_in_memory(self, call, clock, redis_configs) -> None:
        @API(throttling=Throttle(3, timedelta(minutes=1)))
        async def view():
            return None

        app = clock.install(build({"x": view}, redis_configs()))
        async with APIClient(app):
            clock.advance(20)
            answers = [await call(app, "/x") for _ in range(4)]
            assert [a.status for a in answers] == [200, 200, 200, 429]
            assert answers[3].headers["retry-after"] == "40"
            assert [a.limits[1] for a in answers] == ["2", "1", "0", "0"]
            clock.advance(40)
            assert (await call(app, "/x")).status == 200

    async def test_without_headers_only_refusals_carry_the_limits(self, call, clock, redis_configs) -> None:
        @API(throttling=Throttle(1, timedelta(minutes=1), headers=False))
        async def view():
            return None

        app = clock.install(build({"x": view}, redis_configs()))
        async with APIClient(app):
            clock.advance(20)
            allowed, refused = [await call(app, "/x") for _ in range(2)]
            assert allowed.status == 200 and allowed.limits == (None, None, None)
            assert refused.status == 429 and refused.limits[:2] == ("1", "0") and refused.headers["retry-after"] == "40"

    async def test_sliding_window_as_in_memory(self, call, clock, redis_configs) -> None:
        @API(throttling=Throttle(4, timedelta(minutes=1), sliding=True))
        async def view():
            return None

        app = clock.install(build({"x": view}, redis_configs()))
        async with APIClient(app):
            clock.advance(50)
            assert [(await call(app, "/x")).status for _ in range(5)] == [200, 200, 200, 200, 429]
            clock.advance(10)
            refused = await call(app, "/x")
            assert refused.status == 429 and refused.headers["retry-after"] == "15"
            clock.advance(15)
            assert (await call(app, "/x")).status == 200
            clock.advance(30)
            assert [(await call(app, "/x")).status for _ in range(3)] == [200, 200, 429]

    async def test_users_and_routes_have_their_own_counters(self, call, redis_configs) -> None:
        async def auth(request: Request):
            return request.headers.authorization

        @API(auth=auth, throttling=Throttle(1, HOUR))
        async def item(item_id: int):
            return None

        app = build({"items/<item_id>": item}, redis_configs())
        async with APIClient(app):
            assert (await call(app, "/items/1", headers=[("authorization", "a")])).status == 200
            assert (await call(app, "/items/2", headers=[("authorization", "a")])).status == 429
            assert (await call(app, "/items/1", headers=[("authorization", "b")])).status == 200


class TestCaching:
    async def test_binary_responses_come_back_exactly_without_running_the_endpoint(self, call, redis_configs) -> None:
        runs = []

        @API(cache=timedelta(minutes=5))
        async def image():
            runs.append(1)
            return Response(BINARY, status_code=203, headers={"Content-Type": "image/png", "X-Kept": "yes"})

        app = build({"image": image}, redis_configs())
        async with APIClient(app):
            first = await call(app, "/image")
            second = await call(app, "/image")
        assert len(runs) == 1
        assert second.status == first.status == 203
        assert second.body == first.body == BINARY
        assert second.headers == first.headers
        assert second.headers["content-type"] == "image/png" and second.headers["x-kept"] == "yes"

    async def test_entries_expire_with_the_cache_duration(self, call, redis_configs, redis_prefix) -> None:
        @API(cache=timedelta(seconds=30))
        async def view():
            return {"ok": True}

        app = build({"x": view}, redis_configs())
        async with APIClient(app):
            await call(app, "/x")
            keys = [key async for key in app.redis.scan_iter(match=f"{redis_prefix}cache:x:*")]
            assert len(keys) == 1
            assert 29_000 < await app.redis.pttl(keys[0]) <= 30_000

    async def test_a_hit_is_one_get(self, call, redis_configs) -> None:
        @API(cache=timedelta(minutes=1))
        async def view():
            return {"ok": True}

        app = build({"x": view}, redis_configs())
        async with APIClient(app):
            await call(app, "/x")
            sent = count_commands(app)
            await call(app, "/x")
        assert sent == ["GET"]

    async def test_keys_tell_users_queries_and_path_variables_apart(self, call, redis_configs) -> None:
        async def auth(request: Request):
            return request.headers.authorization

        @API(auth=auth, cache=timedelta(minutes=1))
        async def item(request: Request, item_id: str):
            return {"user": request.user, "id": item_id, "q": request.query_params.get("q")}

        app = build({"items/<item_id>": item}, redis_configs())
        async with APIClient(app):
            for _ in range(2):
                for user in ("a", "b"):
                    for item_id in ("1", "2:x"):
                        for q in (b"q=1", b"q=2"):
                            answer = await call(app, f"/items/{item_id}", headers=[("authorization", user)], query=q)
                            assert answer.json() == {"user": user, "id": item_id, "q": q.decode()[2:]}

    async def test_cookies_are_never_stored(self, call, redis_configs, redis_prefix) -> None:
        @API(cache=timedelta(minutes=1))
        async def login():
            return Response({"ok": True}, set_cookies=Cookie(key="session", value="secret"))

        app = build({"login": login}, redis_configs())
        async with APIClient(app):
            await call(app, "/login")
            assert [key async for key in app.redis.scan_iter(match=f"{redis_prefix}*")] == []

    async def test_a_redis_setting_that_decodes_responses_still_keeps_bytes(
        self, call, panther_redis_url, redis_configs
    ) -> None:
        @API(cache=timedelta(minutes=1))
        async def image():
            return Response(BINARY, headers={"Content-Type": "application/octet-stream"})

        @API(throttling=Throttle(1, HOUR))
        async def limited():
            return None

        app = build(
            {"image": image, "limited": limited}, redis_configs({"url": panther_redis_url, "decode_responses": True})
        )
        async with APIClient(app):
            assert (await call(app, "/image")).body == BINARY
            assert (await call(app, "/image")).body == BINARY
            assert [(await call(app, "/limited")).status for _ in range(2)] == [200, 429]
            assert await app.redis.ping() is True  # the app's own client is untouched
