"""Custom authentication keeps working: async functions, ``BaseAuthentication`` subclasses (with upstream's
``exception`` and its log line); a sync one is refused when the endpoint is declared."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from panther.app import API, GenericAPI
from panther.authentications import BaseAuthentication
from panther.exceptions import PantherError
from panther.request import Request
from panther.test import APIClient


class ApiKey(BaseAuthentication):
    scheme = "ApiKey"

    async def __call__(self, request: Any) -> Any:
        key = request.headers.get("X-Api-Key")
        if key is None:
            return None
        if key != "k1":
            raise self.exception("Unknown API key")
        return {"name": "service"}


async def by_header(request: Any) -> Any:
    return request.headers.get("X-User")


@API(auth=ApiKey)
async def with_class(request: Request) -> Any:
    return {"user": request.user}


@API(auth=by_header)
async def with_function(request: Request) -> Any:
    return {"user": request.user}


class Resource(GenericAPI):
    auth = ApiKey

    async def get(self, request: Request) -> Any:
        return {"user": request.user}


@pytest.fixture
async def client(auth_app):
    app = auth_app(urls={"class": with_class, "function": with_function, "generic": Resource})
    async with APIClient(app) as client:
        yield client


async def test_class(client, caplog):
    assert (await client.get("/class/", headers={"X-Api-Key": "k1"})).data == {"user": {"name": "service"}}
    assert (await client.get("/generic/", headers={"X-Api-Key": "k1"})).data == {"user": {"name": "service"}}
    assert (await client.get("/class/")).data == {"user": None}
    with caplog.at_level(logging.ERROR, logger="panther"):
        refused = await client.get("/class/", headers={"X-Api-Key": "nope"})
    assert refused.status_code == 401 and refused.data == {"detail": "Unknown API key"}
    assert refused.headers["WWW-Authenticate"] == 'ApiKey error="invalid_token", error_description="Unknown API key"'
    assert 'ApiKey Error: "Unknown API key"' in caplog.messages


async def test_function(client):
    assert (await client.get("/function/", headers={"X-User": "ann"})).data == {"user": "ann"}


def test_sync_authentication_is_refused_when_declared():
    def sync_auth(request: Any) -> Any:
        return None

    class SyncCall(BaseAuthentication):
        def __call__(self, request: Any) -> Any:  # type: ignore[override]
            return None

    for auth in (sync_auth, SyncCall):
        with pytest.raises(PantherError, match="must be an async function or a class with `async __call__`"):
            API(auth=auth)


def test_challenge_never_breaks_the_header():
    error = BaseAuthentication.exception('bad "quoted" \\ value\nnewline é 中')
    value = error.headers["WWW-Authenticate"]
    value.encode("latin-1")
    assert value == 'Bearer error="invalid_token", error_description="bad quoted  valuenewline  "'
