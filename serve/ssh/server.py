"""The asyncssh server: host key, authentication, seats, and nothing but the app.

Refused by construction: exec and subsystem requests (so no SFTP/SCP), TCP/UNIX port
forwarding in both directions, agent and X11 forwarding, a second session on the same
connection. Environment variables a client sends are never passed to the app. When the
app is given as a function (AppEntry.function) the server runs a preloader (preload.py)
that forks visitors' apps (preload.PreloaderKeeper); if it dies, running apps go on and a
new one is started.

Before it has an app, a connection costs the server a place in the lobby (limits.py),
not a seat: a few seconds to log in, a few more to start the app.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import asyncssh

from whatif.engine.paths import host_key_path

from whatif.serve.limits import AuthThrottle, Seats, address_key, password_matches
from whatif.serve.relay import Relay
from whatif.serve.ssh.config import AUTH_MODES, PRESENTER_USER, ServeConfig
from whatif.serve.ssh.limits import Lobby
from whatif.serve.ssh.preload import Preloader, PreloaderKeeper
from whatif.serve.ssh.session import DemoSession

log = logging.getLogger("whatif.ssh")

class ServeError(Exception):
    """A configuration problem to show as one line, without a traceback."""


def default_host_key_path() -> Path:
    return host_key_path()


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """Read the host key, or generate an Ed25519 one (0600, never clobbering) on first run."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ServeError(f"host key {path} is accessible by others (mode {mode:03o}); run: chmod 600 {path}")
        try:
            return asyncssh.read_private_key(path)
        except (OSError, asyncssh.KeyImportError) as exc:
            raise ServeError(f"host key {path} cannot be read: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = asyncssh.generate_private_key("ssh-ed25519")
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.export_private_key())
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temp, path)  # atomic, and fails rather than replace a key created meanwhile
    except FileExistsError:
        return load_or_create_host_key(path)
    finally:
        temp.unlink(missing_ok=True)
    log.info("generated a new host key %s (%s)", path, key.get_fingerprint())
    return key


class _Connection(asyncssh.SSHServer):
    """Per-connection policy: the lobby and its deadlines, authentication, which channels may open.

    A connection waits in the server's lobby (limits.py) until its app starts: it must
    log in within `login_timeout_s` (asyncssh's login timer) and then start its app within
    `session_start_timeout_s`, or it is closed. It gets one app; when that session's
    channel closes, so does the connection."""

    def __init__(self, server: DemoServer) -> None:
        self._server = server
        self._conn: asyncssh.SSHServerConnection | None = None
        self._has_session = False
        self._start_timer: asyncio.TimerHandle | None = None
        self._auth_failures = 0
        self._username = ""
        self.presenter = False  # logged in as the presenter (presenter mode)
        self.peer = "?"
        self.address = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        host, port = conn.get_extra_info("peername")[:2]
        self.peer = f"{host}:{port}"
        self.address = address_key(host)
        self._server.admit_connection(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_start_timer()
        self._server.forget_connection(self)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    async def wait_closed(self) -> None:
        if self._conn is not None:
            await self._conn.wait_closed()

    def auth_completed(self) -> None:
        if self._presenter_login():
            self.presenter = True
            log.info("%s: the presenter logged in", self.peer)
        timeout_s = self._server.config.session_start_timeout_s
        if timeout_s > 0 and self in self._server.lobby:
            self._start_timer = asyncio.get_running_loop().call_later(timeout_s, self._no_app_started)

    def _no_app_started(self) -> None:
        self._start_timer = None
        if self in self._server.lobby:
            log.info("%s: logged in but started no app within %g s; closed", self.peer,
                     self._server.config.session_start_timeout_s)
            self.close()

    def _cancel_start_timer(self) -> None:
        if self._start_timer is not None:
            self._start_timer.cancel()
            self._start_timer = None

    def app_starting(self) -> None:
        """The session took a seat: the connection leaves the lobby."""
        self._cancel_start_timer()
        self._server.lobby.leave(self)

    def _presenter_login(self) -> bool:
        """The user name is the presenter's, in presenter mode: the presenter's credentials apply."""
        return self._server.config.presenter_mode and self._username == PRESENTER_USER

    def begin_auth(self, username: str) -> bool:
        self._username = username
        config = self._server.config
        if self._presenter_login():
            if config.presenter_keys is not None and self._conn is not None:
                self._conn.set_authorized_keys(self._server.presenter_keys)
            return True
        if config.auth == "keys" and self._conn is not None:
            self._conn.set_authorized_keys(self._server.authorized_keys)
        return config.auth != "none"

    def password_auth_supported(self) -> bool:
        if self._presenter_login():
            return bool(self._server.config.presenter_password)
        return self._server.config.auth == "password"

    async def validate_password(self, username: str, password: str) -> bool:
        """Each attempt waits its address's turn (limits.AuthThrottle) before it is checked;
        after `max_auth_attempts` failures the connection is closed."""
        throttle = self._server.auth_throttle
        await throttle.wait_turn(self.address)
        config = self._server.config
        presenter = config.presenter_mode and username == PRESENTER_USER
        if password_matches(config.presenter_password if presenter else config.password, password):
            return True
        throttle.record_failure(self.address)
        self._auth_failures += 1
        log.info("%s: wrong password for %r (%d of %d)", self.peer, username[:64], self._auth_failures,
                 self._server.config.max_auth_attempts)
        if self._auth_failures >= self._server.config.max_auth_attempts and self._conn is not None:
            self._conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "Too many authentication failures")
        return False

    def session_requested(self) -> DemoSession | bool:
        if self._has_session or self._conn is None:
            return False  # one app per connection
        self._has_session = True
        local_host, local_port = self._conn.get_extra_info("sockname")[:2]
        username = self._conn.get_extra_info("username") or "demo"
        return DemoSession(self._server, self.peer, (local_host, local_port), username, self,
                           presenter=self.presenter)

    def public_key_auth_supported(self) -> bool:
        if self._presenter_login():
            return self._server.config.presenter_keys is not None
        return self._server.config.auth == "keys"

    # Forwarding of any kind is refused (the defaults say so too; explicit is safer).
    def connection_requested(self, *args: Any) -> bool:
        log.info("%s: refused port forwarding", self.peer)
        return False

    def server_requested(self, *args: Any) -> bool:
        log.info("%s: refused remote port forwarding", self.peer)
        return False

    def unix_connection_requested(self, *args: Any) -> bool:
        return False

    def unix_server_requested(self, *args: Any) -> bool:
        return False


class DemoServer:
    """Serve the app to SSH visitors. `await start()`, then `await close()`."""

    def __init__(self, config: ServeConfig) -> None:
        if config.auth not in AUTH_MODES:
            raise ServeError(f"--auth must be one of {', '.join(AUTH_MODES)}, not {config.auth!r}")
        if config.auth == "password" and not config.password:
            raise ServeError("--auth password needs a password: --password-file FILE or WHATIF_SSH_PASSWORD")
        if config.max_sessions < 1:
            raise ServeError(f"--max-sessions must be at least 1, not {config.max_sessions}")
        self.config = config
        self.authorized_keys: asyncssh.SSHAuthorizedKeys | None = None
        if config.auth == "keys":
            self.authorized_keys = self._read_authorized_keys(config.authorized_keys)
        self.presenter_keys: asyncssh.SSHAuthorizedKeys | None = None
        if config.presenter_keys is not None:
            self.presenter_keys = self._read_authorized_keys(config.presenter_keys, "--presenter-keys")
        self.relay: Relay | None = None  # presenter mode: started with the server
        self.host_key = load_or_create_host_key(config.host_key_path)
        self.seats: Seats[DemoSession] = Seats(config.max_sessions)
        self._connections: set[_Connection] = set()
        self.lobby: Lobby[_Connection] = Lobby(config.max_pending, config.max_pending_per_address)
        self.auth_throttle = AuthThrottle()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.preloads = PreloaderKeeper(config.app)

    @staticmethod
    def _read_authorized_keys(path: Path | None, option: str = "--authorized-keys") -> asyncssh.SSHAuthorizedKeys:
        if path is None:
            raise ServeError("--auth keys needs --authorized-keys FILE")
        try:
            return asyncssh.read_authorized_keys(str(path))
        except (OSError, ValueError, asyncssh.KeyImportError) as exc:
            raise ServeError(f"{option} {path} cannot be read: {exc}") from None

    @property
    def preloader(self) -> Preloader | None:
        return self.preloads.preloader

    @property
    def port(self) -> int:
        assert self._acceptor is not None, "start() first"
        return self._acceptor.get_port()

    async def start(self) -> None:
        if self.config.presenter_mode:
            self.relay = Relay(self.config.presenter_name)
            await self.relay.start()
        if self.config.preload and self.config.app.function is not None:
            await self.preloads.start()
        try:
            self._acceptor = await asyncssh.create_server(
                lambda: _Connection(self),
                self.config.host,
                self.config.port,
                server_host_keys=[self.host_key],
                encoding=None,
                line_editor=False,
                allow_scp=False,
                sftp_factory=None,
                agent_forwarding=False,
                x11_forwarding=False,
                login_timeout=self.config.login_timeout_s,
                keepalive_interval=30,
                keepalive_count_max=3,
                reuse_address=True,
            )
        except OSError as exc:
            await self.preloads.close()
            await self._stop_relay()
            raise ServeError(f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror or exc}") from None

    async def close(self) -> None:
        """Stop listening, say goodbye to every visitor, stop every app, wait for all of it."""
        self.preloads.closing = True
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
        for session in list(self.sessions):
            session.request_shutdown()
        tasks = [s.task for s in self.sessions if s.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for connection in list(self._connections):
            connection.close()
        for connection in list(self._connections):
            await connection.wait_closed()
        await self.preloads.close()
        await self._stop_relay()

    async def _stop_relay(self) -> None:
        if self.relay is not None:
            await self.relay.close()
            self.relay = None

    # --- seats and connections ----------------------------------------------------------

    @property
    def sessions(self) -> list[DemoSession]:
        """The visitors with an app, oldest first."""
        return self.seats.holders

    def claim_seat(self, session: DemoSession) -> bool:
        # The presenter has a seat of their own: a full audience never locks them out.
        return self.seats.claim(session, beyond_capacity=session.presenter)

    def release_seat(self, session: DemoSession) -> None:
        self.seats.release(session)

    def admit_connection(self, connection: _Connection) -> None:
        """A new TCP connection enters the lobby, or is closed at once."""
        admitted, displaced = self.lobby.admit(connection, connection.address)
        if not admitted:
            log.warning("%s: %d connections from %s are already logging in; closed", connection.peer,
                        self.config.max_pending_per_address, connection.address)
            connection.close()
            return
        self._connections.add(connection)
        if displaced is not None:
            log.warning("%s: %d connections logging in; closed the oldest of %s (%s) to let a new one in",
                        connection.peer, self.config.max_pending, displaced.address, displaced.peer)
            displaced.close()

    def forget_connection(self, connection: _Connection) -> None:
        self.lobby.leave(connection)
        self._connections.discard(connection)
