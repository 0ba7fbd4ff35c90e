"""Presenter mode, the app's side: publish what the presenter shows, or follow it live.

A server that runs a presenter relay (serve/relay.py) starts each app with the relay's
environment (engine/presenter.py). `FollowLink.from_environment` reads it; without it the
app is on its own and nothing here runs.

- Presenter: after every change of the session (or of the active results view) the state
  is sent: the scenario, the view, the tour stop and the baseline. Sending is coalesced:
  a burst of keystrokes sends the latest state once the socket takes it.
- Follower: every state received is applied through the session (`EditSession.mirror`:
  not unsaved, no history) and the view is brought forward; each app renders it at its
  own size. While following, edits are refused with a message naming the key that
  branches off. Refused rather than branching off by themselves: in an audience a stray
  key would silently leave the presenter's scenario, and the follower would not notice
  that the screen no longer shows what is presented. Branched off, the copy is the
  follower's own; pressed again, the key rejoins (dropping the copy's edits after asking)
  and shows the presenter's latest state at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

from textual.css.query import NoMatches
from textual.widgets import TabbedContent

from whatif.engine.errors import WhatifError
from whatif.engine.presenter import (MAX_MESSAGE_BYTES, PRESENTER_NAME_ENV, RELAY_ROLE_ENV, RELAY_SOCKET_ENV,
                                     RELAY_TOKEN_ENV, ROLES, PresenterState, Role, clean_name, decode, encode)

if TYPE_CHECKING:
    from whatif.tui.files import FileFlows
    from whatif.tui.session import Change, EditSession
    from whatif.tui.workspace import Workspace

Mode = Literal["presenting", "following", "branched"]
BRANCH_KEY = "F8"  # shown in messages; the binding is follow.branch in tui/app.py
# How long a presenter's state waits for its P10/P90 figures (sampled ~40 ms after a new
# result, once the keys pause): longer only while the presenter types without a pause.
BANDS_WAIT_S = 0.2


class FollowHost(Protocol):
    """What the link needs of the app (tui.app.WhatifApp), besides Textual's query, watch and notify."""

    session: EditSession  # the active tab's
    workspace: Workspace
    files: FileFlows

    def follow_changed(self) -> None: ...  # repaint the status and title lines and the keys
    def query_one(self, selector: str, expect_type: Any = None) -> Any: ...
    def watch(self, obj: Any, attribute_name: str, callback: Any, init: bool = True) -> None: ...
    def notify(self, message: str, **options: Any) -> None: ...


class FollowLink:
    """One app's connection to the relay, and what it means for the app."""

    def __init__(self, app: FollowHost, role: Role, socket_path: str, token: str, presenter_name: str) -> None:
        self.app = app
        self.role = role
        self.presenter_name = clean_name(presenter_name)
        self.mode: Mode = "presenting" if role == "presenter" else "following"
        self.presenter_present: bool | None = None  # None: not heard from the relay yet
        self.follower_count = 0
        self.problem: str | None = None  # why the link does not work, shown in the status line
        self.latest: PresenterState | None = None
        self.states_applied = 0
        self._socket_path = socket_path
        self._token = token
        self._changed = asyncio.Event()
        self._sampled = asyncio.Event()  # the presenter's Monte Carlo of a result ran
        self._last_sent: bytes | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_environment(cls, app: FollowHost, env: Mapping[str, str] | None = None) -> FollowLink | None:
        env = os.environ if env is None else env
        role, socket_path, token = env.get(RELAY_ROLE_ENV), env.get(RELAY_SOCKET_ENV), env.get(RELAY_TOKEN_ENV)
        if role not in ROLES or not socket_path or not token:
            return None
        return cls(app, role, socket_path, token, env.get(PRESENTER_NAME_ENV, "presenter"))  # type: ignore[arg-type]

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Connect (on the app's loop), once the app is mounted."""
        # Every tab's changes, and a switch of tabs: the presenter shows the active tab.
        workspace = self.app.workspace
        for session in workspace.sessions:
            session.subscribe(self._session_changed)
        workspace.on_added(lambda session: session.subscribe(self._session_changed))
        workspace.subscribe(self._tabs_changed)
        if self.role == "presenter":
            from whatif.tui.widgets.uncertainty import on_sampled
            on_sampled(self._monte_carlo_ran)
        try:
            tabs = self.app.query_one("#tabs", TabbedContent)
        except NoMatches:
            pass
        else:
            self.app.watch(tabs, "active", self._view_changed, init=False)
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        """The app is ending: hang up (a presenter's followers are told it left)."""
        if self._task is not None:
            self._task.cancel()
        if self.role == "presenter":
            from whatif.tui.widgets.uncertainty import on_sampled
            on_sampled(self._monte_carlo_ran, remove=True)

    async def _run(self) -> None:
        try:
            reader, writer = await asyncio.open_unix_connection(self._socket_path, limit=MAX_MESSAGE_BYTES)
        except OSError as exc:
            self._lost(f"cannot reach the presenter relay ({exc.strerror or exc})")
            return
        writer.write(encode({"type": "hello", "token": self._token}))
        sender = asyncio.ensure_future(self._send_states(writer)) if self.role == "presenter" else None
        problem = "the presenter relay closed the connection"
        try:
            while line := await reader.readline():
                self._received(decode(line))
        except (ValueError, ConnectionError, OSError):
            pass  # a line over the limit or not a message, or the relay went away
        except Exception as exc:  # noqa: BLE001 - the app goes on, on its own, and says so
            problem = f"stopped following ({type(exc).__name__}: {exc})"
        finally:
            if sender is not None:
                sender.cancel()
            writer.close()
        self._lost(problem)

    def _lost(self, problem: str) -> None:
        self.problem = self.problem or problem
        self.app.follow_changed()

    # ------------------------------------------------------------ presenter
    def _session_changed(self, change: Change) -> None:
        if self.role == "presenter" and (change.result or change.baseline or change.tour):
            self._changed.set()

    def _tabs_changed(self) -> None:
        if self.role == "presenter":
            self._changed.set()

    def _monte_carlo_ran(self, _result: object) -> None:
        self._sampled.set()
        self._changed.set()  # a state sent without them (the wait timed out) goes again with them

    def _view_changed(self, _active: str) -> None:
        if self.role == "presenter":
            self._changed.set()

    def current_state(self) -> PresenterState:
        session = self.app.session
        try:
            view = self.app.query_one("#tabs", TabbedContent).active or "tab-results"
        except NoMatches:
            view = "tab-results"
        from whatif.tui.widgets.uncertainty import sampled_bands

        return PresenterState(scenario=session.scenario, view=view,
                              stop=session.stop_index if session.tour is not None else None,
                              baseline=session.baseline.scenario if session.baseline is not None else None,
                              bands=sampled_bands(session.result))

    async def _send_states(self, writer: asyncio.StreamWriter) -> None:
        from whatif.tui.widgets.uncertainty import sampled

        self._changed.set()  # the state as it is now, for followers already waiting
        while True:
            await self._changed.wait()
            self._changed.clear()
            # A new result's P10/P90 figures follow it by ~40 ms (UncertaintyStrip): wait for
            # them (a while at most), so followers get one state with them and need neither
            # their own Monte Carlo nor a frame of their own for the strip.
            deadline = asyncio.get_running_loop().time() + BANDS_WAIT_S
            while not sampled(self.app.session.result) \
                    and (left_s := deadline - asyncio.get_running_loop().time()) > 0:
                self._sampled.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._sampled.wait(), left_s)
                self._changed.clear()  # what changed meanwhile goes out with this state
            line = encode({"type": "state", "state": self.current_state().to_wire()})
            if line != self._last_sent:
                writer.write(line)
                self._last_sent = line
                await writer.drain()  # meanwhile further changes only set the event: the latest is sent next

    # ------------------------------------------------------------ follower
    def _received(self, message: dict) -> None:
        kind = message["type"]
        if kind == "state" and self.role == "follower":
            try:
                self.latest = PresenterState.from_wire(message.get("state"))
            except WhatifError as exc:
                self.app.notify(f"{exc}", title="Presenter's state not shown", severity="warning", timeout=6)
                return
            if self.mode == "following":
                self._apply(self.latest)
        elif kind == "presenter":
            present = bool(message.get("present"))
            if self.presenter_present and not present:
                self.app.notify(f"{self.presenter_name} stopped presenting; you keep their last state",
                                title="Presenter left", timeout=8)
            self.presenter_present = present
            self.app.follow_changed()
        elif kind == "followers":
            count = message.get("count")
            self.follower_count = count if isinstance(count, int) and count >= 0 else 0
            self.app.follow_changed()
        elif kind == "refused":
            self.problem = f"not presenting: {message.get('reason', 'refused by the relay')}"
            self.app.follow_changed()

    def _apply(self, state: PresenterState) -> None:
        try:
            self.app.session.mirror(state.scenario, baseline=state.baseline, stop_index=state.stop)
        except WhatifError as exc:
            self.app.notify(f"{exc}", title="Presenter's state not shown", severity="warning", timeout=6)
            return
        if state.bands:
            from whatif.tui.widgets.uncertainty import give_bands
            # Before the strip is updated (the frame after the headline's): it shows them at once.
            give_bands(self.app.session.result, state.bands)
        self.states_applied += 1
        self._show_view(state.view)

    def _show_view(self, view: str) -> None:
        try:
            tabs = self.app.query_one("#tabs", TabbedContent)
            if tabs.active != view:
                tabs.active = view
        except (NoMatches, ValueError):
            pass  # a view this app does not have (or not yet): it stays where it is

    @property
    def following(self) -> bool:
        return self.role == "follower" and self.mode == "following"

    def refuses_edit(self) -> bool:
        """True (and says why) if the scenario may not change now: it is the presenter's."""
        if not self.following:
            return False
        self.app.notify(f"Following {self.presenter_name}: press {BRANCH_KEY} to branch off and edit",
                        timeout=4)
        return True

    def toggle_branch(self) -> None:
        """Branch off into an own copy, or rejoin the presenter (asks before dropping edits)."""
        if self.role != "follower":
            return
        if self.mode == "following":
            self.mode = "branched"
            self.app.notify(f"Your own copy now: edit freely. {BRANCH_KEY} rejoins {self.presenter_name}.", timeout=5)
            self.app.follow_changed()
            return

        def rejoin() -> None:
            self.mode = "following"
            if self.latest is not None:
                self._apply(self.latest)
            self.app.follow_changed()
        self.app.files.when_saved(rejoin, f"Rejoin {self.presenter_name} and drop your changes?")

    # ------------------------------------------------------------ status line
    def status_text(self) -> str:
        name = self.presenter_name
        if self.problem:
            return f"presenter mode: {self.problem}"
        if self.role == "presenter":
            count = self.follower_count
            return f"presenting as {name} to {count} follower{'' if count == 1 else 's'}"
        left = " (left; showing their last state)" if self.presenter_present is False else ""
        if self.mode == "following":
            return f"following {name}{left} · {BRANCH_KEY} branch off"
        return f"branched off from {name}{left} · {BRANCH_KEY} rejoin"
