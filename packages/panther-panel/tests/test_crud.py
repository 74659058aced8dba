"""Create, read, edit, search and delete records through the panel's forms, on PantherDB and MongoDB."""

from __future__ import annotations

from typing import Any

from panther import Panther
from panther.db.context import use_app
from panther.test import APIClient


async def token(client: APIClient, path: str, panel: Any) -> str:
    return str(panel.csrf_of((await client.get(path)).text))


async def test_create_edit_search_and_delete(staff_client: APIClient, panel_app: Panther, panel: Any) -> None:
    home = await staff_client.get("/panel/")
    assert home.status_code == 200 and "Book" in home.text and "BaseUser" in home.text
    csrf = await token(staff_client, "/panel/0/create/", panel)
    created = await staff_client.post(
        "/panel/0/create/",
        data={"csrf_token": csrf, "title": "Dune", "pages": "412", "published": "on", "tags": '["sf", "classic"]'},
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    with use_app(panel_app):
        book = await panel.Book.find_one(title="Dune")
    assert book is not None and location == f"/panel/0/{book.id}/"
    assert (book.pages, book.published, book.tags) == (412, True, ["sf", "classic"])

    detail = await staff_client.get(location)
    assert 'value="Dune"' in detail.text and 'value="412"' in detail.text and "checked" in detail.text
    edited = await staff_client.post(
        location, data={"csrf_token": panel.csrf_of(detail.text), "title": "Dune Messiah", "pages": "256", "tags": "[]"}
    )
    assert edited.status_code == 303
    with use_app(panel_app):
        await book.reload()
    assert (book.title, book.pages, book.published, book.tags) == ("Dune Messiah", 256, False, [])

    with use_app(panel_app):
        await panel.Book.insert_one(title="Neuromancer")
    found = await staff_client.get("/panel/0/", query_params={"q": "messiah"})  # case-insensitive
    assert "Dune Messiah" in found.text and "Neuromancer" not in found.text and "1 record" in found.text
    literal = await staff_client.get("/panel/0/", query_params={"q": ".*"})  # text, not a pattern
    assert "0 records" in literal.text

    confirm = await staff_client.get(f"{location}delete/")
    assert confirm.status_code == 200 and "Dune Messiah" in confirm.text
    with use_app(panel_app):
        assert await panel.Book.count() == 2  # GET only asks
    deleted = await staff_client.post(f"{location}delete/", data={"csrf_token": panel.csrf_of(confirm.text)})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/panel/0/"
    with use_app(panel_app):
        assert await panel.Book.find_one(id=book.id) is None
    assert (await staff_client.get(location)).status_code == 404


async def test_invalid_values_are_shown_by_field(staff_client: APIClient, panel_app: Panther, panel: Any) -> None:
    csrf = await token(staff_client, "/panel/0/create/", panel)
    response = await staff_client.post(
        "/panel/0/create/", data={"csrf_token": csrf, "title": "<b>x</b>", "pages": "many", "tags": "[oops"}
    )
    assert response.status_code == 400
    text = response.text
    assert 'class="field invalid"' in text and "Enter valid JSON." in text and "valid integer" in text
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in text  # what was typed is kept, escaped
    missing = await staff_client.post("/panel/0/create/", data={"csrf_token": csrf, "pages": "3"})
    assert missing.status_code == 400 and "required" in missing.text.lower()
    with use_app(panel_app):
        assert await panel.Book.count() == 0


async def test_editing_a_user_keeps_or_rehashes_the_password(
    staff_client: APIClient, panel_app: Panther, panel: Any
) -> None:
    with use_app(panel_app):
        from panther.db.models import BaseUser

        user = await panel.create_user(panel_app, "dave", staff=False, password="first-pass")
        before = user.password
    page = await staff_client.get(f"/panel/1/{user.id}/")
    assert before not in page.text
    kept = await staff_client.post(
        f"/panel/1/{user.id}/", data={"csrf_token": panel.csrf_of(page.text), "username": "dave", "is_staff": "on"}
    )
    assert kept.status_code == 303, kept.text
    with use_app(panel_app):
        dave = await BaseUser.find_one(id=user.id)
    assert dave is not None and dave.password == before and dave.is_staff is True
    changed = await staff_client.post(
        f"/panel/1/{user.id}/",
        data={"csrf_token": panel.csrf_of(page.text), "username": "dave", "password": "second-pass"},
    )
    assert changed.status_code == 303
    with use_app(panel_app):
        dave = await BaseUser.find_one(id=user.id)
    assert dave is not None and dave.password.startswith("scrypt$") and await dave.acheck_password("second-pass")


async def test_panel_models_setting_chooses_the_models(make_panel_app: Any, panel: Any) -> None:
    app = make_panel_app(PANEL_MODELS=[panel.Book])
    async with APIClient(app, keep_cookies=True) as client:
        await panel.create_user(app, "admin", staff=True)
        await panel.login(client)
        home = await client.get("/panel/")
        assert "Book" in home.text and "BaseUser" not in home.text
        assert (await client.get("/panel/1/")).status_code == 404


async def test_two_apps_keep_their_own_panels(make_panel_app: Any, panel: Any) -> None:
    """No process-wide registry: each app manages its own models and mount point."""
    from panther.panel.state import PANEL
    from panther.panel.urls import url_routing

    first = make_panel_app(PANEL_MODELS=[panel.Book])
    second = make_panel_app(urls={"admin/": url_routing})
    assert first.stash[PANEL].models == (panel.Book,) and first.stash[PANEL].prefix == "/panel/"
    assert second.stash[PANEL].prefix == "/admin/"
    assert panel.Book not in second.stash[PANEL].models  # its routes use no Book
