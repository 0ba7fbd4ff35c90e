"""Explain a number: its formula, the formula with current values, and where each input
came from (scenario, catalog, default or estimate) with the source of every default."""

from __future__ import annotations

import re
from dataclasses import dataclass

from whatif.engine.evaluate import Result
from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.origin import Origin
from whatif.engine.units import QUANTITIES, fmt


@dataclass(frozen=True)
class Term:
    name: str
    label: str
    value: float
    text: str
    origin: Origin


@dataclass(frozen=True)
class Explanation:
    name: str
    label: str
    value: float
    text: str
    formula: str
    substituted: str
    terms: list[Term]


# output -> formula over names of inputs (resolve.py) or other outputs (model.py).
_FORMULAS: dict[str, str] = {
    "peak_pflops": "peak_pflops = count × peak_tflops / 1000",
    "training_days": "training_days = steady_days / goodput",
    "steady_days": "steady_days = training_flops / (count × peak_tflops × 1e12 × mfu) / 86400",
    "chip_hours": "chip_hours = count × training_days × 24",
    "end_to_end_utilisation": "end_to_end_utilisation = mfu × goodput",
    "job_mtti_hours": "job_mtti_hours = mtti_chip_hours / count",
    "it_mw": "it_mw = count × it_kw_per_chip × (1 − fan_share) × (1 + network_share) / 1000",
    "facility_mw": "facility_mw = it_mw × pue",
    "accelerators_mw": "accelerators_mw = count × tdp_kw / 1000",
    "server_overhead_mw": "server_overhead_mw = count × it_kw_per_chip × (1 − fan_share) / 1000 − accelerators_mw",
    "network_mw": "network_mw = count × it_kw_per_chip × (1 − fan_share) × network_share / 1000",
    "cooling_overhead_mw": "cooling_overhead_mw = facility_mw − it_mw",
    "it_mw_avg": "it_mw_avg = it_mw × load_factor",
    "facility_mw_avg": "facility_mw_avg = it_mw_avg × pue",
    "it_energy_mwh": "it_energy_mwh = it_mw_avg × training_days × 24",
    "accelerator_energy_mwh": "accelerator_energy_mwh = chip_hours × tdp_kw / 1000",
    "accelerator_co2_t": "accelerator_co2_t = accelerator_energy_mwh × grid_g_per_kwh / 1000",
    "it_co2_t": "it_co2_t = it_energy_mwh × grid_g_per_kwh / 1000",
    "memory_gb_per_chip": ("memory_gb_per_chip = memory_weights_gb + memory_grads_gb + memory_optimizer_gb + "
                           "memory_activations_gb"),
    "step_time_s": "step_time_s = 6 × active_params_b × 1e9 × layout_global_batch_tokens / (count × peak_tflops × "
                   "1e12 × mfu_step)",
    "energy_mwh": "energy_mwh = it_energy_mwh × pue",
    "co2_t": "co2_t = energy_mwh × grid_g_per_kwh / 1000",
    "water_m3": "water_m3 = it_energy_mwh × wue_l_per_kwh",
    "homes": "homes = facility_mw_avg × 8760 / (home_kwh_per_year / 1000)",
    "racks": "racks = ceil(count / chips_per_rack)",
    "floor_m2": "floor_m2 = racks × floor_m2_per_rack",
    "rack_kw": "rack_kw = chips_per_rack × it_kw_per_chip × (1 − fan_share)",
    "rent_cost_usd": "rent_cost_usd = chip_hours × rent_usd_per_chip_hour",
    "it_capex_usd": "it_capex_usd = count × chip_capex_usd × (1 + network_capex_share)",
    "facility_capex_usd": "facility_capex_usd = it_mw × facility_capex_usd_per_mw × build_factor",
    "capex_usd": "capex_usd = it_capex_usd + facility_capex_usd",
    "own_fixed_usd_per_year": ("own_fixed_usd_per_year = it_capex_usd / depreciation_years + facility_capex_usd / "
                               "facility_life_years + capex_usd × om_share_per_year"),
    "energy_cost_usd": "energy_cost_usd = energy_mwh × electricity_usd_per_mwh",
    "own_cost_usd": "own_cost_usd = own_fixed_usd_per_year × training_days / 365 + energy_cost_usd",
    "breakeven_utilisation": ("breakeven_utilisation = own_fixed_usd_per_year / (count × 8760 × rent_usd_per_chip_hour"
                              " − facility_mw_avg × 8760 × electricity_usd_per_mwh)"),
    "tokens_per_param": "tokens_per_param = tokens_t × 1000 / active_params_b",
}
_NOTES: dict[str, str] = {
    "accelerators_mw": "The chips' own TDP; the rest of the reference server's maximum power (CPUs, memory, "
                       "NICs, fans) is server_overhead_mw.",
    "facility_capex_usd": "Facility capex is quoted per MW of critical (IT) load (Cushman & Wakefield 2025), so it "
                          "multiplies IT MW; the cooling overhead is already inside that price.",
    "goodput": "Daly (2006): goodput = Tc / (M e^(R/M) (e^((Tc+d)/M) − 1)) × (1 − planned_downtime), M = job "
               "interrupt interval, d = checkpoint time, R = restart time, Tc = optimal checkpoint interval.",
    "racks": "Chips per rack: the chip's fixed rack (NVL72-class), else as many whole servers as fit under the "
             "cooling type's rack limit.",
}
_IDENT = re.compile(r"[a-z][a-z0-9_]*")


def _formula(result: Result, name: str) -> str:
    v = result.values
    if name == "training_flops":
        if result.resolved.origins["flops"].kind == "input":
            return "training_flops = flops"
        return "training_flops = 6 × active_params_b × 1e9 × tokens_t × 1e12"
    if name == "mfu":
        if v["mfu_estimated"]:
            return ("mfu = 6 × active_params_b × 1e9 × layout_global_batch_tokens / (count × step_time_s × "
                    "peak_tflops × 1e12)")
        return "mfu = mfu_in"
    if name == "goodput":
        if v["goodput_estimated"]:
            return ("goodput = daly(job_mtti_hours, checkpoint_minutes, restart_minutes) × "
                    "(1 − planned_downtime)")
        return "goodput = goodput_in"
    if name == "cost_usd":
        return "cost_usd = own_cost_usd" if result.resolved.mode == "own" else "cost_usd = rent_cost_usd"
    if name in _FORMULAS:
        return _FORMULAS[name]
    raise WhatifError(unknown_choice("output to explain", name, explainable()))


def explainable() -> list[str]:
    return sorted({*_FORMULAS, "training_flops", "mfu", "goodput", "cost_usd"})


def step_split(result: Result, limit: int = 0) -> str:
    """'39.9 % MFU: 18.7 % TP collectives, 9.3 % pipeline bubble, ...' - the step time's parts,
    largest first (docs/model.md §16.4); `limit` > 0 keeps that many parts."""
    from whatif.engine.step import PART_LABELS
    v = result.values
    if not v["mfu_estimated"]:
        return f"{v['mfu']:.1%} MFU set in the scenario (the step model does not apply)".replace("%", " %")
    parts = sorted(((v["part_" + k], k) for k in PART_LABELS if k != "model_flops"), reverse=True)
    parts = [(share, k) for share, k in parts if share >= 0.0005]
    if limit:
        parts = parts[:limit]
    body = ", ".join(f"{share * 100:.1f} % {PART_LABELS[k]}" for share, k in parts)
    return f"{v['mfu'] * 100:.1f} % MFU: {body}"


def _step_note(result: Result) -> str:
    from whatif.engine.warnings import layout_text, memory_text
    v = result.values
    fits = "fits" if v["fits"] else "does NOT fit"
    return (f"Step split: {step_split(result)}.\nLayout: {layout_text(v)}, {v['micro_batches']:.4g} micro-batches "
            f"of {v['layout_global_batch_tokens']:,.0f} tokens per step, step {v['step_time_s']:.3g} s "
            f"({'searched' if result.layout_auto() else 'as set'}).\nMemory: {memory_text(v)}: {fits}.")


def _term(result: Result, name: str) -> Term | None:
    inputs, outputs = result.resolved.values, result.values
    if name in inputs:
        value, origin = inputs[name], result.resolved.origins[name]
    elif name in outputs:
        value, origin = outputs[name], Origin("derived", f"computed: explain {name}")
    else:
        return None
    label = QUANTITIES[name].label if name in QUANTITIES else name
    return Term(name, label, value, fmt(name, value), origin)


def explain(result: Result, name: str) -> Explanation:
    """How output `name` of `result` was computed. Raises WhatifError for an unknown name."""
    formula = _formula(result, name)
    lhs, _, rhs = formula.partition(" = ")
    names = [n for n in dict.fromkeys(_IDENT.findall(rhs)) if n not in ("max", "log2", "ceil", "daly", "e")]
    terms = [t for t in (_term(result, n) for n in names) if t is not None]
    by_name = {t.name: t.text for t in terms}
    substituted = _IDENT.sub(lambda m: by_name.get(m.group(0), m.group(0)), rhs)
    value = result.values[name]
    note = _NOTES.get(name)
    if name in ("mfu", "step_time_s", "memory_gb_per_chip") and result.values["mfu_estimated"]:
        note = _step_note(result)
    if note:
        formula = f"{formula}\n{note}"
    label = QUANTITIES[name].label if name in QUANTITIES else name
    return Explanation(name, label, value, fmt(name, value), formula, f"{fmt(name, value)} = {substituted}", terms)
