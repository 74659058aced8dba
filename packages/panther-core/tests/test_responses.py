"""Responses: JSON encoding (and plugin encoders), HTML/text, streaming, redirects, headers and cookies."""

import asyncio
import dataclasses
import datetime
import enum
import uuid
from decimal import Decimal
from pathlib import PurePosixPath

import orjson
import pytest
from pydantic import BaseModel

from panther import Panther
from panther.app import API
from panther.plugins import hookimpl
from panther.request import Request
from panther.response import (
    Cookie,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)


def app_for(handler, **kwargs):
    return Panther(__name__, configs=kwargs.pop("configs", {}), urls={"x": handler}, **kwargs)


async def get(caller, value, **kwargs):
    """GET an endpoint that returns ``value``."""

    @API()
    async def handler():
        return value

    return await caller(app_for(handler, **kwargs)).get("/x")


class Point(BaseModel):
    x: int
    when: datetime.datetime


@dataclasses.dataclass
class Pair:
    left: int
    right: str


class Colour(enum.Enum):
    RED = "red"


class TestJSONEncoding:
    async def test_plain_data_is_wrapped_in_a_json_response(self, caller):
        result = await get(caller, {"a": 1})
        assert result.status == 200
        assert result.header("content-type") == "application/json"
        assert result.header("content-length") == str(len(result.body))
        assert result.json() == {"a": 1}

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ([1, "a", None], [1, "a", None]),
            ((1, 2), [1, 2]),
            ("text", "text"),
            (3.5, 3.5),
            (True, True),
            (0, 0),
            ({1: "int key"}, {"1": "int key"}),
        ],
    )
    async def test_builtin_types(self, caller, value, expected):
        assert (await get(caller, value)).json() == expected

    async def test_rich_types(self, caller):
        moment = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
        ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
        value = {
            "model": Point(x=1, when=moment),
            "models": [Point(x=2, when=moment)],
            "dataclass": Pair(1, "b"),
            "datetime": moment,
            "date": datetime.date(2024, 5, 1),
            "time": datetime.time(8, 0),
            "uuid": ident,
            "set": {3},
            "frozenset": frozenset({4}),
            "decimal": Decimal("1.10"),
            "enum": Colour.RED,
            "path": PurePosixPath("/a/b"),
            "nested_bytes": b"abc",
            "generator": (i for i in range(3)),
        }
        assert (await get(caller, value)).json() == {
            "model": {"x": 1, "when": "2024-05-01T12:30:00Z"},
            "models": [{"x": 2, "when": "2024-05-01T12:30:00Z"}],
            "dataclass": {"left": 1, "right": "b"},
            "datetime": "2024-05-01T12:30:00+00:00",
            "date": "2024-05-01",
            "time": "08:00:00",
            "uuid": str(ident),
            "set": [3],
            "frozenset": [4],
            "decimal": "1.10",
            "enum": "red",
            "path": "/a/b",
            "nested_bytes": "abc",
            "generator": [0, 1, 2],
        }

    async def test_generator_with_non_string_keys_is_read_once(self, caller):
        # Non-string keys need orjson's slower options, which are tried second: the generator must survive that.
        value = {"numbers": (i for i in range(3)), 7: "seven"}
        assert (await get(caller, value)).json() == {"numbers": [0, 1, 2], "7": "seven"}

    async def test_mappings_keep_their_values(self, caller):
        from types import MappingProxyType

        from panther.base_request import Headers

        value = {"proxy": MappingProxyType({"a": 1}), "headers": Headers([(b"x-a", b"1")])}
        assert (await get(caller, value)).json() == {"proxy": {"a": 1}, "headers": {"x-a": "1"}}

    async def test_top_level_model(self, caller):
        moment = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
        assert (await get(caller, Point(x=1, when=moment))).json() == {"x": 1, "when": "2024-05-01T00:00:00Z"}

    async def test_none_is_an_empty_body(self, caller):
        result = await get(caller, None)
        assert result.status == 200
        assert result.body == b""
        assert result.header("content-length") == "0"

    async def test_top_level_bytes_are_sent_as_they_are(self, caller):
        result = await get(caller, b"\x00raw")
        assert result.body == b"\x00raw"

    async def test_unserialisable_data_is_a_logged_500(self, caller, caplog):
        result = await get(caller, {"obj": object()})
        assert result.status == 500
        assert result.json() == {"detail": "Internal Server Error"}
        assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1

    async def test_plugin_json_encoders(self, caller):
        class Money:
            def __init__(self, cents):
                self.cents = cents

        class Cents(Money):
            pass

        class MoneyPlugin:
            @hookimpl
            def panther_json_encoders(self):
                return {Money: lambda m: f"{m.cents / 100:.2f} EUR"}

        result = await get(caller, {"price": Money(1234), "sub": [Cents(5)]}, plugins=[MoneyPlugin()])
        assert result.json() == {"price": "12.34 EUR", "sub": ["0.05 EUR"]}

    async def test_plugin_encoders_belong_to_their_app(self, caller):
        class Thing:
            pass

        class ThingPlugin:
            @hookimpl
            def panther_json_encoders(self):
                return {Thing: lambda _: "thing"}

        assert (await get(caller, [Thing()], plugins=[ThingPlugin()])).json() == ["thing"]
        assert (await get(caller, [Thing()])).status == 500

    async def test_a_model_is_encoded_without_probing_its_attributes(self, caller):
        # A probe for a missing attribute falls into pydantic's `__getattr__`, which raises: on every response
        # with a model that cost more than the rest of its encoding.
        probed: list[str] = []

        class Probed(BaseModel):
            x: int

            def __getattr__(self, name: str):
                probed.append(name)
                return super().__getattr__(name)

        @API()
        async def handler():
            return {"one": Probed(x=1), "many": [Probed(x=2), Probed(x=3)]}

        client = caller(app_for(handler))
        for _ in range(2):
            assert (await client.get("/x")).json() == {"one": {"x": 1}, "many": [{"x": 2}, {"x": 3}]}
        assert probed == []

    async def test_an_iterator_with_an_encoder_is_read_once(self, caller):
        # The retry with orjson's slower options (for the non-string key) must not find it already consumed.
        class Countdown:
            def __init__(self, start):
                self.left = start

            def __iter__(self):
                return self

            def __next__(self):
                if self.left == 0:
                    raise StopIteration
                self.left -= 1
                return self.left + 1

        class CountdownPlugin:
            @hookimpl
            def panther_json_encoders(self):
                return {Countdown: lambda countdown: ["launch", *countdown]}

        value = {"countdown": Countdown(3), 7: "seven"}
        result = await get(caller, value, plugins=[CountdownPlugin()])
        assert result.json() == {"countdown": ["launch", 3, 2, 1], "7": "seven"}

    def test_body_outside_an_app(self):
        assert orjson.loads(Response({"a": {1, 2}}).body) == {"a": [1, 2]}
        assert Response().body == b""


class TestResponseObject:
    async def test_status_headers_and_data(self, caller):
        result = await get(caller, Response({"created": True}, status_code=201, headers={"X-Trace": "abc", "n": 1}))
        assert result.status == 201
        assert result.header("x-trace") == "abc"
        assert result.header("n") == "1"
        assert result.json() == {"created": True}

    async def test_encoded_header_lines_are_sent_after_the_others(self, caller):
        plain = Response({"a": 1})
        plain.add_header_lines([(b"x-one", b"1")])
        plain.add_header_lines([(b"x-two", b"2")])
        result = await get(caller, plain)
        assert result.json() == {"a": 1}
        assert [name for name, _ in result.headers][-2:] == [b"x-one", b"x-two"] and result.header("x-two") == "2"

        with_headers = Response({"a": 1}, status_code=201, headers={"X-Mine": "m"}, set_cookies=Cookie("c", "v"))
        with_headers.add_header_lines([(b"x-one", b"1")])
        result = await get(caller, with_headers)
        assert (result.status, result.header("x-mine"), result.header("x-one")) == (201, "m", "1")
        assert result.header("set-cookie").startswith("c=v")

        html = HTMLResponse("<p>hi</p>")
        html.add_header_lines([(b"x-one", b"1")])
        result = await get(caller, html)
        assert (result.header("content-type"), result.header("x-one")) == ("text/html; charset=utf-8", "1")

    def test_reading_headers_folds_encoded_lines_into_the_dict(self):
        response = Response({}, headers={"X-Mine": "m"})
        response.add_header_lines([(b"x-one", b"1")])
        assert response.headers["x-one"] == "1"  # a middleware sees them, and may change them
        response.headers["x-one"] = "2"
        assert response.raw_headers(2).count((b"x-one", b"2")) == 1 and (b"x-one", b"1") not in response.raw_headers(2)
        response.add_header_lines([(b"x-two", b"2")])
        response.headers = {"X-New": "n"}  # replacing the headers drops the lines too
        assert [name for name, _ in response.raw_headers(2)] == [b"content-type", b"content-length", b"x-new"]

    async def test_a_subclass_that_skips_response_init_still_sends(self, caller):
        class Bare(Response):
            def __init__(self, data):  # does not call Response.__init__, as some upstream subclasses do not
                self.data = data
                self.status_code = 200
                self.pagination = None
                self._headers = None
                self._cookies = None

        assert (await get(caller, Bare({"a": 1}))).json() == {"a": 1}
        bare = Bare({"a": 1})
        bare.add_header_lines([(b"x-one", b"1")])
        assert bare.headers["x-one"] == "1"

    @pytest.mark.parametrize("headers", [{"X-A": "a\r\nSet-Cookie: evil=1"}, {"X-A": "a\nb"}, {"X-A\r\nX-B": "1"}])
    async def test_a_line_break_in_a_header_is_refused_not_sent(self, caller, caplog, headers):
        # Upstream passed it on: a value taken from the request could add headers (or split the response).
        result = await get(caller, Response({}, headers=headers))
        assert result.status == 500
        assert result.header("set-cookie") is None and result.header("x-b") is None
        assert "header injection" in caplog.text

    async def test_user_content_type_replaces_the_default(self, caller):
        result = await get(caller, Response(b"<x/>", headers={"Content-Type": "application/xml"}))
        assert result.header_list("content-type") == ["application/xml"]
        assert result.body == b"<x/>"

    async def test_user_content_length_is_ignored(self, caller):
        result = await get(caller, Response({"a": 1}, headers={"Content-Length": "999"}))
        assert result.header_list("content-length") == [str(len(result.body))]

    @pytest.mark.parametrize("status", [204, 304])
    async def test_no_body_statuses_have_no_content_length(self, caller, status):
        result = await get(caller, Response(status_code=status))
        assert result.status == status
        assert result.body == b""
        assert result.header("content-length") is None

    async def test_pagination_is_applied(self, caller):
        class Pages:
            async def template(self, data):
                return {"count": len(data), "results": data[:2]}

        result = await get(caller, Response([1, 2, 3], pagination=Pages()))
        assert result.json() == {"count": 3, "results": [1, 2]}

    def test_repr(self):
        assert repr(Response(status_code=201)) == "<Response status_code=201>"


class TestTextResponses:
    async def test_html(self, caller):
        result = await get(caller, HTMLResponse("<b>hi</b>"))
        assert result.header("content-type") == "text/html; charset=utf-8"
        assert result.body == b"<b>hi</b>"

    async def test_plain_text(self, caller):
        result = await get(caller, PlainTextResponse("héllo", status_code=202))
        assert result.status == 202
        assert result.header("content-type") == "text/plain; charset=utf-8"
        assert result.body == "héllo".encode()
        assert result.header("content-length") == str(len("héllo".encode()))

    async def test_text_from_bytes_and_none(self, caller):
        assert (await get(caller, PlainTextResponse(b"raw"))).body == b"raw"
        assert (await get(caller, HTMLResponse())).body == b""
        assert (await get(caller, HTMLResponse(bytearray(b"<p>")))).body == b"<p>"


class TestRedirect:
    async def test_default_is_307(self, caller):
        result = await get(caller, RedirectResponse("/new"))
        assert result.status == 307
        assert result.header("location") == "/new"
        assert result.body == b""

    async def test_non_latin1_location_is_percent_encoded(self, caller):
        result = await get(caller, RedirectResponse("/café/日本?q=a b&x=%2F#top"))
        assert result.status == 307
        assert result.header("location") == "/caf%C3%A9/%E6%97%A5%E6%9C%AC?q=a%20b&x=%2F#top"

    async def test_custom_status_headers_and_cookies(self, caller):
        result = await get(
            caller,
            RedirectResponse("https://example.com/", status_code=302, headers={"X": "1"}, set_cookies=Cookie("a", "b")),
        )
        assert result.status == 302
        assert result.header("location") == "https://example.com/"
        assert result.header("x") == "1"
        assert result.header("set-cookie").startswith("a=b")


class TestCookies:
    def test_defaults(self):
        assert Cookie("session", "abc").header_value() == "session=abc; Path=/; SameSite=lax"  # upstream's text

    def test_every_attribute(self):
        cookie = Cookie(
            key="session",
            value="abc",
            domain="example.com",
            max_age=3600,
            secure=True,
            httponly=True,
            samesite="strict",
            path="/api",
            expires=datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        )
        parts = cookie.header_value().split("; ")
        assert parts[0] == "session=abc"
        assert set(parts[1:]) == {
            "Domain=example.com",
            "Max-Age=3600",
            "Path=/api",
            "expires=Wed, 02 Jan 2030 03:04:05 GMT",
            "Secure",
            "HttpOnly",
            "SameSite=strict",
        }

    def test_naive_and_offset_expires_are_sent_in_gmt(self):
        naive = Cookie("a", "1", expires=datetime.datetime(2030, 1, 2, 3, 4, 5)).header_value()
        assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in naive
        tehran = datetime.timezone(datetime.timedelta(hours=3, minutes=30))
        offset = Cookie("a", "1", expires=datetime.datetime(2030, 1, 2, 6, 34, 5, tzinfo=tehran)).header_value()
        assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in offset

    def test_expires_as_a_string(self):
        assert (
            "expires=Thu, 01 Jan 1970 00:00:00 GMT"
            in Cookie("a", "", expires="Thu, 01 Jan 1970 00:00:00 GMT").header_value()
        )

    def test_delete_with_max_age_zero(self):
        assert "Max-Age=0" in Cookie("a", "", max_age=0).header_value()

    def test_samesite_none_and_off(self):
        assert "SameSite=none" in Cookie("a", "1", samesite="none", secure=True).header_value()
        assert "SameSite" not in Cookie("a", "1", samesite=None).header_value()

    def test_values_that_need_quoting(self):
        assert Cookie("a", "x y;z").header_value().startswith('a="x y\\073z"')

    async def test_several_cookies_are_several_headers(self, caller):
        result = await get(caller, Response({"ok": 1}, set_cookies=[Cookie("a", "1"), Cookie("b", "2", httponly=True)]))
        values = result.header_list("set-cookie")
        assert len(values) == 2
        assert values[0].startswith("a=1;")
        assert values[1].startswith("b=2;")
        assert "HttpOnly" in values[1]

    async def test_single_cookie(self, caller):
        result = await get(caller, Response(set_cookies=Cookie("a", "1")))
        assert result.header_list("set-cookie") == ["a=1; Path=/; SameSite=lax"]


class StreamClient:
    """An ASGI exchange where the client stays connected until ``disconnect()`` (like a real server)."""

    def __init__(self, app):
        self.app = app
        self.messages = []
        self.gone = asyncio.Event()
        self.body_sent = False

    def disconnect(self):
        self.gone.set()

    async def receive(self):
        if not self.body_sent:
            self.body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.messages.append(message)

    async def get(self, path):
        scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
        await self.app(scope, self.receive, self.send)

    @property
    def chunks(self):
        return [m["body"] for m in self.messages if m["type"] == "http.response.body"]


class TestStreaming:
    async def test_async_generator(self):
        async def produce():
            yield b"a"
            yield "b"
            yield {"c": 1}
            yield None
            yield bytearray(b"d")
            yield memoryview(b"e")

        @API()
        async def handler():
            return StreamingResponse(produce(), headers={"X": "1"})

        client = StreamClient(app_for(handler))
        await client.get("/x")
        start = client.messages[0]
        assert start["status"] == 200
        headers = dict(start["headers"])
        assert headers[b"content-type"] == b"application/octet-stream"
        assert b"content-length" not in headers
        assert headers[b"x"] == b"1"
        assert client.chunks == [b"a", b"b", b'{"c":1}', b"", b"d", b"e", b""]
        assert client.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}

    async def test_sync_generator_runs_off_the_event_loop(self):
        import threading

        main_thread = threading.get_ident()
        threads = []

        def produce():
            for i in range(3):
                threads.append(threading.get_ident())
                yield f"{i},"

        @API()
        async def handler():
            return StreamingResponse(produce())

        client = StreamClient(app_for(handler))
        await client.get("/x")
        assert b"".join(client.chunks) == b"0,1,2,"
        assert main_thread not in threads

    async def test_stops_when_the_client_disconnects(self):
        produced = []
        closed = asyncio.Event()
        three_sent = asyncio.Event()

        async def produce():
            try:
                for i in range(1000):
                    produced.append(i)
                    if i == 3:
                        three_sent.set()
                    yield b"x"
                    await asyncio.sleep(0.001)
            finally:
                closed.set()

        @API()
        async def handler():
            return StreamingResponse(produce())

        client = StreamClient(app_for(handler))
        task = asyncio.create_task(client.get("/x"))
        await asyncio.wait_for(three_sent.wait(), 2)
        client.disconnect()
        await asyncio.wait_for(task, 2)
        assert closed.is_set()
        assert len(produced) < 1000
        assert not any(m.get("more_body") is False for m in client.messages)

    async def test_stops_when_the_client_disconnects_while_the_generator_waits(self):
        # A server-sent-events style stream waits for the next event; a client that leaves meanwhile must not
        # keep the generator (and the request) alive forever.
        closed = asyncio.Event()
        waiting = asyncio.Event()

        async def produce():
            try:
                yield b"first"
                waiting.set()
                await asyncio.Event().wait()  # no more events, ever
                yield b"never"
            finally:
                closed.set()

        @API()
        async def handler():
            return StreamingResponse(produce())

        client = StreamClient(app_for(handler))
        task = asyncio.create_task(client.get("/x"))
        await asyncio.wait_for(waiting.wait(), 2)
        client.disconnect()
        await asyncio.wait_for(task, 2)
        assert closed.is_set()
        assert client.chunks == [b"first"]

    async def test_head_of_a_stream_sends_no_body(self, caller):
        consumed = []

        async def produce():
            consumed.append(1)
            yield b"x"

        @API()
        async def handler():
            return StreamingResponse(produce())

        result = await caller(app_for(handler)).request("HEAD", "/x")
        assert result.status == 200
        assert result.body == b""
        assert result.header("content-length") is None
        assert consumed == []


class TestEndpointReturns:
    async def test_request_data_round_trip(self, caller):
        @API()
        async def handler(request: Request):
            return Response(data=request.data, status_code=201)

        result = await caller(app_for(handler)).post("/x", json_body={"a": [1]})
        assert result.status == 201
        assert result.json() == {"a": [1]}

    async def test_sync_endpoint_returning_a_response(self, caller):
        @API()
        def handler():
            return PlainTextResponse("sync")

        assert (await caller(app_for(handler)).get("/x")).body == b"sync"


class TestPlainDataIsSentAsResponseWouldBe:
    """The app sends plain data without building a Response: the bytes on the wire must be the same."""

    @pytest.mark.parametrize(
        "value", [{"a": 1}, [1, "x"], "text", 12, 1.5, True, None, b"raw", (1, 2), {"when": datetime.date(2026, 1, 2)}]
    )
    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    async def test_same_status_headers_and_body(self, caller, value, method):
        @API()
        async def plain():
            return value

        @API()
        async def wrapped():
            return Response(value)

        client = caller(Panther(__name__, configs={}, urls={"plain": plain, "wrapped": wrapped}))
        got = await client.request(method, "/plain")
        expected = await client.request(method, "/wrapped")
        assert (got.status, got.headers, got.body) == (expected.status, expected.headers, expected.body)
        assert got.status == 200

    async def test_unserialisable_plain_data_is_a_logged_500(self, caller, caplog):
        @API()
        async def handler():
            return {"x": object()}

        result = await caller(app_for(handler)).get("/x")
        assert result.status == 500
        assert result.json() == {"detail": "Internal Server Error"}
        assert "Internal Server Error" in caplog.text
