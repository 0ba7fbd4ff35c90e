"""A frame renders only the widgets it changes, not every widget near them.

For a partial frame (a keystroke's), Textual's compositor takes the box around the frame's
changes and renders every widget whose *clip* (its container's visible area) overlaps that
box, each over its whole height: the key bar, the title and the status line (clipped by the
screen), every row of an input panel the box touches and every container behind them were
rendered on every key, ~0.1 ms each. The frame writes only the changed regions' cells (in
whole segments of the pieces between widget edges), and each piece shows the frontmost
widget that covers it.

`SpanCompositor` goes through the widgets front to back and renders one only if its visible
area overlaps a changed region that no widget in front of it covers whole, and only its
lines inside the box. What it writes is the same: the frontmost widget of every written
piece is rendered (had a widget in front of it covered the piece's changed region whole, it
would be the frontmost), and each widget's strips are cut at the same cuts (only whole lines
are left out). Full frames are Textual's own. tests/test_span_compositor.py compares the
two frame by frame.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip


class SpanCompositor(Compositor):
    # The changed regions of the partial frame being rendered; None otherwise.
    _changed: list[Region] | None = None

    def render_partial_update(self) -> ChopsUpdate | None:
        self._changed = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        changed = self._changed
        if crop is None or not changed:
            yield from super()._get_renders(crop)
            return
        # Corners (x1, y1, x2, y2) compared inline: a Region method per widget and change
        # cost more than the widgets it saved at 120x40 (six cards, three changed lines each).
        uncovered = [(x, y, x + width, y + height) for x, y, width, height in changed]
        top, bottom = crop.y, crop.bottom
        for widget, (region, clip) in self.visible_widgets.items():
            if not uncovered:
                return
            visible = region.intersection(clip)
            x1, y1, x2, y2 = visible.corners
            if y2 <= top or y1 >= bottom or not any(
                    x1 < bx2 and bx1 < x2 and y1 < by2 and by1 < y2 for bx1, by1, bx2, by2 in uncovered):
                continue
            # Only the lines inside the box, as the clip: _render_chops lays the strips on
            # region ∩ clip.
            lines = Region(x1, max(y1, top), x2 - x1, min(y2, bottom) - max(y1, top))
            yield region, lines, widget.render_lines(lines.translate(-region.offset))
            # What this widget covers whole, no widget behind it shows.
            uncovered = [box for box in uncovered
                         if not (x1 <= box[0] and box[2] <= x2 and y1 <= box[1] and box[3] <= y2)]
