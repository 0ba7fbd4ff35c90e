"""The asyncssh server: host key, authentication, seats, and nothing but the app.

Refused by construction: exec and subsystem requests (so no SFTP/SCP), TCP/UNIX port
forwarding in both directions, agent and X11 forwarding, a second session on the same
connection. Environment variables a client sends are never passed to the app. When the
app is given as a function (AppEntry.function) the server runs a preloader (preload.py)
that forks visitors' apps.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import asyncssh

from whatif.engine.settings import host_key_path

from whatif.serve.demo import remove_session_dir, visitor_environment
from whatif.serve.ssh.preload import Preloader
from whatif.serve.ssh.config import AUTH_MODES, ServeConfig
from whatif.serve.ssh.session import DemoSession

log = logging.getLogger("whatif.ssh")

class ServeError(Exception):
    """A configuration problem to show as one line, without a traceback."""


def default_host_key_path() -> Path:
    return host_key_path()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    """Per-connection policy: authentication and which channels may open."""

    def __init__(self, server: DemoServer) -> None:
        self._server = server
        self._conn: asyncssh.SSHServerConnection | None = None
        self._has_session = False
        self.peer = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        host, port = conn.get_extra_info("peername")[:2]
        self.peer = f"{host}:{port}"
        if not self._server.admit_connection(conn):
            log.warning("%s: too many open connections; closed", self.peer)
            conn.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._server.forget_connection(self._conn)

    def begin_auth(self, username: str) -> bool:
        if self._server.config.auth == "keys" and self._conn is not None:
            self._conn.set_authorized_keys(self._server.authorized_keys)
        return self._server.config.auth != "none"

    def password_auth_supported(self) -> bool:
        return self._server.config.auth == "password"

    def validate_password(self, username: str, password: str) -> bool:
        expected = self._server.config.password or ""
        ok = bool(expected) and hmac.compare_digest(password.encode(), expected.encode())
        if not ok:
            log.info("%s: wrong password for %r", self.peer, username)
        return ok

    def public_key_auth_supported(self) -> bool:
        return self._server.config.auth == "keys"

    def session_requested(self) -> DemoSession | bool:
        if self._has_session or self._conn is None:
            return False  # one app per connection
        self._has_session = True
        local_host, local_port = self._conn.get_extra_info("sockname")[:2]
        username = self._conn.get_extra_info("username") or "demo"
        return DemoSession(self._server, self.peer, (local_host, local_port), username)

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
        self.host_key = load_or_create_host_key(config.host_key_path)
        self.sessions: list[DemoSession] = []
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.preloader: Preloader | None = None
        self._preloader_dir: Path | None = None

    @staticmethod
    def _read_authorized_keys(path: Path | None) -> asyncssh.SSHAuthorizedKeys:
        if path is None:
            raise ServeError("--auth keys needs --authorized-keys FILE")
        try:
            return asyncssh.read_authorized_keys(str(path))
        except (OSError, ValueError, asyncssh.KeyImportError) as exc:
            raise ServeError(f"authorized keys {path} cannot be read: {exc}") from None

    @property
    def port(self) -> int:
        assert self._acceptor is not None, "start() first"
        return self._acceptor.get_port()

    async def start(self) -> None:
        if self.config.preload and self.config.app.function is not None:
            await self._start_preloader()
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
            await self._stop_preloader()
            raise ServeError(f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror or exc}") from None

    async def close(self) -> None:
        """Stop listening, say goodbye to every visitor, stop every app, wait for all of it."""
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
        for session in list(self.sessions):
            session.request_shutdown()
        tasks = [s.task for s in self.sessions if s.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for conn in list(self._connections):
            conn.close()
        for conn in list(self._connections):
            await conn.wait_closed()
        await self._stop_preloader()

    async def _start_preloader(self) -> None:
        """The preloader imports the app under the demo rule like a visitor's app, in a
        folder of its own that is read-only: a path the app keeps from its imports is one
        that its forks, every visitor's app, cannot write to."""
        self._preloader_dir = Path(tempfile.mkdtemp(prefix="whatif-preload-"))
        self._preloader_dir.chmod(0o500)
        env = visitor_environment(self._preloader_dir, self.config.app.environment)
        self.preloader = await Preloader.start(self.config.app, str(self._preloader_dir), env)

    async def _stop_preloader(self) -> None:
        if self.preloader is not None:
            await self.preloader.close()
        if self._preloader_dir is not None:
            remove_session_dir(self._preloader_dir)

    # --- seats and connections ----------------------------------------------------------

    def claim_seat(self, session: DemoSession) -> bool:
        if len(self.sessions) >= self.config.max_sessions:
            return False
        self.sessions.append(session)
        return True

    def release_seat(self, session: DemoSession) -> None:
        if session in self.sessions:
            self.sessions.remove(session)

    def admit_connection(self, conn: asyncssh.SSHServerConnection) -> bool:
        limit = self.config.max_sessions + self.config.max_connections_extra
        if len(self._connections) >= limit:
            return False
        self._connections.add(conn)
        return True

    def forget_connection(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connections.discard(conn)
