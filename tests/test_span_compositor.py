"""The main screen's partial frames (tui/widgets/span_compositor.py) put the same cells on
the terminal as Textual's own compositor does for the same changes, while rendering fewer
widgets."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import ControlType, Segment
from textual._compositor import ChopsUpdate, Compositor
from textual.widget import Widget
from textual.widgets import Input

from whatif.tui.app import WhatifApp
from whatif.tui.widgets.span_compositor import SpanCompositor
from whatif.tui.widgets.titlebar import TitleBar

render_lines = Widget.render_lines
ours = SpanCompositor.render_partial_update


def cells_written(update: ChopsUpdate, console) -> dict[tuple[int, int], tuple[str, object]]:
    """(x, y) -> (character, style) of each cell a frame writes, as a terminal applies it.
    Textual's own frames also move the cursor to a piece next to a changed span and write
    nothing there; the cells are what count."""
    cells: dict[tuple[int, int], tuple[str, object]] = {}
    x = y = 0
    for segment in update.__rich_console__(console, console.options):
        assert isinstance(segment, Segment)
        if segment.control:
            for code in segment.control:
                if code[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = code[1], code[2]
        elif segment.text == "\n":
            x, y = 0, y + 1
        else:
            for character in segment.text:
                cells[x, y] = (character, segment.style)
                x += cell_len(character)
    return cells


async def _frames_compared(monkeypatch, size: tuple[int, int], keys: list[str]) -> dict[str, int]:
    app = WhatifApp()
    counts = {"frames": 0, "differ": 0, "ours": 0, "stock": 0}
    rendered: list[Widget] = []

    def counting(widget: Widget, crop):
        rendered.append(widget)
        return render_lines(widget, crop)

    def both(compositor: SpanCompositor):
        """Our frame, then Textual's own for the same changed regions: the same cells."""
        changed = set(compositor._dirty_regions)
        rendered.clear()
        update = ours(compositor)
        counts["ours"] += len(rendered)
        compositor._dirty_regions = set(changed)
        rendered.clear()
        stock = Compositor.render_partial_update(compositor)
        counts["stock"] += len(rendered)
        if update is not None:
            counts["frames"] += 1
            if cells_written(update, app.console) != cells_written(stock, app.console):
                counts["differ"] += 1
        return update

    monkeypatch.setattr(Widget, "render_lines", counting)
    monkeypatch.setattr(SpanCompositor, "render_partial_update", both)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for field in app.query(Input):
            field.cursor_blink = False
        assert isinstance(app.screen._compositor, SpanCompositor)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)
        assert app.unexpected_errors == []
    return counts


# Typing in the count (figures, table, hints, status), an invalid value (its message mounts
# under the field), Tab on through the fields, a section opened, a result tab switched.
KEYS = ["tab"] * 5 + ["end", "backspace", "7", "backspace", "x", "backspace", "3",
                      "tab", "5", "shift+tab", "shift+tab", "shift+tab", "enter", "alt+2", "alt+1"]


async def test_partial_frames_write_what_textual_writes_from_fewer_widgets(monkeypatch):
    for size in ((80, 24), (120, 40)):
        counts = await _frames_compared(monkeypatch, size, KEYS)
        assert counts["frames"] >= 10, (size, counts)
        assert counts["differ"] == 0, (size, counts)
        assert counts["ours"] < counts["stock"] / 2, (size, counts)


async def test_the_title_marking_an_edit_redraws_its_line_not_the_screen(monkeypatch):
    """App.title and sub_title are Textual reactives that repaint the whole screen when they
    change: the '● modified' mark came and went with every edit that left or reached the
    saved value (a typed digit, an undo), and each time the frame was the whole screen
    (10 kB at 80x24 instead of 0.6 kB). Only the title bar shows them."""
    full_frames = []
    full = SpanCompositor.render_full_update

    def counted(self, *args, **kwargs):
        full_frames.append(self)
        return full(self, *args, **kwargs)

    monkeypatch.setattr(SpanCompositor, "render_full_update", counted)
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#f-cluster-count")
        await pilot.press("end")
        await pilot.pause()
        full_frames.clear()
        await pilot.press("backspace")   # 16384 -> 1638: modified
        await pilot.pause()
        assert "modified" in app.sub_title
        await pilot.press("4")           # back to the saved 16384
        await pilot.pause()
        assert "modified" not in app.sub_title
        await pilot.pause()
        title = app.query_one(TitleBar)
        assert "modified" not in "".join(s.text for s in title.render_lines(title.region.reset_offset)[0])
        assert full_frames == []
