"""Resolve a scenario against the catalogs into plain numbers, remembering each one's origin.

The result feeds engine.model.compute, which works on floats or numpy arrays alike. NaN
marks "not available" (no published price, no power cap) or "estimate it" (mfu, goodput).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from engine.catalog import Catalog, Chip, Cooling, Region, load_catalog
from engine.errors import WhatifError
from engine.scenario import Scenario

OriginKind = Literal["input", "default", "catalog", "estimate", "auto", "derived"]
NAN = math.nan


@dataclass(frozen=True)
class Origin:
    """Where a resolved number came from. `kind`: input (the scenario set it), catalog
    (chip, cooling or region data), default (a model constant), estimate (a default that
    is itself an estimate), auto (estimated by the model, e.g. MFU), derived (computed
    from other inputs, e.g. FLOPs = 6ND)."""

    kind: OriginKind
    source: str = ""


@dataclass
class Resolved:
    values: dict[str, float]
    origins: dict[str, Origin]
    chip: Chip
    cooling: Cooling
    region: Region
    precision: str
    mode: str
    catalog: Catalog = field(repr=False)


def _pick(user: float | None, name: str, fallback: float | None, origin: Origin,
          values: dict[str, float], origins: dict[str, Origin]) -> None:
    if user is not None:
        values[name] = float(user)
        origins[name] = Origin("input", "set in the scenario")
    else:
        values[name] = NAN if fallback is None else float(fallback)
        origins[name] = origin


def resolve(scenario: Scenario, catalog: Catalog | None = None) -> Resolved:
    """All numeric model inputs for `scenario`, with their origins. Raises WhatifError for an
    unknown chip, cooling type or region, or a precision the chip does not support."""
    catalog = (catalog or load_catalog()).with_chips(scenario.chips, origin="preset [chips]")
    d = catalog.defaults
    w, c, f, e = scenario.workload, scenario.cluster, scenario.facility, scenario.economics
    chip = catalog.chip(c.chip)
    v: dict[str, float] = {}
    o: dict[str, Origin] = {}

    # Workload and compute.
    v["params_b"] = w.params_b
    o["params_b"] = Origin("input", "set in the scenario")
    _pick(w.active_params_b, "active_params_b", w.params_b, Origin("default", "= params_b (dense model)"), v, o)
    v["tokens_t"] = w.tokens_t
    o["tokens_t"] = Origin("input", "set in the scenario")
    _pick(w.flops, "flops", 6 * v["active_params_b"] * 1e9 * w.tokens_t * 1e12,
          Origin("derived", "6 x active params x tokens (model.md section 2)"), v, o)
    v["peak_tflops"] = chip.peak_tflops(w.precision)
    o["peak_tflops"] = Origin("estimate" if chip.estimate else "catalog",
                              f"{chip.name}, dense {w.precision} peak. {chip.sources}")
    v["count"] = float(c.count)
    o["count"] = Origin("input", "set in the scenario")

    # MFU and reliability.
    mfu_d = d["mfu"]
    _pick(c.mfu, "mfu_in", None, Origin("auto", "estimated from precision and cluster size (model.md section 3)"), v, o)
    v["mfu_base"] = mfu_d["base"][w.precision]
    o["mfu_base"] = Origin("default", mfu_d["sources"])
    v["mfu_loss_per_doubling"] = mfu_d["loss_per_doubling"]
    o["mfu_loss_per_doubling"] = Origin("default", mfu_d["sources"])
    v["mfu_ref_chips"] = float(mfu_d["ref_chips"])
    o["mfu_ref_chips"] = Origin("default", mfu_d["sources"])
    _pick(c.goodput, "goodput_in", None, Origin("auto", "reliability model (model.md section 4)"), v, o)
    rel = d["reliability"]
    for name in ("mtti_chip_hours", "checkpoint_minutes", "restart_minutes", "planned_downtime"):
        _pick(getattr(c, name), name, rel[name], Origin("default", rel["sources"]), v, o)

    # Facility.
    cooling_key = f.cooling or chip.default_cooling or "air"
    cooling = catalog.cooling_type(cooling_key)
    if f.cooling is None:
        why = chip.cooling_basis or ("fixed liquid-cooled rack" if chip.default_cooling else "default for server chips")
        o["cooling"] = Origin("default", f"{cooling.name}: {why}")
    else:
        o["cooling"] = Origin("input", "set in the scenario")
    region = catalog.region(f.region or "us-average")
    o["region"] = Origin("input" if f.region else "default", region.name)
    power = d["power"]
    kw, kw_basis, kw_est = chip.it_kw(power["server_overhead_factor"])
    _pick(f.it_kw_per_chip, "it_kw_per_chip", kw, Origin("estimate" if kw_est else "catalog", kw_basis), v, o)
    v["tdp_kw"] = NAN if chip.tdp_w is None else chip.tdp_w / 1000
    o["tdp_kw"] = Origin("estimate" if chip.tdp_basis or chip.estimate else "catalog",
                         chip.tdp_basis or f"{chip.name} TDP")
    cool_src = f"{cooling.name}. {cooling.sources}"
    v["fan_share"] = cooling.fan_share
    o["fan_share"] = Origin("catalog", cool_src)
    _pick(f.pue, "pue", cooling.pue, Origin("catalog", cool_src), v, o)
    _pick(f.wue_l_per_kwh, "wue_l_per_kwh", cooling.wue_l_per_kwh, Origin("catalog", cool_src), v, o)
    v["max_rack_kw"] = cooling.max_rack_kw
    o["max_rack_kw"] = Origin("catalog", cool_src)
    v["build_factor"] = cooling.build_factor
    o["build_factor"] = Origin("catalog", cool_src)
    _pick(f.load_factor, "load_factor", power["load_factor"], Origin("default", power["sources"]), v, o)
    _pick(f.network_share, "network_share", power["network_share"], Origin("default", power["sources"]), v, o)
    _pick(f.power_cap_mw, "power_cap_mw", None, Origin("default", "no site limit set"), v, o)
    region_src = f"{region.name}. {region.sources}"
    price_kind = "estimate" if "usd_per_mwh" in region.estimated else "catalog"
    _pick(f.electricity_usd_per_mwh, "electricity_usd_per_mwh",
          region.price_usd_per_mwh(d["money"]["usd_per_eur"]), Origin(price_kind, region_src), v, o)
    carbon_kind = "estimate" if "grid_g_per_kwh" in region.estimated else "catalog"
    _pick(f.grid_g_per_kwh, "grid_g_per_kwh", region.grid_g_per_kwh, Origin(carbon_kind, region_src), v, o)
    v["chips_per_server"] = float(chip.chips_per_server)
    o["chips_per_server"] = Origin("catalog", chip.name)
    v["fixed_rack_chips"] = float(chip.fixed_rack_chips or 0)
    o["fixed_rack_chips"] = Origin("catalog", chip.rack_basis or "no fixed rack: servers packed by cooling limit")
    for name in ("floor_m2_per_rack", "state_bytes_per_param", "hbm_usable_share"):
        v[name] = power[name]
        o[name] = Origin("default", power["sources"])
    v["hbm_gb"] = NAN if chip.hbm_gb is None else chip.hbm_gb
    o["hbm_gb"] = Origin("catalog", chip.name)
    v["home_kwh_per_year"] = d["carbon"]["home_kwh_per_year"]
    o["home_kwh_per_year"] = Origin("default", d["carbon"]["sources"])

    # Money.
    money = d["money"]
    v["own"] = 1.0 if e.mode == "own" else 0.0
    o["own"] = Origin("input" if "mode" in e.model_fields_set else "default", f"mode = {e.mode}")
    rent, rent_origin = _default_rent(chip, money)
    _pick(e.rent_usd_per_chip_hour, "rent_usd_per_chip_hour", rent, rent_origin, v, o)
    _pick(e.chip_capex_usd, "chip_capex_usd", chip.capex_usd,
          Origin("estimate" if chip.estimate else "catalog", chip.capex_basis or "no purchase price published"), v, o)
    _pick(e.facility_capex_usd_per_mw, "facility_capex_usd_per_mw", money["facility_capex_usd_per_mw"],
          Origin("default", money["sources"]), v, o)
    _pick(e.depreciation_years, "depreciation_years", money["depreciation_years"], Origin("default", money["sources"]), v, o)
    _pick(e.network_capex_share, "network_capex_share", money["network_capex_share"], Origin("default", money["sources"]), v, o)
    for name in ("facility_life_years", "om_share_per_year"):
        v[name] = money[name]
        o[name] = Origin("default", money["sources"])
    v["chip_estimate"] = 1.0 if chip.estimate else 0.0
    o["chip_estimate"] = Origin("catalog", chip.status)

    thresholds = d["thresholds"]
    for name in ("mfu_low", "mfu_high", "goodput_low", "eu_ai_act_flops", "chinchilla_tokens_per_param",
                 "tokens_per_param_far_factor"):
        v[name] = float(thresholds[name])
        o[name] = Origin("default", thresholds["sources"])
    return Resolved(v, o, chip, cooling, region, w.precision, e.mode, catalog)


def _default_rent(chip: Chip, money: dict) -> tuple[float | None, Origin]:
    if chip.rent_usd_per_chip_hour is not None:
        kind: OriginKind = "estimate" if chip.rent_estimate or chip.estimate else "catalog"
        return chip.rent_usd_per_chip_hour, Origin(kind, chip.rent_basis)
    if chip.capex_usd is not None:
        ratio = money["rent_per_capex_per_hour"]
        basis = (f"no cloud price published: purchase price USD {chip.capex_usd:,.0f} x {ratio:.3g}/h "
                 f"(the H100's rent-to-price ratio, defaults.toml)")
        return chip.capex_usd * ratio, Origin("estimate", basis)
    return None, Origin("estimate", f"no cloud or purchase price published for {chip.name}")


def require_finite(resolved: Resolved, names: tuple[str, ...]) -> None:
    """Raise a WhatifError for an input the model cannot do without (e.g. chip power)."""
    for name in names:
        if math.isnan(resolved.values[name]):
            raise WhatifError(f"{resolved.origins[name].source}; set facility.{name} in the scenario",
                              key=f"facility.{name}")
