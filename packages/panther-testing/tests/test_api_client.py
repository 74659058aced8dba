"""APIClient against real Panther endpoints: bodies, query strings, multipart, cookies, HEAD, streams, lifespan."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from panther.app import API
from panther.file_handler import File
from panther.request import Request
from panther.response import Cookie, PlainTextResponse, Response, StreamingResponse
from panther.test import APIClient, LifespanError


def _describe(value: Any) -> Any:
    if isinstance(value, File):
        with value:  # the app leaves closing uploads to the endpoint
            return {"file_name": value.file_name, "content_type": value.content_type, "content": value.read().decode()}
    return value


@API()
async def echo(request: Request) -> dict[str, Any]:
    data = request.data
    if hasattr(data, "multi_items"):  # forms: every value, files described
        data = [[key, _describe(value)] for key, value in data.multi_items()]
    elif isinstance(data, bytes):
        data = data.decode()
    return {
        "method": request.method,
        "path": request.path,
        "data": data,
        "query": [[key, value] for key, value in request.query_params.multi_items()],
        "content_type": request.headers.content_type,
        "cookies": request.cookies,
        "x_token": request.headers.getlist("x-token"),
    }


@API()
async def login() -> Response:
    return Response(
        {"logged_in": True},
        set_cookies=[
            Cookie("session", "s1"),
            Cookie("admin_only", "a1", path="/admin"),
            Cookie("old", "o1", expires=datetime.now(UTC) - timedelta(days=1)),
        ],
    )


@API()
async def logout() -> Response:
    return Response({"logged_in": False}, set_cookies=Cookie("session", "", max_age=0))


@API()
async def many_headers() -> Response:
    response = PlainTextResponse("plain", headers={"X-One": "1"})
    response.set_cookies = [Cookie("a", "1"), Cookie("b", "2")]
    return response


@API()
async def stream() -> StreamingResponse:
    async def numbers() -> Any:
        for number in range(3):
            yield f"{number};"

    return StreamingResponse(numbers())


@API()
async def raw() -> Response:
    return Response(b"\x00\x01", headers={"Content-Type": "application/octet-stream"})


URLS = {
    "echo/": echo,
    "admin/echo/": echo,
    "login/": login,
    "logout/": logout,
    "headers/": many_headers,
    "stream/": stream,
    "raw/": raw,
}


@pytest.fixture
def app(panther_app_factory: Any) -> Any:
    return panther_app_factory(urls=URLS)


# --- Bodies and query strings -------------------------------------------------------------------------------------


async def test_json_payload_and_parsed_response(api_client: APIClient) -> None:
    response = await api_client.post("/echo/", payload={"name": "Ali", "tags": [1, 2]})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.data["data"] == {"name": "Ali", "tags": [1, 2]}
    assert response.data["content_type"] == "application/json"
    assert response.json() == response.data


async def test_upstream_positional_signatures(api_client: APIClient) -> None:
    response = await api_client.put("echo/", [1, 2], {"X-Token": "t"}, {"page": 2}, "application/json")
    assert response.data["method"] == "PUT"
    assert response.data["data"] == [1, 2]
    assert response.data["x_token"] == ["t"]
    assert response.data["query"] == [["page", "2"]]
    for method in (api_client.get, api_client.delete, api_client.options):
        response = await method("echo/", {"X-Token": "t"}, {"q": "1"})
        assert response.status_code in (200, 204)


async def test_raw_bytes_and_str_payloads(api_client: APIClient) -> None:
    response = await api_client.patch("/echo/", payload=b"raw bytes", content_type="application/octet-stream")
    assert response.data["data"] == "raw bytes"
    assert response.data["content_type"] == "application/octet-stream"
    response = await api_client.post("/echo/", payload='{"already": "json"}')
    assert response.data["data"] == {"already": "json"}


async def test_query_params_are_encoded_and_repeat_with_lists(api_client: APIClient) -> None:
    response = await api_client.get(
        "/echo/?inline=1", query_params={"tag": ["a b", "ç&="], "flag": True, "empty": None}
    )
    assert response.data["query"] == [["inline", "1"], ["tag", "a b"], ["tag", "ç&="], ["flag", "true"], ["empty", ""]]


async def test_repeated_request_headers_and_client_defaults(app: Any) -> None:
    async with APIClient(app, headers={"X-Token": "default"}) as client:
        response = await client.get("/echo/")
        assert response.data["x_token"] == ["default"]
        response = await client.get("/echo/", headers=[("X-Token", "one"), ("X-Token", "two")])
        assert response.data["x_token"] == ["one", "two"]


async def test_urlencoded_form(api_client: APIClient) -> None:
    response = await api_client.post("/echo/", data={"name": "x y", "n": ["1", "2"]})
    assert response.data["content_type"] == "application/x-www-form-urlencoded"
    assert response.data["data"] == [["name", "x y"], ["n", "1"], ["n", "2"]]


async def test_multipart_round_trip(api_client: APIClient) -> None:
    upload = io.BytesIO(b"from a file object")
    upload.name = "/somewhere/report.csv"
    response = await api_client.post(
        "/echo/",
        data={"title": "Holiday", "count": 3},
        files={
            "doc": ("a.txt", b"hello", "text/plain"),
            "bare": b"\x00 bytes",
            "guessed": ("photo.png", "not really a png"),
            "report": upload,
            "many": [("1.txt", b"one"), ("2.txt", b"two")],
            "odd": ('we"ird\nname.txt', b"x"),
        },
    )
    assert response.status_code == 200, response.data
    assert response.data["content_type"].startswith("multipart/form-data; boundary=")
    assert response.data["data"] == [
        ["title", "Holiday"],
        ["count", "3"],
        ["doc", {"file_name": "a.txt", "content_type": "text/plain", "content": "hello"}],
        ["bare", {"file_name": "bare", "content_type": "application/octet-stream", "content": "\x00 bytes"}],
        ["guessed", {"file_name": "photo.png", "content_type": "image/png", "content": "not really a png"}],
        ["report", {"file_name": "report.csv", "content_type": "text/csv", "content": "from a file object"}],
        ["many", {"file_name": "1.txt", "content_type": "text/plain", "content": "one"}],
        ["many", {"file_name": "2.txt", "content_type": "text/plain", "content": "two"}],
        ["odd", {"file_name": "we%22ird%0Aname.txt", "content_type": "text/plain", "content": "x"}],
    ]


async def test_payload_and_files_together_is_an_error(api_client: APIClient) -> None:
    with pytest.raises(TypeError, match="either"):
        await api_client.post("/echo/", payload={"a": 1}, files={"f": b"x"})


# --- Responses ----------------------------------------------------------------------------------------------------


async def test_headers_are_case_insensitive_and_keep_repeats(api_client: APIClient) -> None:
    response = await api_client.get("/headers/")
    assert response.data == "plain"
    assert response.headers["x-one"] == response.headers["X-ONE"] == "1"
    assert "X-One" in response.headers
    assert len(response.headers.getlist("Set-Cookie")) == 2
    assert response.cookies == {"a": "1", "b": "2"}
    assert response.headers == {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": "5",
        "X-One": "1",
        "Set-Cookie": response.headers.getlist("set-cookie")[-1],
    }


async def test_bytes_and_streamed_responses(api_client: APIClient) -> None:
    response = await api_client.get("/raw/")
    assert response.data == b"\x00\x01" == response.body
    response = await api_client.get("/stream/")
    assert response.body == b"0;1;2;"
    assert response.data == "0;1;2;"  # a stream reads as text, as upstream's client gave it


async def test_head_has_get_headers_and_no_body(api_client: APIClient) -> None:
    get = await api_client.get("/headers/")
    head = await api_client.head("/headers/")
    assert head.status_code == 200
    assert head.body == b""
    assert head.data == ""
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.body))


async def test_errors_are_responses(api_client: APIClient) -> None:
    response = await api_client.get("/missing/")
    assert response.status_code == 404
    assert response.data == {"detail": "Not Found"}


# --- Cookies ------------------------------------------------------------------------------------------------------


async def test_cookie_session_with_path_and_deletion(app: Any) -> None:
    api_client = APIClient(app, keep_cookies=True)
    response = await api_client.post("/login/")
    assert response.cookies == {"session": "s1", "admin_only": "a1", "old": "o1"}
    assert dict(api_client.cookies) == {"session": "s1", "admin_only": "a1"}  # "old" expired on arrival

    assert (await api_client.get("/echo/")).data["cookies"] == {"session": "s1"}
    assert (await api_client.get("/admin/echo/")).data["cookies"] == {"admin_only": "a1", "session": "s1"}

    await api_client.post("/logout/")
    assert dict(api_client.cookies) == {"admin_only": "a1"}
    assert (await api_client.get("/echo/")).data["cookies"] == {}
    await api_client.close()


async def test_cookies_the_app_sets_are_not_sent_back_by_default(api_client: APIClient) -> None:
    # As upstream's client: a test's requests carry only the cookies it gives them.
    response = await api_client.post("/login/")
    assert response.cookies["session"] == "s1" and "session" in response.cookies
    assert dict(api_client.cookies) == {}
    assert (await api_client.get("/echo/")).data["cookies"] == {}


async def test_cookies_set_by_the_test(app: Any) -> None:
    async with APIClient(app, cookies={"theme": "dark"}) as client:
        client.cookies["lang"] = "fa"
        response = await client.get("/echo/", headers={"Cookie": "extra=1"})
        assert response.data["cookies"] == {"theme": "dark", "lang": "fa", "extra": "1"}
        del client.cookies["theme"]
        assert (await client.get("/echo/")).data["cookies"] == {"lang": "fa"}


# --- Lifespan -----------------------------------------------------------------------------------------------------


async def test_lifespan_runs_once_per_client(panther_app_factory: Any) -> None:
    app = panther_app_factory(urls=URLS)
    events: list[str] = []
    app.on_startup(lambda: events.append("startup"))
    app.on_shutdown(lambda: events.append("shutdown"))

    client = APIClient(app)
    assert events == []  # lazily, on the first request
    await client.get("/echo/")
    await client.get("/echo/")
    assert events == ["startup"]
    await client.close()
    assert events == ["startup", "shutdown"]

    async with APIClient(app) as second:
        assert events == ["startup", "shutdown", "startup"]
        await second.get("/echo/")
    assert events == ["startup", "shutdown", "startup", "shutdown"]


async def test_clients_open_together_share_one_startup(panther_app_factory: Any) -> None:
    app = panther_app_factory(urls=URLS)
    events: list[str] = []
    app.on_startup(lambda: events.append("startup"))
    app.on_shutdown(lambda: events.append("shutdown"))
    async with APIClient(app) as first:
        async with APIClient(app) as second:
            await first.get("/echo/")
            await second.get("/echo/")
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


async def test_failed_startup_raises_the_apps_message(panther_app_factory: Any) -> None:
    app = panther_app_factory(urls=URLS)

    @app.on_startup
    async def broken() -> None:
        raise ConnectionError("database is down")

    client = APIClient(app)
    with pytest.raises(LifespanError, match="ConnectionError: database is down"):
        await client.get("/echo/")


async def test_without_lifespan(panther_app_factory: Any) -> None:
    app = panther_app_factory(urls=URLS)
    app.on_startup(lambda: pytest.fail("startup must not run"))
    async with APIClient(app, lifespan=False) as client:
        assert (await client.get("/echo/")).status_code == 200


# --- The ASGI conversation ----------------------------------------------------------------------------------------


async def test_disconnect_arrives_only_after_the_response() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return  # an app without lifespan support is fine
        assert (await receive())["type"] == "http.request"
        import asyncio

        watcher = asyncio.create_task(receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await asyncio.sleep(0)
        seen.append("done" if watcher.done() else "waiting")
        await send({"type": "http.response.body", "body": b"b"})
        seen.append((await watcher)["type"])

    async with APIClient(app) as client:
        response = await client.get("/")
    assert response.body == b"ab"
    assert seen == ["waiting", "http.disconnect"]


async def test_errors_escaping_the_app_surface() -> None:
    async def crashing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise KeyError("bug")

    async def silent(scope: dict[str, Any], receive: Any, send: Any) -> None:
        return None

    async with APIClient(crashing) as client:
        with pytest.raises(KeyError, match="bug"):
            await client.get("/")
    async with APIClient(silent) as client:
        with pytest.raises(RuntimeError, match="without answering GET /"):
            await client.get("/")
