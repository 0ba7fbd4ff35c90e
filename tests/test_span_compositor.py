"""The main screen's partial frames (tui/widgets/span_compositor.py) write exactly what
Textual's own compositor writes for the same changes, while rendering fewer widgets."""

from __future__ import annotations

from textual._compositor import Compositor
from textual.widget import Widget
from textual.widgets import Input

from whatif.tui.app import WhatifApp
from whatif.tui.widgets.span_compositor import SpanCompositor

render_lines = Widget.render_lines
ours = SpanCompositor.render_partial_update


async def _frames_compared(monkeypatch, size: tuple[int, int], keys: list[str]) -> dict[str, int]:
    app = WhatifApp()
    counts = {"frames": 0, "differ": 0, "ours": 0, "stock": 0}
    rendered: list[Widget] = []

    def counting(widget: Widget, crop):
        rendered.append(widget)
        return render_lines(widget, crop)

    def both(compositor: SpanCompositor):
        """Our frame, then Textual's own for the same changed regions: the same bytes."""
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
            if update.render_segments(app.console) != stock.render_segments(app.console):
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
