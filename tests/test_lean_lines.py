"""Widgets drawn by LeanLines (tui/widgets/lean_lines.py) and the fields' own value and hint
lines (FieldInput.render_line) give the same cells as Textual's own drawing of them, in
every state a session passes through: focused or not, a selection, the cursor inside or
past the value (shown or blinked off), an invalid value, an empty field's hint, the cards
in large digits and in text, a light theme."""

from __future__ import annotations

from rich.segment import Segment
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Static

from whatif.tui.app import WhatifApp
from whatif.tui.widgets.fields import FieldInput
from whatif.tui.widgets.lean_lines import FinishedStrip, LeanLines, LeanStatic
from whatif.tui.widgets.results import HeadlineCard

from tests.helpers import cells


# Widgets that draw their own lines where Textual would draw them otherwise: Textual's way.
TEXTUAL_LINE = {FieldInput: Input.render_line, LeanStatic: Static.render_line}


def textual_lines(widget: Widget, region: Region) -> list[Strip]:
    """The widget's lines drawn by Textual: its styles cache, and Input's or Static's own
    render_line."""
    widget._styles_cache.clear()
    for cls, textuals in TEXTUAL_LINE.items():
        if isinstance(widget, cls):
            ours = cls.render_line
            cls.render_line = textuals  # type: ignore[method-assign]
            try:
                return Widget.render_lines(widget, region)
            finally:
                cls.render_line = ours  # type: ignore[method-assign]
    return Widget.render_lines(widget, region)


FAST = {"focused": 0, "hint": 0, "value": 0, "static": 0, "finished": 0}  # compared on their own line's fast path


def compare_all(app: WhatifApp) -> int:
    """Compare every shown LeanLines widget's lines (the whole widget, and a crop of its
    columns); how many were compared."""
    compared = 0
    for widget in app.screen.walk_children():
        if not isinstance(widget, LeanLines) or not widget.display or not widget.is_mounted:
            continue
        width, height = widget.outer_size
        if not width or not height:
            continue
        for region in (Region(0, 0, width, height), Region(1, 0, max(width - 2, 1), height)):
            widget._lean_cache = {}
            ours = widget.render_lines(region)
            FAST["finished"] += sum(type(strip) is FinishedStrip for strip in ours)
            assert cells(ours) == cells(textual_lines(widget, region)), (widget, region)
            # and again from its cache
            assert cells(widget.render_lines(region)) == cells(ours), widget
        compared += 1
        if isinstance(widget, LeanStatic) and widget._plain_line() is not None:
            FAST["static"] += 1
        if isinstance(widget, FieldInput):
            fast = widget._value_line() if widget.value else widget._hint_line()
            if fast is not None:
                FAST["value" if widget.value else "hint"] += 1
                FAST["focused"] += widget.has_focus
    return compared


async def _session(size: tuple[int, int], keys: list[str], theme: str | None = None,
                   theme_after: int = 0) -> list[int]:
    """theme: switched to after theme_after keys (what every widget remembered of its look
    was drawn in the theme before)."""
    app = WhatifApp()
    counts = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        counts.append(compare_all(app))
        for index, key in enumerate(keys):
            if theme and index == theme_after:
                app.theme = theme
                await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            counts.append(compare_all(app))
        focused = app.focused
        if isinstance(focused, Input):  # the cursor blinked off, then on
            focused._cursor_visible = False
            counts.append(compare_all(app))
            focused._cursor_visible = True
        assert app.unexpected_errors == []
    return counts


# Tab to the count (its value selected), the cursor to the end and inside, edits, an
# invalid value (marked), Tab on to the MFU field (empty: its hint while not focused).
KEYS = ["tab"] * 5 + ["end", "backspace", "7", "left", "left", "shift+right", "x", "backspace",
                      "home", "3", "tab", "tab", "5", "ctrl+u", "shift+tab"]


async def test_lean_lines_draw_what_textual_draws_80x24():
    FAST.update(focused=0, hint=0, value=0, static=0, finished=0)
    counts = await _session((80, 24), KEYS)
    assert min(counts) >= 12  # the fields shown and the six cards
    # The fields' own lines were compared: the focused value (each key), hints, values.
    assert FAST["focused"] >= 10 and FAST["hint"] >= len(KEYS) and FAST["value"] >= 3 * len(KEYS) \
        and FAST["static"] >= 2 * len(KEYS) and FAST["finished"] >= 3 * len(KEYS), FAST  # status, step lines; table rows


async def test_lean_lines_draw_what_textual_draws_120x40_large_digits():
    assert min(await _session((120, 40), KEYS)) >= 12


async def test_lean_lines_draw_what_textual_draws_in_a_light_theme():
    await _session((100, 30), KEYS[:8], theme="textual-light")


async def test_lean_lines_follow_a_theme_switched_mid_edit():
    # the count focused, its cursor and selection drawn in the dark theme, then light
    await _session((100, 30), KEYS[:12], theme="textual-light", theme_after=7)


async def test_the_cards_take_the_lean_path_and_a_link_under_the_mouse_does_not():
    app = WhatifApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        card = app.query(HeadlineCard).first()
        region = Region(0, 0, *card.outer_size)
        card._styles_cache.clear()
        card._lean_cache = {}
        card.render_lines(region)
        assert card._lean_cache and not card._styles_cache._cache  # drawn here, not by Textual
        card.styles.tint = "red 50%"  # a style only Textual draws
        card._lean_cache = {}
        card.render_lines(region)
        assert not card._lean_cache and card._styles_cache._cache


def test_cells_ignore_how_segments_are_cut():
    style = None
    assert cells([Strip([Segment("ab", style), Segment("c", style)])]) == cells([Strip([Segment("abc", style)])])
    assert cells([Strip([Segment("ab")])]) != cells([Strip([Segment("ba")])])
