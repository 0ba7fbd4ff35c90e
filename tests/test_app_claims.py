"""Pilot tests of the Claims pane: an article preset shows its claims; changing the chip or
the FLOPs changes a verdict, live."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import App, ComposeResult
from textual.widgets import Static, TabbedContent, TabPane

from whatif.engine.claims import check_claims
from whatif.engine.evaluate import Result, evaluate
from whatif.engine.presets import load_preset
from whatif.engine.scenario import Scenario
from whatif.tui.widgets.base import ResultViewMounted
from whatif.tui.widgets.claims import ClaimsTable, ClaimsView

PRESETS = Path(__file__).resolve().parent.parent / "presets"
SIZE = (140, 40)


def verdict(app: App, key: str) -> str:
    return app.query_one("#claims-table", ClaimsTable).get_cell(key, "verdict").plain


def reasons(app: App) -> str:
    return str(app.query_one("#claims-reasons", Static).render())


def cell(app: App, key: str, column: str) -> str:
    return app.query_one("#claims-table", ClaimsTable).get_cell(key, column).plain


class ClaimsHost(App):
    """The smallest host: a results TabbedContent with the Claims pane, fed results from
    above as the real app does."""

    CSS_PATH = "../tui/widgets/claims.tcss"

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario, self.result = scenario, evaluate(scenario)
        self.baseline: Result | None = None

    @on(ResultViewMounted)
    def _mounted(self, event: ResultViewMounted) -> None:
        event.view.update_result(self.result, self.baseline)

    def compose(self) -> ComposeResult:
        with TabbedContent(id="tabs"):
            with TabPane("Results", id="tab-results"):
                yield Static("results")
            with TabPane("Claims", id="tab-claims"):
                yield ClaimsView(id="claims")

    def set_scenario(self, scenario: Scenario) -> None:
        self.scenario, self.result = scenario, evaluate(scenario)
        self.query_one(ClaimsView).update_result(self.result, self.baseline)


async def test_standalone_pane_shows_claims_and_follows_a_chip_change():
    scenario = load_preset(PRESETS / "article-gpt4.toml")
    app = ClaimsHost(scenario)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "tab-claims"  # brought forward
        table = app.query_one("#claims-table", ClaimsTable)
        assert [row.key for row in table.rows] == ["flops", "training_days", "cost_usd"]
        assert cell(app, "training_days", "claimed") == "90.0 days"
        assert cell(app, "training_days", "util") == "4.8 %"
        assert verdict(app, "training_days") == "implausible"
        assert "Time: implausible: implied utilisation 4.8 % is under 15 %" in reasons(app)
        assert "Seed article" in str(app.query_one("#claims-head", Static).render())

        app.baseline = app.result
        app.set_scenario(scenario.with_values({"cluster.chip": "a100"}))
        await pilot.pause()
        assert cell(app, "training_days", "util") == "34.6 %"
        assert verdict(app, "training_days") == "plausible"
        assert "(baseline: implausible)" in reasons(app)


async def test_standalone_pane_hides_its_tab_without_claims():
    app = ClaimsHost(load_preset(PRESETS / "default.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tabs = app.query_one("#tabs", TabbedContent)
        assert tabs.active == "tab-results"
        assert tabs.get_tab("tab-claims").has_class("-hidden")
        app.set_scenario(load_preset(PRESETS / "cluster-100k-h100-air.toml"))
        await pilot.pause()
        assert not tabs.get_tab("tab-claims").has_class("-hidden")
        assert tabs.active == "tab-claims"
        assert verdict(app, "facility_mw") == "consistent"
        assert "Facility MW: consistent: within the claimed range" in reasons(app)


# --- In the whatif app. ---

async def test_app_opens_an_article_preset_on_its_claims_and_a_chip_change_flips_the_verdict():
    from whatif.tui.app import WhatifApp

    app = WhatifApp(PRESETS / "article-gpt4.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tabs = app.query_one("#tabs", TabbedContent)
        assert tabs.active == "tab-claims"
        assert app.query_one("#claims", ClaimsView).region.height > 0  # on screen
        assert verdict(app, "training_days") == "implausible"
        assert cell(app, "training_days", "util") == "4.8 %"

        await pilot.click("#f-cluster-chip")  # the chip picker, as a user would
        await pilot.press(*"a100", "enter")
        await pilot.pause()
        assert app.session.scenario.cluster.chip == "a100"
        expected = {c.key: c for c in check_claims(app.session.result)}["training_days"]
        assert cell(app, "training_days", "util") == expected.utilisation_text == "34.6 %"
        assert verdict(app, "training_days") == "plausible"


async def test_app_typing_the_papers_flops_makes_the_llama_row_plausible():
    from whatif.tui.app import WhatifApp

    app = WhatifApp(PRESETS / "article-llama31-405b.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert verdict(app, "training_days") == "implausible"
        app.session.apply_values({"workload.flops": 3.8e25})
        await pilot.pause()
        assert cell(app, "training_days", "util") == "40.7 %"
        assert verdict(app, "training_days") == "plausible"
        assert verdict(app, "flops") == "off"
        assert "Compute: off by x10: the claim is lower" in reasons(app)


async def test_app_default_preset_has_no_claims_tab():
    from whatif.tui.app import WhatifApp

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tabs = app.query_one("#tabs", TabbedContent)
        assert tabs.active == "tab-results"
        assert tabs.get_tab("tab-claims").has_class("-hidden")


async def test_narrow_claims_table_keeps_verdicts_and_figures_whole():
    from whatif.tui.app import WhatifApp

    app = WhatifApp(PRESETS / "article-gpt4.toml")  # the real layout: inputs take 32 columns
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one("#claims-table", ClaimsTable)
        header = table.render_line(0).text
        assert header.split()[:4] == ["Claim", "Verdict", "Claimed", "Computed"]
        assert "Impl." not in header  # implied MFU and utilisation give way first...
        time_row = table.render_line(1 + table.get_row_index("training_days")).text
        assert "implausible" in time_row and "90.0 days" in time_row and "…" not in time_row
        assert "implied utilisation 4.8 %" in reasons(app)  # ...and are said in the reasons


async def test_every_tour_stops_claimed_and_computed_figures_are_whole_at_80x24():
    """The journalist's path: PgDn through the article tour, the Claims table at 80x24 never
    cuts a figure (Meta's '29.4 million h' was '29.4 million')."""
    from whatif.engine.tours import load_tour
    from whatif.tui.app import WhatifApp

    tour = load_tour(PRESETS / "tours" / "article")
    app = WhatifApp(tour=tour)
    async with app.run_test(size=(80, 24)) as pilot:
        seen = 0
        for index in range(len(tour.stops)):
            await pilot.pause()
            assert app.session.stop_index == index
            table = app.query_one("#claims-table", ClaimsTable)
            for row in table.rows:
                line = table.render_line(1 + table.get_row_index(row.key)).text
                for column in ("claimed", "computed"):
                    figure = row.cells[column].plain.strip()
                    assert figure and figure in line, (index, row.key, figure, line)
                seen += 1
            await pilot.press("pagedown")
        assert seen >= 15


async def test_the_tour_band_keeps_its_keys_at_80x24_and_f9_shows_the_whole_note():
    from textual.widgets import Static

    from whatif.engine.tours import load_tour
    from whatif.tui.app import WhatifApp

    app = WhatifApp(tour=load_tour(PRESETS / "tours" / "article"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        band = app.query_one("#tour-band", Static)
        first = band.render_lines(band.region.reset_offset)[0].text   # what the top line shows
        assert first.startswith(" Tour stop 1/12 · F9 notes · PgDn next, PgUp back · ")
        await pilot.press("f9")
        await pilot.pause()
        shown = "".join(strip.text for strip in band.render_lines(band.region.reset_offset))
        last_words = app.session.scenario.description.split()[-3:]
        assert " ".join(last_words) in " ".join(shown.split())          # the note's end, not cut
        assert band.size.height < 24 - 4                                 # the results keep some room
