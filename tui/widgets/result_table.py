"""A scrolling table of labelled figures that fits its width and repaints only changed rows.

DataTable re-renders every visible line when one cell changes and keeps every column at its
natural width, so at 80 columns the notes were cut off behind a horizontal scrollbar. Here a
row's line is cached by its content; an update repaints just the rows whose text changed.
Columns fit the width (SHRINK_STEPS; here the detail table's): labels give way first, then notes, then the delta
column's tail (it reads '+19.1 % +$16.0M', so the percentage stays); values are never cut.

Keyboard: up/down/page up/page down/home/end move the cursor; Enter selects the row (posts
RowSelected). A click selects the row under the pointer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from whatif.tui.widgets.base import content_width
from whatif.tui.widgets.lean_lines import FinishedStrip, LeanLines, Look

if TYPE_CHECKING:
    from textual.filter import LineFilter

# The detail table's columns (key, heading) and how they give way; subclasses set their own.
DETAIL_COLUMNS: tuple[tuple[str, str], ...] = (("label", "Quantity"), ("value", "Value"), ("note", "Note"),
                                        ("delta", "vs baseline"))
LABEL_MIN = 12
# (column, narrowest it may become) in the order columns give way when the table is too wide.
DETAIL_SHRINK_STEPS: tuple[tuple[str, int], ...] = (("label", 16), ("note", 0), ("delta", 9), ("label", LABEL_MIN))


@dataclass
class Row:
    key: str
    cells: dict[str, Text]          # column -> text; a missing column is blank
    section: bool = False           # a heading row: bold, not a figure


def column_widths(natural: dict[str, int], width: int,
                  steps: tuple[tuple[str, int], ...] = DETAIL_SHRINK_STEPS) -> dict[str, int]:
    """Fit the columns (one cell of gap between two) into `width` by `steps`. A step with a
    floor narrows its column (an ellipsis ends what is cut); a step with floor 0 removes
    the column whole, never leaving a stub. Empty columns take no room at all."""
    widths = dict(natural)
    shown = [c for c in widths if widths[c] > 0]
    overflow = sum(widths[c] for c in shown) + max(len(shown) - 1, 0) - width
    for column, floor in steps:
        if overflow <= 0:
            break
        if widths[column] <= 0:
            continue
        if floor == 0:
            overflow -= widths[column] + 1  # the column and its gap
            widths[column] = 0
        else:
            cut = min(overflow, max(widths[column] - floor, 0))
            widths[column] -= cut
            overflow -= cut
    return widths


class ResultTable(LeanLines, ScrollView, can_focus=True):
    COLUMNS = DETAIL_COLUMNS
    SHRINK_STEPS = DETAIL_SHRINK_STEPS
    COMPONENT_CLASSES = {"result-table--header", "result-table--section", "result-table--cursor"}
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", id="table.up", show=False),
        Binding("down", "cursor(1)", "Down", id="table.down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="table.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="table.page_down", show=False),
        Binding("home", "cursor_to(0)", "First row", id="table.first", show=False),
        Binding("end", "cursor_to(-1)", "Last row", id="table.last", show=False),
        Binding("enter", "select", "Explain", id="table.select", show=False),
        Binding("c", "copy(False)", "Copy row", id="table.copy_row", show=False),
        Binding("C", "copy(True)", "Copy table", id="table.copy_all", show=False),
    ]

    class RowSelected(Message):
        def __init__(self, table: ResultTable, row_key: str) -> None:
            super().__init__()
            self.table = table
            self.row_key = row_key

        @property
        def control(self) -> ResultTable:
            return self.table

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[Row] = []
        self._index: dict[str, int] = {}
        self.cursor_row = 0
        self._widths: dict[str, int] = {}
        self._lines: dict[int, tuple[tuple, Strip]] = {}  # row index -> (signature, strip)
        # (a cell's content, column width, row style...) -> its finished segments and cells
        self._finished_cells: dict[tuple, tuple[list[Segment], int]] = {}
        # column -> each row's cell width (0: none, or a section row), for the natural widths
        self._cell_widths: dict[str, list[int]] = {}
        # (base style, width, focused, theme, what a finished row needs) while render_lines runs
        self._render_context: tuple[Style, int, bool, str, tuple | None] | None = None

    # ---------------------------------------------------------------- data
    def set_rows(self, rows: list[Row]) -> None:
        """Replace every row: the first fill, or a new set of rows (the claims of another scenario)."""
        self.rows = rows
        self._index = {row.key: i for i, row in enumerate(rows)}
        self._cell_widths = {c: [0 if r.section or c not in r.cells else r.cells[c].cell_len for r in rows]
                             for c, _ in self.COLUMNS}
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self._lines.clear()
        self.virtual_size = Size(0, len(rows) + 1)
        self._refit(force=True)

    def update_cells(self, cells: dict[tuple[str, str], Text]) -> None:
        """Set (row key, column) cells; repaint the rows that changed, or the whole table
        when a column has to change width."""
        changed: set[int] = set()
        for (key, column), text in cells.items():
            index = self._index[key]
            row = self.rows[index]
            old = row.cells.get(column)
            if old is None or old.plain != text.plain or old.style != text.style or old.spans != text.spans:
                row.cells[column] = text
                changed.add(index)
                widths = self._cell_widths.get(column)
                if widths is not None and not row.section:
                    widths[index] = text.cell_len
        if not changed:
            return
        if not self._refit():
            self._refresh_rows(changed)

    def get_cell(self, row_key: str, column: str) -> Text:
        return self.rows[self._index[row_key]].cells.get(column, Text(""))

    def get_row_index(self, row_key: str) -> int:
        return self._index[row_key]

    def as_text(self, rows: list[Row] | None = None) -> str:
        """Rows as tab-separated text (a spreadsheet pastes it into cells), with the header."""
        rows = self.rows if rows is None else rows
        lines = ["\t".join(heading for _, heading in self.COLUMNS)] if rows is self.rows else []
        for row in rows:
            lines.append("\t".join(row.cells.get(column, Text("")).plain.strip() for column, _ in self.COLUMNS))
        return "\n".join(line.rstrip("\t") for line in lines)

    def action_copy(self, whole: bool) -> None:
        """Copy the highlighted row, or the whole table, to the clipboard (OSC 52: it works
        over SSH too, where the terminal supports it)."""
        if not self.rows:
            return
        text = self.as_text() if whole else self.as_text([self.rows[self.cursor_row]])
        self.app.copy_to_clipboard(text)
        self.notify("Copied the table" if whole else f"Copied: {text.replace(chr(9), '  ')}", timeout=3)

    @property
    def cursor_key(self) -> str | None:
        return self.rows[self.cursor_row].key if self.rows else None

    # -------------------------------------------------------------- layout
    def _natural_widths(self) -> dict[str, int]:
        # From the widths kept per cell: measuring every cell again was ~0.2 ms a key.
        natural = {c: max(self._cell_widths.get(c) or (0,)) for c, _ in self.COLUMNS}
        for column, heading in self.COLUMNS:
            if natural[column]:
                natural[column] = max(natural[column], len(heading))
        return natural

    def _refit(self, force: bool = False) -> bool:
        """Recompute column widths; True (and a full repaint) if they changed."""
        widths = column_widths(self._natural_widths(), self._width(), self.SHRINK_STEPS)
        if widths == self._widths and not force:
            return False
        self._widths = widths
        self._lines.clear()
        self.refresh()
        return True

    def _width(self) -> int:
        """Cells available for the columns (the vertical scrollbar takes the last one)."""
        return max(content_width(self) - self.scrollbar_gutter.width, 0)

    def on_resize(self) -> None:
        self._refit(force=True)

    def rows_on_screen(self) -> range:
        """The indexes of the rows the table shows now (under its header line)."""
        top = self.scroll_offset.y
        return range(top, max(top, top + self.size.height - 1))

    def _refresh_row(self, index: int) -> None:
        self._refresh_rows((index,))

    def _refresh_rows(self, indexes: Iterable[int]) -> None:
        """Repaint the rows on screen among `indexes` (one refresh: a call per row cost as
        much as painting it)."""
        # Not the scrollbar's column: the rows do not change it (it repaints itself when
        # the table scrolls), and a region over it rendered its every line too.
        width, top = self._width(), self.scroll_offset.y
        shown = self.rows_on_screen()
        regions = [Region(0, index + 1 - top, width, 1) for index in indexes if index in shown]
        if regions:
            self.refresh(*regions)

    # -------------------------------------------------------------- render
    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of one render shares, looked up once (a count edit repaints a
        # dozen rows).
        look = self.look
        finish = None
        if look.plain and not any(look.padding):
            # What a row's finished line needs (FinishedStrip): the gutter's style, the
            # widget's width, the filters.
            finish = (look, self.outer_size.width, tuple(self.get_line_filters()))
        self._render_context = (look.rich_style, self._width(), self.has_focus, self.app.theme, finish)
        try:
            return super().render_lines(crop)
        finally:
            self._render_context = None

    def render_line(self, y: int) -> Strip:
        base, width, focused, theme, finish = self._render_context or (
            self.look.rich_style, self._width(), self.has_focus, self.app.theme, None)
        if y == 0:
            header = Text(no_wrap=True)
            self._append_cells(header, {c: Text(heading) for c, heading in self.COLUMNS})
            return self._strip(header, self.look.component("result-table--header"), width)
        index = self.scroll_offset.y + y - 1
        if not 0 <= index < len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        cursor = index == self.cursor_row and focused
        signature = (*(_signature(row.cells.get(c)) for c, _ in self.COLUMNS), cursor, width, theme, finish)
        cached = self._lines.get(index)
        if cached is not None and cached[0] == signature:
            return cached[1]
        style = base
        if row.section:
            style += self.look.component("result-table--section")
        if cursor:
            style += self.look.component("result-table--cursor")
        strip = self._finished_row(row.cells, style, width, finish) if finish and not row.section else None
        if strip is None:
            strip = self._row_strip(row, style, width)
        self._lines[index] = (signature, strip)
        return strip

    def _append_cells(self, line: Text, cells: dict[str, Text]) -> None:
        first = True
        for column, _ in self.COLUMNS:
            width = self._widths.get(column, 0)
            if width <= 0:
                continue
            if not first:
                line.append(" ")
            first = False
            cell = cells.get(column, Text("")).copy()
            cell.truncate(width, overflow="ellipsis")
            if cell.justify == "right":
                line.append(" " * (width - cell.cell_len))
                line.append_text(cell)
            else:
                line.append_text(cell)
                line.append(" " * (width - cell.cell_len))

    def _cell_segments(self, cells: dict[str, Text]) -> tuple[list[Segment], int] | None:
        """The row's cells as one segment each, cut and padded to their columns, as
        _append_cells lays them out, and their length in cells; None if a cell has spans
        (styled parts: that path handles them). Rendering the line's Text through the
        console instead cost most of a keystroke's table repaint (a count edit changes a
        dozen rows)."""
        segments: list[Segment] = []
        length = 0
        get_style = self.app.console.get_style
        for column, _ in self.COLUMNS:
            width = self._widths.get(column, 0)
            if width <= 0:
                continue
            cell = cells.get(column)
            if cell is None:
                plain, style, right = "", Style.null(), False
            elif cell.spans:
                return None
            else:
                plain, style, right = cell.plain, cell.style, cell.justify == "right"
            if cell_len(plain) > width:
                cut = Text(plain)
                cut.truncate(width, overflow="ellipsis")
                plain = cut.plain
            length += (1 if segments else 0) + width
            segments += _cell_parts(plain, get_style(style) if isinstance(style, str) else style, right,
                                    width, bool(segments))
        return segments, length

    def _row_strip(self, row: Row, style: Style, width: int) -> Strip:
        cells = None if row.section else self._cell_segments(row.cells)
        if cells is not None:
            return _styled_strip(*cells, style, width)
        if row.section:  # a heading spans the columns
            text = row.cells[self.COLUMNS[0][0]].copy()
            text.truncate(width, overflow="ellipsis")
        else:
            text = Text(no_wrap=True)
            self._append_cells(text, row.cells)
        return self._strip(text, style, width)

    def _finished_row(self, cells: dict[str, Text], style: Style, width: int,
                      finish: tuple[Look, int, tuple[LineFilter, ...]]) -> FinishedStrip | None:
        """The row as _cell_segments and _styled_strip make it, finished as LeanLines would
        (the gutter, the filters), from each cell's finished segments kept by content: the
        labels and notes stay from key to key, and a row was built three times over, ~30 µs
        a row (a count edit changes 20-30). None where a cell has spans or is cut."""
        look, outer_width, filters = finish
        kept = self._finished_cells
        if len(kept) > 1024:
            kept.clear()
        segments: list[Segment] = []
        length = 0
        for column, _ in self.COLUMNS:
            column_width = self._widths.get(column, 0)
            if column_width <= 0:
                continue
            cell = cells.get(column)
            if cell is not None and cell.spans:
                return None
            plain, cell_style, right = ("", None, False) if cell is None else \
                (cell.plain, cell.style, cell.justify == "right")
            key = (column_width, plain, cell_style, right, bool(segments), style, look, filters)
            finished = kept.get(key)
            if finished is None:
                if cell_len(plain) > column_width:
                    return None
                if isinstance(cell_style, str):
                    cell_style = self.app.console.get_style(cell_style)
                parts = [Segment(text, style + part_style)
                         for text, part_style, _ in _cell_parts(plain, cell_style, right, column_width, bool(segments))]
                finished = kept[key] = (_filtered(parts, filters, look), (1 if segments else 0) + column_width)
            segments += finished[0]
            length += finished[1]
        if length > width:
            return None
        if length < width:
            segments += _filtered([Segment(" " * (width - length), style)], filters, look)
        if width < outer_width:
            segments += _filtered([Segment(" " * (outer_width - width), look.inner)], filters, look)
        return FinishedStrip(segments, outer_width)

    def _strip(self, text: Text, style: Style, width: int) -> Strip:
        segments = list(text.render(self.app.console))
        strip = Strip(segments).apply_style(style)
        return strip.extend_cell_length(width, style).crop(0, width)

    # ------------------------------------------------------------- actions
    def move_cursor(self, row: int) -> None:
        if not self.rows:
            return
        old, self.cursor_row = self.cursor_row, max(0, min(row, len(self.rows) - 1))
        self._refresh_row(old)
        self._refresh_row(self.cursor_row)
        # Keep the cursor row in view (line 0 is the header).
        top = self.scroll_offset.y
        visible = max(self.size.height - 1, 1)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(self.size.height - 2, 1))

    def action_cursor_to(self, row: int) -> None:
        self.move_cursor(row if row >= 0 else len(self.rows) - 1)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.RowSelected(self, self.rows[self.cursor_row].key))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.move_cursor(index)
            self.action_select()

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor_row)


def _styled_strip(segments: list[Segment], length: int, style: Style, width: int) -> Strip:
    """Strip(segments).apply_style(style).extend_cell_length(width, style).crop(0, width)
    in one step: each of those builds a Strip (with its seven caches), four per row."""
    if style:
        add = style.__add__
        segments = [Segment(text, add(segment_style)) for text, segment_style, _ in segments]
    if length < width:
        segments.append(Segment(" " * (width - length), style))
        length = width
    strip = Strip(segments, length)
    return strip.crop(0, width) if length > width else strip


def _cell_parts(plain: str, style: Style | None, right: bool, width: int, separated: bool) -> list[Segment]:
    """A cell laid out in its column as _append_cells lays it out: the gap before it (all
    but the first), its padding and its text (`plain` fits `width`)."""
    padding = " " * (width - cell_len(plain))
    parts = [Segment(" ")] if separated else []
    if padding and right:
        parts.append(Segment(padding))
    parts.append(Segment(plain, style))
    if padding and not right:
        parts.append(Segment(padding))
    return parts


def _filtered(segments: list[Segment], filters: tuple[LineFilter, ...], look: Look) -> list[Segment]:
    """Segments through the app's line filters (each maps a segment's style on its own, so
    a line's pieces can be filtered apart)."""
    for line_filter in filters:
        segments = line_filter.apply(segments, look.background)
    return segments


def _signature(text: Text | None) -> tuple:
    if text is None:
        return ()
    return (text.plain, str(text.style), text.justify, tuple(text.spans))

