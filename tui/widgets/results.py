"""Result views: headline figures in large type, the detail table, the warnings list.

Each is a ResultView and updates in place (labels, cells) so a keystroke repaints only what
changed. Colours come from the active theme's variables, never hard-coded.
"""

from __future__ import annotations

import math
import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Grid
from textual.geometry import Region
from textual.strip import Strip
from textual.renderables.digits import DIGITS, DIGITS3X3, DIGITS3X3_BOLD, Digits as DigitsRenderable
from textual.widget import Widget
from textual.widgets import Static

from whatif.engine.evaluate import Result
from whatif.engine.explain import explainable
from whatif.engine.report import SECTIONS  # detail rows: the same sections as the CLI table
from whatif.engine.units import QUANTITIES, fmt, fmt_delta
from whatif.tui.widgets.base import ResultView, content_width
from whatif.tui.widgets.lean_lines import LeanLines, Look
from whatif.tui.widgets.result_table import ResultTable, Row
from whatif.tui.words import in_words

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
ORIGIN_LABEL = {"input": "yours", "user": "your file", "default": "default", "catalog": "catalog", "estimate": "estimate",
                "auto": "auto", "derived": "derived"}
ORIGIN_COLOUR = {"input": "success", "user": "success", "estimate": "warning", "auto": "accent", "default": "text-muted",
                 "catalog": "text-muted", "derived": "text-muted"}
_SCALE_WORDS = {"k": "thousand", "M": "million", "B": "billion", "T": "trillion"}
_NUMBER = re.compile(r"^([-+]?\$?[\d,.]+(?:e[-+]?\d+)?)\s*(.*)$")
# A renter spends no capex: the last card shows the chip-hours booked instead.
FOR_RENTERS = {"capex_usd": ("chip_hours", "Chip-hours")}


def split_figure(text: str) -> tuple[str, str]:
    """'$84.0M' -> ('$84.0', 'million'); '34.5 MW' -> ('34.5', 'MW') for Digits + caption."""
    match = _NUMBER.match(text)
    if not match:
        return text, ""
    number, unit = match.groups()
    return number, _SCALE_WORDS.get(unit, unit)


def _glyph_rows(glyphs: list[str]) -> dict[str, tuple[str, str, str]]:
    return {character: tuple(glyphs[3 * index + row].ljust(3) for row in range(3))  # type: ignore[misc]
            for index, character in enumerate(DIGITS)}


# character -> its three rows, plain and bold (Textual's Digits glyphs).
_GLYPHS = {False: _glyph_rows(DIGITS3X3), True: _glyph_rows(DIGITS3X3_BOLD)}


def digit_rows(text: str, bold: bool = False) -> tuple[str, str, str]:
    """`text` in Textual's 3x3 large digits (its Digits renderable's glyphs), as three lines
    of plain text: drawn as one Text with the card's other lines, not through a Rich console
    (a card's render took ~1.5 ms so, six of them every keystroke)."""
    glyphs = _GLYPHS[bold]
    # A character without a glyph stands on the bottom line, as in Digits.
    pieces = [glyphs.get(c) or (" ", " ", c) for c in text.translate(DigitsRenderable.REPLACEMENTS)]
    return "".join(p[0] for p in pieces), "".join(p[1] for p in pieces), "".join(p[2] for p in pieces)


_STYLES: dict[tuple[str, str, bool], Style] = {}


def theme_style(widget: object, variable: str, bold: bool = False) -> Style:
    """A Rich style in the colour of a theme variable (for Rich Text inside table cells).
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


def set_text(widget: Static, text: str | Text, lines: tuple[int, int] | None = None) -> None:
    """Update a Static only if its text changed, and ask for a layout pass only if its
    height changes (a layout request on any widget re-lays out the whole screen on the next
    frame, the main cost of a keystroke). Hidden widgets never need one.

    `lines`: (width, line count) the caller knows the text takes (as the text it replaces),
    for a long text whose wrapping would be measured again for nothing."""
    rich_text = text if isinstance(text, Text) else Text(text)
    text_signature = signature(rich_text)
    if getattr(widget, "_whatif_signature", None) == text_signature:
        return
    width = content_width(widget)
    lines = lines[1] if lines is not None and lines[0] == width else line_count(widget, rich_text, width)
    # The line count is remembered with its width: after a resize the layout made the old
    # text's height at the new width, which the old count does not tell (the P10/P90 line,
    # given more figures for a wider screen, stayed one line tall and cut the second).
    layout = (width, lines) != getattr(widget, "_whatif_lines", None) or width == 0
    widget._whatif_signature = text_signature  # type: ignore[attr-defined]
    widget._whatif_lines = (width, lines)  # type: ignore[attr-defined]
    widget.update(text, layout=layout and widget.display)


def signature(text: Text) -> tuple:
    """What a Static draws of `text`, comparable."""
    return (text.plain, str(text.style), tuple(text.spans))


def line_count(widget: Static, text: Text, width: int) -> int:
    """How many lines `text` wraps to at `width` in `widget` (-1 before a layout)."""
    if width <= 0:
        return -1
    plain = text.plain
    if "\n" not in plain and "\t" not in plain and cell_len(plain) <= width:
        return 1   # what wrapping gives, without it (~0.1 ms a line: the status and strip, every key)
    return len(text.wrap(widget.app.console, width))


class HeadlineCard(LeanLines, Widget):
    """One headline figure as a single widget: title, the value (large digits and a unit
    caption on a wide, tall screen; one bold line otherwise) and, with a baseline, its change.

    One widget instead of five per card: a third fewer widgets to build, style and lay out
    before the first frame. A new value repaints the card; only a change in its number of
    lines (baseline pinned, a delta that wraps) asks for a layout pass."""

    COMPONENT_CLASSES = {"card--title", "card--digits", "card--unit", "card--text", "card--delta",
                         "card--worse", "card--better"}
    _rendering: tuple[int, Look] | None = None  # (width, look) while render_lines runs

    def __init__(self, name: str, title: str) -> None:
        super().__init__(classes="card", id=f"card-{name}")
        self.name_key = self.own_key = name
        self.title = self.own_title = title
        self.text = ""          # the value as the CLI prints it, e.g. '85.7 days'
        self.delta = ""         # its change against the baseline, '' without one
        self._number, self._unit = "", ""
        self.direction = 0      # against the baseline: +1 worse (higher), -1 better, 0 same or none
        self._shown: list[tuple[str, str]] = []  # the lines last drawn (_card_lines)
        self._line_strips: dict[tuple, Strip] = {}  # (y, line, width, look) -> its Strip

    def figure_for(self, mode: str) -> tuple[str, str]:
        """(output, title) this card shows in `mode`."""
        if mode == "rent" and self.own_key in FOR_RENTERS:
            return FOR_RENTERS[self.own_key]
        return self.own_key, self.own_title

    @property
    def large(self) -> bool:
        """Large digits when the screen is wide and tall (the breakpoint classes)."""
        classes = self.screen.classes
        return "-wide" in classes and "-tall" in classes

    def show(self, result: Result, baseline: Result | None) -> None:
        self.name_key, self.title = self.figure_for(result.resolved.mode)
        value = result.values[self.name_key]
        self.text = fmt(self.name_key, value)
        self._number, self._unit = split_figure(self.text)
        if baseline is None:
            self.delta, self.direction = "", 0
        else:
            old = baseline.values[self.name_key]
            self.delta = _delta(self.name_key, value, old) or "no change"
            self.direction = (value > old) - (value < old)
        lines, shown = self._card_lines(), self._shown
        self._shown = lines
        if len(lines) != len(shown):
            self.refresh(layout=True)
            return
        # Only the lines that changed: the title and the unit caption mostly stay, and each
        # line repainted costs ~0.2 ms in Textual's styles (six cards every keystroke).
        width = content_width(self)
        changed = [Region(0, y, width, 1) for y, (new, old) in enumerate(zip(lines, shown)) if new != old]
        if changed:
            self.refresh(*changed)

    def delta_lines(self, width: int) -> list[str]:
        """The delta on one line if it fits, else the change and its percentage on two
        ('-9.66 MW' over '(-10.0 %)'), never broken inside a number."""
        if not self.delta or width <= 0 or len(self.delta) <= width:
            return [self.delta] if self.delta else []
        absolute, _, percent = self.delta.partition(" (")
        return [absolute, f"({percent}"] if percent else [self.delta]

    def on_resize(self) -> None:
        self._shown = self._card_lines()

    def _card_lines(self) -> list[tuple[str, str]]:
        """(text, component class) of each line the card draws."""
        lines = [(self.title, "card--title")]
        if self.large:
            bold = bool(self.look.component("card--digits").bold)
            lines += [(row, "card--digits") for row in digit_rows(self._number, bold)]
            lines.append((self._unit, "card--unit"))
        else:
            lines.append((self.text, "card--text"))
        delta = {1: "card--worse", -1: "card--better"}.get(self.direction, "card--delta")
        lines += [(line, delta) for line in self.delta_lines(content_width(self))]
        return lines

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once a render, not once a line: the width asks the compositor.
        self._rendering = (self.size.width, self.look)
        try:
            return super().render_lines(crop)
        finally:
            self._rendering = None

    def render_line(self, y: int) -> Strip:
        """A line of the card as one segment: the lines are plain text in one style each, and
        drawing them through render()'s Content cost ~0.5 ms a card per keystroke (Textual
        still measures the card's height with render()). The same line in the same look
        gives the same Strip (LeanLines then reuses what it made of it)."""
        width, look = self._rendering or (self.size.width, self.look)
        line = self._shown[y] if y < len(self._shown) else None
        key = (y, line, width, look)
        strip = self._line_strips.get(key)
        if strip is not None:
            return strip
        base = self.visual_style.rich_style
        if line is None:
            strip = Strip.blank(width, base)
        else:
            text, component = line
            if cell_len(text) > width:
                cut = Text(text)
                cut.truncate(width, overflow="ellipsis")
                text = cut.plain
            # The offset is what Textual's own lines carry (text selection reads it).
            style = base + look.component(component) + Style(meta={"offset": (0, y)})
            strip = Strip([Segment(text, style)])
        if len(self._line_strips) > 64:
            self._line_strips.clear()
        self._line_strips[key] = strip
        return strip

    def render(self) -> Text:
        # Lines of text only: one Text, which Textual draws as Content (a Group goes through
        # a Rich console, ~3x the cost). Each line is cut, not wrapped (.card in app.tcss).
        style = self.look.component
        return Text("\n", no_wrap=True, overflow="ellipsis").join(
            Text(text, style=style(component), no_wrap=True, overflow="ellipsis")
            for text, component in self._card_lines())


class Headline(ResultView, Grid):
    """The six figures a planner asks first, in large type (compact text when narrow)."""

    def compose(self) -> ComposeResult:
        for name, title in HEADLINE:
            yield HeadlineCard(name, title)

    def update_result(self, result: Result, baseline: Result | None) -> None:
        for card in self.children:
            if isinstance(card, HeadlineCard):
                card.show(result, baseline)


# Table labels kept within 20 characters: at 80 columns the label, value and note columns
# then fit side by side (the explanation and the CLI use the full labels).
SHORT_LABELS = {
    "server_overhead_mw": "Servers, fans, CPUs", "cooling_overhead_mw": "Cooling + PUE losses",
    "network_mw": "Network and storage", "end_to_end_utilisation": "Overall utilisation",
    "breakeven_utilisation": "Own/rent break-even", "it_capex_usd": "IT capex",
    "facility_capex_usd_per_mw": "Facility $ per MW", "electricity_usd_per_mwh": "Electricity price",
    "mfu_in": "MFU", "goodput_in": "Goodput",
}


def _label(name: str) -> str:
    if name in SHORT_LABELS:
        return SHORT_LABELS[name]
    return QUANTITIES[name].label if name in QUANTITIES else name


class DetailTable(ResultView, ResultTable):
    """Every output with units, its change against the baseline and a note (auto/set for
    MFU and goodput, share of facility power for the breakdown, origin for assumptions).
    Enter (or a click) on a row explains it."""

    update_at_once = False  # drawn in the frame after the headline figures (tui.app._show_result)
    # The result whose cells the rows off screen still wait for (update_result).
    _off_screen: tuple[Result, Result | None] | None = None

    def update_result(self, result: Result, baseline: Result | None) -> None:
        """The rows on screen now, the rest just after the frame that shows them: a key's
        table update formatted all ~60 rows for the ~20 shown (~0.5 ms of its 0.9)."""
        if not self.rows:
            self.set_rows(self._layout_rows(self._cells(result, baseline)))
            return
        shown = self._keys_on_screen()
        self.update_cells(self._cells(result, baseline, shown))
        if len(shown) < len(self.rows):
            if self._off_screen is None:
                self.call_after_refresh(self._fill_off_screen)
            self._off_screen = (result, baseline)

    def _keys_on_screen(self) -> set[str]:
        shown = self.rows_on_screen()
        return {row.key for row in self.rows[shown.start:shown.stop]}

    def _fill_off_screen(self) -> None:
        """Bring the rows off screen up to date (before anything reads or shows them)."""
        waiting, self._off_screen = self._off_screen, None
        if waiting is not None:
            self.update_cells(self._cells(*waiting))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        self._fill_off_screen()
        super().watch_scroll_y(old_value, new_value)

    def on_resize(self) -> None:  # (then ResultTable's: Textual calls each class's handler)
        self._fill_off_screen()

    def get_cell(self, row_key: str, column: str) -> Text:
        self._fill_off_screen()
        return super().get_cell(row_key, column)

    def as_text(self, rows: list[Row] | None = None) -> str:
        self._fill_off_screen()
        return super().as_text(rows)

    @staticmethod
    def _layout_rows(cells: dict[tuple[str, str], Text]) -> list[Row]:
        """Section headings and one row per output and assumption, with their first values."""
        heading = Style(bold=True)
        rows: list[Row] = []

        def add(key: str, label: Text, section: bool = False) -> None:
            row_cells = {"label": label}
            row_cells.update({column: text for (row, column), text in cells.items() if row == key})
            rows.append(Row(key, row_cells, section))

        for title, names in SECTIONS:
            add(f"section:{title}", Text(title, style=heading), section=True)
            for name in names:
                add(name, Text(" " + _label(name)))
        add("section:assumptions", Text("Assumptions (inputs)", style=heading), section=True)
        for name in ASSUMPTIONS:
            add(f"in:{name}", Text(" " + _label(name)))
        return rows

    def _cells(self, result: Result, baseline: Result | None,
               only: set[str] | None = None) -> dict[tuple[str, str], Text]:
        """(row key, column key) -> cell text for every value, note and delta cell (of the
        rows `only`, if given)."""
        cells: dict[tuple[str, str], Text] = {}
        values, facility = result.values, result.values["facility_mw"]
        for _, names in SECTIONS:
            for name in names:
                if only is not None and name not in only:
                    continue
                value = values[name]
                cells[name, "value"] = Text(fmt(name, value), justify="right")
                delta = _delta(name, value, baseline.values[name]) if baseline else ""
                cells[name, "delta"] = Text(_percent_first(delta))
                cells[name, "note"] = self._note(result, name, facility)
        resolved = result.resolved
        for name in ASSUMPTIONS:
            row = f"in:{name}"
            if only is not None and row not in only:
                continue
            if name in ("mfu_in", "goodput_in"):
                shown = name.removesuffix("_in")
                value, origin_kind = values[shown], "auto" if values[f"{shown}_estimated"] else "input"
                text = fmt(shown, value)
                old = baseline.values[shown] if baseline else None
            else:
                value, origin_kind = resolved.values[name], resolved.origins[name].kind
                text = fmt(name, value)
                old = baseline.resolved.values[name] if baseline else None
            cells[row, "value"] = Text(text, justify="right")
            delta = "" if old is None else _delta(name, value, old)
            cells[row, "delta"] = Text(_percent_first(delta))
            cells[row, "note"] = Text(ORIGIN_LABEL[origin_kind], style=theme_style(self, ORIGIN_COLOUR[origin_kind]))
        return cells

    def _note(self, result: Result, name: str, facility_mw: float) -> Text:
        values = result.values
        if name in ("mfu", "goodput"):
            auto = bool(values[f"{name}_estimated"])
            return Text("auto" if auto else "yours", style=theme_style(self, "accent" if auto else "success"))
        if name in BREAKDOWN and facility_mw > 0 and not math.isnan(values[name]):
            return Text(f"{values[name] / facility_mw:.0%} of MW")
        if name == "cost_usd":
            return Text(f"mode {result.resolved.mode}")
        return Text("")

    def row_name(self, row_key: str | None) -> str | None:
        """The quantity a row shows (output or input name), or None for section headings."""
        if not row_key or row_key.startswith("section:"):
            return None
        return row_key.removeprefix("in:")


def _delta(name: str, new: float, old: float) -> str:
    """fmt_delta, but blank when nothing changed (a column of '+0' is noise)."""
    if new == old or (math.isnan(new) and math.isnan(old)):
        return ""
    return fmt_delta(name, new, old)


def _percent_first(delta: str) -> str:
    """'+$16.0M (+19.1 %)' -> '+19.1 % +$16.0M': when the table is too narrow for the whole
    change, the ellipsis then takes the absolute part and the percentage stays."""
    absolute, _, percent = delta.partition(" (")
    return f"{percent.rstrip(')')} {absolute}" if percent.endswith(")") else delta


def can_explain(name: str) -> bool:
    return name in _EXPLAINABLE


_EXPLAINABLE = frozenset(explainable())


class WarningsView(ResultView, LeanLines, Static):
    """Feasibility warnings with their numbers, most severe first."""

    update_at_once = False

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
            # The message says what is wrong in words; its code (tokens-per-param) is for files and the CLI.
            text.append(f"{self._MARK.get(w.severity, '•')} ",
                        style=theme_style(self, self._COLOUR.get(w.severity, "text"), bold=True))
            text.append(in_words(w.message))
        set_text(self, text)
