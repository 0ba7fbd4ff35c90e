"""The SSH demo server's settings: one frozen object the command line builds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from whatif.serve.entry import AppEntry

AuthMode = Literal["none", "password", "keys"]
# Presenter mode: who logs in as this user with the presenter's password or key drives what
# every other visitor's app follows (serve/relay.py).
PRESENTER_USER = "presenter"
AUTH_MODES: tuple[AuthMode, ...] = ("none", "password", "keys")


@dataclass(frozen=True)
class ServeConfig:
    """Everything the server needs; `app` is what every visitor gets (given by the caller)."""

    app: AppEntry
    host_key_path: Path
    host: str = "127.0.0.1"
    port: int = 2222  # 0 picks a free port (tests)
    max_sessions: int = 20
    idle_timeout_s: float = 15 * 60  # 0 disables it
    auth: AuthMode = "none"
    password: str | None = None
    authorized_keys: Path | None = None
    grace_s: float = 1.0  # per signal when stopping an app (HUP, TERM, KILL)
    # Before a seat: the lobby (limits.py), separate from the seats.
    login_timeout_s: float = 10.0  # from TCP accept to logged in
    session_start_timeout_s: float = 5.0  # from logged in to the app started (session, PTY, shell)
    max_pending: int = 64  # connections in the lobby at once
    # Of them from one address (IPv4, or IPv6 /64): more than a class behind one NAT
    # connecting at the same moment (20 seats by default), about a third of the lobby.
    max_pending_per_address: int = 24
    max_auth_attempts: int = 3  # passwords per connection; attempts per address are paced (limits.AuthThrottle)
    preload: bool = True  # fork apps from a preloaded process (preload.py) when `app` has a function
    # Presenter mode, on when either credential is given (else every visitor is on their own).
    presenter_password: str | None = None
    presenter_keys: Path | None = None  # authorized_keys of the presenter
    presenter_name: str = "presenter"  # shown to followers

    @property
    def presenter_mode(self) -> bool:
        return bool(self.presenter_password) or self.presenter_keys is not None
