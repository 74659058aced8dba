"""The exceptions module (upstream names, statuses and bodies) and the promise that bad input never yields a 500."""

import logging

import pytest
from pydantic import BaseModel

from panther import Panther, status
from panther.app import API
from panther.exceptions import (
    APIError,
    AuthenticationAPIError,
    AuthorizationAPIError,
    BadRequestAPIError,
    BaseError,
    InvalidPathVariableAPIError,
    MethodNotAllowedAPIError,
    NotFoundAPIError,
    PantherError,
    RedirectAPIError,
    RequestEntityTooLargeAPIError,
    ThrottlingAPIError,
    UnprocessableEntityError,
    UnsupportedMediaTypeAPIError,
    UpgradeRequiredError,
    WebsocketError,
)
from panther.request import Request

UPSTREAM_ERRORS = [
    (APIError, 500, "Internal Server Error"),
    (BadRequestAPIError, 400, "Bad Request"),
    (AuthenticationAPIError, 401, "Authentication Error"),
    (AuthorizationAPIError, 403, "Permission Denied"),
    (NotFoundAPIError, 404, "Not Found"),
    (MethodNotAllowedAPIError, 405, "Method Not Allowed"),
    (RequestEntityTooLargeAPIError, 413, "Request Entity Too Large"),
    (UnsupportedMediaTypeAPIError, 415, "Unsupported Media Type"),
    (UnprocessableEntityError, 422, "Unprocessable Entity Error"),
    (UpgradeRequiredError, 426, "This service requires use of the WebSocket protocol."),
    (ThrottlingAPIError, 429, "Too Many Request"),
]


def app_raising(exc):
    @API()
    async def handler():
        raise exc

    return Panther(__name__, configs={}, urls={"x": handler})


class TestExceptionClasses:
    @pytest.mark.parametrize(("cls", "code", "detail"), UPSTREAM_ERRORS)
    def test_defaults(self, cls, code, detail):
        error = cls()
        assert error.status_code == code
        assert error.detail == detail
        assert error.headers == {}
        assert error.body == {"detail": detail}
        assert isinstance(error, APIError)
        assert isinstance(error, BaseError)
        assert str(error) == detail

    @pytest.mark.parametrize(("cls", "code", "detail"), UPSTREAM_ERRORS)
    async def test_raised_in_an_endpoint(self, caller, cls, code, detail):
        result = await caller(app_raising(cls())).get("/x")
        assert result.status == code
        assert result.json() == {"detail": detail}

    def test_custom_detail_status_and_headers(self):
        error = BadRequestAPIError(detail="Wrong", status_code=409, headers={"X": "1"})
        assert (error.detail, error.status_code, error.headers) == ("Wrong", 409, {"X": "1"})

    def test_class_defaults_are_not_changed_by_instances(self):
        BadRequestAPIError(detail="changed", status_code=418)
        assert BadRequestAPIError().detail == "Bad Request"
        assert BadRequestAPIError().status_code == 400

    async def test_dict_detail_is_the_body(self, caller):
        result = await caller(app_raising(BadRequestAPIError(detail={"field": "msg"}))).get("/x")
        assert result.status == 400
        assert result.json() == {"field": "msg"}

    async def test_list_detail_is_wrapped(self, caller):
        result = await caller(app_raising(BadRequestAPIError(detail=["a", "b"]))).get("/x")
        assert result.json() == {"detail": ["a", "b"]}

    async def test_headers_are_sent(self, caller):
        result = await caller(app_raising(ThrottlingAPIError(headers={"Retry-After": "10"}))).get("/x")
        assert result.status == 429
        assert result.header("retry-after") == "10"

    async def test_redirect(self, caller):
        result = await caller(app_raising(RedirectAPIError("/login"))).get("/x")
        assert result.status == 302
        assert result.header("location") == "/login"
        result = await caller(app_raising(RedirectAPIError("/moved", status_code=301))).get("/x")
        assert result.status == 301

    def test_invalid_path_variable(self):
        error = InvalidPathVariableAPIError(value="x", variable_type=int)
        assert error.status_code == 400
        assert error.detail == "Path variable `x` is not `int`"

    def test_websocket_error(self):
        error = WebsocketError()
        assert (error.detail, error.status_code) == ("Internal Error", status.WS_1011_INTERNAL_ERROR)
        assert not isinstance(error, APIError)

    def test_configuration_errors_are_not_api_errors(self):
        assert not issubclass(PantherError, BaseError)

    def test_database_error_without_panther_db_says_what_to_install(self, monkeypatch):
        import sys

        import panther.exceptions

        monkeypatch.setitem(sys.modules, "panther.db.errors", None)  # as if panther-db were not installed
        with pytest.raises(AttributeError, match="install `panther-db`"):
            panther.exceptions.DatabaseError  # noqa: B018


class Item(BaseModel):
    name: str
    count: int


@API()
async def data_view(request: Request):
    data = request.data
    return {"type": type(data).__name__}


@API(input_model=Item)
async def create_item(request: Request):
    return request.validated_data


@API()
async def cookie_view(request: Request):
    return {"cookies": request.cookies, "headers": dict(request.headers.items())}


@API()
async def typed_view(item_id: int):
    return item_id


def robust_app():
    return Panther(
        __name__,
        configs={},
        urls={
            "data": data_view,
            "items": create_item,
            "cookies": cookie_view,
            "typed/<item_id>": typed_view,
            "": data_view,
        },
    )


class TestBadInputNeverYieldsA500:
    @pytest.fixture
    def client(self, caller):
        return caller(robust_app())

    @pytest.fixture(autouse=True)
    def _no_error_logs(self, caplog):
        with caplog.at_level(logging.DEBUG):
            yield
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, [r.getMessage() for r in errors]

    @pytest.mark.parametrize(
        "body", [b"{", b"nul", b'{"a":}', b"\xff\xfe\xfd", b"[" * 10000, b'"\\ud800"', b"1e999999", b"{}{}"]
    )
    @pytest.mark.parametrize("path", ["/data", "/items"])
    async def test_malformed_json(self, client, body, path):
        result = await client.request("POST", path, body=body, headers={"content-type": "application/json"})
        assert 400 <= result.status < 500

    @pytest.mark.parametrize(
        "content_type",
        [
            "text/plain",
            "application/xml",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\u00e9",
            "application/x-www-form-urlencoded; charset=nonsense",
            ";;;",
            "application/json; charset",
            "\x00",
            "a/b/c",
        ],
    )
    async def test_wrong_content_types_with_an_input_model(self, client, content_type):
        result = await client.request("POST", "/items", body=b"name=x&count=1", headers={"content-type": content_type})
        assert 200 <= result.status < 500

    @pytest.mark.parametrize(
        "cookie", ["a=1;", "a=1; flag", "=", "==", ";", "garbage", "a", '"', "a=\x00\xff", "a=" + "x" * 10000]
    )
    async def test_bad_cookies(self, client, cookie):
        result = await client.get("/cookies", headers={"cookie": cookie})
        assert result.status == 200

    @pytest.mark.parametrize("method", ["PROPFIND", "TRACE", "CONNECT", "MKCOL", "X" * 100, ""])
    async def test_unknown_methods_are_405(self, client, method):
        result = await client.request(method, "/data")
        assert result.status == 405

    @pytest.mark.parametrize(
        "path",
        [
            "/../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/data/../../etc/passwd",
            "/..",
            "/\x00",
            "/data%00",
            "//etc",
        ],
    )
    async def test_path_traversal_is_404(self, client, path):
        result = await client.get(path)
        assert result.status == 404
        assert result.json() == {"detail": "Not Found"}

    @pytest.mark.parametrize("value", ["abc", "1" * 5000, "-", "\u0661", "1e3", " 1"])
    async def test_bad_path_variables(self, client, value):
        result = await client.get(f"/typed/{value}")
        assert result.status in (200, 400)

    @pytest.mark.parametrize(
        "query", [b"%", b"a=%zz", b"&&&", b"a=\xff\xfe", b"=1", b"a" * 10000, b"a=1&a=2;b=3", b"%00=%00"]
    )
    async def test_bad_query_strings(self, client, query):
        result = await client.get("/data", query_string=query)
        assert result.status == 200

    @pytest.mark.parametrize(
        "headers",
        [
            [("content-length", "abc")],
            [("content-length", "-5")],
            [("content-length", "99999999999999999999999999")],
            [("content-type", "\xff\xfe")],
            [("x-weird", "\x00\x01")],
        ],
    )
    async def test_bad_headers(self, client, headers):
        result = await client.request("POST", "/data", body=b"{}", headers=headers)
        assert result.status < 500
