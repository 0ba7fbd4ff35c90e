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


@pytest.fixture
def in_repo_root(monkeypatch, request):
    """Run from the checkout's root, so 'presets/default.toml' resolves as typed."""
    monkeypatch.chdir(request.config.rootpath)
