"""Throttling as a client sees it, with the in-memory counters: 429s and their headers, windows, buckets, settings."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from pydantic import BaseModel

from panther import Panther
from panther.app import API, GenericAPI
from panther.exceptions import NotFoundAPIError, PantherError
from panther.request import Request
from panther.response import Response
from panther.test import APIClient
from panther.throttling import Throttle

MINUTE = timedelta(minutes=1)


def build(urls, configs=None, **kwargs) -> Panther:
    return Panther(__name__, configs=configs or {}, urls=urls, **kwargs)


@API(throttling=Throttle(3, MINUTE))
async def limited():
    return {"ok": True}


class TestRefusal:
    async def test_rate_requests_pass_then_429_with_retry_after_and_limits(self, call, clock) -> None:
        app = clock.install(build({"limited": limited}))
        clock.advance(15)  # 45 s left in the window
        answers = [await call(app, "/limited") for _ in range(4)]
        assert [a.status for a in answers] == [200, 200, 200, 429]
        reset = str(int(clock.now) + 45)
        assert [a.limits for a in answers[:3]] == [("3", "2", reset), ("3", "1", reset), ("3", "0", reset)]
        refused = answers[3]
        assert refused.json() == {"detail": "Too Many Request"}
        assert refused.limits == ("3", "0", reset)
        assert refused.headers["retry-after"] == "45"

    async def test_a_refused_request_does_not_run_the_endpoint(self, call, clock) -> None:
        runs = []

        @API(throttling=Throttle(1, MINUTE))
        async def counted():
            runs.append(1)

        app = clock.install(build({"x": counted}))
        for _ in range(5):
            await call(app, "/x")
        assert runs == [1]

    async def test_the_next_window_starts_afresh(self, call, clock) -> None:
        app = clock.install(build({"limited": limited}))
        for _ in range(3):
            await call(app, "/limited")
        clock.advance(59.9)
        assert (await call(app, "/limited")).status == 429
        clock.advance(0.1)
        assert [(await call(app, "/limited")).status for _ in range(4)] == [200, 200, 200, 429]

    async def test_windows_are_aligned_to_their_start_not_centred(self, call, clock) -> None:
        """Upstream rounded to the nearest window: a request late in a window got a Retry-After longer than it."""
        app = clock.install(build({"limited": limited}))
        clock.advance(50.2)  # 9.8 s before the minute ends
        for _ in range(3):
            await call(app, "/limited")
        refused = await call(app, "/limited")
        assert refused.headers["retry-after"] == "10"
        assert refused.limits[2] == str(int(clock.now - 50.2 + 60))

    async def test_retry_after_never_exceeds_the_window(self, call, clock) -> None:
        @API(throttling=Throttle(1, timedelta(seconds=7)))
        async def view():
            return None

        app = clock.install(build({"x": view}))
        for step in range(40):
            clock.advance(0.37)
            answer = await call(app, "/x")
            if answer.status == 429:
                assert 1 <= int(answer.headers["retry-after"]) <= 7, step

    async def test_errors_of_the_endpoint_count_and_carry_the_limits(self, call, clock) -> None:
        @API(throttling=Throttle(2, MINUTE))
        async def missing():
            raise NotFoundAPIError

        app = clock.install(build({"x": missing}))
        first = await call(app, "/x")
        assert first.status == 404 and first.limits[:2] == ("2", "1")
        assert (await call(app, "/x")).status == 404
        assert (await call(app, "/x")).status == 429


class TestWithoutHeaders:
    """``Throttle(..., headers=False)``: the limits are told only to refused clients."""

    async def test_allowed_answers_carry_no_limits_and_refusals_all_of_them(self, call, clock) -> None:
        @API(throttling=Throttle(2, MINUTE, headers=False))
        async def quiet():
            return {"ok": True}

        app = clock.install(build({"x": quiet}))
        clock.advance(15)
        answers = [await call(app, "/x") for _ in range(3)]
        assert [a.status for a in answers] == [200, 200, 429]
        assert answers[0].json() == {"ok": True} and answers[0].limits == (None, None, None)
        assert answers[2].limits == ("2", "0", str(int(clock.now) + 45)) and answers[2].headers["retry-after"] == "45"

    async def test_a_response_the_endpoint_returns_every_time_collects_nothing(self, call, clock) -> None:
        shared = Response({"ok": True}, status_code=201, headers={"X-Mine": "m"})

        @API(throttling=Throttle(10, MINUTE))
        async def same():
            return shared

        app = clock.install(build({"x": same}))
        answers = [await call(app, "/x") for _ in range(3)]
        assert [a.limits[1] for a in answers] == ["9", "8", "7"]
        assert all(a.status == 201 and a.headers["x-mine"] == "m" for a in answers)
        assert shared._lines is None and shared.headers == {"X-Mine": "m", "Content-Type": "application/json"}

    async def test_a_file_download_carries_the_limits(self, call, clock, tmp_path, monkeypatch) -> None:
        from panther.file_response import FileResponse

        (tmp_path / "report.txt").write_text("numbers")
        monkeypatch.chdir(tmp_path)

        @API(throttling=Throttle(10, MINUTE))
        async def download():
            return FileResponse("report.txt")

        app = clock.install(build({"x": download}))
        answer = await call(app, "/x")
        assert answer.status == 200 and answer.body == b"numbers" and answer.limits[:2] == ("10", "9")

    async def test_an_endpoint_error_is_counted_without_limits(self, call, clock) -> None:
        @API(throttling=Throttle(1, MINUTE, headers=False))
        async def missing():
            raise NotFoundAPIError

        app = clock.install(build({"x": missing}))
        first = await call(app, "/x")
        assert first.status == 404 and first.limits == (None, None, None)
        assert (await call(app, "/x")).status == 429

    async def test_the_endpoint_output_is_still_finished(self, call, clock) -> None:
        """The step does not wrap the result in a Response: the app still applies output_model to it."""

        class Out(BaseModel):
            name: str

        @API(throttling=Throttle(5, MINUTE, headers=False), output_model=Out)
        async def view():
            return {"name": "a", "secret": "s"}

        app = clock.install(build({"x": view}))
        assert (await call(app, "/x")).json() == {"name": "a"}

    def test_headers_must_be_a_bool(self) -> None:
        with pytest.raises(PantherError, match="headers"):
            Throttle(1, MINUTE, headers="no")  # type: ignore[arg-type]


class TestBuckets:
    async def test_the_route_is_the_bucket_not_the_concrete_path(self, call, clock) -> None:
        @API(throttling=Throttle(2, MINUTE))
        async def user(user_id: int):
            return {"id": user_id}

        app = clock.install(build({"users/<user_id>": user}))
        statuses = [(await call(app, f"/users/{i}")).status for i in (1, 2, 3)]
        assert statuses == [200, 200, 429]

    async def test_each_endpoint_counts_on_its_own(self, call, clock) -> None:
        @API(throttling=Throttle(1, MINUTE))
        async def other():
            return None

        app = clock.install(build({"a": limited, "b": other}))
        assert (await call(app, "/b")).status == 200
        assert (await call(app, "/a")).status == 200
        assert (await call(app, "/b")).status == 429

    async def test_each_client_address_has_its_own_bucket(self, call, clock) -> None:
        app = clock.install(build({"limited": limited}))
        for _ in range(3):
            assert (await call(app, "/limited", client=("10.0.0.1", 1))).status == 200
        assert (await call(app, "/limited", client=("10.0.0.1", 2))).status == 429  # another port, same client
        assert (await call(app, "/limited", client=("10.0.0.2", 1))).status == 200

    async def test_requests_without_a_client_address_share_one_bucket(self, call, clock) -> None:
        app = clock.install(build({"limited": limited}))
        assert [(await call(app, "/limited", client=None)).status for _ in range(4)] == [200, 200, 200, 429]
        assert (await call(app, "/limited")).status == 200  # an address of its own

    async def test_authenticated_users_are_counted_by_user_id_whatever_their_address(self, call, clock) -> None:
        class User:
            def __init__(self, id: str) -> None:
                self.id = id

        async def auth(request: Request):
            token = request.headers.authorization
            return User(token) if token else None

        @API(auth=auth, throttling=Throttle(1, MINUTE))
        async def me():
            return None

        app = clock.install(build({"me": me}))
        assert (await call(app, "/me", client=("10.0.0.1", 1), headers=[("authorization", "alice")])).status == 200
        assert (await call(app, "/me", client=("10.0.0.2", 1), headers=[("authorization", "alice")])).status == 429
        assert (await call(app, "/me", client=("10.0.0.1", 1), headers=[("authorization", "bob")])).status == 200
        assert (await call(app, "/me", client=("10.0.0.1", 1))).status == 200  # anonymous: the address's bucket

    async def test_one_bucket_per_endpoint_whatever_the_method(self, call, clock) -> None:
        class Items(GenericAPI):
            throttling = Throttle(2, MINUTE)

            async def get(self):
                return []

            async def post(self):
                return {}

        app = clock.install(build({"items": Items}))
        assert (await call(app, "/items")).status == 200
        assert (await call(app, "/items", method="POST")).status == 200
        assert (await call(app, "/items")).status == 429
        assert (await call(app, "/items", method="POST")).status == 429

    async def test_build_cache_key_can_be_overridden(self, call, clock) -> None:
        class PerPath(Throttle):
            def build_cache_key(self, request: Request) -> str:
                return f"{super().build_cache_key(request)}:{request.path}"

        @API(throttling=PerPath(1, MINUTE))
        async def user(user_id: int):
            return None

        app = clock.install(build({"users/<user_id>": user}))
        assert (await call(app, "/users/1")).status == 200
        assert (await call(app, "/users/2")).status == 200
        assert (await call(app, "/users/1")).status == 429


class TestProxies:
    FORWARDED = "x-forwarded-for"

    async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(self, call, clock) -> None:
        app = clock.install(build({"limited": limited}))
        for spoof in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
            await call(app, "/limited", client=("10.0.0.1", 1), headers=[(self.FORWARDED, spoof)])
        assert (
            await call(app, "/limited", client=("10.0.0.1", 1), headers=[(self.FORWARDED, "4.4.4.4")])
        ).status == 429

    async def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(self, call, clock) -> None:
        app = clock.install(build({"limited": limited}, {"TRUSTED_PROXIES": ["10.0.0.0/8"]}))
        proxy = ("10.0.0.1", 1)
        for _ in range(3):
            assert (await call(app, "/limited", client=proxy, headers=[(self.FORWARDED, "203.0.113.7")])).status == 200
        assert (await call(app, "/limited", client=proxy, headers=[(self.FORWARDED, "203.0.113.7")])).status == 429
        assert (await call(app, "/limited", client=proxy, headers=[(self.FORWARDED, "203.0.113.8")])).status == 200
        # A peer that is not a trusted proxy is counted by its own address, whatever it claims.
        untrusted = ("198.51.100.1", 1)
        assert (await call(app, "/limited", client=untrusted, headers=[(self.FORWARDED, "203.0.113.9")])).status == 200

    async def test_addresses_a_client_prepends_are_not_believed(self, call, clock) -> None:
        """The client sends ``X-Forwarded-For: <random>``; the proxy appends the address it saw. Only the
        rightmost untrusted hop counts, so changing the made-up part gives no fresh bucket."""
        app = clock.install(build({"limited": limited}, {"TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"}))
        statuses = []
        for fake in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"):
            header = f"{fake}, 203.0.113.7, 10.0.0.2"  # client's fake, the client as seen, an inner proxy
            answer = await call(app, "/limited", client=("10.0.0.1", 1), headers=[(self.FORWARDED, header)])
            statuses.append(answer.status)
        assert statuses == [200, 200, 200, 429]

    def test_a_bad_trusted_proxy_is_a_startup_error(self) -> None:
        with pytest.raises(PantherError, match="TRUSTED_PROXIES: 'not-an-ip'"):
            build({}, {"TRUSTED_PROXIES": ["not-an-ip"]})
        with pytest.raises(PantherError, match="TRUSTED_PROXIES must be a list"):
            build({}, {"TRUSTED_PROXIES": 10})


class TestSettings:
    async def test_throttling_setting_applies_to_every_endpoint(self, call, clock) -> None:
        @API()
        async def a():
            return None

        @API()
        async def b():
            return None

        app = clock.install(build({"a": a, "b": b}, {"THROTTLING": Throttle(1, MINUTE)}))
        assert [(await call(app, p)).status for p in ("/a", "/a", "/b", "/b")] == [200, 429, 200, 429]

    async def test_an_endpoint_throttle_replaces_the_setting_and_false_turns_it_off(self, call, clock) -> None:
        @API(throttling=Throttle(3, MINUTE))
        async def generous():
            return None

        @API(throttling=False)
        async def free():
            return None

        app = clock.install(build({"generous": generous, "free": free}, {"THROTTLING": Throttle(1, MINUTE)}))
        assert [(await call(app, "/generous")).status for _ in range(4)] == [200, 200, 200, 429]
        assert {(await call(app, "/free")).status for _ in range(10)} == {200}
        assert (await call(app, "/free")).limits == (None, None, None)

    @pytest.mark.parametrize("value", ["10/minute", 10, {"rate": 10}])
    def test_a_bad_throttling_option_is_a_startup_error_naming_the_route(self, value) -> None:
        @API(throttling=value)
        async def view():
            return None

        with pytest.raises(PantherError, match=r"'view/': `throttling` must be a Throttle"):
            build({"view": view})

    def test_a_bad_throttling_setting_is_a_startup_error(self) -> None:
        with pytest.raises(PantherError, match="THROTTLING must be a Throttle"):
            build({}, {"THROTTLING": "10/minute"})

    def test_a_throttle_without_the_plugin_names_the_distribution(self) -> None:
        with pytest.raises(PantherError, match="panther-cache"):
            build({"limited": limited}, disable_plugins=["cache"])

    def test_routes_without_throttling_or_cache_get_no_step(self) -> None:
        @API()
        async def plain():
            return None

        app = build({"plain": plain, "limited": limited})
        plans = {route.path: route.plan for route in app.routes}
        assert plans["plain"].steps == []
        assert [step.stage for step in plans["limited"].steps] == [300]
        assert plans["limited"].extra["throttling"] == Throttle(3, MINUTE)


class TestSlidingWindow:
    async def test_the_previous_window_still_counts_for_what_is_left_of_it(self, call, clock) -> None:
        @API(throttling=Throttle(4, MINUTE, sliding=True))
        async def view():
            return None

        app = clock.install(build({"x": view}))
        clock.advance(50)
        assert [(await call(app, "/x")).status for _ in range(5)] == [200, 200, 200, 200, 429]
        clock.advance(10)  # next window starts: the previous 4 still weigh 4 x 1.0
        refused = await call(app, "/x")
        assert refused.status == 429
        assert refused.headers["retry-after"] == "15"  # at 15 s they weigh 3: one request fits
        clock.advance(15)
        answer = await call(app, "/x")
        assert answer.status == 200 and answer.limits[1] == "0"
        clock.advance(30)  # 45 s in: 4 x 0.25 = 1 plus the 1 made: 2 more fit
        assert [(await call(app, "/x")).status for _ in range(3)] == [200, 200, 429]

    async def test_a_fixed_window_lets_a_burst_through_at_the_boundary_a_sliding_one_does_not(
        self, call, clock
    ) -> None:
        @API(throttling=Throttle(4, MINUTE))
        async def fixed():
            return None

        @API(throttling=Throttle(4, MINUTE, sliding=True))
        async def sliding():
            return None

        app = clock.install(build({"fixed": fixed, "sliding": sliding}))
        clock.advance(59)
        for path in ("/fixed", "/sliding"):
            for _ in range(4):
                await call(app, path)
        clock.advance(2)  # 2 s later, in the next window
        assert [(await call(app, "/fixed")).status for _ in range(4)] == [200] * 4
        assert (await call(app, "/sliding")).status == 429


class TestConcurrency:
    async def test_n_concurrent_requests_against_rate_r_let_exactly_r_through(self, call) -> None:
        runs = []

        @API(throttling=Throttle(10, timedelta(hours=1)))
        async def slow():
            await asyncio.sleep(0.01)  # the requests overlap in the endpoint
            runs.append(1)

        app = build({"slow": slow})
        answers = await asyncio.gather(*(call(app, "/slow") for _ in range(50)))
        statuses = [a.status for a in answers]
        assert statuses.count(200) == 10 and statuses.count(429) == 40
        assert len(runs) == 10
        assert sorted(a.limits[1] for a in answers if a.status == 200) == [str(n) for n in range(10)]


class TestApps:
    async def test_two_apps_count_separately(self, call, clock) -> None:
        first = clock.install(build({"limited": limited}))
        second = clock.install(build({"limited": limited}))
        for _ in range(3):
            await call(first, "/limited")
        assert (await call(first, "/limited")).status == 429
        assert (await call(second, "/limited")).status == 200

    async def test_memory_counting_warns_at_startup_that_workers_count_separately(self, caplog) -> None:
        caplog.set_level(logging.WARNING, logger="panther")
        async with APIClient(build({"limited": limited})):
            pass
        assert "each worker process counts separately" in caplog.text

        caplog.clear()

        @API()
        async def plain():
            return None

        async with APIClient(build({"plain": plain})):
            pass
        assert "each worker process counts separately" not in caplog.text
