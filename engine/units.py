"""Units, labels and human formatting of every input and output (shared by CLI and app)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from whatif.engine.inputs import INPUTS


@dataclass(frozen=True)
class Quantity:
    label: str
    unit: str
    kind: str  # how to format: flops, share, days, count, mw, mwh, t, m3, usd, plain, bool, kw, tflops, pflops
    whole_below: float = 1e7  # a count prints whole below this, then in millions


Q = Quantity
QUANTITIES: dict[str, Quantity] = {
    # Outputs (docs/model.md §9).
    "training_flops": Q("Training compute", "FLOPs", "flops"),
    "peak_pflops": Q("Cluster peak", "PFLOP/s", "pflops"),
    "mfu": Q("MFU", "", "share"),
    "mfu_estimated": Q("MFU estimated", "", "bool"),
    "goodput": Q("Goodput", "", "share"),
    "goodput_estimated": Q("Goodput estimated", "", "bool"),
    "training_days": Q("Training time", "days", "days"),
    # An estimate: 3 figures from a million on ('8.06 million h'; whole, the headline's
    # large digits did not fit at 120x40).
    "chip_hours": Q("Chip-hours", "h", "count", whole_below=1e6),
    "it_mw": Q("IT power (peak)", "MW", "mw"),
    "facility_mw": Q("Facility power", "MW", "mw"),
    "energy_mwh": Q("Energy", "MWh", "mwh"),
    "co2_t": Q("CO2", "t", "t"),
    "memory_gb_per_chip": Q("Memory per chip", "GB", "plain"),
    "fits": Q("Fits in HBM", "", "bool"),
    "accelerator_energy_mwh": Q("Accelerator energy (TDP)", "MWh", "mwh"),
    "accelerator_co2_t": Q("CO2 at accelerators", "t", "t"),
    "it_co2_t": Q("CO2 at IT", "t", "t"),
    "water_m3": Q("Water", "m3", "m3"),
    "homes": Q("US homes (avg draw)", "homes", "count"),
    "racks": Q("Racks", "racks", "count"),
    "floor_m2": Q("Floor area", "m2", "count"),
    "rent_cost_usd": Q("Cost if rented", "USD", "usd"),
    "own_cost_usd": Q("Cost if owned", "USD", "usd"),
    "capex_usd": Q("Up-front capex", "USD", "usd"),
    "cost_usd": Q("Cost", "USD", "usd"),
    # Intermediates.
    "steady_days": Q("Steady-state time", "days", "days"),
    "end_to_end_utilisation": Q("End-to-end utilisation", "", "share"),
    "mfu_auto": Q("MFU estimate", "", "share"),
    "goodput_auto": Q("Goodput estimate", "", "share"),
    "job_mtti_hours": Q("Job interrupt interval", "h", "plain"),
    "it_mw_avg": Q("IT power (average)", "MW", "mw"),
    "facility_mw_avg": Q("Facility power (average)", "MW", "mw"),
    "accelerators_mw": Q("Accelerators", "MW", "mw"),
    "server_overhead_mw": Q("Servers (CPU, memory, fans...)", "MW", "mw"),
    "network_mw": Q("Network, storage, mgmt", "MW", "mw"),
    "cooling_overhead_mw": Q("Cooling and losses (PUE)", "MW", "mw"),
    "it_energy_mwh": Q("IT energy", "MWh", "mwh"),
    "chips_per_rack": Q("Chips per rack", "chips", "count"),
    "rack_kw": Q("Rack power", "kW", "kw"),
    "it_capex_usd": Q("IT capex (chips + network)", "USD", "usd"),
    "facility_capex_usd": Q("Facility capex", "USD", "usd"),
    "energy_cost_usd": Q("Electricity cost", "USD", "usd"),
    "own_fixed_usd_per_year": Q("Owning, fixed cost per year", "USD", "usd"),
    "breakeven_utilisation": Q("Break-even utilisation (own vs rent)", "", "share"),
    "states_gb": Q("Model states", "GB", "plain"),
    "usable_hbm_gb": Q("Usable HBM (cluster)", "GB", "plain"),
    "tokens_per_param": Q("Tokens per parameter", "", "plain"),
    # Catalog values and model constants (the scenario's own inputs are added below).
    "peak_tflops": Q("Peak per chip", "TFLOP/s", "plain"),
    "step_time_s": Q("Step time", "s", "plain"),
    "mfu_step": Q("MFU (step model)", "", "share"),
    "layout_tp": Q("Tensor parallel", "", "count"), "layout_pp": Q("Pipeline parallel", "", "count"),
    "layout_dp": Q("Data parallel", "", "count"), "idle_chips": Q("Idle chips (left over by the layout)", "chips", "count"), "layout_ep": Q("Expert parallel", "", "count"),
    "layout_micro_batch": Q("Micro-batch", "sequences", "count"),
    "layout_global_batch_tokens": Q("Global batch", "tokens", "count"),
    "layout_recompute": Q("Recompute (0 none, 1 selective, 2 full)", "", "plain"),
    "layout_zero_stage": Q("ZeRO stage", "", "count"), "micro_batches": Q("Micro-batches per step", "", "plain"),
    "memory_weights_gb": Q("Weights per chip", "GB", "plain"), "memory_grads_gb": Q("Gradients per chip", "GB", "plain"),
    "memory_optimizer_gb": Q("Optimizer states per chip", "GB", "plain"),
    "memory_activations_gb": Q("Activations per chip", "GB", "plain"),
    "usable_hbm_gb_per_chip": Q("Usable HBM per chip", "GB", "plain"),
    "hbm_bw_tbps": Q("HBM bandwidth", "TB/s", "plain"), "scaleup_bw_gbps": Q("Scale-up bandwidth", "GB/s", "plain"),
    "scaleout_bw_gbps": Q("Scale-out bandwidth", "GB/s", "plain"), "scaleup_domain": Q("Scale-up domain", "chips", "count"),
    "tdp_kw": Q("Chip TDP", "kW", "kw"),
    "fan_share": Q("Fan share removed", "", "share"),
    "max_rack_kw": Q("Cooling rack limit", "kW", "kw"),
    "build_factor": Q("Build cost vs air", "x", "plain"),
    "chips_per_server": Q("Chips per server", "chips", "count"),
    "fixed_rack_chips": Q("Fixed rack size", "chips", "count"),
    "floor_m2_per_rack": Q("Floor per rack", "m2", "plain"),
    "state_bytes_per_param": Q("State bytes per param", "B", "plain"),
    "hbm_usable_share": Q("Usable HBM share", "", "share"),
    "hbm_gb": Q("HBM per chip", "GB", "plain"),
    "home_kwh_per_year": Q("US home use", "kWh/yr", "count"),
    "facility_life_years": Q("Facility life", "years", "plain"),
    "om_share_per_year": Q("O&M per year", "of capex", "share"),
}
# Scenario inputs, from the one input table; an input the model can estimate is labelled
# "(set)" where its resolved value (NaN = estimate) is shown beside the estimate.
QUANTITIES.update({spec.name: Q(spec.label + (" (set)" if spec.auto else ""), spec.unit, spec.fmt)
                   for spec in INPUTS if spec.name})


def _sci(value: float) -> str:
    """'3.35e21': past every everyday magnitude (an absurd input), digits stop helping."""
    mantissa, _, exponent = f"{value:.2e}".partition("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _sig(value: float, digits: int = 3) -> str:
    """`digits` significant figures without scientific notation for everyday magnitudes
    (a million or more of the unit shown reads as '3.35e9')."""
    if value == 0:
        return "0"
    if not math.isfinite(value):  # a finite value that overflowed while scaled (1e308 MW in W)
        return f"{value:g}"
    if abs(value) >= 1e6:
        return _sci(value)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def _scaled(value: float, steps: list[tuple[float, str]], unit: str) -> str:
    for factor, prefix in steps:
        if abs(value) >= factor:
            return f"{_sig(value / factor)} {prefix}{unit}"
    return f"{_sig(value)} {unit}"


def fmt(name: str, value: float | bool | None) -> str:
    """Human form of a named value: '1.2 GWh', '$61.7M', '3.8e25 FLOPs', '38.2 %'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    q = QUANTITIES.get(name, Quantity(name, "", "plain"))
    v = float(value)
    if q.kind == "bool":
        return "yes" if value else "no"
    if math.isinf(v):
        return "never"
    if q.kind == "flops":
        return f"{v:.2e}".replace("e+", "e") + " FLOPs"
    if q.kind == "share":
        return f"{v * 100:.1f} %"
    if q.kind == "usd":
        if abs(v) >= 1e15:
            return f"${_sci(v)}"
        for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= factor:
                return f"${_sig(v / factor)}{suffix}"
        return f"${v:,.0f}"
    if q.kind == "mwh":
        return _scaled(v * 1e6, [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")], "Wh")
    if q.kind == "mw":
        return _scaled(v * 1e6, [(1e9, "G"), (1e6, "M"), (1e3, "k")], "W")
    if q.kind == "kw":
        return _scaled(v * 1e3, [(1e6, "M"), (1e3, "k")], "W")
    if q.kind == "pflops":
        return _scaled(v * 1e15, [(1e18, "E"), (1e15, "P"), (1e12, "T")], "FLOP/s")
    if q.kind == "days":
        return f"{_sig(v)} days"
    if q.kind == "t":
        return f"{_sig(v)} t" if v < 1e6 else f"{_sig(v / 1e6)} Mt"
    if q.kind == "m3":
        return f"{_sig(v)} m3" if v < 1e6 else f"{_sig(v / 1e6)} million m3"
    if q.kind == "count":
        text = f"{v:,.0f}" if abs(v) < q.whole_below else f"{_sig(v / 1e6)} million" if abs(v) < 1e12 else _sci(v)
        return f"{text} {q.unit}".strip() if q.unit not in ("h", "m2") else f"{text} {q.unit}"
    return f"{_sig(v)} {q.unit}".strip()


def fmt_delta(name: str, new: float, old: float) -> str:
    """'+12.3 days (+8.1 %)' style change of `name` from `old` to `new`."""
    if any(isinstance(v, float) and math.isnan(v) for v in (new, old)):
        return ""
    diff = float(new) - float(old)
    q = QUANTITIES.get(name, Quantity(name, "", "plain"))
    if q.kind == "share":
        absolute = f"{diff * 100:+.1f} pt"
    else:
        body = fmt(name, abs(diff))
        absolute = ("+" if diff >= 0 else "-") + body
    pct = f" ({diff / old * 100:+.1f} %)" if old not in (0, 0.0) and q.kind != "share" else ""
    return absolute + pct
