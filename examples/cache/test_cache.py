"""The throttling and caching example: the 4th request in a minute is refused, and a cached page is built once."""

import asyncio
import time

import pytest

from examples.cache import main


@pytest.fixture
def app(panther_app_factory):
    return panther_app_factory(urls=main.urls)  # in memory: no Redis


async def test_the_fourth_search_in_a_minute_is_refused(api_client):
    if time.time() % 60 > 58:  # the minute's window would end between the requests: count in the next one
        await asyncio.sleep(60 - time.time() % 60 + 0.1)
    for remaining in ("2", "1", "0"):
        response = await api_client.get("/search/")
        assert response.status_code == 200 and response.headers["X-RateLimit-Remaining"] == remaining
    refused = await api_client.get("/search/")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


async def test_the_catalogue_is_built_once_and_then_served_from_the_cache(api_client):
    first = await api_client.get("/catalogue/")
    second = await api_client.get("/catalogue/")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data == {"books": ["Dune", "Emma"], "build": 1}
