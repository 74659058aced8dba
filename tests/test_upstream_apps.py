"""Tests written the way upstream Panther's users (and upstream's own suite) write them: unittest classes, an
``APIClient``, plain asserts on ``res.data``, ``res.headers`` and ``res.cookies``. Each covers a behaviour upstream
apps rely on; the deliberate differences are listed in docs/upstream.md (the README keeps a short version)."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from unittest import IsolatedAsyncioTestCase, TestCase

import pytest
from pydantic import BaseModel

from panther import Panther, status
from panther.app import API
from panther.events import Event
from panther.middlewares.cors import CORSMiddleware
from panther.request import Request
from panther.response import Cookie, FileResponse, PlainTextResponse, Response, StreamingResponse
from panther.test import APIClient
from panther.utils import load_env, round_datetime

logger = logging.getLogger("panther")


@API()
async def as_int(value: int):
    return value


@API()
async def as_bool(value: bool):
    return value


@API()
async def as_float(value: float):
    return value


@API()
async def as_uuid(value: uuid.UUID):
    return str(value)


@API()
async def addresses(request: Request):
    return {
        "client": request.client.__dict__,
        "client_str": str(request.client),
        "ip": request.client.ip,
        "server": str(request.server),
        "whole": request.client,
    }


@API(methods=["GET", "POST"])
async def echo_headers(request: Request):
    return request.headers.__dict__


@API()
async def cookies():
    return Response(
        data={"ok": True},
        set_cookies=[Cookie(key="a", value="1"), Cookie(key="b", value="2", max_age=100, httponly=True)],
        headers={"X-Request-Id": "7"},
    )


@API()
async def stream():
    def numbers():
        for number in range(3):
            yield f"{number},"

    return StreamingResponse(numbers())


@API()
async def plain():
    return PlainTextResponse("Hello World")


@API()
async def file():
    return FileResponse("files/hello.txt")


urls = {
    "int/<value>/": as_int,
    "bool/<value>/": as_bool,
    "float/<value>/": as_float,
    "uuid/<value>/": as_uuid,
    "addresses/": addresses,
    "headers/": echo_headers,
    "cookies/": cookies,
    "stream/": stream,
    "plain/": plain,
    "file/": file,
}


class TestRequestsAndResponses(IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.app = Panther(__name__, configs={}, urls=urls)

    async def asyncSetUp(self) -> None:
        self.client = APIClient(app=self.app)

    async def asyncTearDown(self) -> None:
        await self.client.close()

    async def test_path_variables_that_do_not_cast_quote_the_value(self):
        for path, expected in (
            ("int/ali/", "Path variable `ali` is not `int`"),
            ("bool/maybe/", "Path variable `maybe` is not `bool`"),
            ("float/one/", "Path variable `one` is not `float`"),
            ("uuid/not-a-uuid/", "Path variable `not-a-uuid` is not `UUID`"),
        ):
            res = await self.client.get(path)
            assert res.status_code == 400
            assert res.data == {"detail": expected}
        assert (await self.client.get("int/27/")).data == 27
        assert (await self.client.get("bool/true/")).data is True

    async def test_client_and_server_addresses(self):
        res = await self.client.get("addresses/")
        assert res.status_code == 200
        assert res.data["client"] == {"ip": "127.0.0.1", "port": 8585}
        assert res.data["client_str"] == "127.0.0.1:8585"
        assert res.data["ip"] == "127.0.0.1"
        assert res.data["server"] == "testserver:80"
        assert res.data["whole"] == {"ip": "127.0.0.1", "port": 8585}

    async def test_the_client_adds_only_what_http_needs(self):
        assert (await self.client.get("headers/")).data == {"host": "testserver"}
        res = await self.client.post("headers/", headers={"Authorization": "Token xxx"})
        assert res.data == {"host": "testserver", "content-type": "application/json", "authorization": "Token xxx"}
        res = await self.client.post("headers/", payload={"a": 1})
        assert res.data == {"host": "testserver", "content-length": "7", "content-type": "application/json"}

    async def test_response_headers_read_as_the_app_wrote_them(self):
        res = await self.client.get("plain/")
        assert res.data == "Hello World"
        assert set(res.headers.keys()) == {"Content-Type", "Content-Length"}
        assert res.headers["Content-Type"] == res.headers["content-type"] == "text/plain; charset=utf-8"
        assert res.headers == {"Content-Type": "text/plain; charset=utf-8", "Content-Length": "11"}
        assert dict(res.headers) == {"Content-Type": "text/plain; charset=utf-8", "Content-Length": "11"}

    async def test_cookies_keep_upstreams_shape(self):
        res = await self.client.get("cookies/")
        assert "Set-Cookie" in res.headers
        assert res.headers["X-Request-Id"] == "7"
        assert res.cookies == [
            (b"Set-Cookie", b"a=1; Path=/; SameSite=lax"),
            (b"Set-Cookie", b"b=2; HttpOnly; Max-Age=100; Path=/; SameSite=lax"),
        ]
        assert res.cookies["b"] == "2"
        # Not sent back by itself: upstream's client kept no cookies between requests.
        assert "cookie" not in (await self.client.get("headers/")).data

    async def test_streamed_text_is_text(self):
        res = await self.client.get("stream/")
        assert res.status_code == 200
        assert res.headers["Content-Type"] == "application/octet-stream"
        assert res.data == "0,1,2,"
        assert res.body == b"0,1,2,"

    async def test_file_response_paths_start_at_the_working_directory(self):
        cwd = Path.cwd()
        site = Path(self.enterContext(tempfile.TemporaryDirectory()))
        (site / "files").mkdir()
        (site / "files" / "hello.txt").write_text("hello")
        os.chdir(site)
        try:
            res = await self.client.get("file/")
        finally:
            os.chdir(cwd)
        assert res.status_code == 200
        assert res.data == "hello"
        assert res.headers["Content-Type"] == "text/plain"

    async def test_serialize_output_as_upstream(self):
        class UserOut(BaseModel):
            name: str

        response = Response(data=[{"name": "ali", "password": "secret"}])
        await response.serialize_output(UserOut)
        assert response.data == [{"name": "ali"}]


class TestCORS(IsolatedAsyncioTestCase):
    async def test_actual_responses_carry_methods_headers_and_max_age(self):
        app = Panther(__name__, configs={"MIDDLEWARES": [CORSMiddleware]}, urls=urls)
        async with APIClient(app=app) as client:
            res = await client.get("plain/", headers={"origin": "http://example.com"})
        assert res.status_code == 200
        assert res.headers["Access-Control-Allow-Origin"] == "*"
        assert res.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        assert res.headers["Access-Control-Allow-Headers"] == "*"
        assert res.headers["Access-Control-Max-Age"] == "600"
        assert "Access-Control-Allow-Credentials" not in res.headers
        assert "Access-Control-Expose-Headers" not in res.headers

    async def test_credentials_and_expose_headers(self):
        configs = {
            "MIDDLEWARES": [CORSMiddleware],
            "ALLOW_ORIGINS": ["https://allowed.com"],
            "ALLOW_CREDENTIALS": True,
            "EXPOSE_HEADERS": ["X-My-Header", "X-Another-Header"],
            "CORS_MAX_AGE": 60,
        }
        async with APIClient(app=Panther(__name__, configs=configs, urls=urls)) as client:
            res = await client.get("plain/", headers={"origin": "https://allowed.com"})
        assert res.headers["Access-Control-Allow-Origin"] == "https://allowed.com"
        assert res.headers["Access-Control-Allow-Credentials"] == "true"
        assert res.headers["Access-Control-Expose-Headers"] == "X-My-Header, X-Another-Header"
        assert res.headers["Access-Control-Max-Age"] == "60"
        assert res.headers["Vary"] == "Origin"


class TestEvents(IsolatedAsyncioTestCase):
    def setUp(self) -> None:
        Event.clear()

    def tearDown(self) -> None:
        Event.clear()

    def test_one_registry_as_class_or_instance(self):
        def first():
            pass

        def second():
            pass

        assert Event() is Event()
        Event.startup(first)
        Event().startup(second)
        assert Event._startups == [first, second]
        assert Event()._startups is Event._startups

    async def test_startup_logs_reach_the_root_logger(self):
        async def startup_event():
            logger.info("This Is Startup.")

        Event.startup(startup_event)
        with self.assertLogs(level="INFO") as capture:
            await Event.run_startups()
        assert [record.getMessage() for record in capture.records] == ["This Is Startup."]

    async def test_an_apps_startup_and_shutdown_logs_reach_the_root_logger(self):
        @Event.startup
        def started():
            logger.info("started")

        @Event.shutdown
        async def stopped():
            logger.info("stopped")

        with self.assertLogs(level="INFO") as capture:
            async with APIClient(app=Panther(__name__, configs={}, urls=urls)):
                pass
        messages = [record.getMessage() for record in capture.records]
        assert messages.index("started") < messages.index("stopped")

    async def test_a_failing_function_is_logged_as_upstream_did(self):
        def broken():
            raise ValueError("boom")

        Event.shutdown(broken)
        with self.assertLogs(level="ERROR") as capture:
            await Event.run_shutdowns()
        assert capture.records[0].getMessage() == "broken() shutdown event got error: boom"


class TestUtils(TestCase):
    def test_load_env_sets_os_environ(self):
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / ".env"
        path.write_text("IS_ACTIVE = 'True'\nDB_HOST = \"127.0.0.1\"\n# COMMENTED=1\n")
        self.addCleanup(os.environ.pop, "IS_ACTIVE", None)
        self.addCleanup(os.environ.pop, "DB_HOST", None)
        assert load_env(str(path)) == {"IS_ACTIVE": True, "DB_HOST": "127.0.0.1"}
        assert os.environ["IS_ACTIVE"] == "True"
        assert os.environ["DB_HOST"] == "127.0.0.1"

    def test_load_env_invalid_file(self):
        with pytest.raises(ValueError) as error:
            load_env("fake.file")
        assert error.value.args[0] == '"fake.file" is not a file.'

    def test_round_datetime(self):
        moment = datetime(1997, 12, 25, 12, 10, 30)
        assert round_datetime(moment, timedelta(seconds=20)) == datetime(1997, 12, 25, 12, 10, 40)
        assert round_datetime(moment, timedelta(hours=5)) == datetime(1997, 12, 25, 12)
        assert round_datetime(datetime(1997, 12, 25, 10, 10, 30), timedelta(hours=5)) == datetime(1997, 12, 25, 12)
        assert round_datetime(datetime(1997, 12, 22, 1), timedelta(days=2)) == datetime(1997, 12, 23)
        assert round_datetime(datetime(1997, 12, 24, 12, 10), timedelta(days=2)) == datetime(1997, 12, 25)

    def test_status_text_has_websocket_close_codes(self):
        assert status.status_text[status.WS_1000_NORMAL_CLOSURE] == "Normal Closure"
        assert status.status_text[1011] == "Internal Error"
        assert status.status_text[1014] == "Bad Gateway"
        assert {1000, 1001, 1002, 1003, *range(1007, 1015)} <= set(status.status_text)
        assert status.status_text[200] == "Ok"
