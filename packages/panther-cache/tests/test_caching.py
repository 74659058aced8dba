"""Response caching with the in-memory store: what is kept, for whom, for how long, and what never is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from panther import Panther
from panther.app import API, GenericAPI
from panther.caching.state import STATE
from panther.exceptions import NotFoundAPIError, PantherError
from panther.request import Request
from panther.response import Cookie, HTMLResponse, Response, StreamingResponse
from panther.throttling import Throttle

MINUTE = timedelta(minutes=1)
BINARY = bytes(range(256)) * 4 + b"\n\r\x00\xff"


def build(urls, configs=None) -> Panther:
    return Panther(__name__, configs=configs or {}, urls=urls)


class Counter:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> int:
        self.runs += 1
        return self.runs


class TestHits:
    async def test_a_hit_answers_the_same_without_running_the_endpoint(self, call, clock) -> None:
        runs = Counter()

        @API(cache=MINUTE)
        async def view():
            return Response(
                {"run": runs()}, status_code=201, headers={"X-Custom": "kept", "Cache-Control": "max-age=9"}
            )

        app = clock.install(build({"x": view}))
        first = await call(app, "/x")
        second = await call(app, "/x")
        assert runs.runs == 1
        assert first.status == second.status == 201
        assert first.body == second.body == b'{"run":1}'
        assert first.headers == second.headers
        assert second.headers["x-custom"] == "kept" and second.headers["content-type"] == "application/json"

    async def test_binary_bodies_and_content_types_are_kept_exactly(self, call, clock) -> None:
        @API(cache=MINUTE)
        async def image():
            return Response(BINARY, headers={"Content-Type": "image/png"})

        @API(cache=MINUTE)
        async def page():
            return HTMLResponse("<p>é</p>")

        app = clock.install(build({"image": image, "page": page}))
        for _ in range(2):
            answer = await call(app, "/image")
            assert answer.body == BINARY and answer.headers["content-type"] == "image/png"
            assert answer.headers["content-length"] == str(len(BINARY))
            html = await call(app, "/page")
            assert html.body == "<p>é</p>".encode() and html.headers["content-type"] == "text/html; charset=utf-8"

    async def test_head_is_answered_from_the_get_entry(self, call, clock) -> None:
        runs = Counter()

        @API(cache=MINUTE)
        async def view():
            return {"run": runs()}

        app = clock.install(build({"x": view}))
        await call(app, "/x")
        head = await call(app, "/x", method="HEAD")
        assert head.status == 200 and head.body == b"" and head.headers["content-length"] == "9"
        assert runs.runs == 1

    async def test_entries_expire(self, call, clock) -> None:
        runs = Counter()

        @API(cache=timedelta(seconds=10))
        async def view():
            return {"run": runs()}

        app = clock.install(build({"x": view}))
        await call(app, "/x")
        clock.advance(9.9)
        assert (await call(app, "/x")).json() == {"run": 1}
        clock.advance(0.1)
        assert (await call(app, "/x")).json() == {"run": 2}

    async def test_generic_api_cache_attribute(self, call, clock) -> None:
        runs = Counter()

        class View(GenericAPI):
            cache = MINUTE

            async def get(self):
                return {"run": runs()}

            async def post(self):
                return {"run": runs()}

        app = clock.install(build({"x": View}))
        assert [(await call(app, "/x")).json() for _ in range(2)] == [{"run": 1}, {"run": 1}]
        # Only GET is cached.
        assert [(await call(app, "/x", method="POST")).json() for _ in range(2)] == [{"run": 2}, {"run": 3}]


class TestKeys:
    async def test_query_strings_and_path_variables_have_their_own_entries(self, call, clock) -> None:
        @API(cache=MINUTE)
        async def item(request: Request, item_id: int):
            return {"id": item_id, "q": request.query_params.get("q")}

        app = clock.install(build({"items/<item_id>": item}))
        assert (await call(app, "/items/1", query=b"q=a")).json() == {"id": 1, "q": "a"}
        assert (await call(app, "/items/1", query=b"q=b")).json() == {"id": 1, "q": "b"}
        assert (await call(app, "/items/2", query=b"q=a")).json() == {"id": 2, "q": "a"}
        assert (await call(app, "/items/1", query=b"q=a")).json() == {"id": 1, "q": "a"}

    async def test_one_user_never_gets_another_users_response(self, call, clock) -> None:
        class User:
            def __init__(self, id: str) -> None:
                self.id = id

        async def auth(request: Request):
            token = request.headers.authorization
            return User(token) if token else None

        @API(auth=auth, cache=MINUTE)
        async def me(request: Request):
            return {"user": request.user.id if request.user else None}

        app = clock.install(build({"me": me}))
        alice = [("authorization", "alice")]
        bob = [("authorization", "bob")]
        assert (await call(app, "/me", headers=alice)).json() == {"user": "alice"}
        assert (await call(app, "/me", headers=bob)).json() == {"user": "bob"}
        assert (await call(app, "/me", headers=alice, client=("10.9.9.9", 1))).json() == {"user": "alice"}
        assert (await call(app, "/me")).json() == {"user": None}

    async def test_anonymous_clients_are_told_apart_by_address(self, call, clock) -> None:
        @API(cache=MINUTE)
        async def whoami(request: Request):
            return {"ip": request.client.ip}

        app = clock.install(build({"whoami": whoami}))
        assert (await call(app, "/whoami", client=("10.0.0.1", 1))).json() == {"ip": "10.0.0.1"}
        assert (await call(app, "/whoami", client=("10.0.0.2", 1))).json() == {"ip": "10.0.0.2"}


class TestNeverKept:
    async def test_responses_setting_cookies(self, call, clock) -> None:
        runs = Counter()

        @API(cache=MINUTE)
        async def session():
            return Response({"run": runs()}, set_cookies=Cookie(key="session", value=str(runs.runs)))

        @API(cache=MINUTE)
        async def raw_header():
            return Response({"run": runs()}, headers={"Set-Cookie": "a=b"})

        app = clock.install(build({"session": session, "raw": raw_header}))
        first = await call(app, "/session")
        second = await call(app, "/session")
        assert first.json() != second.json() and "set-cookie" in second.headers
        assert (await call(app, "/raw")).json() != (await call(app, "/raw")).json()

    async def test_error_responses(self, call, clock) -> None:
        runs = Counter()

        @API(cache=MINUTE)
        async def missing():
            runs()
            raise NotFoundAPIError

        @API(cache=MINUTE)
        async def failing():
            return Response({"run": runs()}, status_code=503)

        app = clock.install(build({"missing": missing, "failing": failing}))
        for _ in range(2):
            assert (await call(app, "/missing")).status == 404
            assert (await call(app, "/failing")).status == 503
        assert runs.runs == 4

    async def test_streamed_responses(self, call, clock) -> None:
        runs = Counter()

        @API(cache=MINUTE)
        async def stream():
            run = runs()

            async def chunks():
                yield f"run {run}".encode()

            return StreamingResponse(chunks())

        app = clock.install(build({"stream": stream}))
        assert (await call(app, "/stream")).body == b"run 1"
        assert (await call(app, "/stream")).body == b"run 2"

    async def test_a_failed_hit_is_not_stored_as_a_hit(self, call, clock) -> None:
        """A hit returns a copy: headers added to one answer (here by a throttle) never reach the stored entry."""

        @API(cache=MINUTE, throttling=Throttle(10, MINUTE))
        async def view():
            return {"ok": True}

        app = clock.install(build({"x": view}))
        remaining = [(await call(app, "/x")).limits[1] for _ in range(3)]
        assert remaining == ["9", "8", "7"]


class TestBounds:
    async def test_least_recently_used_entries_are_evicted_past_max_entries(self, call, clock) -> None:
        runs: dict[int, int] = {}

        @API(cache=MINUTE)
        async def item(item_id: int):
            runs[item_id] = runs.get(item_id, 0) + 1
            return {"id": item_id}

        app = clock.install(build({"items/<item_id>": item}, {"CACHE": {"max_entries": 2}}))
        await call(app, "/items/1")
        await call(app, "/items/2")
        await call(app, "/items/1")  # 1 is now the most recently used
        await call(app, "/items/3")  # evicts 2
        assert len(app.stash[STATE].responses) == 2
        await call(app, "/items/1")
        await call(app, "/items/2")
        assert runs == {1: 1, 2: 2, 3: 1}

    async def test_bodies_are_bounded_in_bytes(self, call, clock) -> None:
        @API(cache=MINUTE)
        async def blob(size: int):
            return Response(b"x" * size, headers={"Content-Type": "application/octet-stream"})

        app = clock.install(build({"blob/<size>": blob}, {"CACHE": {"max_bytes": 1000}}))
        store = app.stash[STATE].responses
        for size in (400, 400, 300):
            await call(app, f"/blob/{size}")
        assert store.size <= 1000 and len(store) == 2  # the second 400 evicted by the 300
        await call(app, "/blob/5000")  # larger than the whole store: not kept, nothing evicted for it
        assert store.size <= 1000 and len(store) == 2


class TestDeclarations:
    @pytest.mark.parametrize("value", [60, "1m", timedelta(0), timedelta(seconds=-1)])
    def test_a_bad_cache_option_is_a_startup_error(self, value) -> None:
        @API(cache=value)
        async def view():
            return None

        with pytest.raises(PantherError, match=r"'view/': `cache` must be a positive timedelta"):
            build({"view": view})

    def test_cache_on_an_endpoint_without_get_is_a_startup_error(self) -> None:
        @API(methods=["POST"], cache=MINUTE)
        async def create():
            return None

        with pytest.raises(PantherError, match="answers no GET"):
            build({"create": create})

    def test_upstreams_cache_exp_time_says_what_replaced_it(self) -> None:
        @API(cache_exp_time=MINUTE)
        async def view():
            return None

        with pytest.raises(PantherError, match=r"`cache_exp_time` was removed; use `cache=timedelta"):
            build({"view": view})

    def test_cache_false_adds_nothing(self) -> None:
        @API(cache=False, throttling=False)
        async def view():
            return None

        assert build({"view": view}).routes[0].plan.steps == []

    @pytest.mark.parametrize(
        ("setting", "message"),
        [
            ({"backend": "disk"}, "CACHE\\['backend'\\]"),
            ({"max_entries": 0}, "CACHE\\['max_entries'\\]"),
            ({"on_redis_error": "panic"}, "on_redis_error"),
            ({"size": 1}, "unknown keys \\['size'\\]"),
            ("memory", "CACHE must be a dict"),
            ({"backend": "redis"}, "REDIS is not set"),
        ],
    )
    def test_bad_cache_settings_are_startup_errors(self, setting, message) -> None:
        with pytest.raises(PantherError, match=message):
            build({}, {"CACHE": setting})


class TestMiddlewares:
    async def test_a_cookie_set_on_a_hit_keeps_the_stored_headers(self, call, clock) -> None:
        from panther.middlewares import HTTPMiddleware
        from panther.response import Cookie, HTMLResponse

        class Stamp(HTTPMiddleware):
            async def __call__(self, request: Request) -> Response:
                response = await self.dispatch(request=request)
                response.set_cookies.append(Cookie("seen", "1"))
                return response

        @API(cache=MINUTE)
        async def page():
            return HTMLResponse("<p>hi</p>", headers={"X-Made": "by the endpoint"})

        app = clock.install(build({"x": page}, {"MIDDLEWARES": [Stamp]}))
        await call(app, "/x")
        hit = await call(app, "/x")
        assert hit.headers["content-type"] == "text/html; charset=utf-8" and hit.headers["x-made"] == "by the endpoint"
        assert hit.headers["set-cookie"].startswith("seen=1") and hit.body == b"<p>hi</p>"

    async def test_middlewares_see_the_throttle_headers_and_the_stored_ones(self, call, clock) -> None:
        from panther.middlewares import HTTPMiddleware

        seen: list[dict[str, str]] = []

        class Spy(HTTPMiddleware):
            async def __call__(self, request: Request) -> Response:
                response = await self.dispatch(request=request)
                seen.append({k.lower(): v for k, v in response.headers.items()})
                response.headers["X-Spied"] = "yes"
                return response

        @API(cache=MINUTE, throttling=Throttle(10, MINUTE))
        async def view():
            return Response({"ok": True}, headers={"X-Made": "by the endpoint"})

        app = clock.install(build({"x": view}, {"MIDDLEWARES": [Spy]}))
        first = await call(app, "/x")
        second = await call(app, "/x")  # a hit
        for answer, headers in zip((first, second), seen):
            assert headers["x-made"] == "by the endpoint" and headers["content-type"] == "application/json"
            assert headers["x-ratelimit-remaining"] == answer.headers["x-ratelimit-remaining"]
            assert answer.headers["x-spied"] == "yes" and answer.headers["x-made"] == "by the endpoint"
        assert [a.headers["x-ratelimit-remaining"] for a in (first, second)] == ["9", "8"]
        assert second.body == first.body
