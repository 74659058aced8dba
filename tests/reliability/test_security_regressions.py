"""One named test per security defect of upstream Panther (the spec's "Known weaknesses", §3), run against the app
that uses every feature. Each asserts the behaviour upstream got wrong, so it fails on upstream's behaviour.

The packages' own suites test each of these in depth (bench/results/reliability.md lists where); these prove them
again with every plugin installed and active together.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from everything import PASSWORD, create_app

from panther import Panther
from panther.app import API
from panther.authentications.revocation import MemoryRevocations, RevocationUnavailable
from panther.exceptions import PantherError
from panther.response import FileResponse, RedirectResponse, Response
from panther.test import APIClient

ORIGIN = "https://app.example"


@pytest.fixture
def app(tmp_path: Path) -> Panther:
    return create_app(tmp_path / "app")


@pytest.fixture
async def client(app: Panther) -> AsyncIterator[APIClient]:
    async with APIClient(app) as client:
        yield client


async def _tokens(client: APIClient) -> dict[str, str]:
    response = await client.post("/login", payload={"username": "ann", "password": PASSWORD})
    assert response.status_code == 200
    return dict(response.data)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


# --- path traversal -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/files/..%2f..%2f..%2fetc%2fpasswd", "/files/%2e%2e%2fapp.py", "/files/..", "/files/%2fetc%2fpasswd"]
)
async def test_file_response_does_not_serve_outside_its_root(client: APIClient, path: str) -> None:
    # Upstream joined the path onto BASE_DIR unchecked: `../../../../etc/hostname` was served.
    response = await client.get(path)
    assert response.status_code == 404 and response.data == {"detail": "Not Found"}
    assert response.headers["content-type"] == "application/json"


async def test_file_response_with_a_traversing_name_is_404(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "secret.txt").write_text("secret")

    @API()
    async def leak(request: Any) -> FileResponse:
        return FileResponse(request.query_params["name"], root=str(tmp_path / "public"))

    async with APIClient(Panther(__name__, configs={}, urls={"f": leak})) as client:
        for name in ("../secret.txt", str(tmp_path / "secret.txt"), "../../../../../../etc/passwd"):
            response = await client.get("/f", query_params={"name": name})
            assert response.status_code == 404 and response.data == {"detail": "Not Found"}, name


@pytest.mark.parametrize("filename", ["../../escaped.txt", "/tmp/escaped.txt", "..\\..\\escaped.txt", "a/../../b.txt"])
async def test_upload_filename_cannot_escape_the_upload_directory(
    client: APIClient, app: Panther, filename: str
) -> None:
    # Upstream saved to the client's filename as given, so `../` wrote outside the upload directory.
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    response = await client.post("/upload", payload=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200, response.data
    assert _files(Path(app.state.directory, "uploads")) == [response.data["saved"]]
    assert _files(Path(app.state.directory).parent) == []  # nothing landed next to the app's directory
    assert not _files(Path("/tmp"), "escaped.txt")


def _files(directory: Path, name: str = "*") -> list[str]:
    return [p.name for p in directory.glob(name) if p.is_file()]


# --- XSS ------------------------------------------------------------------------------------------------------------


async def test_templates_are_autoescaped(client: APIClient) -> None:
    # Upstream's Jinja environment had no autoescape: the context was rendered raw.
    response = await client.get("/page", query_params={"name": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "<script>" not in response.data and "&lt;script&gt;" in response.data


# --- CORS -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "status"), [("/nope", 404), ("/me", 403), ("/books/x", 404), ("/upload", 405)])
async def test_cors_headers_are_on_error_responses(client: APIClient, path: str, status: int) -> None:
    # Upstream added them only to successful responses: a browser hid every error from the page.
    response = await client.get(path, headers={"origin": ORIGIN})
    assert response.status_code == status
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in response.headers["vary"]


async def test_cors_disallowed_origin_gets_no_allow_origin(client: APIClient) -> None:
    # Upstream answered a disallowed origin with its first allowed origin.
    response = await client.get("/hello", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_wildcard_with_credentials_is_refused_at_startup(tmp_path: Path) -> None:
    with pytest.raises(PantherError, match="ALLOW_CREDENTIALS"):
        create_app(tmp_path, {"ALLOW_ORIGINS": ["*"], "ALLOW_CREDENTIALS": True})


# --- JWT ------------------------------------------------------------------------------------------------------------


async def test_jwt_alg_none_is_refused(client: APIClient, app: Panther) -> None:
    claims = jwt.decode((await _tokens(client))["access_token"], options={"verify_signature": False})
    token = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."
    response = await client.get("/me", headers=_bearer(token))
    assert response.status_code == 401 and response.data == {"detail": "Token algorithm is not allowed"}


async def test_jwt_other_algorithm_than_configured_is_refused(client: APIClient, app: Panther) -> None:
    # Algorithm confusion: a token that names another algorithm is refused even when its signature is right.
    claims = jwt.decode((await _tokens(client))["access_token"], options={"verify_signature": False})
    token = jwt.encode(claims, app.config.JWT_CONFIG.key, algorithm="HS512")
    response = await client.get("/me", headers=_bearer(token))
    assert response.status_code == 401 and response.data == {"detail": "Token algorithm is not allowed"}


async def test_refresh_token_is_not_an_access_token(client: APIClient) -> None:
    refresh = (await _tokens(client))["refresh_token"]
    response = await client.get("/me", headers=_bearer(refresh))
    assert response.status_code == 401
    assert response.data == {"detail": "Refresh token cannot be used as an access token"}


async def test_refresh_cookie_alone_is_401_not_500(client: APIClient) -> None:
    refresh = (await _tokens(client))["refresh_token"]
    response = await client.get("/cookie-me", headers={"cookie": f"refresh_token={refresh}"})
    assert response.status_code == 401


async def test_logout_revokes_without_redis(client: APIClient) -> None:
    # Upstream's logout silently did nothing without Redis.
    access = (await _tokens(client))["access_token"]
    assert (await client.post("/logout", headers=_bearer(access))).status_code == 200
    assert (await client.get("/me", headers=_bearer(access))).status_code == 401


# --- permissions ----------------------------------------------------------------------------------------------------


async def test_permission_returning_none_denies() -> None:
    # Upstream granted access when a permission returned None (a forgotten `return`).
    async def forgetful(request: Any) -> None:
        pass

    @API(permissions=[forgetful])
    async def secret() -> dict[str, str]:
        return {"secret": "x"}

    async with APIClient(Panther(__name__, configs={}, urls={"s": secret})) as client:
        response = await client.get("/s")
    assert response.status_code == 403 and "secret" not in response.data


# --- redirects and header injection ---------------------------------------------------------------------------------


async def test_redirect_location_cannot_add_headers() -> None:
    @API()
    async def back(request: Any) -> RedirectResponse:
        return RedirectResponse(request.query_params.get("to", "/"))

    async with APIClient(Panther(__name__, configs={}, urls={"back": back})) as client:
        response = await client.get("/back", query_params={"to": "/x\r\nSet-Cookie: session=evil"})
    assert response.status_code == 307
    assert "set-cookie" not in response.headers
    assert "\r" not in response.headers["location"] and "\n" not in response.headers["location"]


async def test_response_header_with_a_line_break_is_not_sent() -> None:
    @API()
    async def echo_header(request: Any) -> Response:
        return Response({}, headers={"X-Name": request.query_params.get("name", "")})

    async with APIClient(Panther(__name__, configs={}, urls={"h": echo_header})) as client:
        response = await client.get("/h", query_params={"name": "a\r\nSet-Cookie: session=evil"})
    assert "set-cookie" not in response.headers and response.status_code == 500


# --- unbounded stores and inputs ------------------------------------------------------------------------------------


async def test_in_memory_revocation_store_is_bounded() -> None:
    # Upstream's in-memory throttle and cache dicts grew without limit; this store refuses (503) when full of
    # unexpired entries rather than grow or forget one.
    store = MemoryRevocations(capacity=100)
    for n in range(100):
        await store.revoke(f"s{n}", until=4_000_000_000)
    with pytest.raises(RevocationUnavailable):
        await store.revoke("one more", until=4_000_000_000)
    assert len(store) == 100


async def test_request_body_is_limited(client: APIClient) -> None:
    response = await client.post("/echo", payload=b"x" * (1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize(("query", "status"), [({"limit": "abc"}, 400), ({"limit": "100000"}, 200)])
async def test_pagination_limit_is_checked_and_capped(client: APIClient, query: dict[str, str], status: int) -> None:
    # Upstream: `limit=abc` was a 500 and no maximum existed.
    response = await client.get("/library", query_params=query)
    assert response.status_code == status
    if status == 200:
        assert response.data["count"] == 0 and response.data["results"] == []


@pytest.mark.parametrize("cookie", ["a=1;", "a=1; Secure", ";;", "=", 'a="b'])
async def test_malformed_cookie_header_is_not_a_500(client: APIClient, cookie: str) -> None:
    response = await client.get("/users/1", headers={"cookie": cookie})
    assert response.status_code == 200
