"""Crash recovery: unsaved edits kept in a file, offered back at the next start.

Like an editor's swap file. While the session has unsaved changes the app writes them
(debounced, atomically) to `<folder>/session-<pid>-<ms>.toml`; a save, a clean quit or a
deliberate discard removes the file. Each running app holds an advisory lock on its
`.lock` file beside it; the kernel drops it when the process dies, even by kill -9. So at
start, a recovery file whose lock can be taken was left by an app that is gone: the app
offers to restore it (restore / discard).

The folder is the user's state folder (engine.paths.state_dir(), Linux
~/.local/state/whatif/recovery); in a demo session (WHATIF_DEMO=1) it is `.recovery` in the
session's own folder (the user preset folder), where a visitor's app may write.

With several tabs open, one file holds every tab with unsaved changes. It is TOML: a
`[recovery]` table (the time, the pid) and one `[[tab]]` per such tab with the preset's path
(`source`), pending invalid edits as typed (`pending`) and the scenario as a preset in
`[tab.preset]`. A file from before tabs (the first tab's fields in `[recovery]`, its
scenario in `[preset]`) still reads. Imports nothing of Textual.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whatif.engine.errors import WhatifError

if TYPE_CHECKING:
    from whatif.engine.scenario import Scenario
    from whatif.tui.session import EditSession

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; fall back to "is the pid alive"
    fcntl = None  # type: ignore[assignment]

PREFIX = "session-"


def recovery_dir(demo: bool) -> Path:
    if demo:
        from whatif.engine.presets import user_presets_dir

        return user_presets_dir() / ".recovery"
    from whatif.engine.paths import state_dir

    return state_dir() / "recovery"


@dataclass
class Recovered:
    """A recovery file left by an app that is gone."""

    path: Path
    scenario: Scenario
    source: Path | None                    # the preset file the edits were made to
    pending: dict[str, Any] = field(default_factory=dict)
    saved_at: str = ""

    @property
    def label(self) -> str:
        name = self.source.name if self.source else "an unsaved scenario"
        when = f" ({self.saved_at})" if self.saved_at else ""
        return f"{name}{when}"


class RecoveryFile:
    """This app's recovery file: write on change, remove when clean."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        stem = f"{PREFIX}{os.getpid()}-{int(time.time() * 1000)}"
        self.path = folder / f"{stem}.toml"
        self._lock_path = folder / f"{stem}.lock"
        self._lock_fd: int | None = None

    def _lock(self) -> None:
        if self._lock_fd is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pass
        self._lock_fd = fd

    def write(self, sessions: Sequence[EditSession]) -> Path:
        """Save every session's scenario and pending edits (the tabs with unsaved changes).
        Raises WhatifError on failure."""
        import tomli_w

        from whatif.engine.atomic import write_atomic
        from whatif.engine.presets import preset_to_dict

        meta: dict[str, Any] = {"saved_at": time.strftime("%Y-%m-%d %H:%M:%S"), "pid": os.getpid()}
        tabs = []
        for session in sessions:
            tab: dict[str, Any] = {}
            if session.path is not None:
                tab["source"] = str(session.path)
            pending = {k: v for k, v in session.pending.items() if isinstance(v, str | int | float)}
            if pending:
                tab["pending"] = pending
            tab["preset"] = preset_to_dict(session.scenario)
            tabs.append(tab)
        text = tomli_w.dumps({"recovery": meta, "tab": tabs})
        try:
            self._lock()
        except OSError as exc:
            raise WhatifError(f"cannot write: {exc.strerror or exc}", path=str(self.path)) from None
        write_atomic(self.path, text, overwrite=True, mode=0o600)
        return self.path

    def remove(self) -> None:
        """No unsaved edits: nothing to recover (the lock stays until the app ends)."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass

    def close(self) -> None:
        """A clean end: remove the file and the lock."""
        self.remove()
        if self._lock_fd is not None:
            try:
                self._lock_path.unlink(missing_ok=True)
            except OSError:
                pass
            os.close(self._lock_fd)
            self._lock_fd = None


def left_behind(folder: Path) -> list[Path]:
    """Recovery files in `folder` whose app is gone, newest first. Never raises."""
    try:
        candidates = [p for p in folder.glob(f"{PREFIX}*.toml") if p.is_file()]
    except OSError:
        return []
    found = []
    for path in candidates:
        if not _owner_alive(path):
            found.append(path)
    return sorted(found, key=lambda p: _mtime(p), reverse=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _owner_alive(path: Path) -> bool:
    lock = path.with_suffix(".lock")
    if fcntl is not None:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True  # held: its app is running
        finally:
            os.close(fd)  # closing drops our lock at once
        return False
    pid_text = path.stem.removeprefix(PREFIX).partition("-")[0]
    try:
        os.kill(int(pid_text), 0)
    except (ValueError, OSError):
        return False
    return True


def read(path: Path) -> list[Recovered]:
    """The tabs kept in the recovery file at `path`. Raises WhatifError naming it if it
    does not load."""
    from whatif.engine.presets import preset_from_dict
    from whatif.engine.safeio import loads_toml, read_user_text

    data = loads_toml(read_user_text(path), str(path))
    meta = data.get("recovery")
    tabs = data.get("tab") if "tab" in data else [{**(meta if isinstance(meta, dict) else {}),
                                                  "preset": data.get("preset")}]
    if not isinstance(meta, dict) or not isinstance(tabs, list) or not tabs \
            or not all(isinstance(t, dict) and isinstance(t.get("preset"), dict) for t in tabs):
        raise WhatifError("not a whatif recovery file ([recovery] and [[tab]] with a preset expected)",
                          path=str(path))
    found = []
    for tab in tabs:
        source, pending = tab.get("source"), tab.get("pending")
        found.append(Recovered(path, preset_from_dict(tab["preset"], str(path)),
                               Path(source) if isinstance(source, str) else None,
                               dict(pending) if isinstance(pending, dict) else {}, str(meta.get("saved_at", ""))))
    return found


def discard(path: Path) -> None:
    for stale in (path, path.with_suffix(".lock")):
        try:
            stale.unlink(missing_ok=True)
        except OSError:
            pass
