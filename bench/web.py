"""Benchmark `whatif serve-web` in headless Chromium and PRINT the figures (no assertions).

Against servers started like a host would (`whatif serve-web` and, as the reference
measured side by side, `whatif serve-ssh`, each in a subprocess, runs interleaved):

1. page load -> first paint: from the navigation's start (the page's time origin) to the
   first animation frame whose terminal shows the headline results ("Training time" and
   the key bar), one visitor at a time, the browser already running, its cache off (a
   first visit); also when the page was ready (its WebSocket created). Reference: the
   same app's first screen over SSH (connect to the headline on a PTY, bench/ssh.py's
   visitor);
2. memory per web session: with N visitors open (WebSockets driven like textual.js,
   tests/fixtures/web_visitor.py), the RSS and PSS of each app process (forked by the
   server's preloader) and the server's growth; beside the same for N SSH sessions.

Usage: .venv/bin/python bench/web.py [--runs 7] [--sessions 5]
Needs /usr/bin/chromium (skipped with a message otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.ssh import Visitor as SshVisitor  # noqa: E402
from bench.ssh import _app_processes, _pss_mb, _rss_mb  # noqa: E402
from bench.ssh import start_server as start_ssh_server  # noqa: E402
from fixtures.browser import Browser, chromium_missing  # noqa: E402
from fixtures.web_visitor import WebVisitor  # noqa: E402

HEADLINE = "Training time"
TIMEOUT_S = 120.0


async def start_web_server(max_sessions: int, workdir: Path) -> tuple[asyncio.subprocess.Process, int]:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "whatif", "serve-web", "--port", "0", "--idle-timeout", "0",
        "--max-sessions", str(max_sessions), "--log-file", str(workdir / "web.log"),
        cwd=ROOT, env={**os.environ, "XDG_CONFIG_HOME": str(workdir)}, stderr=asyncio.subprocess.PIPE)
    banner = b""
    while b"Ctrl+C" not in banner:
        line = await asyncio.wait_for(server.stderr.readline(), 60)
        if not line:
            raise RuntimeError(f"serve-web did not start: {banner.decode()}")
        banner += line
    return server, int(re.search(rb"visitors: http://127\.0\.0\.1:(\d+)/", banner).group(1))


async def web_first_paint(browser: Browser, url: str) -> tuple[float, float]:
    """(first paint, page ready) in seconds since the navigation started."""
    browser.events.clear()
    await browser.navigate(url, needle=HEADLINE)
    await browser.until_text(HEADLINE, "^q Quit", timeout_s=TIMEOUT_S)
    painted_ms = await browser.until_value("window.__whatifPainted", timeout_s=TIMEOUT_S)
    stamps = {event["method"]: event["params"]["timestamp"] for event in reversed(browser.events)
              if event.get("method") in ("Network.requestWillBeSent", "Network.webSocketWillSendHandshakeRequest")}
    start, ready = stamps["Network.requestWillBeSent"], stamps.get("Network.webSocketWillSendHandshakeRequest")
    await browser.navigate("about:blank")  # the visitor leaves: the session ends
    return painted_ms / 1000, (ready - start) if ready else float("nan")


async def ssh_first_screen(port: int) -> float:
    visitor = SshVisitor()
    await visitor.connect(port)
    await visitor.close()
    return visitor.first_screen_s


def _median_s(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.0f} ms  min {min(values) * 1000:7.0f} ms  (n={len(values)})"


async def first_paint(runs: int, web_port: int, ssh_port: int) -> None:
    browser = await Browser.launch(1280, 800)
    try:
        await browser.send("Network.setCacheDisabled", {"cacheDisabled": True})
        await web_first_paint(browser, f"http://127.0.0.1:{web_port}/")  # warm-up (preloader pages, JIT)
        await ssh_first_screen(ssh_port)
        paints, readies, screens = [], [], []
        for _ in range(runs):
            paint_s, ready_s = await web_first_paint(browser, f"http://127.0.0.1:{web_port}/")
            paints.append(paint_s)
            readies.append(ready_s)
            await asyncio.sleep(1.0)  # the last session ends before the next one starts
            screens.append(await ssh_first_screen(ssh_port))
            await asyncio.sleep(1.0)
    finally:
        await browser.close()
    print("first paint, one visitor at a time (browser running, cache off):")
    print(f"  web: page load -> headline painted   {_median_s(paints)}")
    print(f"  web: page load -> WebSocket opened   {_median_s(readies)}")
    print(f"  ssh: connect -> headline on screen   {_median_s(screens)}   (reference)")
    print(f"  web / ssh: {statistics.median(paints) / statistics.median(screens):.2f}x"
          f"   (target: web under 2 s)")


async def memory(sessions: int, web: asyncio.subprocess.Process, web_port: int, ssh: asyncio.subprocess.Process,
                 ssh_port: int) -> None:
    print(f"memory with {sessions} sessions open (120x36):")
    for name, server, open_one in (
            ("web", web, lambda: _open_web(web_port)),
            ("ssh", ssh, lambda: _open_ssh(ssh_port))):
        server_before_mb = _rss_mb(server.pid)
        visitors = [await open_one() for _ in range(sessions)]
        await asyncio.sleep(1.0)
        apps = _app_processes(server.pid)
        rss = [_rss_mb(pid) for pid in apps]
        pss = [_pss_mb(pid) for pid in apps]
        server_mb = _rss_mb(server.pid)
        print(f"  {name}: app RSS median {statistics.median(rss):6.1f} MB, PSS median {statistics.median(pss):5.1f} MB"
              f" ({len(apps)} apps); server RSS {server_mb:5.1f} MB, "
              f"{(server_mb - server_before_mb) * 1024 / sessions:+5.0f} kB per session")
        for visitor in visitors:
            await visitor.close()
        await asyncio.sleep(1.5)


async def _open_web(port: int) -> WebVisitor:
    visitor = await WebVisitor.connect(port)
    await visitor.until_text(HEADLINE, "^q Quit", timeout_s=TIMEOUT_S)
    return visitor


async def _open_ssh(port: int) -> SshVisitor:
    visitor = SshVisitor()
    await visitor.connect(port)
    return visitor


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=5)
    args = parser.parse_args()
    missing = chromium_missing()
    if missing:
        print(f"bench/web.py: skipped, {missing}")
        return
    with tempfile.TemporaryDirectory() as workdir:
        web, web_port = await start_web_server(args.sessions + 2, Path(workdir))
        ssh, ssh_port = await start_ssh_server(args.sessions + 2, Path(workdir))
        try:
            await first_paint(args.runs, web_port, ssh_port)
            await memory(args.sessions, web, web_port, ssh, ssh_port)
        finally:
            for server in (web, ssh):
                server.send_signal(2)
                await server.wait()


if __name__ == "__main__":
    asyncio.run(main())
