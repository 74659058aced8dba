"""Property-based fuzzing of everything a client controls, against an app that uses every feature.

Every request is sent over raw ASGI (the bytes as generated, nothing normalised by a client). For each one: no 5xx,
no error in the log (an unhandled exception is logged at ERROR), no traceback in the body, and every rejection is a
4xx whose JSON body says why (``{"detail": ...}``, or a message per field for a body that fails validation, as
upstream answers). Cases per test: 150 in CI, ``PANTHER_FUZZ_EXAMPLES`` (default
20 000) in the long run; the counts are printed at the end of the run.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
import pytest
from harness import CASES, FUZZ, LONG, Driver, ErrorLog, Reply
from hypothesis import given
from hypothesis import strategies as st

# 20 000 cases of a test take minutes: the long run lifts pytest-timeout's limit (0: none) for these tests.
pytestmark = pytest.mark.timeout(0 if LONG else 120)

PATHS = [
    b"/hello",
    b"/books",
    b"/books/abc",
    b"/library",
    b"/users/1",
    b"/upload",
    b"/form",
    b"/echo",
    b"/login",
    b"/me",
    b"/cookie-me",
    b"/notes",
    b"/files/hello.txt",
    b"/page",
    b"/go",
    b"/later",
    b"/docs/openapi.json",
    b"/docs/swagger/",
    b"/",
    b"/nope",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "CONNECT", "PROPFIND", "get", "G\x00T"]
CONTENT_TYPES = [
    b"application/json",
    b"application/json; charset=utf-8",
    b"application/json; charset=latin-1",
    b"application/json; charset=nope",
    b"application/json;;;",
    b"application/x-www-form-urlencoded",
    b"application/x-www-form-urlencoded; charset=utf-16",
    b"multipart/form-data",
    b"multipart/form-data; boundary=",
    b"multipart/form-data; boundary=xyz",
    b'multipart/form-data; boundary="a b"; extra=1',
    b"text/plain",
    b"application/octet-stream",
    b"",
    b"\xff\xfe",
    b"application/json\r\nx: 1",
]

segment = st.one_of(
    st.sampled_from([b"..", b".", b"%2e%2e", b"%2f", b"%00", b"%ff", b"%", b"%zz", b"~", b"<script>", b"hello.txt"]),
    st.binary(max_size=40),
    st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.integers(min_value=1, max_value=20_000).map(lambda n: b"a" * n),
)
raw_paths = st.one_of(
    st.sampled_from(PATHS),
    st.builds(lambda base, segs: base + b"/" + b"/".join(segs), st.sampled_from(PATHS), st.lists(segment, max_size=4)),
    st.lists(segment, min_size=1, max_size=6).map(lambda segs: b"/" + b"/".join(segs)),
)
header_name = st.one_of(
    st.sampled_from(
        [
            b"content-type",
            b"content-length",
            b"cookie",
            b"authorization",
            b"origin",
            b"host",
            b"accept",
            b"access-control-request-method",
            b"access-control-request-headers",
            b"range",
            b"if-none-match",
            b"transfer-encoding",
            b"x-forwarded-for",
            b"user-agent",
            b"accept-encoding",
        ]
    ),
    st.binary(min_size=1, max_size=20),
)
header_value = st.one_of(
    st.binary(max_size=60),
    st.sampled_from(
        [
            b"-1",
            b"abc",
            b"99999999999999999999",
            b"0",
            b"1e3",
            b"bytes=0-1",
            b"bytes=5-1",
            b"bytes=-0",
            b"bytes=x",
            b"Bearer",
            b"Bearer ",
            b"Bearer a.b.c",
            b"Basic Zm9vOmJhcg==",
            b"https://app.example",
            b"null",
            b"a=1; b",
            b"=; ;=;",
            b";",
            b'a="unterminated',
            b"a\r\nb: c",
            b"\x00",
        ]
    ),
    st.integers(min_value=1000, max_value=100_000).map(lambda n: b"x" * n),
    st.sampled_from(CONTENT_TYPES),
)
headers = st.lists(st.tuples(header_name, header_value), max_size=8)


def check(reply: Reply, error_log: ErrorLog, method: str = "GET") -> None:
    errors = error_log.take()
    assert not errors, errors
    assert 100 <= reply.status < 500, (reply.status, reply.body[:500])
    assert b"Traceback" not in reply.body and b'File "' not in reply.body, reply.body[:500]
    if reply.status >= 400 and method.upper() != "HEAD":
        body = orjson.loads(reply.body)
        # `{"detail": ...}`, or upstream's shape for a body that fails validation: a message per field.
        clear = isinstance(body, dict) and body and all(isinstance(v, str) and v for v in body.values())
        assert clear, body


def lower_names(pairs: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    # ASGI servers give header names in lower case.
    return [(name.lower(), value) for name, value in pairs]


@FUZZ
@given(
    method=st.sampled_from(METHODS),
    path=raw_paths,
    query=st.binary(max_size=200),
    hdrs=headers,
    body=st.binary(max_size=300),
)
def test_request_line_headers_and_body(
    driver: Driver,
    error_log: ErrorLog,
    method: str,
    path: bytes,
    query: bytes,
    hdrs: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    CASES["request line, headers, body"] += 1
    check(driver.http(method, path, query, lower_names(hdrs), body), error_log, method)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


hostile_json = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"title": json_values, "author": json_values, "pages": json_values}).map(
        lambda v: json.dumps(v).encode()
    ),
    st.integers(min_value=1, max_value=100_000).map(_nested),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b"1" * n),
    st.sampled_from(
        [
            b'{"title": "a", "title": "b", "author": "c", "pages": 1}',
            b"NaN",
            b"[NaN, Infinity, -Infinity]",
            b'{"pages": 1e999}',
            b'{"pages": 123456789012345678901234567890}',
            b"{",
            b"",
            b"\xff\xfe{",
            b'"\\ud800"',
            b'{"a": "\x00"}',
            b"\xef\xbb\xbf{}",
            b"[] []",
        ]
    ),
    st.binary(max_size=200),
)


@FUZZ
@given(
    path=st.sampled_from([b"/books", b"/echo", b"/login", b"/form", b"/upload"]),
    body=hostile_json,
    content_type=st.sampled_from(CONTENT_TYPES[:5]),
)
def test_json_bodies(driver: Driver, error_log: ErrorLog, path: bytes, body: bytes, content_type: bytes) -> None:
    CASES["JSON bodies"] += 1
    hdrs = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    check(driver.http("POST", path, b"", hdrs, body), error_log, "POST")


urlencoded = st.one_of(
    st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=20)), max_size=20).map(
        lambda pairs: b"&".join(k + b"=" + v for k, v in pairs)
    ),
    st.sampled_from([b"name=a&age=1", b"name=a&age=-1", b"name=%ff&age=%zz", b"&&&==", b"age=1&age=2&name=x"]),
    st.integers(min_value=1, max_value=20_000).map(lambda n: b"a=1&" * n),
)


@FUZZ
@given(
    path=st.sampled_from([b"/form", b"/echo", b"/books", b"/login"]),
    body=urlencoded,
    content_type=st.sampled_from(
        [b"application/x-www-form-urlencoded", b"application/x-www-form-urlencoded; charset=utf-16"]
    ),
)
def test_urlencoded_bodies(driver: Driver, error_log: ErrorLog, path: bytes, body: bytes, content_type: bytes) -> None:
    CASES["urlencoded bodies"] += 1
    check(driver.http("POST", path, b"", [(b"content-type", content_type)], body), error_log, "POST")


filenames = st.one_of(
    st.sampled_from(
        [
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "/etc/passwd",
            "",
            ".",
            "..",
            "a\x00b.txt",
            "CON",
            "a" * 5000,
            "ok.txt",
            "x/../../y.txt",
            "%2e%2e%2fz",
            "\u202etxt.exe",
            "a\r\nContent-Type: text/html",
        ]
    ),
    st.text(max_size=40),
)


@st.composite
def multipart_bodies(draw: Any) -> tuple[bytes, bytes]:
    boundary = draw(st.sampled_from([b"xyz", b"----WebKit", b"a" * 70, b"b\xff", b" "]))
    declared = draw(st.sampled_from([boundary, b"", b"other", None]))
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        name = draw(st.sampled_from([b"name", b"file", b"", b'na"me', b"\xff"]))
        disposition = b'form-data; name="' + name + b'"'
        extra = b""
        if draw(st.booleans()):
            filename = draw(filenames).encode("utf-8", "surrogatepass")
            disposition += b'; filename="' + filename + b'"'
            if draw(st.booleans()):
                extra = b"\r\nContent-Type: " + draw(st.sampled_from([b"text/plain", b"", b"x\xff", b"image/png"]))
        if draw(st.booleans()):
            disposition = disposition.upper()
        content = draw(st.binary(max_size=100))
        parts.append(b"--" + boundary + b"\r\nContent-Disposition: " + disposition + extra + b"\r\n\r\n" + content)
    body = b"\r\n".join(parts) + draw(st.sampled_from([b"\r\n--" + boundary + b"--\r\n", b"", b"\r\n--" + boundary]))
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # thousands of parts
        body = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="n"\r\n\r\nv\r\n') * 3000 + body
    content_type = b"multipart/form-data" if declared is None else b"multipart/form-data; boundary=" + declared
    return content_type, body


@FUZZ
@given(path=st.sampled_from([b"/upload", b"/echo", b"/form", b"/books"]), multipart=multipart_bodies())
def test_multipart_bodies(driver: Driver, error_log: ErrorLog, path: bytes, multipart: tuple[bytes, bytes]) -> None:
    CASES["multipart bodies"] += 1
    content_type, body = multipart
    check(driver.http("POST", path, b"", [(b"content-type", content_type)], body), error_log, "POST")
    # An upload never lands outside the upload directory, whatever its name.
    directory = driver.app.state.directory
    outside = [p for p in directory.rglob("*") if p.parent.name not in ("uploads", "files") and p.is_file()]
    assert all(p.parent == directory and p.name.startswith("reliability.pdb") for p in outside), outside


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


jwt_headers = st.one_of(
    st.sampled_from([{"alg": "none"}, {"alg": "None"}, {"alg": "HS256"}, {"alg": "RS256"}, {"alg": "HS512"}, {}]),
    st.dictionaries(st.sampled_from(["alg", "typ", "kid", "jku", "crit"]), json_values, max_size=4),
)
jwt_claims = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "user_id": json_values,
            "token_type": st.sampled_from(["access", "refresh", "", 1]),
            "exp": st.one_of(st.integers(), st.floats(), st.text(max_size=5)),
            "iat": json_values,
            "jti": json_values,
            "sid": json_values,
            "sid_exp": json_values,
        },
    ),
    json_values,
)
tokens = st.one_of(
    st.builds(
        lambda h, c, s: _b64(json.dumps(h).encode()) + b"." + _b64(json.dumps(c).encode()) + b"." + s,
        jwt_headers,
        jwt_claims,
        st.sampled_from([b"", b"sig", b"AAAA"]),
    ),
    st.binary(max_size=200),
    st.sampled_from([b"a.b.c", b"..", b"e30.e30.", b"\xff.\xfe.\xfd"]),
)


@FUZZ
@given(
    token=tokens,
    where=st.sampled_from(["bearer", "cookie", "raw"]),
    path=st.sampled_from([b"/me", b"/notes", b"/cookie-me"]),
)
def test_jwts(driver: Driver, error_log: ErrorLog, token: bytes, where: str, path: bytes) -> None:
    CASES["JWTs"] += 1
    if where == "bearer":
        hdrs = [(b"authorization", b"Bearer " + token)]
    elif where == "cookie":
        hdrs = [(b"cookie", b"access_token=" + token + b"; refresh_token=" + token)]
    else:
        hdrs = [(b"authorization", token)]
    reply = driver.http("GET", path, b"", hdrs)
    check(reply, error_log)
    assert reply.status in (401, 403), reply.body  # no forged token gets in


@FUZZ
@given(
    cookie=st.one_of(st.binary(max_size=200), st.sampled_from([b"a=1;", b"a", b";;", b"=", b"a=1; Secure", b'a="b'])),
    path=st.sampled_from([b"/users/1", b"/cookie-me", b"/hello"]),
)
def test_cookies(driver: Driver, error_log: ErrorLog, cookie: bytes, path: bytes) -> None:
    CASES["cookies"] += 1
    check(driver.http("GET", path, b"", [(b"cookie", cookie), (b"cookie", cookie)]), error_log)


messages = st.lists(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200),
        st.integers(min_value=1, max_value=200_000).map(lambda n: "x" * n),
    ),
    max_size=5,
)


@FUZZ
@given(room=segment, query=st.binary(max_size=50), hdrs=headers, sent=messages)
def test_websocket_messages(
    driver: Driver,
    error_log: ErrorLog,
    room: bytes,
    query: bytes,
    hdrs: list[tuple[bytes, bytes]],
    sent: list[str | bytes],
) -> None:
    CASES["WebSocket handshakes and messages"] += 1
    replies = driver.websocket(b"/ws/" + room, query, lower_names(hdrs), sent)
    errors = error_log.take()
    assert not errors, errors
    for message in replies:
        if message["type"] == "websocket.http.response.start":
            assert message["status"] < 500, replies
        if message["type"] == "websocket.close":
            assert message.get("code", 1000) != 1011, replies  # 1011: the server failed
