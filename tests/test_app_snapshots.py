"""Snapshots of the main screen at 80x24 (compact), 120x40 (large type) and 160x48 (wider inputs), cursor frozen."""

from __future__ import annotations

from textual.widgets import Input

from whatif.tui.app import WhatifApp


async def _freeze(pilot) -> None:
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_main_screen_80x24(snap_compare):
    assert snap_compare(WhatifApp(), terminal_size=(80, 24), run_before=_freeze)


def test_main_screen_120x40(snap_compare):
    assert snap_compare(WhatifApp(), terminal_size=(120, 40), run_before=_freeze)


def test_main_screen_with_baseline_and_invalid_field_120x40(snap_compare):
    async def edit(pilot) -> None:
        await _freeze(pilot)
        await pilot.press("ctrl+b")
        pilot.app.query_one("#f-cluster-count", Input).value = "32768"
        await pilot.pause()
        pilot.app.query_one("#f-facility-pue", Input).value = "0.9"
        await pilot.pause()
    assert snap_compare(WhatifApp(), terminal_size=(120, 40), run_before=edit)


def test_main_screen_160x48_widens_the_inputs(snap_compare):
    assert snap_compare(WhatifApp(), terminal_size=(160, 48), run_before=_freeze)


def test_tour_with_its_note_and_the_claims_whole_80x24(snap_compare):
    from pathlib import Path

    from whatif.engine.tours import load_tour

    tour = load_tour(Path(__file__).resolve().parent.parent / "presets" / "tours" / "article")
    assert snap_compare(WhatifApp(tour=tour), terminal_size=(80, 24), run_before=_freeze)
