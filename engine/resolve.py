"""Resolve a scenario against the catalogs into plain numbers, remembering each one's origin.

The result feeds engine.model.compute, which works on floats or numpy arrays alike. NaN
marks "not available" (no published price, no power cap) or "estimate it" (mfu, goodput).
"""

from __future__ import annotations

import functools
import math
import typing
from dataclasses import dataclass, field
from typing import Literal

from whatif.engine.catalog import INLINE_PRESET, Catalog, Chip, Cooling, Region, load_catalog
from whatif.engine.inputs import INPUTS
from whatif.engine.scenario import Scenario

OriginKind = Literal["input", "user", "default", "catalog", "estimate", "auto", "derived"]
ORIGIN_KINDS: tuple[str, ...] = typing.get_args(OriginKind)  # for UIs that label every kind
NAN = math.nan


@dataclass(frozen=True)
class Origin:
    """Where a resolved number came from. `kind`: input (the scenario set it, also in its
    inline `[chips.KEY]`), user (the user's own catalog entry: config.toml or chips.toml;
    `source` names the file, table and field), catalog (shipped chip, cooling or region
    data), default (a model constant), estimate (a default that
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
    catalog = (catalog or load_catalog()).with_chips(scenario.chips, origin=INLINE_PRESET)
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
        _user(chip, "dense_tflops", shown=f"dense_tflops.{precision}")
        or Origin("estimate" if chip.estimate else "catalog", f"{chip.name}, dense {precision} peak. {chip.sources}"))

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
    users = _user(chip, "default_cooling", basis="cooling_basis") if cooling_key is None else None
    if users is not None:
        o["cooling"] = Origin(users.kind, f"{cooling.name}: {users.source}")
    region = catalog.region(region_key or "us-average")
    o["region"] = Origin("default", region.name)
    power = d["power"]
    kw, kw_basis, kw_est = chip.it_kw(power["server_overhead_factor"])
    kw_origin = Origin("estimate" if kw_est else "catalog", kw_basis)
    users = _user(chip, *chip.it_kw_fields())
    if users is not None:  # the user's figure; an estimate from the user's TDP stays an estimate
        kw_origin = Origin(kw_origin.kind, f"{kw_basis}; {users.source}") if kw_est else users
    put("it_kw_per_chip", kw, kw_origin)
    put("tdp_kw", None if chip.tdp_w is None else chip.tdp_w / 1000, _user(chip, "tdp_w", basis="tdp_basis") or
        Origin("estimate" if chip.tdp_basis or chip.estimate else "catalog", chip.tdp_basis or f"{chip.name} TDP"))
    cool_src = Origin("catalog", f"{cooling.name}. {cooling.sources}")
    for name in ("fan_share", "pue", "wue_l_per_kwh", "max_rack_kw", "build_factor"):
        put(name, getattr(cooling, name), _user(cooling, name) or cool_src)
    power_src = Origin("default", power["sources"])
    for name in ("load_factor", "network_share", "floor_m2_per_rack", "state_bytes_per_param", "hbm_usable_share"):
        put(name, power[name], power_src)
    put("power_cap_mw", None, Origin("default", "no site limit set"))
    region_src = f"{region.name}. {region.sources}"
    price_field = "usd_per_mwh" if region.usd_per_mwh is not None else "eur_per_mwh"
    put("electricity_usd_per_mwh", region.price_usd_per_mwh(d["money"]["usd_per_eur"]), _user(region, price_field) or
        Origin("estimate" if "usd_per_mwh" in region.estimated else "catalog", region_src))
    put("grid_g_per_kwh", region.grid_g_per_kwh, _user(region, "grid_g_per_kwh") or
        Origin("estimate" if "grid_g_per_kwh" in region.estimated else "catalog", region_src))
    put("chips_per_server", chip.chips_per_server, _user(chip, "chips_per_server") or Origin("catalog", chip.name))
    put("fixed_rack_chips", chip.fixed_rack_chips or 0, _user(chip, "fixed_rack_chips", basis="rack_basis") or
        Origin("catalog", chip.rack_basis or "no fixed rack: servers packed by cooling limit"))
    put("hbm_gb", chip.hbm_gb, _user(chip, "hbm_gb") or Origin("catalog", chip.name))
    put("home_kwh_per_year", d["carbon"]["home_kwh_per_year"], Origin("default", d["carbon"]["sources"]))

    # Money.
    money = d["money"]
    money_src = Origin("default", money["sources"])
    put("own", 0.0, Origin("default", "mode = rent"))
    rent, rent_origin = _default_rent(chip, money)
    put("rent_usd_per_chip_hour", rent, rent_origin)
    put("chip_capex_usd", chip.capex_usd, _user(chip, "capex_usd", basis="capex_basis") or
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


def _user(entry: Chip | Cooling | Region, *fields: str, shown: str = "", basis: str = "") -> Origin | None:
    """The origin of a value taken from the first of `fields` that a user file or the
    preset's inline `[chips.KEY]` set, or None if the shipped catalog set them all. Its
    source names the file, the entry and the field (and the user's own basis, if given)."""
    label = entry.set_by(*fields)
    if label is None:
        return None
    field_name = shown or next(f for f in fields if f in entry.field_origins)
    table = {Chip: "chips", Cooling: "cooling", Region: "regions"}[type(entry)]
    note = f": {getattr(entry, basis)}" if basis and entry.set_by(basis) and getattr(entry, basis) else ""
    if label == INLINE_PRESET:
        return Origin("input", f"preset [{table}.{entry.key}] {field_name}{note}")
    return Origin("user", f"{label} [{table}.{entry.key}] {field_name}{note}")


def _default_rent(chip: Chip, money: dict) -> tuple[float | None, Origin]:
    users = _user(chip, "rent_usd_per_chip_hour", basis="rent_basis")
    if users is not None and chip.rent_usd_per_chip_hour is not None:
        return chip.rent_usd_per_chip_hour, users
    if chip.rent_usd_per_chip_hour is not None:
        kind: OriginKind = "estimate" if chip.rent_estimate or chip.estimate else "catalog"
        return chip.rent_usd_per_chip_hour, Origin(kind, chip.rent_basis)
    if chip.capex_usd is not None:
        ratio = money["rent_per_capex_per_hour"]
        basis = (f"no cloud price published: purchase price USD {chip.capex_usd:,.0f} x {ratio:.3g}/h "
                 f"(the H100's rent-to-price ratio, defaults.toml)")
        return chip.capex_usd * ratio, Origin("estimate", basis)
    return None, Origin("estimate", f"no cloud or purchase price published for {chip.name}")
