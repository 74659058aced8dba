"""CORSMiddleware: allowed origins, Vary, credentials, preflight, and headers on error responses too."""

import pytest

from panther import Panther
from panther.app import API
from panther.exceptions import APIError, PantherError
from panther.middlewares import CORSMiddleware
from panther.response import Response


@API()
async def ok():
    return {"ok": True}


@API()
async def broken():
    raise RuntimeError("boom")


@API()
async def unauthorised():
    raise APIError(detail="no", status_code=401)


@API()
async def unrenderable():
    return {"value": object()}


@API()
async def varied():
    return Response({"ok": True}, headers={"Vary": "Accept-Encoding"})


def make_app(**configs):
    return Panther(
        __name__,
        configs={"MIDDLEWARES": [CORSMiddleware], **configs},
        urls={"ok": ok, "broken": broken, "unauthorised": unauthorised, "varied": varied, "unrenderable": unrenderable},
    )


SITE = "https://app.example.com"


class TestDefaults:
    async def test_any_origin_by_default(self, caller):
        result = await caller(make_app()).get("/ok", headers={"origin": SITE})
        assert result.status == 200
        assert result.header("access-control-allow-origin") == "*"
        assert result.header("access-control-allow-credentials") is None
        # The answer does not depend on the origin, so caches need no Vary.
        assert result.header("vary") is None

    @pytest.mark.parametrize(
        ("path", "status"), [("/nowhere", 404), ("/broken", 500), ("/unauthorised", 401), ("/unrenderable", 500)]
    )
    async def test_error_responses_get_cors_headers(self, caller, path, status):
        result = await caller(make_app()).get(path, headers={"origin": SITE})
        assert result.status == status
        assert result.header("access-control-allow-origin") == "*"

    async def test_405_gets_cors_headers(self, caller):
        @API(methods=["GET"])
        async def get_only():
            return None

        app = Panther(__name__, configs={"MIDDLEWARES": [CORSMiddleware]}, urls={"x": get_only})
        result = await caller(app).post("/x", headers={"origin": SITE})
        assert result.status == 405
        assert result.header("access-control-allow-origin") == "*"


class TestListedOrigins:
    async def test_allowed_origin_is_echoed_with_vary(self, caller):
        client = caller(make_app(ALLOW_ORIGINS=[SITE, "https://other.example.com"]))
        result = await client.get("/ok", headers={"origin": SITE})
        assert result.header("access-control-allow-origin") == SITE
        assert result.header("vary") == "Origin"

    async def test_disallowed_origin_gets_no_allow_origin(self, caller):
        client = caller(make_app(ALLOW_ORIGINS=[SITE]))
        result = await client.get("/ok", headers={"origin": "https://evil.example.com"})
        assert result.status == 200
        assert result.header("access-control-allow-origin") is None
        assert result.header("vary") == "Origin"

    async def test_no_origin_header(self, caller):
        result = await caller(make_app(ALLOW_ORIGINS=[SITE])).get("/ok")
        assert result.header("access-control-allow-origin") is None
        assert result.header("vary") == "Origin"

    @pytest.mark.parametrize(("path", "status"), [("/nowhere", 404), ("/broken", 500), ("/unrenderable", 500)])
    async def test_error_responses_echo_the_origin(self, caller, path, status):
        result = await caller(make_app(ALLOW_ORIGINS=[SITE])).get(path, headers={"origin": SITE})
        assert result.status == status
        assert result.header("access-control-allow-origin") == SITE

    async def test_vary_is_added_to_the_endpoint_vary(self, caller):
        result = await caller(make_app(ALLOW_ORIGINS=[SITE])).get("/varied", headers={"origin": SITE})
        assert result.header_list("vary") == ["Accept-Encoding, Origin"]

    async def test_credentials_and_expose_headers(self, caller):
        client = caller(make_app(ALLOW_ORIGINS=[SITE], ALLOW_CREDENTIALS=True, EXPOSE_HEADERS=["X-Total", "X-Page"]))
        result = await client.get("/ok", headers={"origin": SITE})
        assert result.header("access-control-allow-credentials") == "true"
        assert result.header("access-control-expose-headers") == "X-Total, X-Page"
        denied = await client.get("/ok", headers={"origin": "https://evil.example.com"})
        assert denied.header("access-control-allow-credentials") is None
        assert denied.header("access-control-expose-headers") is None

    async def test_a_single_origin_given_as_a_string(self, caller):
        client = caller(make_app(ALLOW_ORIGINS=SITE, ALLOW_METHODS="GET", ALLOW_HEADERS="X-Token"))
        assert (await client.get("/ok", headers={"origin": SITE})).header("access-control-allow-origin") == SITE
        preflight = await client.request(
            "OPTIONS", "/ok", headers={"origin": SITE, "access-control-request-method": "GET"}
        )
        assert preflight.header("access-control-allow-methods") == "GET"
        assert preflight.header("access-control-allow-headers") == "X-Token"

    def test_wildcard_with_credentials_is_a_startup_error(self):
        with pytest.raises(PantherError, match="ALLOW_CREDENTIALS"):
            make_app(ALLOW_ORIGINS=["*"], ALLOW_CREDENTIALS=True)


class TestPreflight:
    async def test_preflight_is_204_with_the_allowed_methods_and_headers(self, caller):
        client = caller(
            make_app(ALLOW_ORIGINS=[SITE], ALLOW_HEADERS=["Authorization", "Content-Type"], CORS_MAX_AGE=60)
        )
        result = await client.request(
            "OPTIONS",
            "/ok",
            headers={
                "origin": SITE,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization",
            },
        )
        assert result.status == 204
        assert result.body == b""
        assert result.header("access-control-allow-origin") == SITE
        assert result.header("access-control-allow-methods") == "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        assert result.header("access-control-allow-headers") == "Authorization, Content-Type"
        assert result.header("access-control-max-age") == "60"
        assert result.header("vary") == "Origin"

    async def test_wildcard_headers_echo_the_requested_ones(self, caller):
        result = await caller(make_app()).request(
            "OPTIONS",
            "/ok",
            headers={
                "origin": SITE,
                "access-control-request-method": "PUT",
                "access-control-request-headers": "x-a, x-b",
            },
        )
        assert result.status == 204
        assert result.header("access-control-allow-origin") == "*"
        assert result.header("access-control-allow-headers") == "x-a, x-b"

    async def test_preflight_from_a_disallowed_origin_allows_nothing(self, caller):
        result = await caller(make_app(ALLOW_ORIGINS=[SITE])).request(
            "OPTIONS", "/ok", headers={"origin": "https://evil.example.com", "access-control-request-method": "POST"}
        )
        assert result.status == 204
        assert result.header("access-control-allow-origin") is None
        assert result.header("access-control-allow-methods") is None

    async def test_preflight_does_not_reach_the_endpoint(self, caller):
        calls = []

        @API()
        async def counted():
            calls.append(1)

        app = Panther(__name__, configs={"MIDDLEWARES": [CORSMiddleware]}, urls={"x": counted})
        await caller(app).request("OPTIONS", "/x", headers={"origin": SITE, "access-control-request-method": "GET"})
        assert calls == []
