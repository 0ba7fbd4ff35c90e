"""Compare view: up to six scenarios side by side, deltas against the first column.

Opens with the current scenario as the first column. `a` adds the current scenario again
(change it in the main screen, come back, add), the Chip and Cooling selects switch the
selected column (left/right moves between columns), `d` removes it, `e` exports the table.
Every cell is "value" or "value (delta vs first)". Under the table, "why": the selected
column's change against the first, split between the inputs that differ (Shapley,
engine/analysis/attribution.py), e.g. "Cost -$38M: chip -$29M, cooling -$4M, region -$5M".
A change the engine rejects (a chip that lacks the precision) is reported in the status line
and the column keeps its last state.

ExportScreen (also used for the current result) asks for a file name; the extension picks
the format (.md, .csv, .json). The app's file flows (tui.files) confirm and write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from whatif.engine.analysis.compare import MAX_COLUMNS, SETUP_ROWS, Column, Comparison, short_names, unique_names
from whatif.engine.analysis.export import FORMATS
from whatif.engine.catalog import Catalog, load_catalog
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, Result, evaluate
from whatif.engine.scenario import Scenario
from whatif.engine.units import QUANTITIES
from whatif.tui.widgets.keybar import KeyBar
from whatif.tui.widgets.ordered_keys import InOrderInput  # ctrl+u, backspace in order with typing


class CompareScreen(Screen):
    DEFAULT_CSS = """
    CompareScreen #compare-why { height: auto; max-height: 4; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back", id="compare.close"),
        Binding("a", "add_current", "Add current", id="compare.add"),
        Binding("d", "remove_column", "Remove column", id="compare.remove"),
        Binding("e", "export", "Export", id="compare.export"),
    ]

    class AddCurrent(Message):
        """`a` pressed: the app answers with add_column(current scenario)."""

        def __init__(self, screen: CompareScreen) -> None:
            super().__init__()
            self.screen = screen

    class ExportRequested(Message):
        def __init__(self, comparison: Comparison, done: Callable[[Path], object]) -> None:
            super().__init__()
            self.comparison, self.done = comparison, done

    def __init__(self, scenarios: list[tuple[str, Scenario]], catalog: Catalog | None = None) -> None:
        super().__init__()
        self.catalog = catalog or load_catalog()
        self.entries: list[tuple[str, Scenario, Result]] = []
        for name, scenario in scenarios[:MAX_COLUMNS]:
            self.entries.append((name, scenario, evaluate(scenario, self.catalog)))
        self.selected = 0

    # ------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        with Horizontal(id="compare-bar"):
            yield Label("Chip")
            _, first, result = self.entries[0]
            yield Select(sorted((chip.name, key) for key, chip in self.catalog.chips.items()),
                         value=first.cluster.chip, allow_blank=False, id="compare-chip")
            yield Label("Cooling")
            yield Select([(key, key) for key in self.catalog.cooling], allow_blank=False,
                         value=result.resolved.cooling.key, id="compare-cooling")
        yield DataTable(id="compare-table", cursor_type="column", zebra_stripes=True)
        yield Static("", id="compare-why")
        yield Static("", id="compare-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.rebuild()
        self.query_one("#compare-table", DataTable).focus()

    def comparison(self) -> Comparison:
        names = unique_names(short_names([name for name, _, _ in self.entries]))
        return Comparison([Column(n, r) for n, (_, _, r) in zip(names, self.entries)])

    def rebuild(self) -> None:
        """Redraw the whole table (columns change shape when one is added or removed)."""
        table = self.query_one("#compare-table", DataTable)
        table.clear(columns=True)
        c = self.comparison()
        table.add_column("", key="label")
        for i, col in enumerate(c.columns):
            table.add_column(_header(col.name, base=i == 0), key=f"col{i}")
        for key, label in SETUP_ROWS:
            table.add_row(label, *(c.setup_text(i, key) for i in range(len(c.columns))), key=f"setup:{key}")
        for name in NUMERIC_OUTPUTS:
            cells = []
            for i in range(len(c.columns)):
                delta = c.delta_text(i, name)
                cell = Text(c.cell(i, name))
                if delta and delta != "same":
                    cell.append(f" ({delta})", style="dim")
                cells.append(cell)
            table.add_row(QUANTITIES[name].label, *cells, key=name)
        warn = [", ".join(col.result.warning_codes()) or "-" for col in c.columns]
        table.add_row("Warnings", *warn, key="warnings")
        self.selected = min(self.selected, len(self.entries) - 1)
        table.move_cursor(column=self.selected + 1)
        self._sync_selects()
        self._status(f"{len(self.entries)} of {MAX_COLUMNS} columns · deltas against the first · "
                     "←/→ select a column, then switch its chip or cooling")

    def explain_selected(self) -> str:
        """Why the selected column differs from the first (empty for the first column)."""
        why = self.query_one("#compare-why", Static)
        if self.selected == 0 or len(self.entries) < 2:
            text = "Select a column to see why it differs from the first (→)." if len(self.entries) > 1 else ""
        else:
            from whatif.engine.analysis.attribution import explain

            try:
                players, splits = explain(self.entries[0][1], self.entries[self.selected][1], catalog=self.catalog)
                text = ("Why it differs from the first: " + "; ".join(s.text() for s in splits[:2])
                        if players else "Same inputs as the first column.")
            except WhatifError as exc:
                text = f"Why: {exc}"
        why.update(Text(text))
        return text

    def _sync_selects(self) -> None:
        self.explain_selected()
        _, scenario, result = self.entries[self.selected]
        chip, cooling = self.query_one("#compare-chip", Select), self.query_one("#compare-cooling", Select)
        with chip.prevent(Select.Changed):
            chip.value = scenario.cluster.chip
        with cooling.prevent(Select.Changed):
            cooling.value = result.resolved.cooling.key

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#compare-status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")

    # ------------------------------------------------------------- events
    @on(DataTable.ColumnHighlighted, "#compare-table")
    def _column(self, event: DataTable.ColumnHighlighted) -> None:
        if event.cursor_column != event.data_table.cursor_column:
            return                                      # stale: the table was rebuilt since
        if event.cursor_column == 0:
            event.data_table.move_cursor(column=1)      # the label column is not a scenario
            return
        self.selected = min(event.cursor_column - 1, len(self.entries) - 1)
        self._sync_selects()

    @on(Select.Changed, "#compare-chip")
    def _chip(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != self.entries[self.selected][1].cluster.chip:   # not an echo of _sync_selects
            self.set_column(self.selected, {"cluster.chip": event.value})

    @on(Select.Changed, "#compare-cooling")
    def _cooling(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != self.entries[self.selected][2].resolved.cooling.key:
            self.set_column(self.selected, {"facility.cooling": event.value})

    def set_column(self, index: int, values: dict) -> bool:
        """Change column `index` (e.g. its chip); False, with the reason shown, if rejected."""
        name, scenario, _ = self.entries[index]
        try:
            changed = scenario.with_values(values)
            result = evaluate(changed, self.catalog)
        except WhatifError as exc:
            self._status(f"{name}: {exc}", error=True)
            self._sync_selects()
            return False
        if "cluster.chip" in values:
            name = f"{result.resolved.chip.name.split(' (')[0]}"
        elif "facility.cooling" in values:
            name = f"{name.split(' · ')[0]} · {result.resolved.cooling.key}"
        self.entries[index] = (name, changed, result)
        self.rebuild()
        return True

    def action_add_current(self) -> None:
        if len(self.entries) >= MAX_COLUMNS:
            self._status(f"at most {MAX_COLUMNS} columns; remove one first (d)", error=True)
            return
        self.post_message(self.AddCurrent(self))

    def add_column(self, name: str, scenario: Scenario) -> None:
        """Add `scenario` as the last column (the app answers AddCurrent with this)."""
        if len(self.entries) >= MAX_COLUMNS:
            return
        self.entries.append((name, scenario, evaluate(scenario, self.catalog)))
        self.selected = len(self.entries) - 1
        self.rebuild()

    def action_remove_column(self) -> None:
        if len(self.entries) <= 1:
            self._status("the last column stays", error=True)
            return
        del self.entries[self.selected]
        self.selected = max(0, self.selected - 1)
        self.rebuild()

    def action_export(self) -> None:
        self.post_message(self.ExportRequested(self.comparison(), lambda path: self._status(f"wrote {path}")))

    def action_close(self) -> None:
        self.dismiss(None)


class ExportScreen(ModalScreen[tuple[Path, str] | None]):
    """Ask where to export; the extension picks the format. Dismisses with (path, format)
    once `resolve` (the app's write policy) allows the path; the file flows confirm and write."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export.cancel")]

    def __init__(self, suggestion: Path, resolve: Callable[[str], Path | str], comparison: bool = False) -> None:
        super().__init__()
        self.suggestion, self.resolve, self.comparison = suggestion, resolve, comparison

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export") as box:
            box.border_title = "Export comparison" if self.comparison else "Export results"
            yield Static("The extension picks the format: .md, .csv or .json.", classes="dialog-note")
            yield InOrderInput(str(self.suggestion), id="export-path", select_on_focus=False)
            yield Static("", id="export-error", classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export-ok":
            self.submit()
        else:
            self.action_cancel()

    def submit(self) -> None:
        error = self.query_one("#export-error", Static)
        target = self.resolve(self.query_one("#export-path", Input).value)
        if isinstance(target, str):
            error.update(Text(target))
            return
        fmt = target.suffix.lstrip(".").lower().replace("markdown", "md")
        if fmt not in FORMATS:
            error.update(Text(f"unknown extension '{target.suffix}'; use .md, .csv or .json"))
            return
        self.dismiss((target, fmt))

    def action_cancel(self) -> None:
        self.dismiss(None)


def _header(name: str, base: bool, width: int = 22) -> str:
    """A column header short enough for three columns at 80 terminal columns."""
    suffix = " (base)" if base else ""
    room = width - len(suffix)
    return (name if len(name) <= room else name[: room - 1] + "…") + suffix
