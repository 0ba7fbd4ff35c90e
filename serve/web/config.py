"""The web demo server's settings: one frozen object the command line builds."""

from __future__ import annotations

from dataclasses import dataclass

from whatif.serve.entry import AppEntry


@dataclass(frozen=True)
class WebConfig:
    """Everything the server needs; `app` is what every visitor gets (given by the caller)."""

    app: AppEntry
    host: str = "127.0.0.1"
    port: int = 8000  # 0 picks a free port (tests)
    max_sessions: int = 20
    idle_timeout_s: float = 15 * 60  # 0 disables it
    password: str | None = None  # the visitors' shared password; None: no login
    grace_s: float = 1.0  # per signal when stopping an app (HUP, TERM, KILL)
    title: str = "whatif"
    login_ttl_s: float = 12 * 3600  # how long a login is remembered
    preload: bool = True  # fork apps from a preloaded process (serve/ssh/preload.py) when `app` has a function
    # Presenter mode (serve/relay.py): the page PRESENTER_PATH with this password drives what
    # every other visitor's app follows; None: every visitor is on their own.
    presenter_password: str | None = None
    presenter_name: str = "presenter"  # shown to followers
