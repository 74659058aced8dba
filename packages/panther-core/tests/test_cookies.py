"""Cookies: the forgiving request ``Cookie`` parser and ``Cookie`` objects sent as ``Set-Cookie``."""

import datetime
from http.cookies import SimpleCookie

import pytest

from panther import Panther
from panther.app import API
from panther.base_request import Headers
from panther.cookies import Cookie, parse_cookie_header
from panther.request import Request
from panther.response import Response


class TestParseCookieHeader:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("a=1", {"a": "1"}),
            ("a=1; b=2", {"a": "1", "b": "2"}),
            ("a=1;b=2", {"a": "1", "b": "2"}),
            ("a=1;", {"a": "1"}),
            ("; a=1 ;; ", {"a": "1"}),
            (" a = 1 ", {"a": "1"}),
            ("a=", {"a": ""}),
            ("a=1; flag", {"a": "1", "": "flag"}),
            ("=", {}),
            ("", {}),
            ("a=b=c", {"a": "b=c"}),
            ('a="quoted"', {"a": "quoted"}),
            ('a="x\\073y"', {"a": "x;y"}),
            ('a="unterminated', {"a": '"unterminated'}),
            ("a=1; a=2", {"a": "2"}),
            ("token=eyJhbGciOi.eyJzdWIi.SflKxw", {"token": "eyJhbGciOi.eyJzdWIi.SflKxw"}),
        ],
    )
    def test_browser_style_headers(self, header, expected):
        assert parse_cookie_header(header) == expected

    def test_what_we_set_is_what_we_read_back(self):
        for value in ("plain", "with space", "semi;colon", 'quote"d', "back\\slash", "comma,value"):
            coded = SimpleCookie({"k": value})["k"].coded_value  # what Cookie.header_value() sends
            assert Cookie("k", value).header_value().startswith(f"k={coded};")
            assert parse_cookie_header(f"k={coded}") == {"k": value}

    def test_headers_get_cookies(self):
        assert Headers([(b"cookie", b"a=1; b")]).get_cookies() == {"a": "1", "": "b"}
        assert Headers([]).get_cookies() == {}


class TestRequestCookies:
    async def test_cookies_reach_the_handler(self, caller):
        @API()
        async def view(request: Request):
            return {"cookies": request.cookies, "same": request.cookies is request.cookies}

        app = Panther(__name__, configs={}, urls={"x": view})
        result = await caller(app).get("/x", headers={"cookie": "session=abc; theme=dark;"})
        assert result.json() == {"cookies": {"session": "abc", "theme": "dark"}, "same": True}


class TestCookie:
    def test_is_a_slotted_dataclass_with_upstream_fields(self):
        cookie = Cookie("k", "v")
        assert (cookie.domain, cookie.max_age, cookie.secure, cookie.httponly, cookie.samesite, cookie.path) == (
            None,
            None,
            False,
            False,
            "lax",
            "/",
        )
        assert cookie.expires is None
        with pytest.raises(AttributeError):
            cookie.other = 1

    def test_no_path(self):
        assert "Path" not in Cookie("a", "1", path="").header_value()

    def test_max_age_and_expires_together(self):
        value = Cookie("a", "1", max_age=10, expires=datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC)).header_value()
        assert "Max-Age=10" in value
        assert "expires=Wed, 01 Jan 2031 00:00:00 GMT" in value

    async def test_set_cookie_and_read_it_back(self, caller):
        @API()
        async def login():
            return Response({"ok": True}, set_cookies=[Cookie("session", "a b;c", httponly=True)])

        @API()
        async def me(request: Request):
            return request.cookies

        client = caller(Panther(__name__, configs={}, urls={"login": login, "me": me}))
        set_cookie = (await client.get("/login")).header("set-cookie")
        pair = set_cookie.split("; ")[0]
        assert (await client.get("/me", headers={"cookie": pair})).json() == {"session": "a b;c"}
