"""serve-web in a real browser: headless Chromium (the OS package) driven through its
DevTools protocol (fixtures/browser.py) loads the page, reads the app's terminal, types
and saves; and its network log shows that the page fetched nothing from elsewhere."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fixtures.browser import Browser, chromium_missing
from fixtures.ssh_visitor import REAL_APP, wait_until

pytestmark = pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or "")


@pytest.fixture
async def web_and_browser(serve_web):
    server = await serve_web(app=REAL_APP)
    browser = await Browser.launch(1280, 800)
    try:
        yield server, browser
    finally:
        await browser.close()


def _training_days(screen: str) -> str | None:
    """The results table's training time, e.g. '76.7' (the row's label may be cut short)."""
    found = re.search(r"Training t\S*\s+([\d.,]+) days", screen)
    return found.group(1) if found else None


def _days(text: str | None) -> float:
    return float((text or "nan").replace(",", ""))


async def test_a_visitor_sees_the_results_edits_the_chip_count_and_saves_into_the_session_folder(web_and_browser):
    server, browser = web_and_browser
    await browser.navigate(f"http://127.0.0.1:{server.port}/")
    screen = await browser.until(lambda text: _training_days(text) is not None and "^q Quit" in text)
    assert "Training time" in screen and "Facility power" in screen and "16,384 x NVIDIA" in screen
    days_before = _training_days(screen)

    await browser.focus_terminal()
    await browser.press("p", ctrl=True)  # the command palette: go to the chip count
    await browser.until_text("Search for commands")
    await browser.type("Go to field: Chips")
    await browser.until_text("number of accelerators")  # the palette lists the field
    await browser.press("enter")
    await browser.until(lambda text: "Go to field" not in text)  # the palette closed, the field has focus
    await browser.press("e", ctrl=True)  # the end of the field
    for _ in range(5):
        await browser.press("backspace")
    await browser.type("4096")
    screen = await browser.until(lambda text: "4,096 x NVIDIA" in text and _training_days(text) not in (None, days_before))
    assert _days(_training_days(screen)) > _days(days_before)  # a quarter of the chips: longer

    (session,) = server.sessions
    saved = session.session_dir / "default.toml"
    await browser.press("s", ctrl=True)  # save: the dialog offers the session folder
    await browser.until_text("Save as")
    await browser.press("enter")
    assert await wait_until(saved.is_file, 15), await browser.screen()
    assert "count = 4096" in saved.read_text()
    server_presets = Path(os.environ["WHATIF_USER_PRESETS"])  # the server user's (tests: a temporary one)
    assert not server_presets.exists() or not list(server_presets.iterdir())
    await browser.until(lambda text: "modified" not in text.splitlines()[0])


async def test_the_page_fetches_nothing_from_anywhere_but_the_server(web_and_browser):
    server, browser = web_and_browser
    origin = f"127.0.0.1:{server.port}"
    await browser.navigate(f"http://{origin}/")
    await browser.until_text("Training time", "^q Quit")
    await asyncio.sleep(1.0)  # anything the page loads late (fonts, pings)
    urls = browser.requested_urls()
    assert f"http://{origin}/" in urls and any(url.startswith(f"ws://{origin}/ws/visitor") for url in urls)
    assert any(url.endswith(".ttf") for url in urls)  # the font is ours, and it is used
    assert [url for url in urls if urlsplit(url).netloc != origin] == []
    assert [failed for failed in browser.failed_requests() if "favicon" not in str(failed)] == []
