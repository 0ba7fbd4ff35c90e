"""Resolve a scenario against the catalogs into plain numbers, remembering each one's origin.

The result feeds engine.model.compute, which works on floats or numpy arrays alike. NaN
marks "not available" (no published price, no power cap) or "estimate it" (mfu, goodput).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal

from whatif.engine.catalog import Catalog, Chip, Cooling, Region, load_catalog
from whatif.engine.inputs import INPUTS
from whatif.engine.scenario import Scenario

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


SET_IN_SCENARIO = Origin("input", "set in the scenario")


# Scenario field -> model input it sets (None in the scenario = keep the catalog default).
INPUT_FOR_KEY: dict[str, str] = {spec.key: spec.name for spec in INPUTS if spec.name}
_DENSE = Origin("default", "= params_b (dense model)")
_SIX_ND = Origin("derived", "6 x active params x tokens (docs/model.md §2)")


def resolve(scenario: Scenario, catalog: Catalog | None = None) -> Resolved:
    """All numeric model inputs for `scenario`, with their origins. Raises WhatifError for an
    unknown chip, cooling type or region, or a precision the chip does not support."""
    catalog = (catalog or load_catalog()).with_chips(scenario.chips, origin="preset [chips]")
    f = scenario.facility
    base = _catalog_defaults(catalog, scenario.cluster.chip, f.cooling, f.region, scenario.workload.precision)
    v = dict(base.values)
    o = dict(base.origins)
    for dotted, name in INPUT_FOR_KEY.items():
        group, key = dotted.split(".")
        value = getattr(getattr(scenario, group), key)
        if value is not None:
            v[name] = float(value)
            o[name] = SET_IN_SCENARIO
    if scenario.workload.active_params_b is None:
        v["active_params_b"] = v["params_b"]
        o["active_params_b"] = _DENSE
    if scenario.workload.flops is None:
        v["flops"] = 6 * v["active_params_b"] * 1e9 * v["tokens_t"] * 1e12
        o["flops"] = _SIX_ND
    mode = scenario.economics.mode
    v["own"] = 1.0 if mode == "own" else 0.0
    o["own"] = Origin("input" if "mode" in scenario.economics.model_fields_set else "default", f"mode = {mode}")
    if f.cooling is not None:
        o["cooling"] = SET_IN_SCENARIO
    if f.region is not None:
        o["region"] = SET_IN_SCENARIO
    return Resolved(v, o, base.chip, base.cooling, base.region, scenario.workload.precision, mode, catalog)


@functools.lru_cache(maxsize=256)
def _catalog_defaults(catalog: Catalog, chip_key: str, cooling_key: str | None, region_key: str | None,
                      precision: str) -> Resolved:
    """Every input's default for this chip, cooling, region and precision (cached: the same
    combination recurs on every keystroke). Callers copy the dicts before changing them."""
    d = catalog.defaults
    chip = catalog.chip(chip_key)
    v: dict[str, float] = {}
    o: dict[str, Origin] = {}

    def put(name: str, value: float | None, origin: Origin) -> None:
        v[name] = NAN if value is None else float(value)
        o[name] = origin

    # Workload placeholders (the scenario always sets these) and the chip's peak.
    for name in ("params_b", "tokens_t", "count"):
        put(name, None, SET_IN_SCENARIO)
    put("peak_tflops", chip.peak_tflops(precision),
        Origin("estimate" if chip.estimate else "catalog", f"{chip.name}, dense {precision} peak. {chip.sources}"))

    # MFU and reliability.
    mfu = d["mfu"]
    put("mfu_in", None, Origin("auto", "estimated from precision and cluster size (docs/model.md §3)"))
    put("mfu_base", mfu["base"][precision], Origin("default", mfu["sources"]))
    put("mfu_loss_per_doubling", mfu["loss_per_doubling"], Origin("default", mfu["sources"]))
    put("mfu_ref_chips", mfu["ref_chips"], Origin("default", mfu["sources"]))
    put("goodput_in", None, Origin("auto", "reliability model (docs/model.md §4)"))
    rel = d["reliability"]
    for name in ("mtti_chip_hours", "checkpoint_minutes", "restart_minutes", "planned_downtime"):
        put(name, rel[name], Origin("default", rel["sources"]))

    # Facility.
    cooling = catalog.cooling_type(cooling_key or chip.default_cooling or "air")
    why = chip.cooling_basis or ("fixed liquid-cooled rack" if chip.default_cooling else "default for server chips")
    o["cooling"] = Origin("default", f"{cooling.name}: {why}")
    region = catalog.region(region_key or "us-average")
    o["region"] = Origin("default", region.name)
    power = d["power"]
    kw, kw_basis, kw_est = chip.it_kw(power["server_overhead_factor"])
    put("it_kw_per_chip", kw, Origin("estimate" if kw_est else "catalog", kw_basis))
    put("tdp_kw", None if chip.tdp_w is None else chip.tdp_w / 1000,
        Origin("estimate" if chip.tdp_basis or chip.estimate else "catalog", chip.tdp_basis or f"{chip.name} TDP"))
    cool_src = Origin("catalog", f"{cooling.name}. {cooling.sources}")
    put("fan_share", cooling.fan_share, cool_src)
    put("pue", cooling.pue, cool_src)
    put("wue_l_per_kwh", cooling.wue_l_per_kwh, cool_src)
    put("max_rack_kw", cooling.max_rack_kw, cool_src)
    put("build_factor", cooling.build_factor, cool_src)
    power_src = Origin("default", power["sources"])
    for name in ("load_factor", "network_share", "floor_m2_per_rack", "state_bytes_per_param", "hbm_usable_share"):
        put(name, power[name], power_src)
    put("power_cap_mw", None, Origin("default", "no site limit set"))
    region_src = f"{region.name}. {region.sources}"
    put("electricity_usd_per_mwh", region.price_usd_per_mwh(d["money"]["usd_per_eur"]),
        Origin("estimate" if "usd_per_mwh" in region.estimated else "catalog", region_src))
    put("grid_g_per_kwh", region.grid_g_per_kwh,
        Origin("estimate" if "grid_g_per_kwh" in region.estimated else "catalog", region_src))
    put("chips_per_server", chip.chips_per_server, Origin("catalog", chip.name))
    put("fixed_rack_chips", chip.fixed_rack_chips or 0,
        Origin("catalog", chip.rack_basis or "no fixed rack: servers packed by cooling limit"))
    put("hbm_gb", chip.hbm_gb, Origin("catalog", chip.name))
    put("home_kwh_per_year", d["carbon"]["home_kwh_per_year"], Origin("default", d["carbon"]["sources"]))

    # Money.
    money = d["money"]
    money_src = Origin("default", money["sources"])
    put("own", 0.0, Origin("default", "mode = rent"))
    rent, rent_origin = _default_rent(chip, money)
    put("rent_usd_per_chip_hour", rent, rent_origin)
    put("chip_capex_usd", chip.capex_usd,
        Origin("estimate" if chip.estimate else "catalog", chip.capex_basis or "no purchase price published"))
    for name in ("facility_capex_usd_per_mw", "depreciation_years", "network_capex_share", "facility_life_years",
                 "om_share_per_year"):
        put(name, money[name], money_src)
    put("chip_estimate", 1.0 if chip.estimate else 0.0, Origin("catalog", chip.status))

    thresholds = d["thresholds"]
    for name in ("mfu_low", "mfu_high", "goodput_low", "eu_ai_act_flops", "chinchilla_tokens_per_param",
                 "tokens_per_param_far_factor"):
        put(name, thresholds[name], Origin("default", thresholds["sources"]))
    return Resolved(v, o, chip, cooling, region, precision, "rent", catalog)


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
