"""Pilot tests of the analysis panes and dialogs.

The panes are ResultViews: they show what they are given. `ViewHost` mounts them alone and
gives them results, as the app does (update_result, and an answer to ResultViewMounted).
The dialogs run in the real app on its editing session."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.widgets import Button, DataTable, Input, Select, Static

from whatif.engine.analysis.solve import parse_goal, solve
from whatif.engine.analysis.uncertainty import monte_carlo
from whatif.engine.evaluate import evaluate
from whatif.engine.units import fmt
from tests.helpers import make_scenario
from whatif.tui.screens.compare import CompareScreen
from whatif.tui.screens.dialogs import ConfirmScreen
from whatif.tui.screens.goal_seek import GoalSeekScreen
from whatif.tui.app import WhatifApp
from whatif.tui.widgets.base import ResultView, ResultViewMounted
from whatif.tui.widgets.chart import SweepChart, TornadoView
from whatif.tui.widgets.uncertainty import UncertaintyStrip
from whatif.tui.widgets.uncertainty_view import UncertaintyView

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6}, cluster={"chip": "h100", "count": 16384})


class ViewHost(App):
    """Mounts result views alone and feeds them results from above."""

    CSS_PATH = [str(ROOT / "tui" / "app.tcss"), str(ROOT / "tui" / "widgets" / "analysis.tcss")]

    def __init__(self, *widgets, scenario=SCENARIO) -> None:
        super().__init__()
        self.widgets = widgets
        self.result = evaluate(scenario)

    def compose(self) -> ComposeResult:
        yield from self.widgets

    @on(ResultViewMounted)
    def _mounted(self, event: ResultViewMounted) -> None:
        event.view.update_result(self.result, None)

    def show(self, scenario) -> None:
        self.result = evaluate(scenario)
        for view in self.query("*"):
            if isinstance(view, ResultView):
                view.update_result(self.result, None)


async def test_chart_shows_days_and_cost_against_chips_and_follows_the_scenario():
    app = ViewHost(SweepChart(id="chart"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chart = app.query_one(SweepChart)
        assert chart.data is not None and chart.data.spec.key == "cluster.count"
        assert chart.data.point == 16384 and chart.data.x[0] == 1024 and chart.data.x[-1] == 262144
        text = chart.render().plain
        assert "Training time" in text and "Cost" in text and "1,024" in text and "262,144" in text
        assert any(0x2800 < ord(ch) <= 0x28FF for ch in text)          # braille dots were drawn
        assert "reliability wall from 93,031" in text                   # the wall is inside 1k-262k
        app.show(SCENARIO.with_values({"cluster.count": 4096}))
        await pilot.pause()
        assert chart.data.point == 4096 and chart.data.x[-1] == 65536


async def test_chart_keys_switch_input_output_and_scale():
    app = ViewHost(SweepChart(id="chart"))
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(SweepChart)
        chart.focus()
        await pilot.press("x")
        assert chart.data.spec.key == "cluster.mfu" and not chart.data.log
        await pilot.press("y")
        assert chart.outputs == ("facility_mw",)
        await pilot.press("l")
        assert chart.data.log
        assert "x: MFU log" in chart.render().plain  # the label, not the key


async def test_chart_draws_the_power_cap():
    app = ViewHost(SweepChart(id="chart", outputs=("facility_mw",)),
               scenario=SCENARIO.with_values({"facility.power_cap_mw": 150.0}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = app.query_one(SweepChart).render().plain
        assert "150 MW cap" in text and "71,302" in text


async def test_chart_readable_at_80x24_in_a_narrow_pane():
    app = ViewHost(SweepChart(id="chart"))
    async with app.run_test(size=(46, 14)) as pilot:
        await pilot.pause()
        lines = app.query_one(SweepChart).render().plain.splitlines()
        assert len(lines) <= 14 and all(len(line) <= 46 for line in lines)
        assert lines[0].startswith("Training time")


async def test_goal_seek_apply_changes_the_scenario():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_goal_seek(target=60.0, op="=")
        await pilot.pause()
        screen = app.screen
        answer = screen.query_one("#goal-answer", Static)
        expected = solve(SCENARIO, "cluster.count", parse_goal("training_days=60"))
        assert str(answer.render()).startswith(f"Chips = {expected.value:,}")  # words, not cluster.count
        assert not screen.query_one("#goal-apply", Button).disabled
        await pilot.click("#goal-apply")
        await pilot.pause()
        assert app.session.scenario.cluster.count == expected.value
        assert app.session.can_undo                     # one step of history: undo goes back
        assert app.session.result.values["training_days"] <= 60.0


async def test_goal_seek_reports_no_solution_and_cannot_apply():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_goal_seek()
        await pilot.pause()
        screen = app.screen
        screen.query_one("#goal-target", Input).value = "1"
        await pilot.pause()
        assert "no solution in range" in str(screen.query_one("#goal-answer", Static).render())
        assert screen.query_one("#goal-apply", Button).disabled
        await pilot.press("ctrl+a")
        assert app.session.scenario.cluster.count == 16384
        await pilot.press("escape")
        assert not isinstance(app.screen, GoalSeekScreen)


async def test_goal_seek_for_mfu_from_a_claim():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_goal_seek(key="cluster.mfu", target=54.0, op="=")
        await pilot.pause()
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.session.result.values["training_days"] == pytest.approx(54.0, rel=1e-3)
        assert app.session.scenario.cluster.mfu is not None


async def test_compare_view_adds_columns_and_switches_chip_and_cooling():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = CompareScreen([("H100", app.session.scenario)])
        app.push_screen(screen)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert len(screen.entries) == 2 and screen.selected == 1
        chip = screen.query_one("#compare-chip", Select)
        chip.value = "b200"
        await pilot.pause()
        assert screen.entries[1][1].cluster.chip == "b200"
        table = screen.query_one("#compare-table", DataTable)
        cell = table.get_cell("training_days", "col1")
        b200_days = evaluate(SCENARIO.with_values({"cluster.chip": "b200"})).values["training_days"]
        assert str(cell).startswith(fmt("training_days", b200_days)) and "%" in str(cell)
        cooling = screen.query_one("#compare-cooling", Select)
        cooling.value = "direct-liquid"
        await pilot.pause()
        assert screen.entries[1][2].resolved.cooling.key == "direct-liquid"
        assert str(table.get_cell("setup:cooling", "col1")) == "direct-liquid"
        assert str(table.get_cell("setup:cooling", "col0")) == "air"
        await pilot.press("d")
        assert len(screen.entries) == 1
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)


async def test_compare_view_reports_a_rejected_change_and_keeps_the_column():
    app = WhatifApp(scenario=SCENARIO)
    scenario = SCENARIO.with_values({"workload.precision": "fp8"})
    async with app.run_test(size=(80, 24)) as pilot:
        screen = CompareScreen([("fp8", scenario), ("fp8 again", scenario)])
        app.push_screen(screen)
        await pilot.pause()
        assert not screen.set_column(1, {"cluster.chip": "a100"})      # the A100 has no FP8 peak
        await pilot.pause()
        assert screen.entries[1][1].cluster.chip == "h100"
        assert "a100" in str(screen.query_one("#compare-status", Static).render()).lower()


async def test_uncertainty_strip_and_pane_show_p10_p50_p90():
    app = ViewHost(UncertaintyStrip(id="strip"), UncertaintyView(id="bands"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        mc = monte_carlo(SCENARIO)
        strip = str(app.query_one("#strip", Static).render())
        days = mc.bands["training_days"]
        assert strip.startswith(f"P10/P50/P90: time {days.p10:.1f}/{days.p50:.1f}/{fmt('training_days', days.p90)}")
        assert "cost $" in strip
        table = app.query_one("#uncertainty-bands", DataTable)
        assert table.get_cell("training_days", "p10") == fmt("training_days", mc.bands["training_days"].p10)
        assert table.get_cell("cost_usd", "p50") == fmt("cost_usd", mc.bands["cost_usd"].p50)
        assert table.get_cell("training_days", "now") == fmt("training_days", app.result.values["training_days"])
        ranges = app.query_one("#uncertainty-ranges", DataTable)
        assert ranges.row_count == 8
        app.show(SCENARIO.with_values({"cluster.count": 32768}))
        await pilot.pause()
        assert table.get_cell("training_days", "now") == fmt("training_days", app.result.values["training_days"])


async def test_tornado_pane_ranks_inputs_and_switches_output():
    app = ViewHost(TornadoView(id="tornado"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.query_one(TornadoView)
        assert view.text.startswith("Sensitivity of cost")
        view.focus()
        await pilot.press("o")
        assert view.text.startswith("Sensitivity of training time")
        await pilot.press("r")
        assert "plausible ranges" in view.text.splitlines()[0]


async def test_export_dialog_writes_and_asks_before_replacing(tmp_path):
    app = WhatifApp(scenario=SCENARIO)
    target, existing = tmp_path / "r.csv", tmp_path / "old.csv"
    existing.write_text("keep")
    async with app.run_test(size=(80, 24)) as pilot:
        for path in (target, existing):
            app.action_export()
            await pilot.pause()
            app.screen.query_one("#export-path", Input).value = str(path)
            await pilot.click("#export-ok")
            await pilot.pause()
        assert target.read_text().startswith("kind,key,label,value,unit,origin")
        assert existing.read_text() == "keep"                       # not replaced: asked first
        assert isinstance(app.screen, ConfirmScreen) and "old.csv exists" in app.screen.question
        await pilot.click("#yes")
        await pilot.pause()
        assert existing.read_text().startswith("kind,")


async def test_goal_seek_largest_count_under_the_scenarios_power_cap():
    app = WhatifApp(scenario=SCENARIO.with_values({"facility.power_cap_mw": 150.0}))
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_goal_seek(output="facility_mw", op="<=")
        await pilot.pause()
        app.screen.query_one("#goal-target", Input).value = "cap"
        await pilot.pause()
        assert "largest whole chip count" in str(app.screen.query_one("#goal-answer", Static).render())
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.session.scenario.cluster.count == 71301


async def test_goal_seek_target_takes_a_burst_of_editing_keys_in_order():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_goal_seek()
        await pilot.pause()
        target = app.screen.query_one("#goal-target", Input)
        target.focus()
        await pilot.press("ctrl+u", "3", "0")          # one burst, as typed over SSH
        await pilot.pause()
        assert target.value == "30"
        assert app.screen.query_one("#goal-key", Select).value == "cluster.count"
        assert ("Chips", "cluster.count") in app.screen.query_one("#goal-key", Select)._options   # words, not keys


async def test_goal_seek_opens_with_its_target_selected_so_typing_replaces_it():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+g")
        await pilot.pause()
        target = app.screen.query_one("#goal-target", Input)
        assert app.focused is target and target.value not in ("", "30")
        await pilot.press("3", "0")
        await pilot.pause()
        assert target.value == "30"
        assert "<= 30.0 days" in str(app.screen.query_one("#goal-answer", Static).render())


async def test_the_p10_p90_line_says_it_is_updating_until_new_samples_are_in():
    strip = UncertaintyStrip(id="strip")
    app = ViewHost(strip)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert str(strip.render()).startswith("P10/P50/P90:")
        strip.DELAY_S = 5.0                                  # keep the new samples waiting
        strip.update_result(evaluate(SCENARIO.with_values({"cluster.count": 8192})), None)
        assert str(strip.render()).startswith("P10/P50/P90…")


async def test_the_dimmed_p10_p90_line_is_drawn_ahead_as_textual_draws_it():
    """The dimmed line a key brings is drawn while the app is idle after the samples; the
    key's frame shows those lines, the same cells as drawing it then."""
    from textual.geometry import Region

    from tests.helpers import cells

    strip = UncertaintyStrip(id="strip")
    app = ViewHost(strip)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert strip._drawn
        strip.DELAY_S = 5.0
        strip.update_result(evaluate(SCENARIO.with_values({"cluster.count": 8192})), None)
        await pilot.pause()
        region = Region(0, 0, *strip.outer_size)
        shown = strip.render_lines(region)
        assert any(lines is strip._render_cache.lines for lines in strip._drawn.values())  # drawn ahead
        assert "".join(segment.text for segment in shown[0]).strip().startswith("P10/P50/P90…")
        strip._drawn.clear()
        strip._lean_cache = {}
        strip.refresh()
        assert cells(strip.render_lines(region)) == cells(shown)


def test_a_band_without_any_figure_reads_n_a_once():
    """A chip without a published rental price: the strip read 'cost n/a/n/a/n/a'."""
    from whatif.engine.analysis.uncertainty import Band
    from whatif.tui.widgets.uncertainty import band_text

    nan = float("nan")
    assert band_text("cost_usd", {"cost_usd": Band(nan, nan, nan, nan)}) == "n/a"
    assert band_text("cost_usd", {"cost_usd": Band(60.3e6, 82.8e6, 116e6, 82.8e6)}) == "$60.3M/$82.8M/$116M"
    assert band_text("training_days", {"training_days": Band(64.1, 72.7, 80.5, 72.7)}) == "64.1/72.7/80.5 days"


async def test_the_p10_p90_line_keeps_every_line_it_wraps_to_after_a_resize():
    """From 100x30 to 160x48 the line holds more figures; in tmux it wrapped to two lines but
    stayed one line tall (the layout of a resize passes through intermediate widths), so the
    energy's unit and the CO2 were cut off, every time. The headless driver's resize does not
    reproduce the race, so the strip is also put in that state by hand: the longer text shown
    without a layout, one line tall, as tmux showed it; the check after a resize lays it out."""
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        strip = app.query_one(UncertaintyStrip)
        for _ in range(40):
            await pilot.pause(0.05)
            if "P10/P50/P90: time" in str(strip.render()):
                break

        def wrapped() -> int:
            return len(Text(str(strip.render())).wrap(app.console, strip.content_region.width))

        for size in ((160, 48), (100, 30), (160, 48), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
            await pilot.pause()
            assert strip.size.height == wrapped() >= 1, (size, str(strip.render()))
            if size == (160, 48):
                assert "CO2" in str(strip.render())
        await pilot.resize_terminal(160, 48)
        await pilot.pause(0.3)
        full = str(strip.render())
        for _ in range(10):   # any other layout pass in between gives the right height too
            strip.update(full.split(" · energy")[0])
            await pilot.pause()
            # The shorter line's resize checks the height after the next refresh: let that
            # pass first, on the shorter text (after the longer one, it fixed the state
            # built here, and under CI's load it did so five times in five).
            await pilot.pause()
            await pilot.pause()
            strip.update(full, layout=False)   # the race: the longer text, no layout
            await pilot.pause()
            if strip.size.height == 1:
                break
        assert strip.size.height == 1 and wrapped() == 2
        strip._fit_height()
        await pilot.pause()
        assert strip.size.height == 2
