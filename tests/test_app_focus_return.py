"""Pilot tests: wherever focus comes back to a number field (a dialog, a picker, the
compare view, the palette closing; a value the app puts in), its value is selected, so
typing replaces it as after Tab or a click (405 once became 4057)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from whatif.tui.app import WhatifApp
from whatif.tui.screens.compare_tabs import TabsCompareScreen
from whatif.tui.screens.dialogs import DetailsScreen, PresetPicker
from whatif.tui.screens.goal_seek import GoalSeekScreen
from whatif.tui.screens.help import HelpScreen
from whatif.tui.screens.plan import PlanScreen

PARAMS = "#f-workload-params-b"


@pytest.mark.parametrize("key, screen", [
    ("f1", HelpScreen), ("ctrl+g", GoalSeekScreen), ("f4", DetailsScreen), ("f7", PlanScreen),
    ("ctrl+r", TabsCompareScreen), ("ctrl+o", PresetPicker),
])
async def test_typing_after_a_dialog_closes_replaces_the_value(key, screen):
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click(PARAMS)
        await pilot.press("ctrl+u", *"405")                  # the cursor now sits after 405
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, screen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, screen)
        field = app.query_one(PARAMS, Input)
        assert app.focused is field
        await pilot.press("7", "0")
        await pilot.pause()
        assert field.value == "70" and app.session.scenario.workload.params_b == 70


async def test_typing_after_the_palette_closes_replaces_the_value():
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click(PARAMS)
        await pilot.press("ctrl+u", *"405", "ctrl+p")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("8")
        await pilot.pause()
        assert app.query_one(PARAMS, Input).value == "8"


async def test_a_goal_seek_answer_in_the_focused_field_is_replaced_by_typing():
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#f-cluster-count")
        await pilot.press("end")                              # cursor at the end, nothing selected
        before = app.session.scenario.cluster.count
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("ctrl+a")                           # count for 3/4 of the days
        await pilot.pause()
        field = app.query_one("#f-cluster-count", Input)
        assert app.session.scenario.cluster.count != before
        assert app.focused is field
        await pilot.press(*"512")
        await pilot.pause()
        assert field.value == "512" and app.session.scenario.cluster.count == 512


async def test_undo_puts_the_old_value_back_selected():
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click(PARAMS)
        original = app.query_one(PARAMS, Input).value
        await pilot.press(*"999")
        await pilot.pause()
        await pilot.press("ctrl+z")
        await pilot.pause()
        field = app.query_one(PARAMS, Input)
        assert field.value == original
        await pilot.press("3")
        await pilot.pause()
        assert field.value == "3" and app.session.scenario.workload.params_b == 3


async def test_the_click_that_focuses_a_field_selects_its_value_a_second_click_places_the_cursor():
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#f-cluster-count", offset=(8, 0))     # right of '16384'
        await pilot.press(*"2048")
        await pilot.pause()
        field = app.query_one("#f-cluster-count", Input)
        assert field.value == "2048" and app.session.scenario.cluster.count == 2048
        await pilot.click("#f-cluster-count", offset=(1, 0))     # already focused: a cursor
        await pilot.press("1")
        await pilot.pause()
        assert field.value == "21048"
