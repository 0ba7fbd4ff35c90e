"""Result views: headline figures in large type, the detail table, the warnings list.

Each is a ResultView and updates in place (labels, cells) so a keystroke repaints only what
changed. Colours come from the active theme's variables, never hard-coded.
"""

from __future__ import annotations

import math
import re

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Grid
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey

from engine.evaluate import Result
from engine.explain import explainable
from engine.report import SECTIONS  # detail rows: the same sections as the CLI table
from engine.units import QUANTITIES, fmt, fmt_delta
from tui.widgets.base import ResultView, content_width

HEADLINE: tuple[tuple[str, str], ...] = (
    ("training_days", "Training time"), ("cost_usd", "Cost"), ("facility_mw", "Facility power"),
    ("energy_mwh", "Energy"), ("co2_t", "CO2"), ("capex_usd", "Up-front capex"),
)
BREAKDOWN = ("accelerators_mw", "server_overhead_mw", "network_mw", "cooling_overhead_mw")
# Inputs listed under "Assumptions" with where each value came from.
ASSUMPTIONS: tuple[str, ...] = (
    "peak_tflops", "mfu_in", "goodput_in", "mtti_chip_hours", "checkpoint_minutes", "restart_minutes",
    "planned_downtime", "it_kw_per_chip", "tdp_kw", "pue", "fan_share", "load_factor", "network_share",
    "electricity_usd_per_mwh", "grid_g_per_kwh", "wue_l_per_kwh", "rent_usd_per_chip_hour", "chip_capex_usd",
    "facility_capex_usd_per_mw", "depreciation_years", "network_capex_share",
)
ORIGIN_LABEL = {"input": "yours", "default": "default", "catalog": "catalog", "estimate": "estimate",
                "auto": "auto", "derived": "derived"}
ORIGIN_COLOUR = {"input": "success", "estimate": "warning", "auto": "accent", "default": "text-muted",
                 "catalog": "text-muted", "derived": "text-muted"}
_SCALE_WORDS = {"k": "thousand", "M": "million", "B": "billion", "T": "trillion"}
_NUMBER = re.compile(r"^([-+]?\$?[\d,.]+(?:e[-+]?\d+)?)\s*(.*)$")
# Lower is better for every headline figure: a rise is shown in the error colour.
LOWER_IS_BETTER = {name for name, _ in HEADLINE}


def split_figure(name: str, value: float) -> tuple[str, str]:
    """'$84.0M' -> ('$84.0', 'million'); '34.5 MW' -> ('34.5', 'MW') for Digits + caption."""
    text = fmt(name, value)
    match = _NUMBER.match(text)
    if not match:
        return text, ""
    number, unit = match.groups()
    return number, _SCALE_WORDS.get(unit, unit)


_STYLES: dict[tuple[str, str, bool], Style] = {}


def theme_style(widget: object, variable: str, bold: bool = False) -> Style:
    """A Rich style in the colour of a theme variable (for Rich Text inside DataTable cells).
    Cached per theme: parsing colours on every keystroke cost tens of milliseconds."""
    app = getattr(widget, "app")
    key = (app.theme, variable, bold)
    style = _STYLES.get(key)
    if style is None:
        value = app.theme_variables.get(variable, "")
        try:
            style = Style(color=Color.parse(value).rich_color, bold=bold)
        except Exception:  # 'auto 60%' variables (text-muted) have no fixed colour: dim instead
            style = Style(dim=True, bold=bold)
        _STYLES[key] = style
    return style


def set_text(widget: Static, text: str | Text) -> None:
    """Update a Static only if its text changed, and ask for a layout pass only if its
    height changes (a layout request on any widget re-lays out the whole screen on the next
    frame, the main cost of a keystroke). Hidden widgets never need one."""
    rich_text = text if isinstance(text, Text) else Text(text)
    signature = (rich_text.plain, str(rich_text.style), tuple(rich_text.spans))
    if getattr(widget, "_whatif_signature", None) == signature:
        return
    width = content_width(widget)
    lines = _line_count(widget, rich_text, width)
    layout = lines != getattr(widget, "_whatif_lines", None) or width == 0
    widget._whatif_signature = signature  # type: ignore[attr-defined]
    widget._whatif_lines = lines  # type: ignore[attr-defined]
    widget.update(text, layout=layout and widget.display)


def _line_count(widget: Static, text: Text, width: int) -> int:
    if width <= 0:
        return -1
    return len(text.wrap(widget.app.console, width))


class HeadlineCard(Widget):
    """One headline figure as a single widget: title, the value (large digits and a unit
    caption on a wide, tall screen; one bold line otherwise) and, with a baseline, its change.

    One widget instead of five per card: a third fewer widgets to build, style and lay out
    before the first frame. A new value repaints the card; only a change in its number of
    lines (baseline pinned, a delta that wraps) asks for a layout pass."""

    COMPONENT_CLASSES = {"card--title", "card--digits", "card--unit", "card--text", "card--delta",
                         "card--worse", "card--better"}

    def __init__(self, name: str, title: str) -> None:
        super().__init__(classes="card", id=f"card-{name}")
        self.name_key = name
        self.title = title
        self.text = ""          # the value as the CLI prints it, e.g. '85.7 days'
        self.delta = ""         # its change against the baseline, '' without one
        self._number, self._unit = "", ""
        self.direction = 0      # against the baseline: +1 worse (higher), -1 better, 0 same or none
        self._lines = 0

    @property
    def large(self) -> bool:
        """Large digits when the screen is wide and tall (the breakpoint classes)."""
        return self.screen.has_class("-wide") and self.screen.has_class("-tall")

    def show(self, result: Result, baseline: Result | None) -> None:
        value = result.values[self.name_key]
        self._number, self._unit = split_figure(self.name_key, value)
        self.text = fmt(self.name_key, value)
        if baseline is None:
            self.delta, self.direction = "", 0
        else:
            old = baseline.values[self.name_key]
            self.delta = _delta(self.name_key, value, old) or "no change"
            self.direction = (value > old) - (value < old)
        lines = self._line_count(content_width(self))
        self.refresh(layout=lines != self._lines)
        self._lines = lines

    def _line_count(self, width: int) -> int:
        value_lines = 4 if self.large else 1
        delta_lines = len(Text(self.delta).wrap(self.app.console, width)) if self.delta and width > 0 else 0
        return 1 + value_lines + delta_lines

    def on_resize(self) -> None:
        self._lines = self._line_count(content_width(self))

    def render(self) -> Group:
        style = self.get_component_rich_style
        parts: list = [Text(self.title, style=style("card--title"), no_wrap=True, overflow="ellipsis")]
        if self.large:
            parts.append(DigitsRenderable(self._number, style("card--digits")))
            parts.append(Text(self._unit, style=style("card--unit")))
        else:
            parts.append(Text(self.text, style=style("card--text"), no_wrap=True, overflow="ellipsis"))
        if self.delta:
            delta_style = {1: "card--worse", -1: "card--better"}.get(self.direction, "card--delta")
            parts.append(Text(self.delta, style=style(delta_style)))
        return Group(*parts)


class Headline(ResultView, Grid):
    """The six figures a planner asks first, in large type (compact text when narrow)."""

    def compose(self) -> ComposeResult:
        for name, title in HEADLINE:
            yield HeadlineCard(name, title)

    def update_result(self, result: Result, baseline: Result | None) -> None:
        for card in self.children:
            if isinstance(card, HeadlineCard):
                card.show(result, baseline)


# Table labels kept within 22 characters so value columns stay visible at 80 columns.
SHORT_LABELS = {
    "server_overhead_mw": "Servers (CPU, fans...)", "cooling_overhead_mw": "Cooling + losses (PUE)",
    "breakeven_utilisation": "Own/rent break-even", "it_capex_usd": "IT capex",
    "facility_capex_usd_per_mw": "Facility capex per MW", "electricity_usd_per_mwh": "Electricity price",
    "mfu_in": "MFU", "goodput_in": "Goodput",
}


def _label(name: str) -> str:
    if name in SHORT_LABELS:
        return SHORT_LABELS[name]
    return QUANTITIES[name].label if name in QUANTITIES else name


class DetailTable(ResultView, DataTable):
    """Every output with units, its change against the baseline and a note (auto/set for
    MFU and goodput, share of facility power for the breakdown, origin for assumptions).
    Enter on a row explains it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._built = False
        self._shown: dict[tuple[str, str], tuple[str, str, object]] = {}
        self._cell_cache: dict[tuple, tuple[object, object]] = {}

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False):
        """DataTable's cell render, cached by the cell's own content.

        DataTable keys its render cache on a counter that every update_cell bumps, so one
        changed value re-rendered every visible cell: half the cost of a keystroke's frame.
        Here a cell is rendered again only when its text object (replaced on change), its
        style, width, cursor or hover state changed. Textual 8.2 private hook; if a future
        Textual changes it, the fallback is DataTable's own (slower) path."""
        try:
            row_key = self._row_locations.get_key(row_index) if row_index >= 0 else None
            column_key = self._column_locations.get_key(column_index) if column_index >= 0 else None
            cell = self._data[row_key][column_key] if row_key is not None and column_key is not None else None
        except (KeyError, AttributeError):
            cell = None
        if cell is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key = (row_index, column_index, base_style, width, cursor, hover, self._show_hover_cursor,
               self._pseudo_class_state, id(cell))
        cached = self._cell_cache.get(key)
        if cached is not None and cached[0] is cell:
            return cached[1]
        if len(self._cell_cache) > 4000:
            self._cell_cache.clear()
        lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._cell_cache[key] = (cell, lines)
        return lines

    def _set(self, row: str, column: str, text: Text) -> None:
        """Update one cell only if its text or style changed (each update re-renders the table)."""
        signature = _signature(text)
        if self._shown.get((row, column)) == signature:
            return
        self._shown[(row, column)] = signature
        # Re-measuring columns re-lays out the table: only when the text outgrows its column.
        grow = text.cell_len > self.columns[ColumnKey(column)].content_width
        self.update_cell(row, column, text, update_width=grow)

    def on_mount(self) -> None:
        self.add_column("Quantity", key="label")
        self.add_column("Value", key="value")
        self.add_column("Note", key="note")
        self.add_column("vs baseline", key="delta")

    def _build(self, cells: dict[tuple[str, str], Text]) -> None:
        """Add every row with its first values: measured once as new rows, instead of blank
        rows whose cells are then re-measured one by one (~50 ms before the first frame)."""
        heading = Style(bold=True)

        def add(key: str, label: Text) -> None:
            row = [label] + [cells.get((key, column), "") for column in ("value", "note", "delta")]
            for column, text in zip(("value", "note", "delta"), row[1:]):
                if isinstance(text, Text):
                    self._shown[(key, column)] = _signature(text)
            self.add_row(*row, key=key)

        for title, names in SECTIONS:
            add(f"section:{title}", Text(title, style=heading))
            for name in names:
                add(name, Text(" " + _label(name)))
        add("section:assumptions", Text("Assumptions (inputs)", style=heading))
        for name in ASSUMPTIONS:
            add(f"in:{name}", Text(" " + _label(name)))
        self._built = True

    def update_result(self, result: Result, baseline: Result | None) -> None:
        cells = self._cells(result, baseline)
        if not self._built:
            self._build(cells)
            return
        for (row, column), text in cells.items():
            self._set(row, column, text)

    def _cells(self, result: Result, baseline: Result | None) -> dict[tuple[str, str], Text]:
        """(row key, column key) -> cell text for every value, note and delta cell."""
        cells: dict[tuple[str, str], Text] = {}
        values, facility = result.values, result.values["facility_mw"]
        for _, names in SECTIONS:
            for name in names:
                value = values[name]
                cells[name, "value"] = Text(fmt(name, value), justify="right")
                delta = _delta(name, value, baseline.values[name]) if baseline else ""
                cells[name, "delta"] = Text(delta)
                cells[name, "note"] = self._note(result, name, facility)
        resolved = result.resolved
        for name in ASSUMPTIONS:
            if name in ("mfu_in", "goodput_in"):
                shown = name.removesuffix("_in")
                value, origin_kind = values[shown], "auto" if values[f"{shown}_estimated"] else "input"
                text = fmt(shown, value)
                old = baseline.values[shown] if baseline else None
            else:
                value, origin_kind = resolved.values[name], resolved.origins[name].kind
                text = fmt(name, value)
                old = baseline.resolved.values[name] if baseline else None
            row = f"in:{name}"
            cells[row, "value"] = Text(text, justify="right")
            delta = "" if old is None else _delta(name, value, old)
            cells[row, "delta"] = Text(delta)
            cells[row, "note"] = Text(ORIGIN_LABEL[origin_kind], style=theme_style(self, ORIGIN_COLOUR[origin_kind]))
        return cells

    def _note(self, result: Result, name: str, facility_mw: float) -> Text:
        values = result.values
        if name in ("mfu", "goodput"):
            auto = bool(values[f"{name}_estimated"])
            return Text("auto" if auto else "yours", style=theme_style(self, "accent" if auto else "success"))
        if name in BREAKDOWN and facility_mw > 0 and not math.isnan(values[name]):
            return Text(f"{values[name] / facility_mw:.0%} of total")
        if name == "cost_usd":
            return Text(f"mode {result.resolved.mode}")
        return Text("")

    async def _on_click(self, event: events.Click) -> None:
        # DataTable's own handler (also called) selects only a row that was already
        # highlighted; here one click on any other row opens its explanation too.
        row = event.style.meta.get("row", -1)
        if row >= 0 and row != self.cursor_row:
            self.call_after_refresh(self.action_select_cursor)

    def row_name(self, row_key: str | None) -> str | None:
        """The quantity a row shows (output or input name), or None for section headings."""
        if not row_key or row_key.startswith("section:"):
            return None
        return row_key.removeprefix("in:")


def _signature(text: Text) -> tuple[str, str, object]:
    return (text.plain, str(text.style), text.justify)


def _delta(name: str, new: float, old: float) -> str:
    """fmt_delta, but blank when nothing changed (a column of '+0' is noise)."""
    if new == old or (math.isnan(new) and math.isnan(old)):
        return ""
    return fmt_delta(name, new, old)


def can_explain(name: str) -> bool:
    return name in _EXPLAINABLE


_EXPLAINABLE = frozenset(explainable())


class WarningsView(ResultView, Static):
    """Feasibility warnings with their numbers, most severe first."""

    _ORDER = {"error": 0, "warning": 1, "note": 2}
    _COLOUR = {"error": "error", "warning": "warning", "note": "text-muted"}
    _MARK = {"error": "✖", "warning": "▲", "note": "•"}

    def update_result(self, result: Result, baseline: Result | None) -> None:
        warnings = sorted(result.warnings, key=lambda w: self._ORDER.get(w.severity, 3))
        if self.display != bool(warnings):
            self.display = bool(warnings)
        text = Text()
        for i, w in enumerate(warnings):
            if i:
                text.append("\n")
            text.append(f"{self._MARK.get(w.severity, '•')} {w.code}: ",
                        style=theme_style(self, self._COLOUR.get(w.severity, "text"), bold=True))
            text.append(w.message)
        set_text(self, text)
