"""The editing session: what the user is working on, free of any user interface.

One `EditSession` holds the scenario being edited and everything that follows from it:
the last good result, edits the engine has not accepted yet and why, the pinned baseline,
the file it came from and whether it changed since, the tour it belongs to, and the
history that undo and redo walk. The app binds its widgets to it (`subscribe`) and turns
keystrokes into calls (`edit`, `apply_values`, `load`, `undo`...); tests drive it directly.

Every change tells the subscribers what changed (`Change`), so a view repaints only what
it must: a keystroke that is not valid yet changes `errors` and nothing else.

Imports nothing of Textual (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result, evaluate
from whatif.engine.inputs import BY_KEY, INCOMPLETE
from whatif.engine.presets import load_preset

if TYPE_CHECKING:
    # Types only: a session opened from plain data (engine.opening) draws the app's first
    # frame before pydantic, which the scenario and the catalog are built on, is imported.
    from whatif.engine.catalog import Catalog
    from whatif.engine.opening import Opening
    from whatif.engine.scenario import Scenario
    from whatif.engine.tours import Tour

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class Change:
    """What one session call changed; subscribers repaint accordingly."""

    result: bool = False      # a new result (views, hints, status)
    fields: bool = False      # scenario values changed other than by typing: refill the editors
    errors: bool = False      # the set of invalid fields or their messages changed
    title: bool = False       # path, name or dirty state
    baseline: bool = False
    tour: bool = False        # a new tour stop


@dataclass(frozen=True)
class _Snapshot:
    scenario: Scenario
    result: Result


class EditSession:
    """The scenario being edited, its result, pending edits, errors, baseline and file."""

    def __init__(self, scenario: Scenario, path: Path | None = None, *, tour: Tour | None = None,
                 catalog: Catalog | None = None, result: Result | None = None) -> None:
        if catalog is None:
            from whatif.engine.catalog import load_catalog
            catalog = load_catalog()
        self.catalog = catalog
        self.tour = tour
        self.stop_index = 0
        self.path = path
        self.scenario = scenario
        self.result: Result = evaluate(scenario, self.catalog) if result is None else result
        self._opening: Opening | None = None  # plain data standing in for the models (from_opening)
        self.baseline: Result | None = None
        self.pending: dict[str, Any] = {}     # edits the engine has not accepted (yet)
        self.errors: dict[str, str] = {}      # key -> why its pending edit is not accepted
        self._saved: Scenario | None = scenario   # what the file holds (None: no file holds it)
        self._undo: list[_Snapshot] = []
        self._redo: list[_Snapshot] = []
        self._subscribers: list[Callable[[Change], object]] = []
        self._typing_key: str | None = None   # the field the last accepted edit typed into

    @classmethod
    def from_file(cls, path: str | Path, *, catalog: Catalog | None = None) -> EditSession:
        """A session on the preset at `path`; raises WhatifError naming the file and key."""
        path = Path(path)
        return cls(load_preset(path), path, catalog=catalog)

    @classmethod
    def from_opening(cls, opening: Opening) -> EditSession:
        """A session on a cached opening's plain copies (engine.opening), enough to show it;
        the real scenario, catalog and result replace them at `warm_up` or the first change."""
        session = cls(opening.scenario, opening.path, catalog=opening.settings.catalog, result=opening.result)
        session._opening = opening
        return session

    def _make_real(self) -> None:
        """Replace the opening's plain copies with the real objects (validated models)."""
        opening, self._opening = self._opening, None
        if opening is None:
            return
        real = opening.anchor.real()
        if self.catalog is opening.settings.catalog:
            self.catalog = real.settings.catalog
        for name in ("scenario", "_saved"):
            if getattr(self, name) is opening.scenario:
                setattr(self, name, real.scenario)
        if self.result is opening.result:
            self.result = real.result

    @classmethod
    def for_tour(cls, tour: Tour, *, catalog: Catalog | None = None) -> EditSession:
        first = tour.stops[0].path
        return cls(load_preset(first), first, tour=tour, catalog=catalog)

    def copy(self) -> EditSession:
        """A new session on this one's scenario (a duplicated tab): same edits, pending
        edits and baseline, no file and a fresh history. Unsaved here means unsaved there:
        it is dirty against the same saved scenario, so closing the original loses nothing."""
        self._make_real()
        twin = EditSession(self.scenario, None, catalog=self.catalog, result=self.result)  # recomputes nothing
        twin._saved = self._saved
        twin.baseline = self.baseline
        twin.pending = dict(self.pending)
        twin.errors = dict(self.errors)
        return twin

    # ------------------------------------------------------------------ state
    @property
    def dirty(self) -> bool:
        """Unsaved: an edit is pending, or the scenario differs from the file it came from."""
        return bool(self.pending) or self.scenario != self._saved

    @property
    def stale(self) -> bool:
        """Some edit is not accepted: the result shown is the last good one."""
        return bool(self.errors)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo or self.pending)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def subscribe(self, callback: Callable[[Change], object]) -> None:
        self._subscribers.append(callback)

    def _notify(self, change: Change) -> None:
        for callback in self._subscribers:
            callback(change)

    def warm_up(self) -> None:
        """Build the real objects of an opening from plain data, and the validators an edit
        needs (pydantic builds them on first use)."""
        self._make_real()
        self.scenario.with_values({})

    def has_claims(self) -> bool:
        """The scenario makes claims (engine.claims) to check against the result."""
        if self._opening is not None:
            return self._opening.has_claims
        from whatif.engine.claims import check_claims
        return bool(check_claims(self.result))

    # ------------------------------------------------------------------ edits
    def edit(self, key: str, value: Any) -> None:
        """One field's new value as typed or picked (None: back to the default). Applied
        together with any other pending edits if the engine accepts them, else kept pending
        with the reason in `errors`."""
        if value == self.scenario.get(key):
            # Back to the current value (or a widget echoing it): nothing to apply for this key.
            if self.pending.pop(key, None) is None and key not in self.errors:
                return
        self._make_real()
        if value != self.scenario.get(key):
            self.pending[key] = value
        self._apply_pending()

    def _apply_pending(self) -> None:
        """Apply every pending edit that validates; keep the others marked. The scenario and
        result change only when the engine accepts the whole combination."""
        errors: dict[str, str] = {}
        good: dict[str, Any] = {}
        alone: dict[str, Scenario] = {}   # key -> the scenario with that edit alone
        for key, value in self.pending.items():
            if value is INCOMPLETE:
                continue  # a number still being typed ('1e'): neither applied nor an error
            if value is None and BY_KEY[key].required:
                errors[key] = "required: type a number"
                continue
            try:
                alone[key] = self.scenario.with_values({key: value})
            except WhatifError as exc:
                errors[key] = _detail(exc, key)
            else:
                good[key] = value
        changed_result = False
        if good:
            try:
                # One good edit (a keystroke): its scenario is already validated.
                candidate = alone[next(iter(good))] if len(good) == 1 else self.scenario.with_values(good)
                result = evaluate(candidate, self.catalog)
            except WhatifError as exc:
                for key in good:
                    errors[key] = _detail(exc, key)
            else:
                # Typing into one field is one step of history, not one per keystroke.
                if set(good) != {self._typing_key}:
                    self._remember()
                self._typing_key = next(iter(good)) if len(good) == 1 else None
                self.scenario, self.result = candidate, result
                for key in good:
                    del self.pending[key]
                changed_result = True
        errors_changed = errors != self.errors
        self.errors = errors
        self._notify(Change(result=changed_result, errors=errors_changed, title=True))

    def apply_values(self, values: dict[str, Any]) -> Result:
        """Set inputs ('group.key' -> value) all at once, validated by the engine (goal seek,
        the palette). Raises WhatifError and changes nothing if they are not accepted."""
        self._make_real()
        candidate = self.scenario.with_values(values)
        result = evaluate(candidate, self.catalog)
        self._remember()
        for key in values:
            self.pending.pop(key, None)
            self.errors.pop(key, None)
        self.scenario, self.result = candidate, result
        self._notify(Change(result=True, fields=True, errors=True, title=True))
        return result

    def set_details(self, **details: str | None) -> None:
        """Change the preset's name, description or source (saved with it; undoable)."""
        self._make_real()
        changed = {k: v for k, v in details.items() if getattr(self.scenario, k) != v}
        if changed:
            self._remember()
            self.scenario = self.scenario.model_copy(update=changed)
            self.result = evaluate(self.scenario, self.catalog)
            self._notify(Change(result=True, title=True))

    # ------------------------------------------------------------------ history
    def _remember(self) -> None:
        self._typing_key = None
        self._undo.append(_Snapshot(self.scenario, self.result))
        del self._undo[:-HISTORY_LIMIT]
        self._redo.clear()

    def undo(self) -> bool:
        """Back to the scenario before the last accepted change; False if there is none.
        Edits not accepted (invalid, or a number still being typed) go first, as a step of
        their own: the fields show the scenario's values again (a typed '-5' in the count
        gives back 16384, with no accepted change lost), and the next undo steps back."""
        self._make_real()
        if self.pending:
            self.pending.clear()
            self.errors.clear()
            self._typing_key = None
            self._notify(Change(result=True, fields=True, errors=True, title=True))
            return True
        return self._step(self._undo, self._redo)

    def redo(self) -> bool:
        self._make_real()
        return self._step(self._redo, self._undo)

    def _step(self, source: list[_Snapshot], target: list[_Snapshot]) -> bool:
        if not source:
            return False
        target.append(_Snapshot(self.scenario, self.result))
        self._typing_key = None
        snapshot = source.pop()
        self.scenario, self.result = snapshot.scenario, snapshot.result
        self.pending.clear()
        self.errors.clear()
        self._notify(Change(result=True, fields=True, errors=True, title=True))
        return True

    def revert(self) -> bool:
        """Back to the scenario as last opened or saved (undoable); False if nothing changed."""
        self._make_real()
        if not self.dirty or self._saved is None:
            return False
        self._remember()
        self.scenario, self.result = self._saved, evaluate(self._saved, self.catalog)
        self.pending.clear()
        self.errors.clear()
        self._notify(Change(result=True, fields=True, errors=True, title=True))
        return True

    # ------------------------------------------------------------------ baseline
    def toggle_baseline(self) -> None:
        """Pin the current result as the baseline every figure is compared with, or unpin."""
        self._make_real()
        self.baseline = self.result if self.baseline is None else None
        self._notify(Change(result=True, baseline=True))

    # ------------------------------------------------------------------ files
    def load(self, scenario: Scenario, path: Path | None) -> None:
        """Replace the scenario (an opened preset, a tour stop). Raises WhatifError if the
        engine rejects it; nothing changes then. Starts a new history."""
        self._make_real()
        result = evaluate(scenario, self.catalog)
        had_errors = bool(self.errors)
        self.scenario, self.result, self.path = scenario, result, path
        self._saved = scenario
        self.pending.clear()
        self.errors.clear()
        self._undo.clear()
        self._redo.clear()
        self._typing_key = None
        # errors only if some were shown: their repaint includes the status line, at the
        # screen's bottom, which made a follower's first frame (a presenter's state is
        # loaded here) span the whole screen; the status follows with the second frame.
        self._notify(Change(result=True, fields=True, errors=had_errors, title=True, tour=self.tour is not None))

    def mirror(self, scenario: Scenario, *, baseline: Scenario | None = None, stop_index: int | None = None) -> None:
        """Show someone else's scenario as it is (a presenter's, followed live): loaded as if
        opened, so it is not unsaved here, with their baseline and tour stop. Raises
        WhatifError if the engine rejects either scenario; nothing changes then."""
        self._make_real()
        baseline_result = None
        if baseline is not None:
            same = self.baseline is not None and self.baseline.scenario == baseline
            baseline_result = self.baseline if same else evaluate(baseline, self.catalog)
        stop = self.stop_index
        if stop_index is not None and self.tour is not None and 0 <= stop_index < len(self.tour.stops):
            stop = stop_index
        if scenario != self.scenario or self.dirty:
            kept = self.baseline, self.stop_index
            self.baseline, self.stop_index = baseline_result, stop
            try:
                self.load(scenario, self.tour.stops[stop].path if self.tour is not None else None)
            except WhatifError:
                self.baseline, self.stop_index = kept
                raise
        elif baseline_result is not self.baseline or stop != self.stop_index:
            tour_moved = stop != self.stop_index
            self.baseline, self.stop_index = baseline_result, stop
            self._notify(Change(result=True, baseline=True, tour=tour_moved))

    def recover(self, scenario: Scenario, source: Path | None, pending: dict[str, Any] | None = None) -> None:
        """Take back edits from a recovery file: `scenario` (with `pending` invalid edits
        re-typed), made to the preset at `source`. It stays unsaved: dirty against the file
        as it is on disk now. Raises WhatifError (nothing changes) if the engine rejects it."""
        self._make_real()
        self.load(scenario, source)
        try:
            self._saved = load_preset(source) if source is not None else None
        except WhatifError:
            self._saved = None  # the file is gone or broken: everything here is unsaved
        for key, value in (pending or {}).items():
            if key in BY_KEY:
                self.pending[key] = value
        if self.pending:
            self._apply_pending()
        self._notify(Change(title=True))

    def open(self, path: Path) -> None:
        """Load the preset at `path`; raises WhatifError naming the file and key."""
        self._make_real()
        self.load(load_preset(path), path)

    def saved_as(self, path: Path) -> None:
        """The scenario was written to `path`: it is now the file's content."""
        self._make_real()
        self.path = path
        self._saved = self.scenario
        self._notify(Change(title=True))

    def file_rewritten(self, scenario: Scenario) -> None:
        """Another tab saved `scenario` to this tab's file: this tab's scenario stays as it
        is, unsaved against the file's new content unless they are the same."""
        self._make_real()
        self._saved = scenario
        self._notify(Change(title=True))

    # ------------------------------------------------------------------ tour
    def can_go(self, step: int) -> bool:
        return self.tour is not None and 0 <= self.stop_index + step < len(self.tour.stops)

    def go_stop(self, index: int) -> None:
        """Open stop `index` of the tour; raises WhatifError (nothing changes) if it does not load."""
        self._make_real()
        if self.tour is None or not 0 <= index < len(self.tour.stops):
            return
        path = self.tour.stops[index].path
        scenario = load_preset(path)
        self.stop_index = index
        self.load(scenario, path)


def _detail(exc: WhatifError, key: str) -> str:
    """The engine's message without the 'group.key: ' prefix (the field shows the key)."""
    return str(exc).removeprefix(f"{key}: ")
