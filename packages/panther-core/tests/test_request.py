"""The request object: headers, query parameters, addresses, path variables (with casting), user and cookies."""

from __future__ import annotations

import uuid

import pytest

from panther import Panther
from panther.app import API, GenericAPI
from panther.base_request import Address, Headers
from panther.encoders import default_dumps
from panther.exceptions import PantherError
from panther.request import Request


def make_app(urls, configs=None):
    return Panther(__name__, configs=configs or {}, urls=urls)


class TestHeaders:
    def test_lookup_is_case_insensitive(self):
        headers = Headers([(b"content-type", b"application/json"), (b"x-request-id", b"42")])
        assert headers["Content-Type"] == "application/json"
        assert headers["CONTENT-TYPE"] == "application/json"
        assert headers.get("Content-Type") == "application/json"
        assert headers.content_type == "application/json"
        assert headers.x_request_id == "42"
        assert headers["x_request_id"] == "42"
        assert "X-Request-Id" in headers
        assert "missing" not in headers
        assert headers.authorization is None
        assert headers.get("missing", "default") == "default"
        assert headers["missing"] is None  # upstream: a missing header reads as None, never a KeyError (a 500)
        assert headers.get("content_type") == "application/json"

    def test_raw_names_in_any_case_are_matched(self):
        # ASGI servers send lower-case names, but a hand-built scope (or a proxy) may not.
        headers = Headers([(b"Content-Type", b"text/plain"), (b"X-Token", b"a")])
        assert headers["content-type"] == "text/plain"
        assert headers.getlist("x-token") == ["a"]

    def test_repeated_headers_keep_every_value(self):
        headers = Headers(
            [(b"accept", b"text/html"), (b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"2.2.2.2")]
        )
        assert headers["x-forwarded-for"] == "2.2.2.2"
        assert headers.getlist("X-Forwarded-For") == ["1.1.1.1", "2.2.2.2"]
        assert headers.getlist("missing") == []
        assert len(headers) == 2
        assert set(headers) == {"accept", "x-forwarded-for"}

    def test_dunder_lookups_are_not_headers(self):
        headers = Headers([])
        with pytest.raises(AttributeError):
            headers.__wrapped__  # noqa: B018

    def test_repr_lists_the_headers(self):
        assert repr(Headers([(b"a", b"1")])) == "Headers(a=1)"


@API()
async def describe(request: Request, item_id: str):
    return {
        "method": request.method,
        "path": request.path,
        "scheme": request.scheme,
        "http_version": request.http_version,
        "client": [request.client.ip, request.client.port],
        "client_str": str(request.client),
        "server": [request.server.ip, request.server.port],
        "content_type": request.headers.content_type,
        "user_agent": request.headers["User-Agent"],
        "tags": request.headers.getlist("x-tag"),
        "query": dict(request.query_params),
        "query_list": request.query_params.getlist("a"),
        "user": request.user,
        "cookies": request.cookies,
        "path_variables": request.path_variables,
        "validated_data": request.validated_data,
    }


class TestRequestAttributes:
    async def test_everything_a_handler_reads(self, caller):
        client = caller(make_app({"items/<item_id>": describe}))
        result = await client.request(
            "GET",
            "/items/abc/",
            headers=[
                ("Content-Type", "text/plain"),
                ("User-Agent", "pytest"),
                ("X-Tag", "one"),
                ("X-Tag", "two"),
                ("Cookie", "session=xyz; theme=dark"),
            ],
            query_string=b"a=1&b=2&a=3&empty=",
        )
        assert result.status == 200
        assert result.json() == {
            "method": "GET",
            "path": "/items/abc/",
            "scheme": "http",
            "http_version": "1.1",
            "client": ["127.0.0.1", 50000],
            "client_str": "127.0.0.1:50000",
            "server": ["127.0.0.1", 8000],
            "content_type": "text/plain",
            "user_agent": "pytest",
            "tags": ["one", "two"],
            "query": {"a": "3", "b": "2", "empty": ""},
            "query_list": ["1", "3"],
            "user": None,
            "cookies": {"session": "xyz", "theme": "dark"},
            "path_variables": {"item_id": "abc"},
            "validated_data": None,
        }

    def test_address_str_and_fields(self):
        address = Address("10.0.0.1", 443)
        assert str(address) == "10.0.0.1:443"
        assert address.ip == "10.0.0.1"
        assert address.port == 443
        # Upstream's Address was a plain object: code reads its __dict__ (and logs it, returns it).
        assert address.__dict__ == {"ip": "10.0.0.1", "port": 443}
        ip, port = address
        assert (ip, port) == ("10.0.0.1", 443)
        assert default_dumps({"client": address}) == b'{"client":{"ip":"10.0.0.1","port":443}}'

    def test_missing_client_is_none(self):
        request = Request({"type": "http", "method": "GET", "path": "/", "headers": []}, None, None)
        assert request.client is None
        assert request.server is None
        assert request.query_params == {}
        assert request.cookies == {}
        assert request.scheme == "http"

    def test_query_string_is_percent_decoded(self):
        scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"q=a%20b+c&x=%E2%9C%93&bad=%zz"}
        assert Request(scope, None, None).query_params == {"q": "a b c", "x": "✓", "bad": "%zz"}

    def test_middlewares_may_attach_attributes(self):
        request = Request({"type": "http", "method": "GET", "path": "/"}, None, None)
        request.request_id = "abc"
        assert request.request_id == "abc"


class TestPathVariables:
    async def test_values_are_cast_by_annotation(self, caller):
        @API()
        async def typed(i: int, f: float, b: bool, s: str, u: uuid.UUID, raw):
            return {
                "i": [i, type(i).__name__],
                "f": [f, type(f).__name__],
                "b": [b, type(b).__name__],
                "s": [s, type(s).__name__],
                "u": [str(u), type(u).__name__],
                "raw": [raw, type(raw).__name__],
            }

        value = uuid.uuid4()
        client = caller(make_app({"<i>/<f>/<b>/<s>/<u>/<raw>": typed}))
        result = await client.get(f"/12/1.5/TRUE/hello/{value}/x")
        assert result.json() == {
            "i": [12, "int"],
            "f": [1.5, "float"],
            "b": [True, "bool"],
            "s": ["hello", "str"],
            "u": [str(value), "UUID"],
            "raw": ["x", "str"],
        }

    @pytest.mark.parametrize(("text", "expected"), [("true", True), ("1", True), ("False", False), ("0", False)])
    async def test_bool_spellings(self, caller, text, expected):
        @API()
        async def flag(on: bool):
            return on

        assert (await caller(make_app({"<on>": flag})).get(f"/{text}")).json() is expected

    @pytest.mark.parametrize(
        ("url", "path", "type_name"),
        [
            ("int/<x>", "/int/abc", "int"),
            ("int/<x>", "/int/1.5", "int"),
            ("float/<x>", "/float/one", "float"),
            ("bool/<x>", "/bool/yes", "bool"),
            ("uuid/<x>", "/uuid/not-a-uuid", "UUID"),
        ],
    )
    async def test_failed_cast_is_400(self, caller, url, path, type_name):
        @API()
        async def as_int(x: int):
            return x

        @API()
        async def as_float(x: float):
            return x

        @API()
        async def as_bool(x: bool):
            return x

        @API()
        async def as_uuid(x: uuid.UUID):
            return x

        client = caller(make_app({"int/<x>": as_int, "float/<x>": as_float, "bool/<x>": as_bool, "uuid/<x>": as_uuid}))
        result = await client.get(path)
        assert result.status == 400
        # As upstream: the detail quotes the value the client sent.
        assert result.json() == {"detail": f"Path variable `{path.rsplit('/', 1)[1]}` is not `{type_name}`"}

    async def test_request_and_variables_together(self, caller):
        @API()
        async def both(req: Request, user_id: int):
            return {"path": req.path, "user_id": user_id, "raw": req.path_variables}

        result = await caller(make_app({"user/<user_id>": both})).get("/user/7")
        assert result.json() == {"path": "/user/7", "user_id": 7, "raw": {"user_id": "7"}}

    async def test_kwargs_receive_every_variable(self, caller):
        @API()
        async def anything(**kwargs):
            return kwargs

        result = await caller(make_app({"<a>/<b>": anything})).get("/1/2")
        assert result.json() == {"a": "1", "b": "2"}

    async def test_generic_api_methods_receive_cast_variables(self, caller):
        class Item(GenericAPI):
            async def get(self, item_id: int):
                return {"id": item_id, "is_int": isinstance(item_id, int)}

            def delete(self, request: Request, item_id: int):  # a sync method runs in a worker thread
                return {"deleted": item_id, "method": request.method}

        client = caller(make_app({"item/<item_id>": Item}))
        assert (await client.get("/item/3")).json() == {"id": 3, "is_int": True}
        assert (await client.request("DELETE", "/item/4")).json() == {"deleted": 4, "method": "DELETE"}
        assert (await client.get("/item/x")).status == 400

    def test_undeclared_path_variable_is_a_startup_error(self):
        @API()
        async def forgot(request: Request):
            return {}

        with pytest.raises(PantherError) as info:
            make_app({"user/<user_id>": forgot})
        message = str(info.value)
        assert "user_id" in message
        assert "forgot" in message

    def test_undeclared_path_variable_in_a_generic_api_is_a_startup_error(self):
        class Item(GenericAPI):
            async def get(self, item_id: int):
                return {}

            async def delete(self):
                return None

        with pytest.raises(PantherError, match="item_id"):
            make_app({"item/<item_id>": Item})

    def test_parameter_that_is_not_a_variable_is_a_startup_error(self):
        @API()
        async def extra(request: Request, missing):
            return {}

        with pytest.raises(PantherError, match="missing"):
            make_app({"x": extra})

    def test_positional_only_parameters_are_a_startup_error(self):
        @API()
        async def positional(item_id, /):
            return {}

        with pytest.raises(PantherError, match="item_id"):
            make_app({"<item_id>": positional})

    async def test_optional_parameter_keeps_its_default(self, caller):
        @API()
        async def defaulted(request: Request, page: int = 1):
            return page

        assert (await caller(make_app({"x": defaulted})).get("/x")).json() == 1

    async def test_request_parameter_named_request_without_annotation(self, caller):
        @API()
        async def untyped(request):
            return request.path

        assert (await caller(make_app({"x": untyped})).get("/x")).json() == "/x"

    async def test_string_annotations_that_cannot_be_resolved_keep_the_others(self, caller):
        # `from __future__ import annotations` makes every annotation a string; one that names a type only known
        # locally must not switch off casting (or request injection) for the other parameters.
        class Local:
            pass

        @API()
        async def mixed(request: Request, item_id: int, extra: Local | None = None):
            return {"id": item_id, "is_int": isinstance(item_id, int), "path": request.path}

        result = await caller(make_app({"<item_id>": mixed})).get("/5")
        assert result.json() == {"id": 5, "is_int": True, "path": "/5"}


class TestCookies:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("a=1", {"a": "1"}),
            ("a=1;", {"a": "1"}),
            ("a=1; b=2", {"a": "1", "b": "2"}),
            ("a=1; flag", {"a": "1", "": "flag"}),
            ("=", {}),
            (";;;", {}),
            ('a="quoted value"', {"a": "quoted value"}),
            ("a=x=y", {"a": "x=y"}),
            ("garbage\x00\xff;=;==;a", None),
        ],
    )
    async def test_cookie_header_never_breaks_a_request(self, caller, header, expected):
        @API()
        async def cookies(request: Request):
            return request.cookies

        result = await caller(make_app({"c": cookies})).get("/c", headers={"cookie": header})
        assert result.status == 200
        if expected is not None:
            assert result.json() == expected
