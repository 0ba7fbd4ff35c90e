"""Presenter mode's relay: one presenter's app publishes its state, every follower's app gets it.

Runs in the server process (any front-end: SSH today, the web one too), on asyncio, and
knows nothing of the app but the wire format (engine/presenter.py). It listens on a unix
socket in a private (0700) folder of its own. The server asks it for each app's
environment as it starts the app (`child_env(role)`): the socket, the role, the display
name of the presenter and a random token of that app's own. An app says hello with its
token; the role is the one the token was issued for, so only the presenter's app can
publish, whatever a follower's app sends. `revoke(env)` when that app's session ends.

The relay stores the latest state only. Each follower has an outbox of at most one
message per type, written by a task of its own: a new state replaces one not sent yet, so
a slow follower falls behind to the latest state and never holds up the presenter or the
other followers. A follower that joins late gets the latest state at once. When the
presenter disconnects, followers are told (they keep what they show).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from whatif.engine.presenter import (MAX_MESSAGE_BYTES, PRESENTER_NAME_ENV, RELAY_ROLE_ENV, RELAY_SOCKET_ENV,
                                     RELAY_TOKEN_ENV, ROLES, Role, clean_name, decode, encode)

log = logging.getLogger("whatif.relay")

HELLO_TIMEOUT_S = 5.0
# A write that does not drain within this long means the follower's app is stuck (or its
# terminal is): it is disconnected, its app carries on without the presenter.
WRITE_TIMEOUT_S = 30.0


@dataclass(eq=False)
class _Peer:
    """One connected app: its role, and for a follower the outbox its writer task empties."""

    role: Role
    writer: asyncio.StreamWriter
    outbox: dict[str, bytes] = field(default_factory=dict)  # message type -> latest line
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def post(self, kind: str, line: bytes) -> None:
        self.outbox.pop(kind, None)  # re-inserted last: sent in the order they last changed
        self.outbox[kind] = line
        self.ready.set()


class Relay:
    """`await start()`, `child_env(role)` for each app, `revoke(env)` when it ends, `await close()`."""

    def __init__(self, presenter_name: str = "presenter") -> None:
        self.presenter_name = clean_name(presenter_name)
        self._folder: Path | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tokens: dict[str, Role] = {}
        self._presenter: _Peer | None = None
        self._followers: set[_Peer] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self.state_line: bytes | None = None  # the latest state message, as sent to followers
        self.states_received = 0

    @property
    def socket_path(self) -> Path:
        assert self._folder is not None, "start() first"
        return self._folder / "relay.sock"

    @property
    def presenter_connected(self) -> bool:
        return self._presenter is not None

    async def start(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="whatif-relay-"))  # 0700
        self._server = await asyncio.start_unix_server(self._handle, path=str(self.socket_path),
                                                       limit=MAX_MESSAGE_BYTES)
        os.chmod(self.socket_path, 0o600)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for peer in [*self._followers, *([self._presenter] if self._presenter else [])]:
            peer.writer.close()  # their handlers then read EOF and end (asyncio logs a cancelled one)
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=HELLO_TIMEOUT_S)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    # ------------------------------------------------------------ for the server
    def child_env(self, role: Role) -> dict[str, str]:
        """The environment variables that connect one app to the relay in `role`."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        token = secrets.token_urlsafe(24)
        self._tokens[token] = role
        return {RELAY_SOCKET_ENV: str(self.socket_path), RELAY_TOKEN_ENV: token, RELAY_ROLE_ENV: role,
                PRESENTER_NAME_ENV: self.presenter_name}

    def revoke(self, env: Mapping[str, str]) -> None:
        """The app given `env` has ended: its token connects nothing any more."""
        self._tokens.pop(env.get(RELAY_TOKEN_ENV, ""), None)

    # ------------------------------------------------------------ connections
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        peer: _Peer | None = None
        try:
            role = await self._hello(reader)
            if role is None:
                return
            peer = _Peer(role, writer)
            if role == "presenter":
                if self._presenter is not None:
                    writer.write(encode({"type": "refused", "reason": "another presenter is connected"}))
                    return
                await self._serve_presenter(peer, reader)
            else:
                await self._serve_follower(peer, reader)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            if peer is not None:
                self._leave(peer)
            writer.close()
            self._handlers.discard(task)

    async def _hello(self, reader: asyncio.StreamReader) -> Role | None:
        try:
            message = decode(await asyncio.wait_for(reader.readline(), HELLO_TIMEOUT_S))
        except (TimeoutError, ValueError):
            return None
        role = self._tokens.get(str(message.get("token", ""))) if message["type"] == "hello" else None
        if role is None:
            log.info("relay: refused a connection without a valid token")
        return role

    async def _serve_presenter(self, peer: _Peer, reader: asyncio.StreamReader) -> None:
        self._presenter = peer
        log.info("relay: the presenter connected (%d followers)", len(self._followers))
        self._broadcast("presenter", encode({"type": "presenter", "present": True}))
        self._tell_presenter_count()
        while line := await self._read_line(reader):
            try:
                message = decode(line)
            except ValueError:
                return  # a broken presenter app: it is disconnected, followers keep the last state
            if message["type"] == "state" and isinstance(message.get("state"), dict):
                # Forwarded as the presenter wrote it (each follower checks it as a preset).
                self.state_line = encode({"type": "state", "state": message["state"]})
                self.states_received += 1
                self._broadcast("state", self.state_line)

    async def _serve_follower(self, peer: _Peer, reader: asyncio.StreamReader) -> None:
        self._followers.add(peer)
        peer.task = asyncio.ensure_future(self._write_follower(peer))
        peer.post("presenter", encode({"type": "presenter", "present": self._presenter is not None}))
        if self.state_line is not None:
            peer.post("state", self.state_line)
        self._tell_presenter_count()
        # A follower has nothing to say: whatever it sends is read and dropped (a state
        # from it is not published), until it hangs up.
        while await self._read_line(reader):
            pass

    async def _read_line(self, reader: asyncio.StreamReader) -> bytes:
        """The next line, or b'' when the peer hung up or sent a line over the limit."""
        try:
            return await reader.readline()
        except (ValueError, asyncio.LimitOverrunError):
            return b""

    async def _write_follower(self, peer: _Peer) -> None:
        try:
            while True:
                await peer.ready.wait()
                peer.ready.clear()
                lines, peer.outbox = list(peer.outbox.values()), {}
                peer.writer.write(b"".join(lines))
                await asyncio.wait_for(peer.writer.drain(), WRITE_TIMEOUT_S)
        except (ConnectionError, OSError, TimeoutError):
            peer.writer.close()

    def _broadcast(self, kind: str, line: bytes) -> None:
        for follower in self._followers:
            follower.post(kind, line)

    def _tell_presenter_count(self) -> None:
        if self._presenter is not None:
            self._presenter.writer.write(encode({"type": "followers", "count": len(self._followers)}))

    def _leave(self, peer: _Peer) -> None:
        if peer is self._presenter:
            self._presenter = None
            log.info("relay: the presenter left")
            self._broadcast("presenter", encode({"type": "presenter", "present": False}))
        elif peer in self._followers:
            self._followers.discard(peer)
            if peer.task is not None:
                peer.task.cancel()
            self._tell_presenter_count()


@contextlib.asynccontextmanager
async def running_relay(presenter_name: str = "presenter"):  # type: ignore[no-untyped-def]
    """A started relay, closed on exit (tests, benches)."""
    relay = Relay(presenter_name)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.close()
