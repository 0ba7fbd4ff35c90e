"""The key bar: what it keeps when the terminal is narrow, and that a click presses the key."""

from __future__ import annotations

from whatif.tui.app import WhatifApp
from whatif.tui.screens.help import HelpScreen
from whatif.tui.widgets.keybar import KeyBar, KeyItem


def item(display: str, description: str, pinned: bool = False) -> KeyItem:
    return KeyItem(display, display, description, description, True, pinned)


def test_fit_drops_unpinned_keys_from_the_end_first():
    items = [item("^q", "Quit", pinned=True), item("^b", "Baseline"), item("^o", "Open"),
             item("f1", "Help", pinned=True), item("^p", "palette", pinned=True)]
    # Each key costs len(display) + len(description) + 3 cells: 9, 13, 9, 9, 12 = 52.
    assert KeyBar.fit(items, 52) == items
    assert [i.description for i in KeyBar.fit(items, 51)] == ["Quit", "Baseline", "Help", "palette"]
    assert [i.description for i in KeyBar.fit(items, 42)] == ["Quit", "Help", "palette"]
    # Pinned keys stay even when they alone do not fit (the line is then cropped).
    assert [i.description for i in KeyBar.fit(items, 5)] == ["Quit", "Help", "palette"]


async def test_bar_keeps_help_and_palette_at_80_columns_and_a_click_presses_the_key():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(KeyBar)
        line = str(bar.render())
        assert line.startswith(" ^q Quit ")
        assert " f1 Help " in line and line.rstrip().endswith("^p palette")
        assert len(line) <= 80
        help_start = line.index(" f1 Help ")
        await pilot.click(KeyBar, offset=(help_start + 2, 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_wide_bar_shows_every_key_with_show_set():
    app = WhatifApp()
    async with app.run_test(size=(160, 40)):
        line = str(app.query_one(KeyBar).render())
        for label in ("Quit", "Baseline", "Open", "Save", "Save as", "Goal seek", "Compare", "Help", "palette"):
            assert f" {label} " in line, label
        assert "TOML" not in line  # show=False bindings stay in the help screen only
