"""The P10/P90 pane: point value and P10/P50/P90 of the headline outputs, and the input
ranges the Monte Carlo drew from. Built the first time its tab is shown."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from whatif.engine.analysis.uncertainty import HEADLINE
from whatif.engine.evaluate import Result
from whatif.engine.units import fmt
from whatif.tui.widgets.base import ResultView
from whatif.tui.widgets.uncertainty import STRIP_NAMES, monte_carlo_for

RANGE_LABELS: dict[str, str] = {
    "mfu": "MFU", "goodput": "Goodput", "pue": "PUE", "rent_usd_per_chip_hour": "Rent",
    "electricity_usd_per_mwh": "Electricity", "chip_capex_usd": "Chip price",
    "facility_capex_usd_per_mw": "Facility capex", "grid_g_per_kwh": "Grid carbon",
}


class UncertaintyView(ResultView, VerticalScroll):
    """Point value and P10/P50/P90 of the headline outputs, and the input ranges used."""

    update_when_hidden = False      # a tab pane: skipped while hidden, updated when shown

    def compose(self) -> ComposeResult:
        yield DataTable(id="uncertainty-bands", cursor_type="row", zebra_stripes=False)
        yield Static("", id="uncertainty-about", classes="uncertainty-note")
        yield DataTable(id="uncertainty-ranges", cursor_type="row", zebra_stripes=False)
        yield Static("", id="uncertainty-notes", classes="uncertainty-note")

    def on_mount(self) -> None:
        bands = self.query_one("#uncertainty-bands", DataTable)
        # Narrow first: the P10/P50/P90 columns fit 46 cells (80-column terminal); Now comes last.
        for key, label in (("output", "Output"), ("p10", "P10"), ("p50", "P50"), ("p90", "P90"), ("now", "Now")):
            bands.add_column(label, key=key)
        for name in HEADLINE:
            bands.add_row(STRIP_NAMES[name].capitalize() if name != "co2_t" else "CO2", "", "", "", "", key=name)
        ranges = self.query_one("#uncertainty-ranges", DataTable)
        for key, label in (("input", "Input"), ("low", "Low"), ("likely", "Likely"), ("high", "High")):
            ranges.add_column(label, key=key)
        self._ready = True  # the app's answer to ResultViewMounted then fills the tables

    def update_result(self, result: Result, baseline: Result | None) -> None:
        if not getattr(self, "_ready", False):
            return          # columns are added in on_mount, which then calls this again
        mc = monte_carlo_for(result)
        about = self.query_one("#uncertainty-about", Static)
        if isinstance(mc, str):
            about.update(Text(f"Monte Carlo not available: {mc}"))
            return
        bands = self.query_one("#uncertainty-bands", DataTable)
        for name in HEADLINE:
            band = mc.bands[name]
            for column, value in (("now", band.point), ("p10", band.p10), ("p50", band.p50), ("p90", band.p90)):
                bands.update_cell(name, column, fmt(name, value))
        about.update(Text(f"{mc.samples:,} {mc.distribution} draws, seed {mc.seed} (set in the preset's "
                          "[uncertainty] table). Ranges used:"))
        ranges = self.query_one("#uncertainty-ranges", DataTable)
        ranges.clear()
        for r in mc.ranges:
            ranges.add_row(RANGE_LABELS.get(r.name, r.name), fmt(r.name, r.low), fmt(r.name, r.likely),
                           fmt(r.name, r.high), key=r.key)
        notes = self.query_one("#uncertainty-notes", Static)
        default_note = "Defaults: engine/data/uncertainty.toml (sources there)."
        notes.update(Text("\n".join(mc.notes) if mc.notes else default_note))
