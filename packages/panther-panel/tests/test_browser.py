"""The panel in a real headless Chromium, served by uvicorn, on PantherDB and MongoDB: log in, create, edit,
search and delete a record; no console error, no request to another host. It saves a screenshot of the table.

Needs Debian's ``chromium`` and the ``playwright`` package (its own browser download is not used). Skipped with the
reason when either is missing; under ``CI=true`` a missing browser fails instead.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from panther.test.browser import require_chromium
from panther.test.processes import free_port, stop_process, wait_until_serving

HERE = Path(__file__).resolve().parent
SECRET_KEY = "browser-test-secret-key-of-the-panel"
#: Where ``PANEL_SCREENSHOT=1`` saves the README's screenshot.
SCREENSHOT = HERE.parent / "docs" / "panel.png"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(params=["pantherdb", pytest.param("mongodb", marks=pytest.mark.panther_mongodb)])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The base URL of ``panel_app.py`` under uvicorn, and its environment (for ``panther createuser``)."""
    name = f"panther_panel_browser_{uuid.uuid4().hex[:8]}"
    if request.param == "mongodb":
        database = f"{request.getfixturevalue('panther_mongodb_url').rstrip('/')}/{name}"
    else:
        database = str(tmp_path / "panel.pdb")
    env = {**os.environ, "PANEL_DATABASE": database, "PANEL_SECRET_KEY": SECRET_KEY, "PYTHONPATH": str(HERE)}
    # The staff user, made as a user would: `panther createuser --staff` (before the server opens the database).
    created = subprocess.run(
        [sys.executable, "-c", "from panther.cli.main import start; start()", "createuser", "--staff", "panel_app:app"],
        input="admin\npanel-password\npanel-password\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "panel_app:app", "--app-dir", str(HERE), "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, f"{url}/panel/static/panel.css", timeout=20)
        yield url, env
    finally:
        stop_process(server)
        if request.param == "mongodb":
            import pymongo

            with pymongo.MongoClient(database.rpartition("/")[0]) as client:
                client.drop_database(name)


async def test_log_in_create_edit_search_delete(served: tuple[str, dict[str, str]], chromium: str) -> None:
    from playwright.async_api import async_playwright

    base, _ = served
    outside: list[str] = []
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page: Any = await browser.new_page(viewport={"width": 1100, "height": 640})
            page.on("request", lambda r: None if r.url.startswith((base, "data:")) else outside.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            await page.goto(f"{base}/panel/0/")  # anonymous: sent to the login page, coming back afterwards
            assert "/panel/login/?redirect_to=" in page.url
            await page.fill("input[name=username]", "admin")
            await page.fill("input[name=password]", "panel-password")
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/panel/0/")

            for title, pages in (("Dune", "412"), ("Neuromancer", "271"), ("<i>Snow Crash</i>", "480")):
                await page.click("nav a[href='/panel/0/']")  # the header links each table
                await page.click("text=Add Book")
                await page.fill("input[name=title]", title)
                await page.fill("input[name=pages]", pages)
                await page.click("button:has-text('Create')")
                await page.wait_for_url("**/panel/0/*/")
            await page.click("nav a[href='/panel/0/']")
            await page.wait_for_url("**/panel/0/")  # count() does not wait for the list page
            assert await page.locator("tr[data-href]").count() == 3
            assert await page.locator("td", has_text="<i>Snow Crash</i>").count() == 1  # shown as text
            assert await page.locator("i", has_text="Snow Crash").count() == 0  # never as markup

            await page.click("td:has-text('Neuromancer')")  # panel.js: the whole row opens the record
            await page.wait_for_url("**/panel/0/*/")
            await page.fill("input[name=title]", "Neuromancer (1984)")
            await page.check("input[name=published]")
            await page.click("button:has-text('Save')")
            await page.wait_for_url("**/?saved=1")

            await page.goto(f"{base}/panel/0/")
            await page.fill("input[name=q]", "neuro")
            await page.click("button:has-text('Search')")
            await page.wait_for_url("**/panel/0/?q=neuro")
            assert await page.locator("tr[data-href]").count() == 1
            await page.locator("td", has_text="Neuromancer (1984)").wait_for()

            await page.goto(f"{base}/panel/0/")
            if os.environ.get("PANEL_SCREENSHOT"):
                await page.screenshot(path=str(SCREENSHOT))

            await page.click("td:has-text('Dune')")
            await page.wait_for_url("**/panel/0/*/")
            await page.click("text=Delete")
            await page.click("button:has-text('Yes, delete it')")
            await page.wait_for_url(f"{base}/panel/0/")
            assert await page.locator("tr[data-href]").count() == 2
            assert await page.locator("td", has_text="Dune").count() == 0

            await page.click("button:has-text('Log out')")
            await page.wait_for_url(f"{base}/panel/login/")
            await page.goto(f"{base}/panel/")
            assert "/panel/login/" in page.url
            await asyncio.sleep(0.2)  # late requests would show up here
        finally:
            await browser.close()
    assert outside == [], "the panel requested other hosts"
    assert errors == [], "the panel logged errors"
