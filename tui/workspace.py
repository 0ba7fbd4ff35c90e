"""Scenario tabs: several editing sessions open at once, free of any user interface.

A `Workspace` holds the open `EditSession`s in tab order, which one is active (the one the
panels show and every edit goes to), and an optional pinned reference that comparisons
measure the others against (else the first tab). Each session keeps its own edits,
baseline, undo history and file; the workspace only adds, removes and picks them.

A tab the app opened by itself on the default preset (at start, or a new tab) and that was
never changed is a placeholder: opening a preset replaces it instead of adding a tab, so
"compare presets a and b" is two opens, not three tabs.

Subscribers hear about tab changes (added, closed, switched, pinned); a session's own
changes still go to that session's subscribers. Imports nothing of Textual (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from whatif.engine.analysis.compare import Column, Comparison, short_names
from typing import TYPE_CHECKING
from whatif.engine.presets import default_preset_path
from whatif.tui.session import EditSession

if TYPE_CHECKING:
    from whatif.engine.catalog import Catalog


class Workspace:
    """The open tabs, the active one and the pinned reference."""

    def __init__(self, first: EditSession, *, placeholder: bool = False) -> None:
        self.sessions: list[EditSession] = [first]
        self.active_index = 0
        self.pinned: EditSession | None = None
        self._placeholders: list[EditSession] = [first] if placeholder else []
        self._copies: list[EditSession] = []   # duplicated tabs: named '(copy)' until saved
        self._subscribers: list[Callable[[], object]] = []
        self._added: list[Callable[[EditSession], object]] = []

    # ------------------------------------------------------------------ state
    @property
    def active(self) -> EditSession:
        return self.sessions[self.active_index]

    @property
    def catalog(self) -> Catalog:
        return self.active.catalog

    def __len__(self) -> int:
        return len(self.sessions)

    def index(self, session: EditSession) -> int:
        return next(i for i, s in enumerate(self.sessions) if s is session)

    @property
    def reference_index(self) -> int:
        """The tab deltas are measured against: the pinned one, else the first."""
        return self.index(self.pinned) if self.pinned is not None else 0

    def dirty_sessions(self) -> list[EditSession]:
        return [s for s in self.sessions if s.dirty]

    def sharing_file(self, session: EditSession, path: Path) -> list[EditSession]:
        """The other tabs that have the file at `path` open: a save from `session` writes
        over what they show as saved."""
        target = path.resolve()
        return [s for s in self.sessions
                if s is not session and s.path is not None and s.path.resolve() == target]

    def label(self, index: int) -> str:
        """A tab's name: the scenario's name, else its file's name; '(copy)' after a
        duplicate's until it is saved."""
        session = self.sessions[index]
        name = session.scenario.name or (session.path.stem if session.path else "") or "unsaved scenario"
        copy = session.path is None and any(s is session for s in self._copies)
        return f"{name} (copy)" if copy else name

    def short_labels(self) -> list[str]:
        """Every tab's name less the start all share ('Chip shoot-out: NVIDIA B200',
        'Chip shoot-out: AMD MI355X' -> 'NVIDIA B200', 'AMD MI355X'): what tells them apart."""
        return short_names([self.label(i) for i in range(len(self))])

    def is_placeholder(self, session: EditSession) -> bool:
        """Opened by the app on the default preset and never changed since."""
        return (any(s is session for s in self._placeholders) and not session.dirty
                and not session.can_undo and not session.can_redo and session.baseline is None)

    def subscribe(self, callback: Callable[[], object]) -> None:
        """`callback()` after every change to the tabs themselves."""
        self._subscribers.append(callback)

    def on_added(self, callback: Callable[[EditSession], object]) -> None:
        """`callback(session)` for every session that joins (the app subscribes to it)."""
        self._added.append(callback)

    def _notify(self) -> None:
        for callback in self._subscribers:
            callback()

    # ------------------------------------------------------------------ adding
    def add(self, session: EditSession, *, placeholder: bool = False) -> EditSession:
        """Open `session` in a tab after the active one and make it active. It takes the
        active tab's place instead if that is a placeholder."""
        if self.is_placeholder(self.active):
            self._placeholders.remove(self.active)
            del self.sessions[self.active_index]
            self.active_index -= 1
        if placeholder:
            self._placeholders.append(session)
        return self._insert(session)

    def _insert(self, session: EditSession) -> EditSession:
        self.active_index += 1
        self.sessions.insert(self.active_index, session)
        for callback in self._added:
            callback(session)
        self._notify()
        return session

    def new(self) -> EditSession:
        """A new tab on the default preset (a placeholder until changed)."""
        return self.add(EditSession.from_file(default_preset_path(), catalog=self.catalog), placeholder=True)

    def open(self, path: str | Path) -> EditSession:
        """The preset at `path` in a new tab; raises WhatifError (no tab added) if it does not
        load. A tab that has the file open as saved is made active instead (a second copy
        would only be a twin); beside one with unsaved edits the saved file opens, to
        compare the two."""
        target = Path(path).resolve()
        saved = next((s for s in self.sessions if s.path is not None and s.path.resolve() == target and not s.dirty),
                     None)
        if saved is not None:
            self.activate(self.index(saved))
            return saved
        return self.add(EditSession.from_file(path, catalog=self.catalog))

    def duplicate(self) -> EditSession:
        """A copy of the active tab beside it (its edits, unsaved, and no file)."""
        twin = self.active.copy()
        self._copies.append(twin)
        return self._insert(twin)

    # ------------------------------------------------------------------ closing, switching
    def close(self, index: int | None = None) -> bool:
        """Close tab `index` (default the active one); False for the last tab, which stays.
        The caller asks first if it is unsaved."""
        index = self.active_index if index is None else index
        if len(self.sessions) == 1 or not 0 <= index < len(self.sessions):
            return False
        closed = self.sessions.pop(index)
        if self.pinned is closed:
            self.pinned = None
        self._placeholders = [s for s in self._placeholders if s is not closed]
        self._copies = [s for s in self._copies if s is not closed]
        if index < self.active_index or self.active_index == len(self.sessions):
            self.active_index -= 1
        self._notify()
        return True

    def activate(self, index: int) -> bool:
        """Make tab `index` active; False (nothing changes) if it is already or does not exist."""
        if index == self.active_index or not 0 <= index < len(self.sessions):
            return False
        self.active_index = index
        self._notify()
        return True

    def step(self, by: int) -> bool:
        """The next (1) or previous (-1) tab, wrapping around."""
        return self.activate((self.active_index + by) % len(self.sessions))

    def toggle_pin(self, index: int | None = None) -> EditSession | None:
        """Pin tab `index` (default the active one) as the reference; again to unpin.
        Returns the pinned session (None: deltas against the first tab again)."""
        session = self.sessions[self.active_index if index is None else index]
        self.pinned = None if self.pinned is session else session
        self._notify()
        return self.pinned

    # ------------------------------------------------------------------ comparing
    def comparison(self) -> Comparison:
        """Every tab's current result side by side (nothing is recomputed), deltas against
        the reference tab; columns named '1 H100', '2 B200' after their tabs."""
        # Numbered like the tabs: told apart even when two tabs share a name.
        names = [f"{i + 1} {name}" for i, name in enumerate(self.short_labels())]
        return Comparison([Column(n, s.result) for n, s in zip(names, self.sessions)],
                          reference=self.reference_index)
