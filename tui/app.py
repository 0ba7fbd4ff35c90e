"""The whatif app: input panels on the left, live results on the right.

Extending the results (Chart, Compare, Claims, Uncertainty panes...)
--------------------------------------------------------------------
* Results live in the TabbedContent `#tabs`; its first pane is "Results" (`#tab-results`).
  Add a pane from your own module, e.g. in a mount hook or a command:

      from textual.widgets import TabPane
      await app.query_one("#tabs", TabbedContent).add_pane(TabPane("Chart", ChartView(), id="tab-chart"))

  or subclass WhatifApp and extend `result_panes()` (yields extra TabPanes at compose time).
* A widget that subclasses `tui.widgets.base.ResultView` (a mixin: `class ChartView(ResultView,
  Static)`) gets `update_result(result, baseline_result_or_None)` after every successful
  recompute, and once when mounted. Update in place; it runs on every keystroke.
* `app.scenario` is the current valid engine Scenario, `app.result` the last good engine
  Result, `app.baseline` the pinned baseline Result or None.
* A costly view may set `update_when_hidden = False`: while its TabPane is not the active
  tab it is skipped, and updated when the tab is shown (keeps keystrokes fast). Plain attributes, not reactives
  (a reactive scenario forced full repaints).
* `app.apply_values({"cluster.count": 32768, ...})` sets scenario inputs, validated by the
  engine, updates the input fields and recomputes; it returns the new Result or raises
  WhatifError (nothing changes then). A goal-seek dialog uses it.

Keys: see BINDINGS (every one has an id, shows in the footer or the help screen) and the
command palette (ctrl+p), which lists every action, every explainable number and every chip.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.widgets import Input, Static, TabbedContent, TabPane, Tabs

from whatif.engine.catalog import Catalog, load_catalog
from whatif.engine.claims import check_claims
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result, evaluate
from whatif.engine.presets import (dumps_preset, list_presets, load_preset, save_preset, shipped_presets_dir,
                            user_presets_dir)
from whatif.engine.scenario import Scenario
from whatif.engine.units import QUANTITIES
from whatif.engine.tours import Tour
from whatif.tui.widgets.base import ResultView
from whatif.tui.widgets.fields import (BLANK_PROMPTS, BY_WIDGET_ID, FIELDS, REQUIRED, ChipField, ChoiceField,
                                FieldRow, FieldSpec, InputPanels, MoreFields, PickerField, format_value, hint,
                                parse_text)
from whatif.tui.widgets.keybar import KeyBar
from whatif.tui.widgets.results import DetailTable, Headline, WarningsView, can_explain, set_text
from whatif.tui.widgets.titlebar import TitleBar
from whatif.tui.widgets.uncertainty import UncertaintyStrip

DEMO_ENV = "WHATIF_DEMO"
# Result panes whose view is built the first time the tab is shown:
# pane id -> (tab title, module, view class, view id).
LAZY_PANES: dict[str, tuple[str, str, str, str]] = {
    "tab-chart": ("Chart", "whatif.tui.widgets.chart", "SweepChart", "chart"),
    "tab-sensitivity": ("Sensitivity", "whatif.tui.widgets.chart", "TornadoView", "tornado"),
    "tab-uncertainty": ("P10/P90", "whatif.tui.widgets.uncertainty_view", "UncertaintyView", "uncertainty"),
}


def demo_mode() -> bool:
    """Set by the SSH server: only ever write inside the per-session user preset folder."""
    return os.environ.get(DEMO_ENV) == "1"


class InputsScroll(VerticalScroll, can_focus=False):
    """Scrolls the input panels. Not focusable itself, so Tab goes from field to field and
    typing edits at once."""


class MainScreen(Screen):
    """The app's default screen. Its widgets are styled when they mount; Textual restyles
    the whole tree again when a screen is first shown (~1/3 of the work between mounting and
    the first frame), needed only when a screen comes back after styles changed."""

    _resumed_once = False
    # Focus lands here when the screen first shows. Focusing it from on_mount instead first
    # gave focus to the inputs' scroll container and then took it away, and each change
    # restyled every input row (~70 ms of start-up).
    AUTO_FOCUS = f"#{FIELDS['workload.params_b'].widget_id}"

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (which does the work) for the same event.
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False


class WhatifApp(App):
    CSS_PATH = ["app.tcss", "widgets/claims.tcss", "widgets/analysis.tcss"]
    TITLE = "whatif"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    BINDINGS = [
        Binding("ctrl+b", "toggle_baseline", "Baseline", id="baseline.toggle",
                tooltip="Pin the current result as baseline (again to unpin)"),
        Binding("ctrl+o", "open_preset", "Open", id="preset.open"),
        Binding("ctrl+s", "save", "Save", id="preset.save"),
        Binding("f2", "save_as", "Save as", id="preset.save_as"),
        Binding("ctrl+t", "show_toml", "TOML", id="preset.show_toml", show=False),
        Binding("pagedown", "tour_next", "Next stop", id="tour.next", priority=True),
        Binding("pageup", "tour_previous", "Prev stop", id="tour.previous", priority=True),
        Binding("ctrl+g", "goal_seek", "Goal seek", id="analysis.goal_seek"),
        Binding("ctrl+r", "compare", "Compare", id="analysis.compare"),
        Binding("f6", "export", "Export", id="analysis.export", show=False,
                tooltip="Export the results as Markdown, CSV or JSON"),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", id="app.help_key", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, path: str | Path | None = None, *, tour: Tour | None = None,
                 scenario: Scenario | None = None) -> None:
        """Open `path` (a preset), the first stop of `tour`, or `scenario` as is.
        Raises WhatifError for a preset that does not load (before any screen is drawn)."""
        super().__init__()
        self.catalog: Catalog = load_catalog()
        self.tour = tour
        self.stop_index = 0
        if tour is not None:
            path = tour.stops[0].path
        self.path: Path | None = Path(path) if path is not None else None
        if scenario is None:
            if self.path is None:
                from whatif.engine.presets import default_preset_path
                self.path = default_preset_path()
            scenario = load_preset(self.path)
        self.scenario: Scenario = scenario
        self.result: Result = evaluate(scenario, self.catalog)
        self.baseline: Result | None = None
        self._saved_dump: dict[str, Any] = scenario.model_dump()
        self._pending: dict[str, Any] = {}
        self._errors: dict[str, str] = {}
        self._confirmed_overwrite: set[Path] = set()
        self._dirty_shown: bool | None = None
        self._editors: dict[str, Input | PickerField] = {}
        self._unbuilt: set[str] = set()
        self._rows: dict[str, FieldRow] | None = None
        self._errors_shown: dict[str, str] = {}
        self._widgets: dict[str, Widget] = {}
        self._deferred: set[ResultView] = set()
        self._claims_view_mounted = False
        self._claims_tab_hidden = False
        # Called once the first frame is on screen (tui.launch resumes garbage collection).
        self.after_first_frame: Callable[[], object] | None = None

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        # Give the screen its breakpoint classes before any child exists: set later (on the
        # first Resize) they restyle every widget again, ~17 % of start-up work.
        self._preset_breakpoints()
        yield TitleBar()
        yield Static("", id="tour-band")
        with Horizontal(id="main"):
            with InputsScroll(id="inputs"):
                yield InputPanels(self.catalog, self.scenario)
            with Vertical(id="results"):
                yield Static("", id="stale-banner")
                yield Headline(id="headline")
                yield UncertaintyStrip(id="uncertainty-strip")
                with TabbedContent(id="tabs"):
                    with TabPane("Results", id="tab-results"):
                        yield WarningsView(id="warnings")
                        yield DetailTable(id="detail")
                    # Hidden for scenarios without claims; ClaimsView is mounted for the first
                    # scenario that has some (_sync_claims_pane) and then runs the tab itself.
                    yield TabPane("Claims", id="tab-claims")
                    # Filled when first shown (_fill_lazy_pane): fewer widgets and imports before
                    # the first frame; each view brings itself up to date when it mounts.
                    for pane_id, (title, *_view) in LAZY_PANES.items():
                        yield TabPane(title, id=pane_id)
                    yield from self.result_panes()
        yield Static("", id="status")
        yield KeyBar()

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def _preset_breakpoints(self) -> None:
        width, height = self.size
        classes = {name: False for _, name in (*self.HORIZONTAL_BREAKPOINTS, *self.VERTICAL_BREAKPOINTS)}
        for dimension, points in ((width, self.HORIZONTAL_BREAKPOINTS), (height, self.VERTICAL_BREAKPOINTS)):
            chosen = [name for limit, name in sorted(points) if dimension >= limit]
            if chosen:
                classes[chosen[-1]] = True
        self.screen.update_classes(classes, update=False)

    def result_panes(self) -> Iterable[TabPane]:
        """Extra result panes (subclasses or other modules extend this)."""
        return ()

    def on_mount(self) -> None:
        self.query_one("#tour-band").display = self.tour is not None
        self.query_one("#stale-banner").display = False
        self._fill_fields()
        self._show_result()
        self._show_errors()
        self._update_title()
        self._show_tour_band()
        # Views that re-render from on_resize (the P10/P90 strip) change height during the
        # first layout pass, which Textual does not re-measure: lay out once more after it.
        self.call_after_refresh(self._relayout_views)
        if self.after_first_frame is not None:
            self.call_after_refresh(self.after_first_frame)
        # Table cells carry colours taken from the theme: repaint them when it changes.
        self.theme_changed_signal.subscribe(self, lambda _theme: self._show_result())

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        # Widgets set classes while they are built (Input(compact=True) does in __init__);
        # each such change restyled a node that is styled anyway when it mounts.
        if node is self or node.is_attached:
            super().update_styles(node, animate)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._relayout_views)

    def _relayout_views(self) -> None:
        for view in self.result_views():
            view.refresh(layout=True)  # type: ignore[attr-defined]

    # ------------------------------------------------------------ public API
    def apply_values(self, values: dict[str, Any]) -> Result:
        """Set scenario inputs ('group.key' -> value), validated by the engine, show them in
        the fields and recompute. Raises WhatifError and changes nothing if invalid."""
        candidate = self.scenario.with_values(values)
        result = evaluate(candidate, self.catalog)
        for key in values:
            self._pending.pop(key, None)
            self._errors.pop(key, None)
        self.scenario, self.result = candidate, result
        for key in values:
            if key in FIELDS:
                self._set_field(FIELDS[key], candidate.get(key))
        self._show_result()
        self._show_errors()
        self._update_title()
        return result

    @property
    def dirty(self) -> bool:
        return bool(self._pending) or self.scenario.model_dump() != self._saved_dump

    @property
    def stale(self) -> bool:
        return bool(self._errors)

    # ------------------------------------------------------------ fields
    def _cached(self, selector: str) -> Widget:
        """query_one, remembered: these widgets live as long as the app."""
        widget = self._widgets.get(selector)
        if widget is None:
            widget = self._widgets[selector] = self.query_one(selector)
        return widget

    def _editor(self, spec: FieldSpec) -> Input | PickerField | None:
        """The field's editor, or None while it sits in a section not opened yet."""
        widget = self._editors.get(spec.key)
        if widget is None:
            if spec.key in self._unbuilt:
                return None  # known absent until its section opens (a DOM query per keystroke is slow)
            self._index_editors()
            widget = self._editors.get(spec.key)
        return widget

    def _index_editors(self) -> None:
        """Find every field editor in one walk of the main screen (a query per field walked
        the whole DOM each time: ~10 % of start-up)."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        found = {w.id: w for w in screen.walk_children(Widget) if w.id in BY_WIDGET_ID}
        for key, spec in FIELDS.items():
            if spec.widget_id in found:
                self._editors[key] = found[spec.widget_id]  # type: ignore[assignment]
                self._unbuilt.discard(key)
            else:
                self._unbuilt.add(key)

    def _set_field(self, spec: FieldSpec, value: Any) -> None:
        widget = self._editor(spec)
        if widget is None:
            return  # a section not opened yet: its fields start from app.scenario when opened
        if isinstance(widget, ChipField):
            # Inline [chips] of the preset are pickable too.
            widget.catalog = self.catalog.with_chips(self.scenario.chips, origin="preset [chips]")
            widget.value = value
        elif isinstance(widget, PickerField):
            widget.value = value
        else:
            with widget.prevent(Input.Changed):
                widget.value = format_value(value)
                widget.cursor_position = len(widget.value)

    def _fill_fields(self) -> None:
        for key, spec in FIELDS.items():
            self._set_field(spec, self.scenario.get(key))

    @on(Input.Changed, ".field-editor")
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        spec = BY_WIDGET_ID[event.input.id or ""]
        self.edit(spec.key, parse_text(spec, event.value))

    @on(PickerField.Changed)
    def _picked(self, event: PickerField.Changed) -> None:
        event.stop()
        self.edit(BY_WIDGET_ID[event.field.id or ""].key, event.value)

    def edit(self, key: str, value: Any) -> None:
        """One field's new value as typed or picked (None: back to the default); applied
        with any other pending edits if the engine accepts them, else marked on the field."""
        if value == self.scenario.get(key):
            # Back to the current value (or a widget echoing it): nothing to apply for this key.
            if self._pending.pop(key, None) is None and key not in self._errors:
                return
        else:
            self._pending[key] = value
        self._apply_pending()

    def _apply_pending(self) -> None:
        """Apply every pending edit that validates; keep the others marked. The scenario and
        result change only when the engine accepts the whole combination."""
        errors: dict[str, str] = {}
        good: dict[str, Any] = {}
        for key, value in self._pending.items():
            if value is None and key in REQUIRED:
                errors[key] = "required: type a number"
                continue
            try:
                self.scenario.with_values({key: value})
            except WhatifError as exc:
                errors[key] = _detail(exc, key)
            else:
                good[key] = value
        if good:
            try:
                candidate = self.scenario.with_values(good)
                result = evaluate(candidate, self.catalog)
            except WhatifError as exc:
                for key in good:
                    errors[key] = _detail(exc, key)
            else:
                self.scenario, self.result = candidate, result
                for key in good:
                    del self._pending[key]
                self._show_result()
        self._errors = errors
        self._show_errors()
        self._update_title()

    def _show_errors(self) -> None:
        # Touch only rows whose message changed: querying all ~30 rows cost ~30 ms a keystroke.
        if self._rows is None:
            self._rows = {row.spec.key: row for row in self.query(FieldRow)}
            changed = set(self._rows)
        else:
            changed = {k for k in {*self._errors, *self._errors_shown}
                       if self._errors.get(k) != self._errors_shown.get(k)}
        for key in changed:
            row = self._rows.get(key)
            if row is None:
                editor = self._editor(FIELDS[key]) if key in FIELDS else None
                if editor is None:
                    continue
                row = self._rows[key] = next(a for a in editor.ancestors if isinstance(a, FieldRow))
            row.set_error(self._errors.get(key))
        self._errors_shown = dict(self._errors)
        stale = self.stale
        self._cached("#results").set_class(stale, "-stale")
        banner: Static = self._cached("#stale-banner")  # type: ignore[assignment]
        banner.display = stale
        status: Static = self._cached("#status")  # type: ignore[assignment]
        status.set_class(stale, "-error")
        if stale:
            keys = ", ".join(self._errors)
            set_text(banner, f"STALE: showing the last good result; fix {keys}")
            key, message = next(iter(self._errors.items()))
            set_text(status, f"{key}: {message}")
        else:
            set_text(status, self._status_text())

    def _status_text(self) -> str:
        parts = []
        if self.baseline is not None:
            parts.append("baseline pinned (ctrl+b to unpin)")
        r = self.result.resolved
        parts.append(f"{self.scenario.cluster.count:,} x {r.chip.name} · {r.precision} · {r.cooling.key} · "
                     f"{r.region.key} · {r.mode}")
        return " │ ".join(parts)

    # ------------------------------------------------------------ results
    def result_views(self) -> list[ResultView]:
        """Every mounted ResultView on the main screen (panes added later included)."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        return [w for w in screen.walk_children() if isinstance(w, ResultView)]

    def _show_result(self) -> None:
        self._sync_claims_pane()
        for view in self.result_views():
            if not view.is_mounted:  # type: ignore[attr-defined]
                continue  # still mounting: ResultView's mount handler brings it up to date
            if not view.update_when_hidden and _in_hidden_pane(view):
                self._deferred.add(view)  # brought up to date when its tab is shown
                continue
            view.update_result(self.result, self.baseline)
        self._update_hints()
        if not self.stale:
            set_text(self._cached("#status"), self._status_text())  # type: ignore[arg-type]

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        self._fill_lazy_pane(event.pane)
        waiting = [v for v in self._deferred if not _in_hidden_pane(v)]
        for view in waiting:
            self._deferred.discard(view)
            if view.is_mounted:
                view.update_result(self.result, self.baseline)

    def _sync_claims_pane(self) -> None:
        """Until a scenario with claims arrives, keep the Claims tab hidden and its view
        unbuilt (a table and three texts less to build before the first frame)."""
        if self._claims_view_mounted:
            return
        if check_claims(self.result):
            from whatif.tui.widgets.claims import ClaimsView
            self._claims_view_mounted = True
            self.query_one("#tab-claims", TabPane).mount(ClaimsView(id="claims"))
        elif not self._claims_tab_hidden:
            try:
                self.query_one("#tabs", TabbedContent).hide_tab("tab-claims")
            except (Tabs.TabError, NoMatches):  # not mounted yet: again on the next result
                return
            self._claims_tab_hidden = True

    def _fill_lazy_pane(self, pane: TabPane) -> None:
        """Mount the view of a pane from LAZY_PANES the first time its tab is shown."""
        if pane.id not in LAZY_PANES or pane.children:
            return
        _title, module, class_name, view_id = LAZY_PANES[pane.id]
        view_class = getattr(importlib.import_module(module), class_name)
        pane.mount(view_class(id=view_id))

    def _update_hints(self) -> None:
        for spec in FIELDS.values():
            editor = self._editor(spec)
            if spec.resolved is not None and editor is not None:
                editor.placeholder = hint(spec, self.result)  # type: ignore[union-attr]
        r = self.result.resolved
        cooling = self._editor(FIELDS["facility.cooling"])
        if isinstance(cooling, ChoiceField):
            # Value first, like the other defaults ('1.5 catalog'): a narrow field cuts the origin.
            cooling.prompt = f"{r.cooling.key} {BLANK_PROMPTS['facility.cooling']}"

    def _update_title(self) -> None:
        dirty = self.dirty
        self.title = self.scenario.name or "whatif"
        name = self.path.name if self.path else "unsaved scenario"
        self.sub_title = f"{name} ● modified" if dirty else name

    # ------------------------------------------------------------ actions
    def action_toggle_baseline(self) -> None:
        if self.baseline is None:
            self.baseline = self.result
        else:
            self.baseline = None
        self._show_result()  # the status line says "baseline pinned"; deltas appear at once

    def _when_saved(self, then: Callable[[], object], question: str = "Discard unsaved changes?") -> None:
        """Run `then` now, or after the user agrees to drop unsaved changes."""
        if not self.dirty:
            then()
            return
        from whatif.tui.screens.dialogs import ConfirmScreen

        def answer(discard: bool | None) -> None:
            if discard:
                then()
        self.push_screen(ConfirmScreen(question, yes="Discard", no="Keep editing"), answer)

    async def action_quit(self) -> None:
        self._when_saved(self.exit, "Quit and discard unsaved changes?")

    def action_open_preset(self) -> None:
        from whatif.tui.screens.dialogs import PresetPicker

        def pick() -> None:
            self.push_screen(PresetPicker(self._preset_groups()), self._open_path)
        self._when_saved(pick)

    def _preset_groups(self) -> list[tuple[str, list[tuple[Path, str]]]]:
        shipped, user = shipped_presets_dir(), user_presets_dir()
        groups = []
        for title, folder in ((f"Shipped ({shipped})", shipped), (f"Yours ({user})", user)):
            entries = [(p, _preset_label(p)) for p in list_presets(folder)]
            groups.append((title, entries or []))
        return groups

    def _open_path(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            scenario = load_preset(path)
            self.load_scenario(scenario, path)
        except WhatifError as exc:
            self.notify(str(exc), title="Cannot open preset", severity="error", timeout=8)

    def load_scenario(self, scenario: Scenario, path: Path | None) -> None:
        """Replace the scenario (e.g. opened preset, tour stop). Raises WhatifError if the
        engine rejects it; the current state is kept then."""
        result = evaluate(scenario, self.catalog)
        self.scenario, self.result, self.path = scenario, result, path
        self._saved_dump = scenario.model_dump()
        self._pending.clear()
        self._errors.clear()
        self._fill_fields()
        self._show_result()
        self._show_errors()
        self._update_title()
        self._show_tour_band()

    def _may_write_silently(self, path: Path) -> bool:
        if path.resolve().is_relative_to(shipped_presets_dir().resolve()):
            return False  # shipped presets are never changed by a plain save
        if demo_mode() and not path.resolve().is_relative_to(user_presets_dir().resolve()):
            return False
        return True

    def action_save(self) -> None:
        if self.path is None or not self._may_write_silently(self.path):
            self.action_save_as()
            return
        if self.path.exists() and self.path not in self._confirmed_overwrite:
            self._confirm_overwrite(self.path)
            return
        self._write(self.path, overwrite=True)

    def action_save_as(self) -> None:
        from whatif.tui.screens.dialogs import SaveAsScreen
        folder = user_presets_dir()
        stem = self.path.stem if self.path else _slug(self.scenario.name) or "scenario"
        suggestion = folder / f"{stem}.toml"
        if self.path and self.path.parent.resolve() == folder.resolve():
            suggestion = self.path
        self.push_screen(SaveAsScreen(suggestion, folder, demo_mode(), self.scenario.name), self._save_target)

    def _save_target(self, answer: tuple[Path, str] | None) -> None:
        if answer is None:
            return
        path, name = answer
        if name != self.scenario.name:
            self.scenario = self.scenario.model_copy(update={"name": name})
        if path.exists():
            self._confirm_overwrite(path)
        else:
            self._write(path, overwrite=False)

    def _confirm_overwrite(self, path: Path) -> None:
        from whatif.tui.screens.dialogs import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self._confirmed_overwrite.add(path)
                self._write(path, overwrite=True)
        self.push_screen(ConfirmScreen(f"{path} exists. Overwrite it?", yes="Overwrite", no="Cancel"), answer)

    def _write(self, path: Path, *, overwrite: bool) -> None:
        try:
            written = save_preset(self.scenario, path, overwrite=overwrite)
        except WhatifError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=8)
            return
        except OSError as exc:
            self.notify(f"{path}: {exc.strerror}", title="Not saved", severity="error", timeout=8)
            return
        self._confirmed_overwrite.add(written)
        self.path = written
        self._saved_dump = self.scenario.model_dump()
        unsaved = f" ({len(self._errors)} invalid field(s) not saved)" if self._errors else ""
        self.notify(f"Saved {written}{unsaved}", timeout=4)
        self._update_title()

    def action_show_toml(self) -> None:
        from whatif.tui.screens.dialogs import TomlScreen
        self.push_screen(TomlScreen(dumps_preset(self.scenario)))

    def action_goal_seek(self) -> None:
        from whatif.tui.screens.goal_seek import GoalSeekScreen
        self.push_screen(GoalSeekScreen(self.result))

    def action_compare(self) -> None:
        from whatif.tui.screens.compare import CompareScreen
        self.push_screen(CompareScreen([(self.scenario.name or "Current", self.scenario)], self.catalog))

    def action_export(self) -> None:
        from whatif.tui.screens.compare import ExportScreen
        self.push_screen(ExportScreen(result=self.result))

    def action_help(self) -> None:
        from whatif.tui.screens.help import HelpScreen
        self.push_screen(HelpScreen())

    def action_explain(self, name: str) -> None:
        """Show how output `name` was computed (formula, values, origins)."""
        from whatif.tui.screens.dialogs import ExplainScreen, InputSourceScreen
        if name in self.result.resolved.values and not can_explain(name):
            label = QUANTITIES[name].label if name in QUANTITIES else name
            self.push_screen(InputSourceScreen(name, label, self.result.resolved.values[name],
                                               self.result.resolved.origins[name]))
            return
        if not can_explain(name):
            label = QUANTITIES[name].label if name in QUANTITIES else name
            self.notify(f"{label}: part of the power breakdown; explain Facility power or IT power for "
                        f"the formula.", timeout=5)
            return
        from whatif.engine.explain import explain
        self.push_screen(ExplainScreen(explain(self.result, name)))

    @on(DetailTable.RowSelected, "#detail")
    def _row_selected(self, event: DetailTable.RowSelected) -> None:
        event.stop()
        key = event.row_key
        table = event.table
        name = table.row_name(key)
        if name is None:
            return
        if key and key.startswith("in:") and name in ("mfu_in", "goodput_in"):
            name = name.removesuffix("_in")
        self.action_explain(name)

    # ------------------------------------------------------------ tour
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("tour_next", "tour_previous"):
            if self.tour is None:
                return False  # the keys then reach the focused widget (scrolling)
            step = 1 if action == "tour_next" else -1
            return True if 0 <= self.stop_index + step < len(self.tour.stops) else None
        return True

    def action_tour_next(self) -> None:
        self._go_stop(self.stop_index + 1)

    def action_tour_previous(self) -> None:
        self._go_stop(self.stop_index - 1)

    def _go_stop(self, index: int) -> None:
        if self.tour is None or not 0 <= index < len(self.tour.stops):
            return

        def go() -> None:
            stop = self.tour.stops[index]  # type: ignore[union-attr]
            try:
                scenario = load_preset(stop.path)
                self.stop_index = index
                self.load_scenario(scenario, stop.path)
            except WhatifError as exc:
                self.notify(str(exc), title="Cannot open tour stop", severity="error", timeout=8)
            self.refresh_bindings()
        self._when_saved(go, "Leave this stop and discard your changes?")

    def _show_tour_band(self) -> None:
        if self.tour is None:
            return
        from rich.text import Text

        stop = self.tour.stops[self.stop_index]
        s = self.scenario
        text = Text()
        text.append(f"Tour: {self.tour.title}", style="bold")
        text.append(f"  ·  stop {self.stop_index + 1}/{len(self.tour.stops)}  ·  PgDn next, PgUp back\n")
        text.append(s.name or stop.path.stem, style="bold")
        for extra in (stop.note, s.description):
            if extra:
                text.append(f"\n{extra}")
        self.query_one("#tour-band", Static).update(text)

    # ------------------------------------------------------------ palette
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.id and not binding.id.endswith("_key"):
                if self.check_action(binding.action, ()) is False:
                    continue
                yield SystemCommand(binding.description, binding.tooltip or f"{binding.description} "
                                    f"({binding.key})", lambda a=binding.action: self.run_action(a))
        from whatif.engine.explain import explainable
        for name in explainable():
            label = QUANTITIES[name].label if name in QUANTITIES else name
            yield SystemCommand(f"Explain {label}", f"how {name} is computed",
                                lambda n=name: self.action_explain(n))
        for key, chip in sorted(self.catalog.chips.items()):
            yield SystemCommand(f"Chip: {chip.name}", f"set cluster.chip = {key}",
                                lambda k=key: self._palette_set("cluster.chip", k))
        for key, spec in FIELDS.items():
            yield SystemCommand(f"Go to field: {spec.label}", key,
                                lambda s=spec: self.run_worker(self._focus_field(s)))

    def _palette_set(self, key: str, value: Any) -> None:
        try:
            self.apply_values({key: value})
        except WhatifError as exc:
            self.notify(str(exc), severity="error", timeout=8)

    async def _focus_field(self, spec: FieldSpec) -> None:
        for section in self.query(MoreFields):
            if spec in section.specs:
                await section.expand()
                self._unbuilt.clear()
        widget = self._editor(spec)
        if widget is not None:
            widget.focus()

    @on(MoreFields.Filled)
    def _section_filled(self, event: MoreFields.Filled) -> None:
        self._unbuilt.clear()
        self._update_hints()


def _in_hidden_pane(widget: Widget) -> bool:
    """True if `widget` sits in a TabPane that is not the active one of its TabbedContent."""
    for node in widget.ancestors:
        if isinstance(node, TabPane):
            tabs = next((a for a in node.ancestors if isinstance(a, TabbedContent)), None)
            if tabs is not None and tabs.active != node.id:
                return True
    return False


def _detail(exc: WhatifError, key: str) -> str:
    """The engine's message without the 'group.key: ' prefix (the field shows the key)."""
    text = str(exc)
    return text.removeprefix(f"{key}: ")


def _slug(name: str) -> str:
    return "-".join("".join(c.lower() if c.isalnum() else " " for c in name).split())[:40]


def _preset_label(path: Path) -> str:
    try:
        name = load_preset(path).name
    except WhatifError:
        name = "(does not load)"
    return f"{path.name:<28} {name}"
