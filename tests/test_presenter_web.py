"""Presenter mode over serve-web: a presenter logged in at /present drives, a visitor's app
follows, branches off and rejoins (WebSockets as textual.js speaks them, read as screens)."""

from __future__ import annotations

import asyncio

import aiohttp
from yarl import URL

from fixtures.ssh_visitor import REAL_APP
from fixtures.web_visitor import WebVisitor
from test_presenter_ssh import days_text

F8 = "\x1b[19~"


async def _log_in(port: int, password: str) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.post(f"{base}/present/login", data={"password": password}) as response:
            assert response.status == 200
        return {"whatif_presenter": client.cookie_jar.filter_cookies(URL(base))["whatif_presenter"].value}


async def _go_to_count_field(visitor: WebVisitor) -> None:
    await visitor.send("\x10")
    await visitor.until_text("Search for commands")
    await visitor.send("Go to field: Chips")
    await visitor.until_text("number of accelerators")  # the palette lists the field
    await visitor.send("\r")
    await asyncio.sleep(0.5)
    await visitor.send("\x05")  # ctrl+e: end of the text
    await asyncio.sleep(0.3)


async def test_a_web_presenter_drives_and_a_web_follower_branches_off_and_rejoins(serve_web):
    server = await serve_web(app=REAL_APP, presenter_password="lectern", presenter_name="Ada", max_sessions=1)
    presenter = await WebVisitor.connect(server.port, cookies=await _log_in(server.port, "lectern"),
                                         role="presenter")
    follower = await WebVisitor.connect(server.port, columns=100, rows=30)  # the one seat: the presenter has its own
    try:
        await presenter.until_text("presenting as Ada", "16,384 x NVIDIA")
        await follower.until_text("following Ada", "16,384 x NVIDIA")

        await _go_to_count_field(presenter)
        await presenter.send("\x7f")  # 16384 -> 1638
        await follower.until_text("1,638 x NVIDIA", days_text(1638))

        await follower.send(F8)
        await follower.until_text("branched off from Ada")
        await _go_to_count_field(follower)
        await follower.send("\x7f")  # 1638 -> 163
        await follower.until_text("163 x NVIDIA")
        await presenter.until_text("1,638 x NVIDIA")
        try:  # read whatever the presenter's app draws for a second more
            await presenter.until(lambda: False, timeout_s=1.0)
        except TimeoutError:
            pass
        assert "1,638 x NVIDIA" in presenter.text() and "163 x NVIDIA" not in presenter.text()

        await presenter.send("2")  # 16382 while the follower is away
        await presenter.until_text("16,382 x NVIDIA")
        await follower.send(F8)
        await follower.until_text("drop your changes?")
        await follower.send("\x1b[Z\r")  # shift+tab to "Discard", enter
        await follower.until_text("following Ada", "16,382 x NVIDIA", days_text(16382))
        roles = sorted(session.role for session in server.sessions)
        assert roles == ["presenter", "visitor"]
    finally:
        await presenter.close()
        await follower.close()
