"""Request bodies: JSON, forms, multipart, raw bytes, the size limit, and clients that go away mid-body."""

import logging

import pytest
from pydantic import BaseModel

from panther import Panther
from panther.app import API
from panther.file_handler import File
from panther.request import Request


@API()
async def echo_data(request: Request):
    data = request.data
    if isinstance(data, bytes):
        return {"type": "bytes", "value": data.decode("latin-1")}
    return {"type": type(data).__name__, "value": data}


@API()
async def upload(request: Request):
    data = request.data
    result = {}
    for key, value in data.items():
        if isinstance(value, File):
            result[key] = {"name": value.file_name, "type": value.content_type, "content": value.read().decode()}
        else:
            result[key] = value
    result["tags"] = data.getlist("tag")
    return result


class Book(BaseModel):
    title: str
    pages: int


@API(input_model=Book)
async def create_book(request: Request):
    return {"validated": request.validated_data.model_dump(), "is_model": isinstance(request.validated_data, Book)}


def make_app(configs=None):
    return Panther(
        __name__,
        configs=configs or {},
        urls={"echo": echo_data, "upload": upload, "books": create_book},
    )


@pytest.fixture
def client(caller):
    return caller(make_app())


class TestJSON:
    @pytest.mark.parametrize(
        "content_type",
        [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            "application/vnd.api+json",
            "application/problem+json; charset=utf-8",
        ],
    )
    async def test_json_types_are_parsed(self, client, content_type):
        result = await client.request("POST", "/echo", body=b'{"a": [1, 2]}', headers={"content-type": content_type})
        assert result.status == 200
        assert result.json() == {"type": "dict", "value": {"a": [1, 2]}}

    async def test_no_content_type_is_read_as_json(self, client):
        result = await client.request("POST", "/echo", body=b"[1, 2]")
        assert result.json() == {"type": "list", "value": [1, 2]}

    async def test_empty_json_body_is_an_empty_dict(self, client):
        result = await client.request("POST", "/echo", headers={"content-type": "application/json"})
        assert result.json() == {"type": "dict", "value": {}}

    @pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", ""])
    @pytest.mark.parametrize("body", [b"{not json", b'{"a": 1,}', b"\xff\xfe", b'{"a": 1} trailing'])
    async def test_malformed_json_is_400_with_a_detail(self, client, content_type, body):
        headers = {"content-type": content_type} if content_type else {}
        result = await client.request("POST", "/echo", body=body, headers=headers)
        assert result.status == 400
        detail = result.json()["detail"]
        assert isinstance(detail, str)
        assert detail.startswith("Malformed JSON body: ")

    @pytest.mark.parametrize("depth", [129, 300, 1000])
    async def test_json_nested_too_deep_to_send_back_is_400_not_500(self, client, depth):
        # Found by the reliability suite's fuzzing: orjson reads 1 000 levels but writes only 254, so an endpoint
        # that sent such a body back answered 500.
        body = b"[" * depth + b"]" * depth
        result = await client.request("POST", "/echo", body=body, headers={"content-type": "application/json"})
        assert result.status == 400
        assert result.json() == {"detail": "JSON body is nested deeper than 128 levels"}

    async def test_json_nested_128_levels_and_many_brackets_are_accepted(self, client):
        nested = b"[" * 127 + b"{}" + b"]" * 127
        result = await client.request("POST", "/echo", body=nested, headers={"content-type": "application/json"})
        assert result.status == 200
        wide = b"[" + b",".join([b"[{}]"] * 500) + b"]"  # 1 000 brackets, 3 levels
        result = await client.request("POST", "/echo", body=wide, headers={"content-type": "application/json"})
        assert result.status == 200 and len(result.json()["value"]) == 500

    @pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "text/x+json"])
    async def test_malformed_json_with_an_input_model_is_400_with_a_detail(self, client, content_type):
        result = await client.request("POST", "/books", body=b'{"title": ', headers={"content-type": content_type})
        assert result.status == 400
        body = result.json()
        assert list(body) == ["detail"]
        assert body["detail"].startswith("Malformed JSON body: ")

    async def test_malformed_json_logs_nothing(self, client, caplog):
        with caplog.at_level(logging.DEBUG):
            await client.request("POST", "/books", body=b"{", headers={"content-type": "application/json"})
            await client.request("POST", "/echo", body=b"{", headers={"content-type": "application/json"})
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


class TestInputModel:
    @pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
    async def test_valid_json_body(self, client, content_type):
        result = await client.request(
            "POST", "/books", body=b'{"title": "Dune", "pages": "412"}', headers={"content-type": content_type}
        )
        assert result.status == 200
        assert result.json() == {"validated": {"title": "Dune", "pages": 412}, "is_model": True}

    async def test_per_field_errors(self, client):
        result = await client.post("/books", json_body={"pages": "many"})
        assert result.status == 400
        assert result.json() == {
            "title": "Field required",
            "pages": "Input should be a valid integer, unable to parse string as an integer",
        }

    async def test_nested_field_errors_use_dotted_paths(self, caller):
        class Author(BaseModel):
            name: str

        class Article(BaseModel):
            authors: list[Author]

        @API(input_model=Article)
        async def create(request: Request):
            return None

        client = caller(Panther(__name__, configs={}, urls={"a": create}))
        result = await client.post("/a", json_body={"authors": [{"name": "x"}, {}]})
        assert result.status == 400
        assert result.json() == {"authors.1.name": "Field required"}

    async def test_json_that_is_not_an_object(self, client):
        result = await client.post("/books", json_body=[1, 2])
        assert result.status == 400
        assert isinstance(result.json(), dict)

    async def test_form_body_is_validated(self, client):
        result = await client.request(
            "POST",
            "/books",
            body=b"title=Dune&pages=412",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert result.json()["validated"] == {"title": "Dune", "pages": 412}

    @pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "image/png"])
    async def test_wrong_content_type_is_a_client_error(self, client, content_type):
        result = await client.request("POST", "/books", body=b"title=x", headers={"content-type": content_type})
        assert result.status == 422
        assert result.json() == {"detail": "Content-Type is not valid"}

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
    async def test_body_methods_are_validated(self, client, method):
        result = await client.request(method, "/books", body=b"{}", headers={"content-type": "application/json"})
        assert result.status == 400

    @pytest.mark.parametrize("method", ["GET", "DELETE"])
    async def test_other_methods_are_not_validated(self, caller, method):
        @API(input_model=Book)
        async def read(request: Request):
            return {"validated": request.validated_data}

        client = caller(Panther(__name__, configs={}, urls={"x": read}))
        result = await client.request(method, "/x", body=b"{}", headers={"content-type": "application/json"})
        assert result.status == 200
        assert result.json() == {"validated": None}


class TestForms:
    async def test_urlencoded_form(self, client):
        result = await client.request(
            "POST",
            "/upload",
            body=b"name=Ada+Lovelace&tag=a&tag=b&empty=&pct=%E2%9C%93",
            headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        assert result.status == 200
        assert result.json() == {"name": "Ada Lovelace", "tag": "b", "empty": "", "pct": "✓", "tags": ["a", "b"]}

    async def test_multipart_fields_and_files(self, client):
        boundary = "----b0undary"
        body = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="name"\r\n\r\n'
            "Ada\r\n"
            f"--{boundary}\r\n"
            'content-disposition: form-data; name="tag"\r\n\r\n'
            "one\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="tag"\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "two\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="doc"; filename="notes.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
            "file content\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="blob"; filename="x.bin"\r\n\r\n'
            "raw\r\n"
            f"--{boundary}--\r\n"
        ).encode()
        content_type = f"multipart/form-data; charset=utf-8; boundary={boundary}"
        # Sent in small chunks: the body is parsed as it streams in.
        chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
        result = await client.request("POST", "/upload", body=chunks, headers={"content-type": content_type})
        assert result.status == 200
        assert result.json() == {
            "name": "Ada",
            "tag": "two",
            "doc": {"name": "notes.txt", "type": "text/plain", "content": "file content"},
            "blob": {"name": "x.bin", "type": "application/octet-stream", "content": "raw"},
            "tags": ["one", "two"],
        }

    async def test_malformed_multipart_is_400(self, client):
        result = await client.request(
            "POST", "/upload", body=b"garbage", headers={"content-type": "multipart/form-data; boundary=zzz"}
        )
        assert result.status == 400
        assert result.json()["detail"].startswith("Malformed multipart body")

    async def test_multipart_without_boundary_is_400(self, client):
        result = await client.request("POST", "/upload", body=b"x", headers={"content-type": "multipart/form-data"})
        assert result.status == 400

    async def test_multipart_reaches_an_input_model(self, caller):
        class Profile(BaseModel):
            name: str
            avatar: File

        @API(input_model=Profile)
        async def profile(request: Request):
            data = request.validated_data
            return {"name": data.name, "file": data.avatar.file_name, "content": data.avatar.read().decode()}

        boundary = "xyz"
        body = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="name"\r\n\r\n'
            "Ada\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="avatar"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
            "PNG\r\n"
            f"--{boundary}--\r\n"
        ).encode()
        client = caller(Panther(__name__, configs={}, urls={"p": profile}))
        result = await client.request(
            "POST", "/p", body=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
        )
        assert result.status == 200
        assert result.json() == {"name": "Ada", "file": "a.png", "content": "PNG"}


class TestRawBodies:
    @pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "application/xml"])
    async def test_other_types_are_raw_bytes(self, client, content_type):
        result = await client.request("POST", "/echo", body=b"<a>\x00\xff", headers={"content-type": content_type})
        assert result.json() == {"type": "bytes", "value": "<a>\x00\xff"}

    async def test_body_in_several_chunks(self, client):
        result = await client.request(
            "POST", "/echo", body=[b'{"a"', b": ", b"1}"], headers={"content-type": "application/json"}
        )
        assert result.json() == {"type": "dict", "value": {"a": 1}}

    async def test_body_property_before_reading_is_an_error(self):
        request = Request({"type": "http", "method": "POST", "path": "/", "headers": []}, None, None)
        with pytest.raises(RuntimeError, match="read_body"):
            request.body  # noqa: B018


class TestBodySizeLimit:
    async def test_default_limit_is_10_mib(self, caller):
        app = make_app()
        assert app.config.MAX_REQUEST_BODY_SIZE == 10 * 1024 * 1024
        declared = str(10 * 1024 * 1024 + 1)
        # Refused from its Content-Length, once the first chunk arrived: the rest is never read.
        result = await caller(app).request("POST", "/echo", body=[b"{", b"}"], headers={"content-length": declared})
        assert result.status == 413
        assert result.json() == {"detail": "Request Entity Too Large"}

    async def test_declared_content_length_over_the_limit(self, caller):
        client = caller(make_app({"MAX_REQUEST_BODY_SIZE": 10}))
        result = await client.request(
            "POST", "/echo", body=b"x" * 11, headers={"content-length": "11", "content-type": "text/plain"}
        )
        assert result.status == 413

    async def test_body_at_the_limit_is_accepted(self, caller):
        client = caller(make_app({"MAX_REQUEST_BODY_SIZE": 10}))
        result = await client.request(
            "POST", "/echo", body=b"x" * 10, headers={"content-length": "10", "content-type": "text/plain"}
        )
        assert result.status == 200

    async def test_streamed_body_over_the_limit_without_content_length(self, caller):
        client = caller(make_app({"MAX_REQUEST_BODY_SIZE": 10}))
        result = await client.request(
            "POST", "/echo", body=[b"x" * 6, b"x" * 6], headers={"content-type": "text/plain"}
        )
        assert result.status == 413

    async def test_body_longer_than_its_content_length(self, caller):
        client = caller(make_app({"MAX_REQUEST_BODY_SIZE": 10}))
        result = await client.request(
            "POST", "/echo", body=[b"x" * 6, b"x" * 6], headers={"content-length": "5", "content-type": "text/plain"}
        )
        assert result.status == 413

    async def test_streamed_multipart_over_the_limit(self, caller):
        client = caller(make_app({"MAX_REQUEST_BODY_SIZE": 100}))
        body = b'--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n' + b"x" * 200 + b"\r\n--b--\r\n"
        chunks = [body[i : i + 20] for i in range(0, len(body), 20)]
        result = await client.request(
            "POST", "/upload", body=chunks, headers={"content-type": "multipart/form-data; boundary=b"}
        )
        assert result.status == 413

    async def test_none_is_unlimited(self, caller):
        client = caller(make_app({"MAX_REQUEST_BODY_SIZE": None}))
        big = b"x" * (11 * 1024 * 1024)
        result = await client.request("POST", "/echo", body=[big, b"y"], headers={"content-type": "text/plain"})
        assert result.status == 200
        assert len(result.json()["value"]) == len(big) + 1

    @pytest.mark.parametrize("value", [-1, "10", 1.5, True])
    def test_invalid_limit_is_a_startup_error(self, value):
        from panther.exceptions import PantherError

        with pytest.raises(PantherError, match="MAX_REQUEST_BODY_SIZE"):
            make_app({"MAX_REQUEST_BODY_SIZE": value})

    @pytest.mark.parametrize("value", ["abc", "-1", "1e3"])
    async def test_invalid_content_length_of_a_streamed_body_is_400(self, client, value):
        result = await client.request("POST", "/echo", body=[b"{", b"}"], headers={"content-length": value})
        assert result.status == 400

    async def test_a_complete_body_is_judged_by_its_length(self, client):
        # The server framed the body already; a Content-Length it let through cannot change what arrived.
        result = await client.request("POST", "/echo", body=b"{}", headers={"content-length": "abc"})
        assert (result.status, result.json()) == (200, {"type": "dict", "value": {}})

    async def test_limit_is_not_applied_before_routing(self, caller):
        # An unknown URL answers 404 without reading (or judging) the body.
        client = caller(make_app({"MAX_REQUEST_BODY_SIZE": 1}))
        result = await client.request("POST", "/nowhere", body=b"xx", headers={"content-length": "2"})
        assert result.status == 404


class TestClientDisconnect:
    async def test_disconnect_while_reading_is_dropped_quietly(self, caller, caplog):
        calls = []

        @API()
        async def handler(request: Request):
            calls.append(request.data)
            return "never"

        client = caller(Panther(__name__, configs={"MIDDLEWARES": []}, urls={"x": handler}))
        with caplog.at_level(logging.DEBUG):
            result = await client.request(
                "POST", "/x", body=[b'{"a":', b"1}"], headers={"content-type": "application/json"}, disconnect=True
            )
        assert result.messages == []
        assert calls == []
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    async def test_disconnect_during_multipart_is_dropped_quietly(self, client, caplog):
        with caplog.at_level(logging.DEBUG):
            result = await client.request(
                "POST",
                "/upload",
                body=[b'--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nxx', b"more"],
                headers={"content-type": "multipart/form-data; boundary=b"},
                disconnect=True,
            )
        assert result.messages == []
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


class TestWhenTheBodyIsRead:
    """HTTP/1 requests without Content-Length or Transfer-Encoding have no body: the server is not asked for one."""

    @staticmethod
    async def call(app, method, headers, http_version="1.1", messages=()):
        queue = list(messages)
        sent = []

        async def receive():
            if not queue:
                raise AssertionError("receive() called for a request without a body")
            return queue.pop(0)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": method, "path": "/echo", "headers": headers, "http_version": http_version}
        await app(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    @staticmethod
    def echo_app():
        @API()
        async def echo(request: Request):
            return {"body": request.body.decode()}

        return Panther(__name__, configs={}, urls={"echo": echo})

    async def test_no_length_no_body_no_receive(self):
        app = self.echo_app()
        assert await self.call(app, "GET", []) == (200, b'{"body":""}')
        assert await self.call(app, "DELETE", [(b"content-length", b"0")]) == (200, b'{"body":""}')

    async def test_a_get_with_a_body_is_read(self):
        app = self.echo_app()
        message = {"type": "http.request", "body": b"hi", "more_body": False}
        headers = [(b"content-length", b"2")]
        assert await self.call(app, "GET", headers, messages=[message]) == (200, b'{"body":"hi"}')

    async def test_http2_without_length_is_still_read(self):
        app = self.echo_app()
        message = {"type": "http.request", "body": b"hi", "more_body": False}
        assert await self.call(app, "POST", [], http_version="2", messages=[message]) == (200, b'{"body":"hi"}')
        chunked = [(b"transfer-encoding", b"chunked")]
        assert await self.call(app, "POST", chunked, messages=[message]) == (200, b'{"body":"hi"}')


class TestEndpointsThatIgnoreTheBody:
    """An endpoint that never sees the request ignores its body, as Starlette does: it is not read, so neither
    its size nor its syntax can fail the request. An endpoint that takes the request gets it checked."""

    @API(methods=["POST"])
    async def ping():
        return {"pong": True}

    @API(methods=["POST"])
    async def ping_with_request(request: Request):
        return {"pong": True}

    async def test_oversized_and_malformed_bodies_are_ignored(self, caller):
        client = caller(
            Panther(__name__, configs={"MAX_REQUEST_BODY_SIZE": 4}, urls={"ping": TestEndpointsThatIgnoreTheBody.ping})
        )
        for body in (b"{not json", b"x" * 100, [b"x" * 50, b"y" * 50]):
            result = await client.request("POST", "/ping", body=body, headers={"content-type": "application/json"})
            assert (result.status, result.json()) == (200, {"pong": True})

    async def test_an_endpoint_taking_the_request_reads_it(self, caller):
        urls = {"ping": TestEndpointsThatIgnoreTheBody.ping_with_request}
        client = caller(Panther(__name__, configs={"MAX_REQUEST_BODY_SIZE": 4}, urls=urls))
        assert (await client.request("POST", "/ping", body=b"x" * 100)).status == 413
        assert (await client.request("POST", "/ping", body=b"{}")).status == 200

    async def test_a_middleware_sees_the_body_of_every_request(self, caller):
        from panther.middlewares import HTTPMiddleware

        seen = []

        class Recorder(HTTPMiddleware):
            async def __call__(self, request):
                seen.append(request.data)
                return await self.dispatch(request=request)

        urls = {"ping": TestEndpointsThatIgnoreTheBody.ping}
        app = Panther(__name__, configs={"MIDDLEWARES": [Recorder]}, urls=urls)
        result = await caller(app).request(
            "POST", "/ping", body=b'{"a": 1}', headers={"content-type": "application/json"}
        )
        assert result.status == 200
        assert seen == [{"a": 1}]
