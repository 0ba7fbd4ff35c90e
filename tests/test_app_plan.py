"""Pilot tests of the Plan view (tui/screens/plan.py): edit the cap, the ranking follows;
Enter applies a row through the session, and undo takes it back."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Input, Static

from tests.helpers import make_scenario
from whatif.tui.app import WhatifApp
from whatif.tui.screens.plan import PlanScreen, PlanTable

SCENARIO = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6}, cluster={"chip": "h100", "count": 16384})


def ranking(screen: PlanScreen) -> list[tuple[str, str]]:
    table = screen.query_one("#plan-table", PlanTable)
    return [(row.cells["chip"].plain, row.cells["count"].plain) for row in table.rows]


async def test_plan_view_follows_the_cap_and_applies_a_row():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        cap = screen.query_one("#plan-cap", Input)
        cap.value = "100"
        await pilot.pause()
        at_100 = ranking(screen)
        assert len(at_100) > 5 and screen.plan.ok
        table = screen.query_one("#plan-table", PlanTable)
        cells = [row.cells["binding"].plain for row in table.rows]
        # Each option's binding, short: at 100 MW most sit just under the cap.
        assert all(c.startswith(("≈ ", "power cap", "none")) for c in cells) and "≈ power cap" in cells
        assert "@" in str(screen.query_one("#plan-scatter", Static).render())
        cap.value = "20"
        await pilot.pause()
        at_20 = ranking(screen)
        assert at_20 != at_100
        assert all(o.figures["facility_mw"] <= 20 for o in screen.plan.options)
        cap.value = "x"
        await pilot.pause()
        assert "not a number" in str(screen.query_one("#plan-status", Static).render())
        cap.value = "20"
        await pilot.pause()
        cap = screen.query_one("#plan-cap", Input)
        cap.focus()
        await pilot.press("enter")                       # Enter in a field moves to the table
        await pilot.pause()
        table = screen.query_one("#plan-table", PlanTable)
        assert table.has_focus
        await pilot.press("down")
        chosen = screen.plan.options[1]
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        s = app.session.scenario
        assert (s.cluster.chip, s.cluster.count, s.facility.cooling) == (chosen.chip, chosen.count, chosen.cooling)
        assert app.session.result.values["training_days"] == chosen.figures["training_days"]
        await pilot.press("ctrl+z")                      # one undo step takes the whole option back
        await pilot.pause()
        assert app.session.scenario == SCENARIO


async def test_plan_view_says_what_bites_when_nothing_is_feasible():
    app = WhatifApp(scenario=SCENARIO)
    assert "analysis.plan" in {b.id for b in app.palette_bindings()}     # a palette entry too
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_plan()
        await pilot.pause()
        screen = app.screen
        screen.query_one("#plan-cap", Input).value = "2"
        screen.query_one("#plan-deadline", Input).value = "10"
        await pilot.pause()
        assert not screen.plan.ok and ranking(screen) == []
        assert "bites first" in str(screen.query_one("#plan-status", Static).render())
        await pilot.press("ctrl+f")                                          # the exact search agrees
        for _ in range(200):
            if screen.plan.every_count:
                break
            await pilot.pause(0.05)
        status = str(screen.query_one("#plan-status", Static).render())
        assert not screen.plan.ok and status.startswith("every count searched (exact): nothing is feasible")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen) and app.session.scenario == SCENARIO


async def test_goal_seek_chooses_the_cheapest_chip_and_applies_it():
    from whatif.tui.screens.goal_seek import GoalSeekScreen

    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_goal_seek(key="cluster.chip", output="training_days", op="<=", target=60.0)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GoalSeekScreen) and screen.choice is not None and screen.choice.ok
        assert screen.query_one("#goal-objective-row").display
        best = screen.choice.best
        assert str(screen.query_one("#goal-answer", Static).render()).startswith("Chip = ")
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert not isinstance(app.screen, GoalSeekScreen)
        assert app.session.scenario.cluster.chip == best.chip
        assert app.session.result.values["training_days"] <= 60
        assert app.session.result.values["cost_usd"] == best.figures["cost_usd"]


async def test_compare_view_explains_the_selected_column_with_shares_that_add_up():
    from whatif.engine.analysis.attribution import explain
    from whatif.tui.screens.compare import CompareScreen

    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 36)) as pilot:
        other = SCENARIO.with_values({"cluster.chip": "b200", "facility.region": "france"})
        screen = CompareScreen([("H100", SCENARIO), ("B200 France", other)])
        app.push_screen(screen)
        await pilot.pause()
        table = screen.query_one("#compare-table", DataTable)
        table.move_cursor(column=2)
        await pilot.pause()
        text = str(screen.query_one("#compare-why", Static).render())
        assert "Cost" in text and "chip" in text and "region" in text
        _, splits = explain(SCENARIO, other)
        cost = next(s for s in splits if s.output == "cost_usd")
        assert sum(cost.shares.values()) == pytest.approx(cost.total)


async def test_at_80x24_every_constraint_is_on_screen_and_the_table_keeps_cost_and_mw_whole():
    from whatif.engine.units import fmt

    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        for widget_id in ("plan-cap", "plan-deadline", "plan-budget", "plan-max", "plan-objective"):
            region = screen.query_one(f"#{widget_id}").region
            assert region.width > 0 and region.right <= 80, widget_id  # one row put the last two off-screen
        table = screen.query_one("#plan-table", PlanTable)
        await pilot.pause()
        lines = [table.render_line(y).text for y in range(table.size.height)]
        assert lines[0].split()[:6] == ["Chip", "Cooling", "Chips", "Days", "Cost", "MW"]
        best = screen.plan.options[0]
        assert lines[1].rstrip().endswith(fmt("facility_mw", best.figures["facility_mw"]))
        assert fmt("training_days", best.figures["training_days"]).removesuffix(" days") in lines[1]


async def test_every_count_search_runs_in_a_thread_and_an_edit_drops_it(monkeypatch):
    """ctrl+f searches every whole-server count in a thread: the grid's plan stays until it
    ends, then the exact plan replaces it (never worse); a cap typed meanwhile drops it."""
    import threading

    import whatif.tui.screens.plan as view

    release = threading.Event()
    grid_plan = view.plan

    def held(*args, **kwargs):
        if kwargs.get("every_count"):
            assert release.wait(10)
        return grid_plan(*args, **kwargs)

    monkeypatch.setattr(view, "plan", held)
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#plan-cap", Input).value = "20"
        screen.query_one("#plan-max", Input).value = "20000"
        await pilot.pause()
        grid = screen.plan
        status = screen.query_one("#plan-status", Static)
        assert grid.ok and not grid.every_count and "options searched" in str(status.render())
        await pilot.press("ctrl+f")
        assert "Searching every whole-server count" in str(status.render())
        screen.query_one("#plan-cap", Input).value = "25"     # typed while it searches
        await pilot.pause()
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.plan.every_count and screen.plan.limits[0].target == 25
        await pilot.press("ctrl+f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        exact = screen.plan
        assert exact.every_count and exact.limits[0].target == 25
        assert "every count searched (exact)" in str(status.render())
        assert exact.best.figures["training_days"] <= grid_plan(
            app.session.scenario, exact.limits, max_chips=20000).best.figures["training_days"]
        assert ranking(screen)[0] == (exact.best.chip, f"{exact.best.count:,}")
        await pilot.press("ctrl+f")                   # already exact: a bell, nothing searched
        assert screen.plan is exact


async def test_closing_the_plan_view_stops_its_every_count_search(monkeypatch):
    """The search runs in a thread the app would wait for on quitting (16 s with no limits,
    measured): closing the view cancels it, and it stops at its next batch."""
    import threading

    import whatif.tui.screens.plan as view

    release, answers = threading.Event(), []

    def held(*args, **kwargs):
        if kwargs.get("every_count"):
            assert release.wait(10)
            answers.append(kwargs["progress"](0.5))        # what the search hears after a batch
            raise view.SearchStopped("stopped")
        return grid_plan(*args, **kwargs)

    grid_plan = view.plan
    monkeypatch.setattr(view, "plan", held)
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("ctrl+f", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        release.set()
        for _ in range(200):   # a cancelled thread worker counts as done before its thread ends
            if answers:
                break
            await asyncio.sleep(0.01)
        assert answers == [False]


async def test_a_demo_session_offers_no_every_count_search(monkeypatch):
    """Demo visitors share the server's cores: ctrl+f is neither shown nor run there."""
    monkeypatch.setenv("WHATIF_DEMO", "1")
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        keys = {b.binding.id for b in screen.active_bindings.values() if b.enabled}
        assert "plan.apply" in keys and "plan.every_count" not in keys
        await pilot.press("ctrl+f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.plan.every_count and "Searching" not in str(screen.query_one("#plan-status", Static).render())
