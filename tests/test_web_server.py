"""`whatif serve-web`'s server in-process: the page, the login, the WebSocket's demo rules.

The app is the tests' tiny Textual app (fixtures/ssh_fixture_app.py) where it shows the
point better (its environment, crashes), the real one otherwise; the WebSocket is driven
like textual.js drives it (fixtures/web_visitor.py). tests/test_web_browser.py does the
same with a real browser.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from fixtures.ssh_visitor import FIXTURE_APP, REAL_APP, wait_until
from fixtures.web_visitor import WebVisitor
from whatif.serve.web.config import WebConfig
from whatif.serve.web.server import WebDemoServer


def test_the_private_method_we_override_is_still_textual_serves():
    # session.WebApp replaces AppService._open_app_process (textual-serve 1.1.x); if a new
    # version renames it, textual-serve would start the app its own way (the server's whole
    # environment, through a shell), so this must fail first.
    from textual_serve.app_service import AppService

    from whatif.serve.web.session import WebApp

    assert list(inspect.signature(AppService._open_app_process).parameters) == ["self", "width", "height"]
    assert "_open_app_process" in inspect.getsource(AppService.start)
    assert WebApp._open_app_process is not AppService._open_app_process


async def test_the_page_loads_only_from_this_server(serve_web):
    server = await serve_web()
    async with aiohttp.ClientSession() as client:
        async with client.get(f"http://127.0.0.1:{server.port}/") as response:
            page = await response.text()
            assert response.status == 200
            assert "connect-src 'self'" in response.headers["Content-Security-Policy"]
        links = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert links and all(link.startswith("/static/") or link == "" for link in links), links
        assert not re.search(r"(https?|wss?)://[a-z0-9]", page)  # no address elsewhere, not even in a style
        for link in filter(None, links):
            async with client.get(f"http://127.0.0.1:{server.port}{link}") as response:
                assert response.status == 200, link
        async with client.get(f"http://127.0.0.1:{server.port}/static/") as response:
            assert response.status in (403, 404)  # no folder listings


async def test_a_visitor_gets_the_demo_rule_and_the_folder_goes_with_the_session(serve_web):
    server = await serve_web()
    visitor = await WebVisitor.connect(server.port)
    try:
        await visitor.until_text("COUNT=0 END", "SIZE 120x36 END")
        (session,) = server.sessions
        folder = session.session_dir
        text = visitor.text()
        assert "demo=1" in text
        assert f"PRESETS {folder}" in text and f"HOME {folder}" in text and f"TMPDIR {folder}" in text
        assert folder.is_dir()
        await visitor.send("+")
        await visitor.until_text("COUNT=1 END")
    finally:
        await visitor.close()
    assert await wait_until(lambda: not server.sessions, 10)
    assert not folder.exists()


async def test_the_app_gets_none_of_the_servers_environment(serve_web, monkeypatch, tmp_path):
    monkeypatch.setenv("WHATIF_SECRET_TOKEN", "do-not-leak")
    server = await serve_web()
    visitor = await WebVisitor.connect(server.port)
    try:
        await visitor.until_text("COUNT=0 END")
        (session,) = server.sessions
        environ = Path(f"/proc/{session.app.process.pid}/environ").read_bytes().split(b"\0")
        names = {entry.partition(b"=")[0].decode() for entry in environ if entry}
        assert "WHATIF_SECRET_TOKEN" not in names and "XDG_CONFIG_HOME" in names
        assert names <= {"PATH", "PYTHONPATH", "LANG", "PYTHONDONTWRITEBYTECODE", "WHATIF_DEMO", "HOME",
                         "WHATIF_USER_PRESETS", "TMPDIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME",
                         "XDG_CACHE_HOME", "TEXTUAL_DRIVER", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM",
                         "TERM_PROGRAM_VERSION", "COLUMNS", "ROWS"}
    finally:
        await visitor.close()


async def test_seats_are_limited_and_given_back(serve_web):
    server = await serve_web(max_sessions=1)
    first = await WebVisitor.connect(server.port)
    await first.until_text("COUNT=0 END")
    second = await WebVisitor.connect(server.port)
    try:
        await second.until_closed()
        assert "All 1 seats" in second.text()
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{server.port}/") as response:
                assert response.status == 503 and "All 1 seats" in await response.text()
    finally:
        await second.close()
        await first.close()
    assert await wait_until(lambda: not server.sessions, 10)
    third = await WebVisitor.connect(server.port)
    try:
        await third.until_text("COUNT=0 END")
    finally:
        await third.close()


async def test_an_idle_visitor_is_told_and_closed(serve_web):
    server = await serve_web(idle_timeout_s=6.0)
    visitor = await WebVisitor.connect(server.port)
    try:
        await visitor.until_text("COUNT=0 END")
        await visitor.send("+")  # a key press puts the deadline off
        await visitor.until_text("COUNT=1 END")
        pressed_s = asyncio.get_running_loop().time()
        await visitor.until_closed(timeout_s=20)
        assert asyncio.get_running_loop().time() - pressed_s > 4.0
        assert "after 0.1 minutes without a key press" in visitor.text()
    finally:
        await visitor.close()
    assert await wait_until(lambda: not server.sessions, 10)


async def test_a_crash_goes_to_the_log_not_to_the_visitor(serve_web, caplog):
    server = await serve_web()
    visitor = await WebVisitor.connect(server.port)
    try:
        await visitor.until_text("COUNT=0 END")
        await visitor.send("x")  # the fixture raises
        await visitor.until_closed()
        assert "stopped unexpectedly" in visitor.text() and "RuntimeError" not in visitor.text()
    finally:
        await visitor.close()
    assert await wait_until(lambda: not server.sessions, 10)
    assert any("app crashed" in r.getMessage() and "fixture crash on purpose" in r.getMessage()
               for r in caplog.records)


async def test_with_a_password_the_page_and_the_socket_need_a_login(serve_web):
    server = await serve_web(password="s3cret")
    base = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:  # unsafe: an IP host
        async with client.get(f"{base}/") as response:
            assert response.status == 200 and 'type="password"' in await response.text()
        async with client.post(f"{base}/login", data={"password": "wrong"}) as response:
            assert response.status == 401 and "Wrong password" in await response.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(f"{base}/ws/visitor")
        assert refused.value.status == 403
        async with client.post(f"{base}/login", data={"password": "s3cret"}, allow_redirects=False) as response:
            assert response.status == 303 and "HttpOnly" in response.headers["Set-Cookie"]
            cookie = response.cookies["whatif_visitor"].value
        async with client.get(f"{base}/") as response:
            assert "textual.js" in await response.text()
    visitor = await WebVisitor.connect(server.port, cookies={"whatif_visitor": cookie})
    try:
        await visitor.until_text("COUNT=0 END")
    finally:
        await visitor.close()


async def test_a_socket_from_another_sites_page_is_refused(serve_web):
    server = await serve_web()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await WebVisitor.connect(server.port, headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403


async def test_the_real_app_is_forked_from_the_preloader_and_shows_its_results(serve_web):
    server = await serve_web(app=REAL_APP)
    assert server.preloader is not None and server.preloader.alive
    visitor = await WebVisitor.connect(server.port)
    try:
        await visitor.until_text("Training time", "days", "^q Quit")
        (session,) = server.sessions
        assert session.app.preloaded and session.app.process.pid != server.preloader.process.pid
        await visitor.send("\x11")  # ctrl+q: the app quits cleanly, the session ends
        await visitor.until_closed()
    finally:
        await visitor.close()
    assert await wait_until(lambda: not server.sessions, 10)
    assert not session.session_dir.exists()


async def test_a_second_role_has_its_own_page_password_and_app_environment():
    # How presenter mode plugs in: add_role() for a separately authenticated page, and
    # child_environment(role) for what that role's apps get on top of the demo rule.
    server = WebDemoServer(WebConfig(app=FIXTURE_APP, host="127.0.0.1", port=0))
    server.add_role("presenter", "/present", "presenter-secret")  # before start(): aiohttp's routes freeze
    server.child_environment = lambda role: {"WHATIF_TEST_ROLE": role}
    await server.start()
    try:
        await _two_roles(server)
    finally:
        await asyncio.wait_for(server.close(), 20)


async def _two_roles(server: WebDemoServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(f"{base}/present") as response:
            assert 'action="/present/login"' in await response.text()
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await client.ws_connect(f"{base}/ws/presenter")  # visitors need no login; presenters do
        async with client.post(f"{base}/present/login", data={"password": "presenter-secret"}) as response:
            assert "/ws/presenter" in await response.text()
        cookie = client.cookie_jar.filter_cookies(URL(base))["whatif_presenter"].value
    session = aiohttp.ClientSession(cookies={"whatif_presenter": cookie})
    try:
        ws = await session.ws_connect(f"{base}/ws/presenter?width=80&height=24")
        assert await wait_until(lambda: len(server.sessions) == 1 and server.sessions[0].app is not None
                                and server.sessions[0].app.process is not None, 20)
        (presenter,) = server.sessions
        environ = Path(f"/proc/{presenter.app.process.pid}/environ").read_bytes()
        assert presenter.role == "presenter" and b"WHATIF_TEST_ROLE=presenter\0" in environ
        await ws.close()
        assert await wait_until(lambda: not server.sessions, 20)  # the presenter's session has ended
    finally:
        await session.close()
    visitor = await WebVisitor.connect(server.port)  # visitors are unchanged
    try:
        await visitor.until_text("COUNT=0 END")
        (session_,) = server.sessions
        assert session_.role == "visitor"
    finally:
        await visitor.close()


async def test_when_the_preloader_dies_apps_go_on_and_new_ones_still_start(serve_web):
    import os
    import signal

    server = await serve_web(app=REAL_APP)
    first = await WebVisitor.connect(server.port)
    try:
        await first.until_text("Training time", "^q Quit")
        old_preloader = server.preloader.process.pid
        os.kill(old_preloader, signal.SIGKILL)
        assert await wait_until(lambda: server.preloader is None or not server.preloader.alive
                                or server.preloader.process.pid != old_preloader, 10)
        second = await WebVisitor.connect(server.port)  # preloaded by a new one, or started on its own
        try:
            await second.until_text("Training time", "^q Quit", timeout_s=60)
        finally:
            await second.close()
        await first.send("\x10")  # the first app still answers: ctrl+p opens the palette
        await first.until_text("Search for commands")
    finally:
        await first.close()
    assert await wait_until(lambda: not server.sessions, 15)
