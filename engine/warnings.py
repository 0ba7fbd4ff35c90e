"""Feasibility warnings with stable codes (docs/model.md §8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from whatif.engine.units import fmt

Severity = Literal["error", "warning", "note"]

# Stable codes: tests, JSON consumers and the app key on these; never rename one.
CODES: dict[str, str] = {
    "memory-fit": "the layout's memory per chip exceeds the chip's usable HBM",
    "layout-invalid": "the pinned parallel layout does not match the chip count or the model",
    "rack-density": "rack density exceeds what the cooling type handles",
    "power-cap": "facility power exceeds the site's power cap",
    "mfu-implausible": "MFU outside the plausible range",
    "reliability-wall": "goodput below the reliability-wall threshold",
    "chip-estimate": "chip figures are announced or estimated",
    "eu-ai-act": "training compute above the EU AI Act systemic-risk presumption",
    "tokens-per-param": "tokens per parameter far from compute-optimal",
    "missing-power": "no power figure for the chip",
    "missing-price": "no price for the chip in the chosen mode",
}


@dataclass(frozen=True)
class ScenarioWarning:
    code: str
    message: str
    severity: Severity = "warning"
    values: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Subject:
    """What the messages name beside the numbers: from a Resolved (engine.evaluate), or kept
    with a cached preset's plain inputs (engine.prepared), so no catalog object is needed."""

    chip_name: str
    chips_per_server: int
    cooling_key: str
    mode: str


def build_warnings(v: dict[str, float], x: Mapping[str, float], subject: Subject) -> list[ScenarioWarning]:
    """Messages for one evaluated scenario; `v` holds compute() outputs as floats, `x` the
    resolved inputs."""
    chip_name, mode = subject.chip_name, subject.mode
    out: list[ScenarioWarning] = []
    if v["warn_missing_power"]:
        out.append(ScenarioWarning("missing-power", f"{chip_name}: no power figure published; power, energy, CO2 "
                           "and owning cost need facility.it_kw_per_chip", "error"))
    if v["warn_memory"]:
        out.append(ScenarioWarning("memory-fit", memory_message(v, x), "error",
                           {"memory_gb_per_chip": v["memory_gb_per_chip"],
                            "usable_hbm_gb_per_chip": v["usable_hbm_gb_per_chip"]}))
    if v["warn_layout"]:
        out.append(ScenarioWarning("layout-invalid", f"tp {v['layout_tp']:g} x pp {v['layout_pp']:g} x dp "
                           f"{v['layout_dp']:.4g} does not suit {x['count']:,.0f} chips and a "
                           f"{x['layers']:.0f}-layer model with {x['heads']:.0f} heads and a "
                           f"{v['layout_global_batch_tokens']:,.0f}-token batch; the step time assumes it anyway",
                           "warning"))
    if v["warn_rack_density"]:
        what = (f"{chip_name.split(' (')[0]} rack ({v['chips_per_rack']:.0f} chips) draws ~{v['rack_kw']:.0f} kW"
                if x["fixed_rack_chips"] > 0 else
                f"one {subject.chips_per_server}-chip server draws ~{v['rack_kw']:.0f} kW")
        out.append(ScenarioWarning("rack-density", f"{what}; {subject.cooling_key} cooling handles ~{x['max_rack_kw']:.0f} kW",
                           "error", {"rack_kw": v["rack_kw"], "max_rack_kw": x["max_rack_kw"]}))
    if v["warn_power_cap"]:
        out.append(ScenarioWarning("power-cap", f"facility needs {fmt('facility_mw', v['facility_mw'])}, over the "
                           f"{x['power_cap_mw']:g} MW power cap", "error",
                           {"facility_mw": v["facility_mw"], "power_cap_mw": x["power_cap_mw"]}))
    if v["warn_mfu"]:
        out.append(ScenarioWarning("mfu-implausible", f"MFU {v['mfu']:.1%} is outside the plausible "
                           f"{x['mfu_low']:.0%}-{x['mfu_high']:.0%} (published large runs: 38-55 %)",
                           "warning", {"mfu": v["mfu"]}))
    if v["warn_goodput"]:
        out.append(ScenarioWarning("reliability-wall", f"goodput {v['goodput']:.0%} is below {x['goodput_low']:.0%}: "
                           f"{x['count']:,.0f} chips are interrupted every ~{v['job_mtti_hours'] * 60:,.1f} min",
                           "warning", {"goodput": v["goodput"], "job_mtti_hours": v["job_mtti_hours"]}))
    if v["warn_chip_estimate"]:
        out.append(ScenarioWarning("chip-estimate", f"{chip_name}: figures are announced or estimated, not from a "
                           "shipping datasheet", "note"))
    if v["warn_eu_ai_act"]:
        out.append(ScenarioWarning("eu-ai-act", f"{v['training_flops']:.2g} FLOPs exceeds 1e25: presumed systemic risk "
                           "under the EU AI Act (Art. 51)", "note", {"training_flops": v["training_flops"]}))
    if v["warn_tokens_per_param"]:
        out.append(ScenarioWarning("tokens-per-param", f"{v['tokens_per_param']:,.0f} tokens per parameter vs "
                           f"~{x['chinchilla_tokens_per_param']:g} compute-optimal (Chinchilla)", "note",
                           {"tokens_per_param": v["tokens_per_param"]}))
    if v["warn_missing_price"]:
        which = "economics.chip_capex_usd" if mode == "own" else "economics.rent_usd_per_chip_hour"
        out.append(ScenarioWarning("missing-price", f"{chip_name}: no {'purchase' if mode == 'own' else 'rental'} "
                           f"price published; set {which}", "error"))
    return out


def layout_text(v: dict[str, float]) -> str:
    """'tp 8 · pp 16 · dp 128 · mb 1 · selective · ZeRO-1' (ep only for MoE)."""
    from whatif.engine.step import RECOMPUTE
    ep = f" · ep {v['layout_ep']:g}" if v["layout_ep"] > 1 else ""
    return (f"tp {v['layout_tp']:g} · pp {v['layout_pp']:g} · dp {v['layout_dp']:.6g}{ep} · mb "
            f"{v['layout_micro_batch']:g} · {RECOMPUTE[int(v['layout_recompute'])]} · ZeRO-{v['layout_zero_stage']:g}")


def memory_text(v: dict[str, float]) -> str:
    """'52.3 of 72 GB/chip (weights 6.4, grads 6.4, optimizer 0.3, activations 39.2)'."""
    return (f"{v['memory_gb_per_chip']:,.1f} of {v['usable_hbm_gb_per_chip']:,.0f} GB/chip (weights "
            f"{v['memory_weights_gb']:,.1f}, grads {v['memory_grads_gb']:,.1f}, optimizer "
            f"{v['memory_optimizer_gb']:,.1f}, activations {v['memory_activations_gb']:,.1f})")


def memory_message(v: dict[str, float], x: Mapping[str, float]) -> str:
    pinned = any(x[k] == x[k] for k in ("tp_in", "pp_in", "dp_in", "ep_in", "micro_batch_in", "recompute_in",
                                        "zero_stage_in"))
    lead = "the layout set in [cluster]" if pinned else "no layout fits: the best"
    return (f"{lead} ({layout_text(v)}) needs {memory_text(v)}; usable is "
            f"{x['hbm_usable_share']:.0%} of {x['hbm_gb']:g} GB. More chips, more tensor/pipeline parallel, "
            f"ZeRO-3 or full recompute would lower it")
