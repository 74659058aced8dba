"""The OpenAPI example: the document describes the endpoints, and the UI pages are served."""

from examples.openapi_docs.main import app  # noqa: F401  (the app under test for api_client)


async def test_the_document_describes_the_api(api_client):
    response = await api_client.get("/docs/openapi.json")
    assert response.status_code == 200
    document = response.data
    assert document["openapi"].startswith("3.1") and document["info"]["title"] == "Bookshop"
    create = document["paths"]["/books/"]["post"]
    assert create["summary"] == "Store a book." and "201" in create["responses"] and "400" in create["responses"]
    read = document["paths"]["/books/{book_id}/"]["get"]
    assert read["parameters"][0]["schema"]["type"] == "integer" and "404" in read["responses"]


async def test_the_ui_pages_are_served(api_client):
    for ui in ("swagger", "redoc", "scalar", "rapidoc", "spotlight"):
        page = await api_client.get(f"/docs/{ui}/")
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"], ui


async def test_the_endpoints_answer_as_documented(api_client):
    created = await api_client.post("/books/", payload={"title": "Emma", "pages": 474})
    assert created.status_code == 201 and created.data["title"] == "Emma"
    assert (await api_client.get(f"/books/{created.data['id']}/")).data["pages"] == 474
    assert (await api_client.get("/books/999/")).status_code == 404
    assert (await api_client.get("/books/abc/")).status_code == 400
