"""Each UI page in a real headless Chromium, served by uvicorn: it renders the operations, requests nothing from
another host and logs no console error.

Needs Debian's ``chromium`` and the ``playwright`` package (its own browser download is not used). Skipped with the
reason when either is missing; under ``CI=true`` a missing browser fails instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from panther.test.browser import require_chromium

#: Text each UI shows once it has rendered the document: the title, the untagged operation's summary, the tags
#: (Stoplight Elements shows a tag's operations only once the tag is opened).
EXPECTED = ("Docs test app", "The index of this API.", "notes", "double", "hello")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


async def open_page(browser: Any, url: str, base: str) -> tuple[Any, list[str], list[str]]:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    outside: list[str] = []
    errors: list[str] = []
    # Same-origin, inline (data:) and in-page (blob:) URLs stay on the machine; anything else would leave it.
    page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else outside.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))
    await page.goto(url, wait_until="networkidle")
    return page, outside, errors


@pytest.mark.parametrize("ui", ["swagger", "redoc", "scalar", "rapidoc", "spotlight"])
async def test_ui_renders_offline_without_errors(ui: str, served: str, chromium: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page, outside, errors = await open_page(browser, f"{served}/docs/{ui}", served)
            assert page.url == f"{served}/docs/{ui}/"  # redirected to the slash form its relative URLs need
            for text in EXPECTED:
                # Locators see into shadow DOM (RapiDoc) and wait for the UI to render.
                await page.get_by_text(text, exact=False).first.wait_for(state="attached", timeout=15_000)
            await page.wait_for_timeout(300)  # late requests (fonts, logos) would show up here
            await page.screenshot(path=str(tmp_path / f"{ui}.png"))
        finally:
            await browser.close()
    assert outside == [], f"{ui} requested other hosts"
    assert errors == [], f"{ui} logged errors"
