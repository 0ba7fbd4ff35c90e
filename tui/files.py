"""Files from the app: the one write policy, and the open / save / save-as / export flows.

`WritePolicy` is the only place that decides where the app may write and when it must ask
first (no Textual in it):
- In a demo session (WHATIF_DEMO=1, set by the servers for every visitor) the app writes
  only inside the session's own folder: the user preset folder, which the server points
  into the visitor's temporary session folder.
- Shipped presets are never changed by a plain save: saving one asks for a new name.
- An existing file is replaced only after the user confirmed it once in this session.

`FileFlows` runs the dialogs of those flows for the app and reports through
notifications; every file error becomes a message, never an exception.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from whatif.engine.atomic import write_atomic
from whatif.engine.errors import WhatifError
from whatif.engine.paths import DEMO_ENV
from whatif.engine.presets import (dumps_preset, list_presets, load_preset, save_preset, shipped_presets_dir,
                                   user_presets_dir)

if TYPE_CHECKING:
    from textual.app import App

    from whatif.engine.analysis.compare import Comparison
    from whatif.engine.analysis.uncertainty import MonteCarlo
    from whatif.engine.evaluate import Result
    from whatif.tui.session import EditSession
    from whatif.tui.workspace import Workspace

def demo_mode() -> bool:
    """Set by the servers: write only inside the per-session folder."""
    return os.environ.get(DEMO_ENV) == "1"


class WritePolicy:
    """Where the app may write, and whether it must ask before replacing a file."""

    def __init__(self, demo: bool | None = None) -> None:
        self.demo = demo_mode() if demo is None else demo
        self._confirmed: set[Path] = set()

    @property
    def folder(self) -> Path:
        """Where relative names go: the user's preset folder (a demo session's own folder)."""
        return user_presets_dir()

    @property
    def export_folder(self) -> Path:
        """Where an export's name without a folder goes: beside the user's presets."""
        return self.folder

    def target(self, text: str, *, base: Path | None = None, suffix: str | None = None) -> Path | str:
        """The file that `text` names (relative to `base`, default the preset folder; with
        `suffix` added when it has another), or a message saying why it may not be written."""
        text = text.strip()
        if not text:
            return "type a file name"
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = (base or self.folder) / path
        if suffix and path.suffix != suffix:
            path = path.with_name(path.name + suffix)
        return self.refusal(path) or path

    def refusal(self, path: Path) -> str | None:
        """Why `path` may not be written, or None."""
        if self.demo and not _inside(path, self.folder):
            return f"demo session: only files inside {self.folder} can be written"
        for part in (path.name, *path.parts):  # a folder's name can be too long too
            if len(part.encode()) > 255:
                return f"{'file' if part == path.name else 'folder'} name too long ({len(part.encode())} bytes; at most 255)"
        if len(str(path).encode()) > 4000:
            return f"path too long ({len(str(path).encode())} bytes; at most 4000)"
        return None

    def may_save_in_place(self, path: Path | None) -> bool:
        """A plain save may write `path` (else it asks for a name): not a shipped preset, and
        allowed by the demo rule."""
        return path is not None and not _inside(path, shipped_presets_dir()) and self.refusal(path) is None

    def needs_confirmation(self, path: Path) -> bool:
        return path.exists() and path.resolve() not in self._confirmed

    def confirmed(self, path: Path) -> None:
        self._confirmed.add(path.resolve())


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def preset_groups() -> list[tuple[str, list[tuple[Path, str]]]]:
    """The presets the open dialog offers: the user's first (what one opens most), then the
    three dozen shipped ones, each as its file name and preset name in two columns."""
    shipped, user = shipped_presets_dir(), user_presets_dir()
    folders = ((f"Yours ({user})", user), (f"Shipped ({shipped})", shipped))
    listed = [(title, list_presets(folder)) for title, folder in folders]
    # As wide as the longest file name (a fixed 28 let longer ones push their preset names
    # out of line), up to FILE_COLUMN_MAX: a longer one shifts only its own line, rather
    # than cut every preset name short at 80 columns.
    width = min(max((len(p.name) for _, paths in listed for p in paths), default=0), FILE_COLUMN_MAX)
    return [(title, [(p, _preset_label(p, width)) for p in paths]) for title, paths in listed]


FILE_COLUMN_MAX = 30


def _preset_label(path: Path, width: int) -> str:
    try:
        name = load_preset(path).name
    except WhatifError:
        name = "(does not load)"
    return f"{path.name:<{width}} {name}"


def _slug(name: str) -> str:
    return "-".join("".join(c.lower() if c.isalnum() else " " for c in name).split())[:40]


class FileFlows:
    """The app's file dialogs, chained: guard unsaved changes, ask, confirm, write, report."""

    def __init__(self, app: App, workspace: Workspace, policy: WritePolicy | None = None) -> None:
        self.app = app
        self.workspace = workspace
        self.policy = policy or WritePolicy()

    @property
    def session(self) -> EditSession:
        """The active tab's session: the one saved, exported or guarded."""
        return self.workspace.active

    def _error(self, message: str, title: str) -> None:
        self.app.notify(message, title=title, severity="error", timeout=8)

    def when_saved(self, then: Callable[[], object], question: str = "Discard unsaved changes?", *,
                   every_tab: bool = False) -> None:
        """Run `then` now, or after the user agrees to drop the unsaved changes of the
        active tab (of any tab with `every_tab`: the question names those tabs)."""
        dirty = self.workspace.dirty_sessions() if every_tab else [self.session] if self.session.dirty else []
        if not dirty:
            then()
            return
        from whatif.tui.screens.dialogs import ConfirmScreen

        if every_tab and len(self.workspace) > 1:
            names = ", ".join(self.workspace.label(self.workspace.index(s)) for s in dirty)
            question = f"Unsaved changes in {len(dirty)} tab{'s' * (len(dirty) > 1)} ({names}).\n{question}"
        self.app.push_screen(ConfirmScreen(question, yes="Discard", no="Keep editing"),
                             lambda discard: discard and then())

    def confirm_overwrite(self, path: Path, write: Callable[[], object]) -> None:
        """Run `write` now for a new file (or one already confirmed), else after a yes."""
        if not self.policy.needs_confirmation(path):
            write()
            return
        from whatif.tui.screens.dialogs import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self.policy.confirmed(path)
                write()
        self.app.push_screen(ConfirmScreen(f"{path} exists. Overwrite it?", yes="Overwrite", no="Cancel"), answer)

    # ------------------------------------------------------------------ presets
    def open(self) -> None:
        """Pick a preset and open it in a new tab (nothing unsaved is at stake: the other
        tabs stay as they are)."""
        from whatif.tui.screens.dialogs import PresetPicker

        self.app.push_screen(PresetPicker(preset_groups()), self.open_path)

    def open_path(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            self.workspace.open(path)
        except WhatifError as exc:
            self._error(str(exc), "Cannot open preset")

    def save(self) -> None:
        path = self.session.path
        if path is None or not self.policy.may_save_in_place(path):
            self.save_as()
            return
        self._save_over(path)

    def save_as(self) -> None:
        from whatif.tui.screens.dialogs import SaveAsScreen

        path, folder = self.session.path, self.policy.folder
        stem = path.stem if path else _slug(self.session.scenario.name) or "scenario"
        suggestion = path if path and path.parent.resolve() == folder.resolve() else folder / f"{stem}.toml"
        policy = self.policy
        scenario = self.session.scenario
        screen = SaveAsScreen(suggestion, folder, policy.demo, lambda text: policy.target(text, suffix=".toml"),
                              scenario.name, scenario.description)
        self.app.push_screen(screen, self._save_target)

    def _save_target(self, answer: tuple[Path, str, str] | None) -> None:
        if answer is None:
            return
        path, name, description = answer
        self.session.set_details(name=name, description=description)
        self._save_over(path)

    def _save_over(self, path: Path) -> None:
        """Write the active tab to `path`, after a yes if another tab has that file open (its
        edits stay, unsaved against the new file) or else if it would overwrite a file."""
        others = self.workspace.sharing_file(self.session, path)
        if not others:
            self.confirm_overwrite(path, lambda: self._write_preset(path))
            return
        from whatif.tui.screens.dialogs import ConfirmScreen

        numbers = [self.workspace.index(s) + 1 for s in others]  # the strip numbers its tabs
        if len(others) == 1:
            where, kept = f"tab {numbers[0]}", "That tab keeps its values, unsaved"
        else:
            where, kept = "tabs " + ", ".join(map(str, numbers)), "Those tabs keep their values, unsaved"
        question = f"{path.name} is also open in {where}.\nSave this tab over it? {kept}."

        def answer(yes: bool | None) -> None:
            if yes:  # this question said it writes over the file: no second one
                self.policy.confirmed(path)
                self._write_preset(path)
        self.app.push_screen(ConfirmScreen(question, yes="Save over it", no="Cancel"), answer)

    def _write(self, path: Path, write: Callable[[], Path], title: str) -> Path | None:
        """Run `write`; a file error becomes a message titled `title` (None then)."""
        try:
            written = write()
        except WhatifError as exc:
            self._error(str(exc), title)
            return None
        except OSError as exc:
            self._error(f"{path}: {exc.strerror or exc}", title)
            return None
        self.policy.confirmed(written)
        return written

    def _write_preset(self, path: Path) -> None:
        written = self._write(path, lambda: save_preset(self.session.scenario, path, overwrite=True), "Not saved")
        if written is None:
            return
        for other in self.workspace.sharing_file(self.session, written):
            other.file_rewritten(self.session.scenario)
        self.session.saved_as(written)
        invalid = len(self.session.errors)
        unsaved = f" ({invalid} invalid field(s) not saved)" if invalid else ""
        self.app.notify(f"Saved {written}{unsaved}", timeout=4)

    def show_toml(self) -> None:
        from whatif.tui.screens.dialogs import TomlScreen

        self.app.push_screen(TomlScreen(dumps_preset(self.session.scenario)))

    # ------------------------------------------------------------------ exports
    def export(self, result: Result | None = None, comparison: Comparison | None = None,
               name: str = "results.csv", done: Callable[[Path], object] | None = None) -> None:
        """Ask for a file (the extension picks the format), confirm, write atomically."""
        from whatif.tui.screens.compare import ExportScreen

        def chosen(answer: tuple[Path, str] | None) -> None:
            if answer is not None:
                path, fmt = answer
                self.confirm_overwrite(path, lambda: self._write_export(path, fmt, result, comparison, done))
        folder = self.policy.export_folder
        screen = ExportScreen(folder / name, lambda text: self.policy.target(text, base=folder), comparison is not None)
        self.app.push_screen(screen, chosen)

    @staticmethod
    def _monte_carlo(result: Result) -> MonteCarlo | None:
        """The P10/P50/P90 the app shows for `result` (computed once, shared with the strip)."""
        from whatif.tui.widgets.uncertainty import monte_carlo_for

        mc = monte_carlo_for(result)
        return None if isinstance(mc, str) else mc

    def _write_export(self, path: Path, fmt: str, result: Result | None, comparison: Comparison | None,
                      done: Callable[[Path], object] | None) -> None:
        from whatif.engine.analysis.export import export_compare, export_result

        def write() -> Path:
            if comparison is not None:
                return write_atomic(path, export_compare(comparison, fmt), overwrite=True)
            assert result is not None
            return write_atomic(path, export_result(result, fmt, self._monte_carlo(result)), overwrite=True)
        written = self._write(path, write, "Not exported")
        if written is None:
            return
        self.app.notify(f"Exported {written}", timeout=4)
        if done is not None:
            done(written)
