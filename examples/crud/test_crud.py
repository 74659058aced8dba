"""The CRUD example, driven over ASGI as a client would, on a fresh embedded database."""

import pytest

from examples.crud import main


@pytest.fixture
def app(panther_app_factory, tmp_path):
    configs = {"DATABASE": {"engine": {"class": "pantherdb", "path": str(tmp_path / "books.pdb")}}}
    return panther_app_factory(urls=main.urls, configs=configs)


async def test_create_list_read_update_delete(api_client):
    created = await api_client.post("/books/", payload={"title": "Dune", "author": "Herbert", "pages": 412})
    assert created.status_code == 201
    book_id = created.data["id"]
    await api_client.post("/books/", payload={"title": "Emma", "author": "Austen", "pages": 474})

    listed = await api_client.get("/books/", query_params={"sort": "-pages", "limit": 1})
    assert listed.status_code == 200
    assert listed.data["count"] == 2 and [b["title"] for b in listed.data["results"]] == ["Emma"]
    searched = await api_client.get("/books/", query_params={"search": "Dun"})
    assert [b["title"] for b in searched.data["results"]] == ["Dune"]

    assert (await api_client.get(f"/books/{book_id}/")).data["author"] == "Herbert"
    patched = await api_client.patch(f"/books/{book_id}/", payload={"pages": 500})
    assert patched.status_code == 200 and patched.data["pages"] == 500 and patched.data["title"] == "Dune"

    assert (await api_client.delete(f"/books/{book_id}/")).status_code == 204
    assert (await api_client.get(f"/books/{book_id}/")).status_code == 404


async def test_bad_input_is_a_clear_4xx(api_client):
    invalid = await api_client.post("/books/", payload={"title": "No author"})
    assert invalid.status_code == 400 and "author" in invalid.data
    assert (await api_client.get("/books/not-an-id/")).status_code == 404
    assert (await api_client.get("/books/", query_params={"limit": "abc"})).status_code == 400
