"""The Claims pane: what the preset's source asserted, beside what the model computes, live.

One row per claim (engine.claims.check_claims): claimed, computed, ratio, implied
utilisation and MFU for durations, and a verdict in the theme's success / warning / error
colour. Change the chip, the FLOPs or the MFU and the verdicts follow on the next keystroke,
so a reader can see what would make an article's figure possible.

Inside a TabbedContent the pane hides its own tab for scenarios without claims, and brings
it forward when a scenario with a new set of claims arrives (an opened preset, a tour stop).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane, Tabs

from whatif.engine.claims import ClaimCheck, Claims, check_claims, load_thresholds
from whatif.engine.evaluate import Result
from whatif.tui.widgets.base import ResultView
from whatif.tui.widgets.result_table import ResultTable, Row
from whatif.tui.widgets.results import set_text, theme_style


class ClaimsTable(ResultTable):
    """Claim, verdict, claimed and computed always; when the pane is narrow the implied MFU,
    then the implied utilisation, then the ratio give way (the reasons under the table say
    them in words), then the claim's name and last the verdict are shortened (the reasons
    name both in full): the claimed and computed figures are never cut."""

    COLUMNS = (
        ("claim", "Claim"), ("verdict", "Verdict"), ("claimed", "Claimed"), ("computed", "Computed"),
        ("ratio", "Ratio"), ("util", "Impl. util"), ("mfu", "Impl. MFU"),
    )
    SHRINK_STEPS = (("mfu", 0), ("util", 0), ("ratio", 0), ("claim", 7), ("claim", 4), ("verdict", 5))


LABELS: dict[str, str] = {
    "flops": "Compute", "training_days": "Time", "chip_hours": "Chip-hours", "cost_usd": "Cost",
    "facility_mw": "Facility MW", "homes": "US homes", "energy_mwh": "Energy", "co2_t": "CO2",
}
VERDICT_COLOUR: dict[str, str] = {
    "plausible": "success", "consistent": "success", "optimistic": "warning",
    "implausible": "error", "off": "error", "n/a": "text-muted",
}


def thresholds_text() -> str:
    """The verdict rules in one paragraph, from engine/data/claims.toml."""
    t, pct = load_thresholds(), _pct
    return (f"Durations: implied utilisation = FLOPs / (chips x dense peak x claimed time); MFU = that / goodput. "
            f"Implausible under {pct(t.implausible_below)} or MFU over {pct(t.implausible_mfu_above)}; "
            f"optimistic with MFU over {pct(t.optimistic_mfu_above)} or utilisation over "
            f"{pct(t.optimistic_above)}; otherwise plausible. Other claims: consistent within "
            f"{pct(t.consistent_within)}, else off by the ratio. Sources: engine/data/claims.toml.")


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


class ClaimsView(ResultView, VerticalScroll):
    """Every claim of the current scenario against the current result."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._keys: tuple[str, ...] = ()
        self._claims: Claims | None = None
        self._tab_shown: bool | None = None
        self._waiting: tuple[Result, Result | None, list[ClaimCheck]] | None = None

    def compose(self) -> ComposeResult:
        # Numbers first (small terminals see them without scrolling), then why, then who said it.
        yield ClaimsTable(id="claims-table")
        yield Static("", id="claims-reasons")
        yield Static("", id="claims-head")
        yield Static(thresholds_text(), id="claims-rules")

    @property
    def table(self) -> ClaimsTable:
        return self.query_one("#claims-table", ClaimsTable)

    def update_result(self, result: Result, baseline: Result | None) -> None:
        claims = result.scenario.claims
        checks = check_claims(result)
        new_claims = claims != self._claims
        self._claims = claims
        self._show_tab(bool(checks), bring_forward=new_claims and bool(checks))
        if self._hidden():
            # Text set on a pane that is not shown still re-lays out the screen: fill it when shown.
            self._waiting = (result, baseline, checks)
            return
        self._show(result, baseline, checks)

    def _show(self, result: Result, baseline: Result | None, checks: list[ClaimCheck]) -> None:
        self._waiting = None
        set_text(self.query_one("#claims-head", Static), self._head(result.scenario.claims, bool(checks)))
        before = {c.key: c for c in check_claims(baseline, result.scenario.claims)} if baseline and checks else {}
        self._fill(checks, before)

    def on_show(self) -> None:
        if self._waiting is not None:
            self._show(*self._waiting)

    def _hidden(self) -> bool:
        """True while this pane's tab is not the active one (its text is not on screen)."""
        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        return pane is not None and tabs is not None and tabs.active != pane.id

    def _head(self, claims: Claims, any_claims: bool) -> Text:
        if not any_claims:
            return Text("This scenario has no [claims]: open an article-*, published-* or cluster-* preset.")
        text = Text()
        if claims.source:
            text.append("Claimed by: ", style="bold")
            text.append(claims.source)
        if claims.note:
            text.append("\n" if text else "")
            text.append("Note: ", style="bold")
            text.append(claims.note)
        return text

    def _fill(self, checks: list[ClaimCheck], before: dict[str, ClaimCheck]) -> None:
        cells: dict[tuple[str, str], Text] = {}
        for check in checks:
            row = {
                "claim": Text(LABELS.get(check.key, check.key)),
                "claimed": Text(check.claimed_text, justify="right"),
                "computed": Text(check.computed_text, justify="right"),
                "ratio": Text(check.ratio_text, justify="right"),
                "util": Text(check.utilisation_text, justify="right"),
                "mfu": Text(check.mfu_text, justify="right"),
                "verdict": Text(check.verdict, style=self._colour(check, bold=True)),
            }
            cells.update({(check.key, column): text for column, text in row.items()})
        keys = tuple(c.key for c in checks)
        if keys != self._keys:
            self.table.set_rows([Row(key, {c: t for (k, c), t in cells.items() if k == key}) for key in keys])
            self._keys = keys
        else:
            self.table.update_cells(cells)
        set_text(self.query_one("#claims-reasons", Static), self._reasons(checks, before))

    def _colour(self, check: ClaimCheck, bold: bool = False):
        return theme_style(self, VERDICT_COLOUR[check.verdict], bold=bold)

    def _reasons(self, checks: list[ClaimCheck], before: dict[str, ClaimCheck]) -> Text:
        """Why each verdict, one wrapped line per claim (the table keeps to the numbers)."""
        text = Text()
        for i, check in enumerate(checks):
            text.append("\n" if i else "")
            text.append(f"{LABELS.get(check.key, check.key)}: ", style="bold")
            text.append(check.summary, style=self._colour(check))
            old = before.get(check.key)
            if old is not None and old.verdict != check.verdict:
                text.append(f"  (baseline: {old.verdict})", style=theme_style(self, "text-muted"))
        return text

    def _show_tab(self, shown: bool, bring_forward: bool) -> None:
        """Hide this pane's tab when there is nothing to show; select it for new claims."""
        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        if pane is None or tabs is None or not pane.id:
            return
        if shown != self._tab_shown:
            try:
                (tabs.show_tab if shown else tabs.hide_tab)(pane.id)
            except Tabs.TabError:  # tabs not mounted yet: try again on the next result
                return
            self._tab_shown = shown
        if bring_forward:
            tabs.active = pane.id
