"""Plain-text rendering of results and explanations for the CLI (no colour, no Rich)."""

from __future__ import annotations

from whatif.engine.evaluate import Result
from whatif.engine.explain import explain
from whatif.engine.units import QUANTITIES, fmt

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Compute and time", ("training_flops", "peak_pflops", "mfu", "goodput", "end_to_end_utilisation",
                          "steady_days", "training_days", "chip_hours")),
    ("Power and facility", ("it_mw", "facility_mw", "accelerators_mw", "server_overhead_mw", "network_mw",
                            "cooling_overhead_mw", "racks", "chips_per_rack", "rack_kw", "floor_m2")),
    ("Energy and environment", ("energy_mwh", "co2_t", "water_m3", "homes")),
    ("Money", ("cost_usd", "rent_cost_usd", "own_cost_usd", "capex_usd", "energy_cost_usd",
               "breakeven_utilisation")),
)


def _tag(result: Result, name: str) -> str:
    if name in ("mfu", "goodput"):
        return "auto" if result.values[f"{name}_estimated"] else "set"
    return ""


def render_result(result: Result) -> str:
    r = result.resolved
    s = result.scenario
    lines = [s.name or "(unnamed scenario)"]
    lines.append(f"{s.cluster.count:,} x {r.chip.name}, {r.precision}, {r.cooling.name}, {r.region.name}, "
                 f"mode {r.mode}")
    for title, names in SECTIONS:
        lines.append("")
        lines.append(title)
        for name in names:
            tag = _tag(result, name)
            lines.append(f"  {QUANTITIES[name].label:<38} {fmt(name, result.values[name]):>18}  {tag}".rstrip())
    if result.warnings:
        lines.append("")
        lines.append("Warnings")
        for w in result.warnings:
            lines.append(f"  [{w.code}] {w.message}")
    return "\n".join(lines)


def render_explanation(result: Result, name: str) -> str:
    e = explain(result, name)
    lines = [f"{e.label} ({e.name}) = {e.text}", "", e.formula, "", e.substituted, ""]
    width = max((len(t.label) for t in e.terms), default=0)
    for t in e.terms:
        lines.append(f"  {t.label:<{width}}  {t.text:>16}  [{t.origin.kind}] {t.origin.source}")
    return "\n".join(lines)
