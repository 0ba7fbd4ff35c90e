"""A widget's lines drawn without Textual's per-line styling pass, where its CSS is plain.

Textual draws every line of a widget through StylesCache.render_line, which reads the
widget's border, outline, hatch, tint and opacity for each line and joins the padding to
it; with the widget-wide lookups (background colours up the ancestors, the content region)
a frame paid ~0.15 ms for a one-line field's hint and ~0.2 ms a headline card (4 lines),
more than drawing the text itself (logged in the app at 120x40: six cards 1.1 ms of a
2.2 ms headline frame).

`LeanLines.render_lines` does what that pass does for a widget styled only by colours and
padding (no border, outline, hatch, tint, opacity or text opacity; a widget with any of
them, or a border title, takes Textual's own path): each line from `render_line`, padded
to the content width, the padding, the app's line filters, cropped to the columns asked
for. Each line is kept with the strip `render_line` gave: a widget whose `render_line`
returns the same strip for an unchanged line (a cache of its own) pays nothing for it.
tests/test_lean_lines.py compares both paths line by line.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widgets import Static

from whatif.tui.widgets.base import content_width


class LeanLines:
    """Mixin for a Widget (put it before the widget class in the bases)."""

    # y -> (the strip render_line gave, the context it was drawn in, the finished strip)
    _lean_cache: dict[int, tuple[Strip, tuple, Strip]]
    _lean_look: Look | None = None

    @property
    def look(self) -> Look:
        """What the widget's CSS makes of it, remembered as Textual remembers its
        visual_style: until its styles change or Textual restyles it (which also renews
        visual_style). Reading it walked up to the screen twice a render (background
        colours, rich_style: ~0.05-0.1 ms each)."""
        widget = self
        visual = widget.visual_style  # type: ignore[attr-defined]
        key = widget.styles._cache_key  # type: ignore[attr-defined]
        look = self._lean_look
        if look is None or look.visual is not visual or look.key != key:
            look = self._lean_look = Look(widget, visual, key)
        return look

    def render_lines(self, crop: Region) -> list[Strip]:
        widget = self
        look = self.look
        if not look.plain or _hovered_link(widget):
            return super().render_lines(crop)  # type: ignore[misc]
        inner, background = look.inner, look.background
        filters = tuple(widget.get_line_filters())  # type: ignore[attr-defined]
        width, height = widget.outer_size  # type: ignore[attr-defined]
        top, right, bottom, left = look.padding
        content_width = max(width - left - right, 0)  # (Widget.size)
        context = (width, look, filters)
        cache = getattr(widget, "_lean_cache", None)
        if cache is None:
            cache = widget._lean_cache = {}
        strips: list[Strip] = []
        for y in crop.line_range:
            if y < top or y >= height - bottom:
                line = _BLANK
            else:
                line = widget.render_line(y - top)  # type: ignore[attr-defined]
            if type(line) is FinishedStrip:  # (the widget did what follows itself)
                strips.append(line)
                continue
            kept = cache.get(y)
            if kept is not None and kept[0] is line and kept[1] == context:
                strips.append(kept[2])
                continue
            if line is _BLANK:
                segments = [Segment(" " * width, inner)]
            else:
                # What adjust_cell_length, line_pad and apply_filter make, in one list and
                # one Strip: each Strip builds seven caches, most of a line's cost here.
                cells = line.cell_length
                segments = list(line if cells <= content_width else line.crop(0, content_width))
                if cells < content_width:
                    segments.append(Segment(" " * (content_width - cells), inner))
                if left:
                    segments.insert(0, Segment(" " * left, inner))
                if right:
                    segments.append(Segment(" " * right, inner))
            for line_filter in filters:
                segments = line_filter.apply(segments, background)
            strip = Strip(segments, width)
            cache[y] = (line, context, strip)
            strips.append(strip)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips


_BLANK = Strip([])


class FinishedStrip(Strip):
    """A line a widget's render_line gives already as LeanLines would make it: padded to
    the widget's width, in its styles, through the app's line filters (the table's rows,
    which would otherwise be built as segments three times over)."""

    __slots__ = ()


class Look:
    """A widget's styles as LeanLines draws them, for one state of its CSS."""

    def __init__(self, widget, visual: VisualStyle, key: int) -> None:
        self.visual, self.key = visual, key
        styles = widget.styles
        self.plain = _plain(widget, styles)
        self.padding = styles.padding
        self.base_background, self.background = widget.background_colors
        self.inner = VisualStyle(background=self.base_background + self.background).rich_style
        self._widget = widget
        self._rich_style: RichStyle | None = None
        self._components: dict[str, RichStyle] = {}

    @property
    def rich_style(self) -> RichStyle:
        """The widget's rich_style (its colours and text style over its ancestors')."""
        if self._rich_style is None:
            self._rich_style = self._widget.rich_style
        return self._rich_style

    def component(self, name: str) -> RichStyle:
        """The widget's get_component_rich_style(name), remembered with the look. Textual
        forgets its own at every repaint, and a component's style walks up to the screen
        (~0.1 ms: the hint of an MFU or goodput field, the table's section and cursor rows,
        a focused field's cursor, on every count key)."""
        style = self._components.get(name)
        if style is None:
            style = self._components[name] = self._widget.get_component_rich_style(name)
        return style


def _plain(widget, styles) -> bool:
    """Styled by colours and padding only: what LeanLines draws as Textual would."""
    return (not any(edge for edge, _ in styles.border) and not any(edge for edge, _ in styles.outline)
            and widget._border_title is None and widget._border_subtitle is None
            and not styles.tint.a and widget.opacity == 1.0 and styles.text_opacity == 1.0
            and (not styles.has_rule("hatch") or styles.hatch == "none"))


def _hovered_link(widget) -> bool:
    """The mouse is over a clickable link in the widget (Textual restyles it then)."""
    if not widget.auto_links:
        return False
    hover_style = widget.hover_style
    return bool(hover_style._link_id and hover_style._meta and "@click" in hover_style.meta)


class LeanStatic(LeanLines, Static):
    """A Static drawn by LeanLines (the main screen's status, banners and step line), and a
    line of plain text that fits drawn as one segment, as Textual's Content draws it
    (~0.15 ms a line through Content: the status and step lines change with every count)."""

    def render_line(self, y: int) -> Strip:
        if y == 0:
            line = self._plain_line()
            if line is not None:
                return line
        return super().render_line(y)

    def _plain_line(self) -> Strip | None:
        visual = self._render()
        if not isinstance(visual, Content) or visual.spans or self.text_selection is not None:
            return None
        text = visual.plain
        cells = visual.cell_length
        if not text or "\n" in text or cells > content_width(self) \
                or self.styles.text_align not in ("left", "start") or not text.isprintable():
            return None
        style = self.visual_style.rich_style + RichStyle.from_meta({"offset": (0, 0)})
        return Strip([Segment(text, style)], cells)
