"""Plain-text rendering of results and explanations for the CLI (no colour, no Rich)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from whatif.engine.units import QUANTITIES, fmt

if TYPE_CHECKING:  # a cached preset's plain inputs (engine.prepared) are rendered without pydantic
    from whatif.engine.evaluate import Result
    from whatif.engine.resolve import Resolved
    from whatif.engine.scenario import Scenario
    from whatif.engine.warnings import ScenarioWarning

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Compute and time", ("training_flops", "peak_pflops", "mfu", "goodput", "end_to_end_utilisation",
                          "steady_days", "training_days", "chip_hours")),
    ("Power and facility", ("it_mw", "facility_mw", "accelerators_mw", "server_overhead_mw", "network_mw",
                            "cooling_overhead_mw", "racks", "chips_per_rack", "rack_kw", "floor_m2")),
    ("Energy and environment", ("energy_mwh", "co2_t", "water_m3", "homes")),
    ("Money", ("cost_usd", "rent_cost_usd", "own_cost_usd", "capex_usd", "energy_cost_usd",
               "breakeven_utilisation")),
)


def _tag(values: Mapping[str, float], name: str) -> str:
    if name in ("mfu", "goodput"):
        return "auto" if values[f"{name}_estimated"] else "set"
    return ""


def render_result(result: Result) -> str:
    return render_values(heading(result.scenario, result.resolved), result.values, result.warnings)


def heading(scenario: Scenario, resolved: Resolved) -> tuple[str, str]:
    """The report's first two lines: the scenario's name, and what it runs on."""
    return heading_lines(scenario.name, scenario.cluster.count, runs_on(resolved))


def runs_on(resolved: Resolved) -> str:
    """'x NVIDIA H100 SXM5 80GB, bf16, Air (...), United States (average), mode rent'."""
    r = resolved
    return f"x {r.chip.name}, {r.precision}, {r.cooling.name}, {r.region.name}, mode {r.mode}"


def heading_lines(name: str, count: int, what: str) -> tuple[str, str]:
    return (name or "(unnamed scenario)", f"{count:,} {what}")


def render_values(lines_before: Sequence[str], values: Mapping[str, float], warnings: Sequence[ScenarioWarning]
                  ) -> str:
    """The report of computed `values`, after `lines_before` (heading())."""
    lines = list(lines_before)
    for title, names in SECTIONS:
        lines.append("")
        lines.append(title)
        for name in names:
            tag = _tag(values, name)
            lines.append(f"  {QUANTITIES[name].label:<38} {fmt(name, values[name]):>18}  {tag}".rstrip())
    if warnings:
        lines.append("")
        lines.append("Warnings")
        for w in warnings:
            lines.append(f"  [{w.code}] {w.message}")
    return "\n".join(lines)


def render_explanation(result: Result, name: str) -> str:
    from whatif.engine.explain import explain

    e = explain(result, name)
    lines = [f"{e.label} ({e.name}) = {e.text}", "", e.formula, "", e.substituted, ""]
    width = max((len(t.label) for t in e.terms), default=0)
    for t in e.terms:
        lines.append(f"  {t.label:<{width}}  {t.text:>16}  [{t.origin.kind}] {t.origin.source}")
    return "\n".join(lines)
