"""Shared fixtures. Tests never touch the real home: user config points into tmp."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_config(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("WHATIF_CONFIG", raising=False)
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(home / "presets"))
    monkeypatch.delenv("WHATIF_CHIPS", raising=False)
    monkeypatch.delenv("WHATIF_DEMO", raising=False)


@pytest.fixture(autouse=True)
def _collector_left_on():
    """A test that leaves Python's garbage collector off fails (the app pauses it through a
    keystroke's frames and tui.launch until the first frame; it must always come back)."""
    import gc

    gc.enable()
    yield
    assert gc.isenabled(), "the garbage collector was left disabled"


@pytest.fixture
def in_repo_root(monkeypatch, request):
    """Run from the checkout's root, so 'presets/default.toml' resolves as typed."""
    monkeypatch.chdir(request.config.rootpath)


async def _servers(make):
    """Yield a `start(app, **options)` that builds a server with `make`, starts it and
    closes every one it started once the test is over."""
    import asyncio

    servers: list = []

    async def start(*app, **options):
        server = make(*app, **options)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await asyncio.wait_for(server.close(), 20)


@pytest.fixture
async def serve(tmp_path):
    """Start SSH demo servers on free loopback ports (the real app unless `app=` says
    otherwise); every one is closed after the test."""
    from fixtures.ssh_visitor import REAL_APP
    from whatif.serve.ssh.config import ServeConfig
    from whatif.serve.ssh.server import DemoServer

    def make(app=REAL_APP, **options):
        options.setdefault("host_key_path", tmp_path / "host_key")
        return DemoServer(ServeConfig(app=app, host="127.0.0.1", port=0, **options))

    async for start in _servers(make):
        yield start


@pytest.fixture
async def serve_web():
    """Start web demo servers on free loopback ports (the tests' tiny app unless `app=`
    says otherwise); every one is closed after the test."""
    from fixtures.ssh_visitor import FIXTURE_APP
    from whatif.serve.web.config import WebConfig
    from whatif.serve.web.server import WebDemoServer

    def make(app=FIXTURE_APP, **options):
        return WebDemoServer(WebConfig(app=app, host="127.0.0.1", port=0, **options))

    async for start in _servers(make):
        yield start
