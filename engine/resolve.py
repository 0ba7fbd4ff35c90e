"""Resolve a scenario against the catalogs into plain numbers, remembering each one's origin.

The result feeds engine.model.compute, which works on floats or numpy arrays alike. NaN
marks "not available" (no published price, no power cap) or "estimate it" (mfu, goodput).
"""

from __future__ import annotations

import functools
import math
import typing
from dataclasses import dataclass, field

from whatif.engine.catalog import Catalog, Chip, Cooling, Region, load_catalog
from whatif.engine.inputs import INLINE_PRESET, INPUTS, RECOMPUTE
from whatif.engine.origin import Origin, OriginKind
from whatif.engine.scenario import Scenario
from whatif.engine.shapes import SHAPE_FIELDS, shape_for

NAN = math.nan


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
# The same by scenario table, split once (resolve() runs on every keystroke).
_INPUTS_BY_GROUP: dict[str, tuple[tuple[str, str], ...]] = {}
for _dotted, _name in INPUT_FOR_KEY.items():
    _group, _key = _dotted.split(".")
    _INPUTS_BY_GROUP[_group] = (*_INPUTS_BY_GROUP.get(_group, ()), (_key, _name))
_DENSE = Origin("default", "= params_b (dense model)")
_SIX_ND = Origin("derived", "6 x active params x tokens (docs/model.md §2)")


def resolve(scenario: Scenario, catalog: Catalog | None = None) -> Resolved:
    """All numeric model inputs for `scenario`, with their origins. Raises WhatifError for an
    unknown chip, cooling type or region, or a precision the chip does not support."""
    catalog = (catalog or load_catalog()).with_chips(scenario.chips, origin=INLINE_PRESET)
    return resolve_choice(catalog, scenario_inputs(scenario), scenario.cluster.chip, scenario.facility.cooling)


@dataclass(frozen=True)
class ScenarioInputs:
    """What a scenario sets over the catalog's defaults, apart from its chip and cooling type
    (which pick the defaults): `values` and `origins` go over them as they are. A plan
    resolves a scenario for every chip x cooling this way once, not once per row."""

    values: dict[str, float]
    origins: dict[str, Origin]
    region: str | None
    precision: str
    mode: str


def scenario_inputs(scenario: Scenario) -> ScenarioInputs:
    """The inputs `scenario` sets, and those derived from them alone (active parameters,
    FLOPs, the model shape): none reads a catalog (the workload's parameters and tokens are
    always set), so they hold for any chip and cooling type."""
    f = scenario.facility
    v: dict[str, float] = {}
    o: dict[str, Origin] = {}
    for group, fields in _INPUTS_BY_GROUP.items():
        table = getattr(scenario, group)
        for key, name in fields:
            value = getattr(table, key)
            if value is not None:
                v[name] = float(value)
                o[name] = SET_IN_SCENARIO
    if scenario.workload.active_params_b is None:
        v["active_params_b"] = v["params_b"]
        o["active_params_b"] = _DENSE
    if scenario.workload.flops is None:
        v["flops"] = 6 * v["active_params_b"] * 1e9 * v["tokens_t"] * 1e12
        o["flops"] = _SIX_ND
    _resolve_shape(scenario, v, o)
    recompute = scenario.cluster.recompute
    if recompute is not None:
        v["recompute_in"] = float(RECOMPUTE.index(recompute))
        o["recompute_in"] = SET_IN_SCENARIO
    v["flash_attention"] = 0.0 if scenario.cluster.flash_attention == "off" else 1.0
    o["flash_attention"] = Origin("input" if "flash_attention" in scenario.cluster.model_fields_set else "default",
                                  f"fused attention {scenario.cluster.flash_attention}")
    mode = scenario.economics.mode
    v["own"] = 1.0 if mode == "own" else 0.0
    o["own"] = Origin("input" if "mode" in scenario.economics.model_fields_set else "default", f"mode = {mode}")
    if f.region is not None:
        o["region"] = SET_IN_SCENARIO
    return ScenarioInputs(v, o, f.region, scenario.workload.precision, mode)


def resolve_choice(catalog: Catalog, inputs: ScenarioInputs, chip: str, cooling: str | None,
                   dropped: frozenset[str] = frozenset()) -> Resolved:
    """`inputs` over the defaults of `chip` and `cooling` (None: the chip's own): what
    resolve gives for the scenario with that chip and cooling type. `dropped`: model inputs
    the scenario sets that this choice takes from the catalog instead (a preset's power per
    chip for another chip). Raises WhatifError as resolve does."""
    base = _catalog_defaults(catalog, chip, cooling, inputs.region, inputs.precision)
    v = dict(base.values)
    o = dict(base.origins)
    if dropped:
        v.update((k, x) for k, x in inputs.values.items() if k not in dropped)
        o.update((k, x) for k, x in inputs.origins.items() if k not in dropped)
    else:
        v.update(inputs.values)
        o.update(inputs.origins)
    if cooling is not None:
        o["cooling"] = SET_IN_SCENARIO
    return Resolved(v, o, base.chip, base.cooling, base.region, inputs.precision, inputs.mode, catalog)


def _resolve_shape(scenario: Scenario, v: dict[str, float], o: dict[str, Origin]) -> None:
    """Shape fields the scenario leaves out, from the nearest real model family (docs/model.md §15)."""
    w = scenario.workload
    missing = [name for name in SHAPE_FIELDS if getattr(w, name) is None]
    if not missing:   # the defaults' placeholder for `gated` stays (NaN)
        return
    shape = shape_for(v["params_b"], v["active_params_b"])
    origin = Origin("default", f"{shape.basis}. {shape.family.sources}")
    for name in missing + ["gated"]:
        v[name] = shape.values[name]
        o[name] = origin


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

    # MFU: the training-step model (docs/model.md §16) unless the scenario sets it.
    put("mfu_in", None, Origin("auto", "training-step model: chip, model shape and parallel layout (docs/model.md §16)"))
    layout_auto = Origin("auto", "layout search: the fastest layout that fits in memory (docs/model.md §16)")
    for name in ("tp_in", "pp_in", "dp_in", "ep_in", "micro_batch_in", "global_batch_tokens_in", "recompute_in",
                 "zero_stage_in"):
        put(name, None, layout_auto)
    for name in SHAPE_FIELDS + ("gated",):
        put(name, None, SET_IN_SCENARIO)  # replaced by the scenario's or the model family's shape
    step = d["step"]
    step_src = Origin("default", step["sources"])
    for name in ("gemm_efficiency", "memory_passes", "score_passes", "layer_overhead_us", "collective_efficiency", "comm_overlap",
                 "attention_efficiency", "attention_causal", "collective_latency_us", "max_virtual_stages"):
        put("step_" + name, step[name], step_src)
    for name in ("batch_law_coefficient", "batch_law_exponent", "batch_tokens_max"):
        put(name, step[name], step_src)
    put("gemm_bytes", step["gemm_bytes"][precision], step_src)
    _network(chip, put, step)
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


def _network(chip: Chip, put: typing.Callable[[str, float | None, Origin], None], step: dict) -> None:
    """HBM, scale-up and scale-out bandwidths and the scale-up domain (docs/model.md §16.1);
    a chip that publishes none gets a flagged estimate, never a silent number."""
    src = Origin("estimate" if chip.estimate else "catalog", chip.network_basis or chip.sources or chip.name)
    peak = chip.peak_tflops("bf16") if chip.supported_precisions() and "bf16" in chip.dense_tflops else \
        max(chip.dense_tflops.values())
    if chip.hbm_bw_tbps is not None:
        put("hbm_bw_tbps", chip.hbm_bw_tbps, _user(chip, "hbm_bw_tbps") or Origin(src.kind, chip.sources or chip.name))
    else:
        put("hbm_bw_tbps", peak / 300.0, Origin("estimate", "no HBM bandwidth published: peak / 300 FLOP per byte "
                                                           "(H100's ratio)"))
    scaleout = chip.scaleout_bw_gbps
    put("scaleout_bw_gbps", scaleout if scaleout is not None else 50.0,
        _user(chip, "scaleout_bw_gbps") or (src if scaleout is not None else
                                            Origin("estimate", "no scale-out bandwidth published: 400 Gb/s per chip")))
    domain = chip.scaleup_domain or chip.fixed_rack_chips or chip.chips_per_server
    put("scaleup_domain", domain, _user(chip, "scaleup_domain") or (src if chip.scaleup_domain else Origin(
        "estimate", "no scale-up domain published: the chip's server or rack")))
    if chip.scaleup_bw_gbps is not None:
        put("scaleup_bw_gbps", chip.scaleup_bw_gbps, _user(chip, "scaleup_bw_gbps") or Origin(src.kind, chip.sources))
    else:
        put("scaleup_bw_gbps", 16.0 * (scaleout if scaleout is not None else 50.0),
            Origin("estimate", "no scale-up bandwidth published: 8x the scale-out bandwidth (bidirectional)"))


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
