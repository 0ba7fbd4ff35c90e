"""Compare the open tabs: one column per tab, deltas against the reference tab.

The reference is the first tab, or the one pinned with `p` (the workspace remembers it).
Its column stands right after the row labels and neither ever scrolls off; the other tabs
follow in tab order, as many whole columns as fit, and left/right select one (the window
scrolls by whole columns). A value and its delta are never cut: when the full delta
('-37.5 days, -48.9 %') leaves no room for a second column, deltas shorten to their
relative part ('-48.9 %'). Nothing is recomputed: each column is its tab's current result.

Enter edits the selected tab (closes the view there), `e` exports the table (reference
first), `v` opens the chip and cooling variants of the selected tab (tui.screens.compare).
The columns are the tabs themselves, so they are all there again the next time.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from whatif.engine.analysis.compare import SETUP_ROWS, Comparison
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS
from whatif.engine.units import QUANTITIES
from whatif.tui.widgets.keybar import KeyBar
from whatif.tui.workspace import Workspace

# The headline figures first (the main screen's cards), then every other output.
HEADLINE_OUTPUTS = ("training_days", "cost_usd", "facility_mw", "energy_mwh", "co2_t", "capex_usd")
OUTPUT_ROWS = HEADLINE_OUTPUTS + tuple(n for n in NUMERIC_OUTPUTS if n not in HEADLINE_OUTPUTS)
GAP = 2       # cells between columns
MIN_NAME = 6  # a header keeps at least this much of the tab's name
HEAD_LINES = 2


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[tuple[str, str]]    # per column: (value, delta)
    key: str = ""                   # output or setup key; '' for a blank line


def build_rows(c: Comparison, compact: bool) -> list[Row]:
    """Every row's texts. `compact`: only the relative part of each delta."""
    n = range(len(c.columns))
    rows = [Row(label, [(c.setup_text(i, key), "") for i in n], key) for key, label in SETUP_ROWS]
    rows.append(Row("", [("", "")] * len(c.columns)))
    for name in OUTPUT_ROWS:
        cells = []
        for i in n:
            delta = c.delta_text(i, name)
            if delta == "same":
                delta = "="
            elif compact and ", " in delta:
                delta = delta.rpartition(", ")[2]
            cells.append((c.cell(i, name), delta))
        rows.append(Row(QUANTITIES[name].label, cells, name))
    rows.append(Row("Warnings", [(", ".join(col.result.warning_codes()) or "-", "") for col in c.columns], "warnings"))
    return rows


@dataclass(frozen=True)
class Layout:
    """Which columns show, in which order, how wide."""

    order: list[int]                 # the reference, then the visible others
    label_width: int
    value_widths: dict[int, int]
    delta_widths: dict[int, int]
    compact: bool
    hidden_left: int
    hidden_right: int

    def width(self, column: int) -> int:
        delta = self.delta_widths[column]
        return self.value_widths[column] + (GAP + delta if delta else 0)


def plan(c: Comparison, selected: int, first: int, width: int) -> tuple[Layout, list[Row], int]:
    """Fit the columns into `width` cells keeping `selected` visible; `first` is the first
    other column shown so far (the window moves only as far as it must). Returns the
    layout, the rows and the new `first`."""
    best: tuple[Layout, list[Row], int] | None = None
    for compact in (False, True):  # full deltas, unless shorter ones show more columns
        rows = build_rows(c, compact)
        layout, start = _fit(c, rows, selected, first, width, compact)
        if best is None or len(layout.order) > len(best[0].order):
            best = (layout, rows, start)
        if len(layout.order) == len(c.columns) or len(layout.order) >= 3:  # all, or the reference and two
            break
    assert best is not None
    return best


def _fit(c: Comparison, rows: list[Row], selected: int, first: int, width: int,
         compact: bool) -> tuple[Layout, int]:
    ref = c.reference
    label_width = max(len(r.label) for r in rows)
    sized = [r for r in rows if r.key != "warnings"]  # warning codes are shortened to fit instead
    values = {i: max(len(r.cells[i][0]) for r in sized) for i in range(len(c.columns))}
    deltas = {i: max(len(r.cells[i][1]) for r in sized) for i in range(len(c.columns))}
    heads = {i: MIN_NAME + 2 + 6 * (i == ref) for i in range(len(c.columns))}  # '1 ' and ' ◆ ref' around it
    for i in values:  # a column is at least as wide as the start of its header
        if values[i] + (GAP + deltas[i] if deltas[i] else 0) < heads[i]:
            values[i] = heads[i] - (GAP + deltas[i] if deltas[i] else 0)
    layout = Layout([ref], label_width, values, deltas, compact, 0, 0)
    others = [i for i in range(len(c.columns)) if i != ref]
    if not others:
        return layout, 0
    room = width - label_width - GAP - layout.width(ref)
    pos = others.index(selected) if selected in others else 0
    first = min(max(first, 0), len(others) - 1)
    first = min(first, pos)

    def fits(start: int, end: int) -> bool:
        return sum(layout.width(others[k]) + GAP for k in range(start, end + 1)) <= room
    while first < pos and not fits(first, pos):
        first += 1
    if not fits(first, pos):
        return Layout([ref], label_width, values, deltas, compact, first, len(others) - first), first
    end = pos
    while end + 1 < len(others) and fits(first, end + 1):
        end += 1
    while first > 0 and fits(first - 1, end):  # room left: show earlier columns too
        first -= 1
    return Layout([ref, *others[first:end + 1]], label_width, values, deltas, compact, first,
                  len(others) - end - 1), first


def render_head(c: Comparison, layout: Layout, selected: int, styles: dict[str, object]) -> Text:
    text = Text(no_wrap=True, overflow="crop", end="")
    # Where the hidden columns are, in the label column's room (it is at least 'Warnings').
    more = " ".join(part for part in (f"◀{layout.hidden_left}" if layout.hidden_left else "",
                                      f"{layout.hidden_right}▶" if layout.hidden_right else "") if part)
    if more and len(more) + 9 <= layout.label_width:
        more = f"more: {more}"
    text.append(more.ljust(layout.label_width + GAP), styles["delta"])
    lines = {i: _head_lines(c, i, layout.width(i)) for i in layout.order}
    for line in range(HEAD_LINES):
        if line:
            text.append("\n" + " " * (layout.label_width + GAP))
        for i in layout.order:
            text.append(lines[i][line].ljust(layout.width(i)), styles["selected"] if i == selected else styles["head"])
            text.append(" " * GAP)
    return text


def _head_lines(c: Comparison, index: int, width: int) -> list[str]:
    """The column's name (its tab's number and name) over HEAD_LINES lines of `width`, the
    end cut with '…'; the reference's last line ends in its mark."""
    mark = " ◆ ref" if index == c.reference else ""
    lines = textwrap.wrap(c.columns[index].name, width) or [""]
    if len(lines) > HEAD_LINES or mark:
        last, room = " ".join(lines[HEAD_LINES - 1:]), width - len(mark)
        if len(last) > room:
            last = last[: room - 1].rstrip() + "…"
        lines = lines[: HEAD_LINES - 1] + [last + mark]
    return (lines + [""] * HEAD_LINES)[:HEAD_LINES]


def render_body(rows: list[Row], layout: Layout, styles: dict[str, object]) -> Text:
    text = Text(no_wrap=True, overflow="crop", end="")
    for n, row in enumerate(rows):
        if n:
            text.append("\n")
        text.append(row.label.ljust(layout.label_width + GAP), styles["label"])
        for i in layout.order:
            value, delta = row.cells[i]
            if row.key == "warnings":  # codes, not figures: shortened to the column, left-aligned
                width = layout.width(i)
                text.append((value if len(value) <= width else value[: width - 1] + "…").ljust(width + GAP))
                continue
            text.append(value.rjust(layout.value_widths[i]))
            if layout.delta_widths[i]:
                text.append(" " * GAP + delta.ljust(layout.delta_widths[i]), styles["delta"])
            text.append(" " * GAP)
    return text


class CompareBody(VerticalScroll):
    """The rows; scrolls up and down (left and right select columns instead)."""


class TabsCompareScreen(Screen):
    DEFAULT_CSS = """
    TabsCompareScreen { layout: vertical; }
    TabsCompareScreen #tabs-compare-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    TabsCompareScreen #tabs-compare-head { height: 2; padding: 0 1; text-style: bold; }
    TabsCompareScreen CompareBody { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    TabsCompareScreen #tabs-compare-why { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    TabsCompareScreen #tabs-compare-status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", "Back", id="tabs_compare.close"),
        Binding("left", "select(-1)", "Column left", id="tabs_compare.left", show=False, priority=True),
        Binding("right", "select(1)", "Column right", id="tabs_compare.right", show=False, priority=True),
        # Short words: at 80 columns every key fits beside Quit, Help and the palette.
        Binding("enter", "edit_selected", "Edit", id="tabs_compare.edit", tooltip="Edit the selected tab"),
        Binding("p", "pin", "Pin", id="tabs_compare.pin",
                tooltip="Pin the selected tab as the reference (again: back to the first tab)"),
        Binding("e", "export", "Export", id="tabs_compare.export", tooltip="Export the table, reference first"),
        Binding("v", "variants", "Variants", id="tabs_compare.variants",
                tooltip="Vary the selected tab's chip and cooling side by side"),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.selected = workspace.active_index
        self._first = 0
        self.comparison = workspace.comparison()
        self.grid: Layout | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="tabs-compare-title")
        yield Static("", id="tabs-compare-head")
        with CompareBody(id="tabs-compare-body"):
            yield Static("", id="tabs-compare-rows")
        yield Static("", id="tabs-compare-why")
        yield Static("", id="tabs-compare-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(CompareBody).focus()

    def on_screen_resume(self) -> None:
        self.rebuild()  # shown, or back from a dialog (a preset opened in a tab, the variants)

    def on_resize(self) -> None:
        self.call_after_refresh(self.show)

    def rebuild(self) -> None:
        """Take the tabs' results again (after a pin, or back from the variants)."""
        self.comparison = self.workspace.comparison()
        self.selected = min(self.selected, len(self.comparison.columns) - 1)
        self.show()

    def _styles(self) -> dict[str, object]:
        from rich.style import Style

        return {"head": Style(bold=True), "selected": Style(bold=True, reverse=True),
                "label": Style(), "delta": Style(dim=True)}

    def show(self) -> None:
        c = self.comparison
        width = max(self.query_one("#tabs-compare-rows", Static).content_region.width, 20)
        self.grid, rows, self._first = plan(c, self.selected, self._first, width)
        styles = self._styles()
        self.query_one("#tabs-compare-head", Static).update(render_head(c, self.grid, self.selected, styles))
        self.query_one("#tabs-compare-rows", Static).update(render_body(rows, self.grid, styles))
        self.query_one("#tabs-compare-title", Static).update(Text(self._title(), no_wrap=True, overflow="ellipsis"))
        self._explain()

    def _title(self) -> str:
        c, layout = self.comparison, self.grid
        assert layout is not None
        parts = [f"Compare {len(c.columns)} tab{'s' * (len(c.columns) > 1)}",
                 f"deltas against tab {c.reference + 1}" + (" (pinned)" if self.workspace.pinned else "")]
        if layout.compact:
            parts.append("relative, to fit")
        return " · ".join(parts)

    def _explain(self) -> None:
        """Why the selected tab differs from the reference (Shapley split of the inputs)."""
        c = self.comparison
        status = self.query_one("#tabs-compare-status", Static)
        why = self.query_one("#tabs-compare-why", Static)
        if len(c.columns) < 2:
            why.update(Text("Open another preset in a tab (ctrl+o, or F8 to copy this one and change it) to "
                            "compare; v varies this tab's chip and cooling here."))
            status.update(Text("one tab open"))
            return
        status.update(Text(f"←/→ select a tab ({self.selected + 1} selected) · p pins it as the reference · "
                           "Enter edits it", no_wrap=True, overflow="ellipsis"))
        if self.selected == c.reference:
            why.update(Text("The reference: the other columns' deltas are measured against it."))
            return
        from whatif.engine.analysis.attribution import explain

        ref, sel = self.workspace.sessions[c.reference], self.workspace.sessions[self.selected]
        try:
            players, splits = explain(ref.scenario, sel.scenario, catalog=sel.catalog)
            text = (f"Why {self.selected + 1} differs: " + "; ".join(s.text() for s in splits[:2])
                    if players else "Same inputs as the reference.")
        except WhatifError as exc:
            text = f"Why: {exc}"
        why.update(Text(text))

    # ------------------------------------------------------------------ actions
    def action_select(self, by: int) -> None:
        """The next column to the left or right, in screen order (the reference first)."""
        order = [self.comparison.reference,
                 *(i for i in range(len(self.comparison.columns)) if i != self.comparison.reference)]
        position = order.index(self.selected) + by
        if 0 <= position < len(order):
            self.selected = order[position]
            self.show()

    def action_pin(self) -> None:
        self.workspace.toggle_pin(self.selected)
        self.rebuild()

    def action_edit_selected(self) -> None:
        self.workspace.activate(self.selected)
        self.dismiss(None)

    def action_export(self) -> None:
        from whatif.tui.screens.compare import CompareScreen

        self.post_message(CompareScreen.ExportRequested(self.comparison.with_reference_first(),
                                                        lambda path: self.query_one("#tabs-compare-status", Static)
                                                        .update(Text(f"wrote {path}"))))

    def action_variants(self) -> None:
        from whatif.tui.screens.compare import CompareScreen

        session = self.workspace.sessions[self.selected]
        name = self.comparison.columns[self.selected].name
        self.app.push_screen(CompareScreen([(name, session.scenario)], session.catalog))

    def action_close(self) -> None:
        self.dismiss(None)
