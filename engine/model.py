"""The model's arithmetic (docs/model.md §2 to §8), written once for floats and numpy arrays.

`compute` takes resolved inputs (engine.resolve) where each value is a float or an array
(all arrays broadcastable to one shape) and returns every output and intermediate value
in the same shape. The single-scenario path and a million-row batch run exactly this code.
NaN propagates "not available" (e.g. no published price) instead of raising.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike  # numpy.typing costs ~3 ms to import: types only

from whatif.engine.step import mfu_ceiling, step_model, where

HOURS_PER_YEAR = 8760.0
SECONDS_PER_DAY = 86400.0
_TINY = np.finfo(float).tiny  # keeps goodput strictly above 0 when exp() underflows


def job_mtti_minutes(count: ArrayLike, mtti_chip_hours: ArrayLike) -> ArrayLike:
    """Mean time between interruptions of the whole job: failures add up over chips."""
    return np.divide(mtti_chip_hours, count) * 60.0


def checkpoint_interval_minutes(mtti_minutes: ArrayLike, checkpoint_minutes: ArrayLike) -> ArrayLike:
    """Daly's (2006) higher-order optimum; the interrupt interval itself once a checkpoint
    takes longer than half of it."""
    s = np.divide(checkpoint_minutes, 2.0 * mtti_minutes)
    higher_order = np.sqrt(2.0 * checkpoint_minutes * mtti_minutes) * (1.0 + np.sqrt(s) / 3.0 + s / 9.0) - checkpoint_minutes
    return where(s < 1.0, higher_order, mtti_minutes)


def goodput_model(count: ArrayLike, mtti_chip_hours: ArrayLike, checkpoint_minutes: ArrayLike,
                  restart_minutes: ArrayLike, planned_downtime: ArrayLike) -> ArrayLike:
    """Share of wall-clock doing useful steps (docs/model.md §4).

    Daly's expected wall time for exponential interrupts, T_wall = M e^(R/M) (e^((Tc+d)/M) - 1)
    T_steady / Tc, so goodput = Tc / (M e^(R/M) (e^((Tc+d)/M) - 1)): it matches the
    first-order form (1 - d/Tc - (Tc/2 + R)/M) at small clusters, stays in (0, 1] and falls
    monotonically where that form would go negative. Computed in logs to avoid overflow.
    """
    m = job_mtti_minutes(count, mtti_chip_hours)
    tc = checkpoint_interval_minutes(m, checkpoint_minutes)
    with np.errstate(over="ignore", divide="ignore"):
        log_eff = np.log(tc) - np.log(m) - np.divide(restart_minutes, m) - np.log(np.expm1((tc + checkpoint_minutes) / m))
        efficiency = np.maximum(np.exp(log_eff), _TINY)
    return efficiency * (1.0 - planned_downtime)


def compute(x: Mapping[str, ArrayLike], outputs: Collection[str] | None = None, *,
            step_detail: bool = True) -> dict[str, np.ndarray]:
    """Every output of docs/model.md §9 plus intermediates and warning flags; with `outputs`,
    at least those: values none of them needs (money for an energy band, warning flags, the
    power split) are skipped, since a Monte Carlo of 100,000 rows asks for a handful and each
    skipped value is a 100,000-row pass. `step_detail` False: of the step model's outputs
    only what the time and the flags read (step.LEAN_OUTPUTS), not the layout, parts and
    memory split (a plan's batches, which read none of them).

    NaN (not available) and infinity (e.g. a run that never finishes when goodput underflows)
    are meaningful results here, so numpy's floating-point warnings are silenced."""
    with np.errstate(all="ignore"):
        return _compute(x, _needed(outputs, x["own"]), step_detail=step_detail)


# Outputs that never fall as MFU rises (time, and what time multiplies: energy, CO2, money)
# or do not depend on it (power): optimistic() bounds them from below.
MFU_BOUNDED: frozenset[str] = frozenset(("training_days", "steady_days", "chip_hours", "energy_mwh", "it_energy_mwh",
                                         "co2_t", "cost_usd", "facility_mw", "it_mw"))


def optimistic(x: Mapping[str, ArrayLike], outputs: Collection[str]) -> dict[str, np.ndarray]:
    """`outputs` (among MFU_BOUNDED) at the step model's MFU ceiling (step.mfu_ceiling) where
    the MFU is estimated, without the layout search: lower bounds of the time-driven figures
    and the power figures exactly, at a few array operations per count (a plan screens out
    the counts that break a limit even so)."""
    unknown = set(outputs) - MFU_BOUNDED
    if unknown:
        raise ValueError(f"no optimistic bound for {sorted(unknown)}")
    with np.errstate(all="ignore"):
        return _compute(x, _needed(outputs, x["own"]), step={"mfu_step": mfu_ceiling(x)})


# What each skippable value needs beyond the time and power core (always computed).
_NEEDS: dict[str, tuple[str, ...]] = {
    "co2_t": ("energy_mwh",), "it_co2_t": ("it_energy_mwh",), "accelerator_co2_t": ("accelerator_energy_mwh",),
    "water_m3": ("it_energy_mwh",), "homes": ("facility_mw_avg",), "energy_mwh": ("it_energy_mwh",),
    "cost_usd": ("own_cost_usd", "rent_cost_usd"), "own_cost_usd": ("own_fixed_usd_per_year", "energy_cost_usd"),
    "own_fixed_usd_per_year": ("capex_usd",), "capex_usd": ("it_capex_usd", "facility_capex_usd"),
    "energy_cost_usd": ("energy_mwh",), "breakeven_utilisation": ("own_fixed_usd_per_year", "facility_mw_avg"),
    "warn_tokens_per_param": ("tokens_per_param",), "warn_missing_price": ("cost_usd",),
}


def _needed(outputs: Collection[str] | None, own: ArrayLike) -> frozenset[str] | None:
    """`outputs` and everything they are computed from (None: everything). With one mode for
    every row (`own` a scalar: a Monte Carlo), the cost needs only that mode's cost."""
    if outputs is None:
        return None
    return _needed_of(frozenset(outputs), None if np.ndim(own) else bool(own > 0.5))


@functools.lru_cache(maxsize=64)
def _needed_of(outputs: frozenset[str], own: bool | None) -> frozenset[str]:
    """_needed, remembered (a Monte Carlo asks the same outputs of every chunk); `own` None:
    modes vary by row."""
    needs = _NEEDS
    if own is not None:
        needs = {**_NEEDS, "cost_usd": ("own_cost_usd" if own else "rent_cost_usd",)}
    want, todo = set(), list(outputs)
    while todo:
        name = todo.pop()
        if name not in want:
            want.add(name)
            todo.extend(needs.get(name, ()))
    return frozenset(want)


def _compute(x: Mapping[str, ArrayLike], want: frozenset[str] | None = None,
             step: Mapping[str, ArrayLike] | None = None, step_detail: bool = True) -> dict[str, np.ndarray]:
    """compute's body; `step`: the step model's outputs given (optimistic's MFU ceiling)
    instead of searched (only with a `want` without warn_memory or warn_layout, which read
    the layout)."""
    def need(name: str) -> bool:
        return want is None or name in want

    n = x["count"]
    out: dict[str, np.ndarray] = {}

    # 2-4. Compute, utilisation, time.
    flops = x["flops"]
    peak_flops_per_chip = x["peak_tflops"] * 1e12
    if step is None:
        step = step_model(x, lean=not step_detail)  # layout search, memory per chip, step-time parts (docs/model.md §16)
    out.update(step)
    mfu_auto = step["mfu_step"]
    mfu_estimated = np.isnan(x["mfu_in"])
    mfu = where(mfu_estimated, mfu_auto, x["mfu_in"])
    goodput_auto = goodput_model(n, x["mtti_chip_hours"], x["checkpoint_minutes"],
                                 x["restart_minutes"], x["planned_downtime"])
    goodput_estimated = np.isnan(x["goodput_in"])
    goodput = where(goodput_estimated, goodput_auto, x["goodput_in"])
    steady_s = flops / (n * peak_flops_per_chip * mfu)
    wall_s = steady_s / goodput
    wall_h = wall_s / 3600.0
    out.update(
        training_flops=flops, peak_pflops=n * peak_flops_per_chip / 1e15,
        mfu=mfu, mfu_estimated=mfu_estimated, mfu_auto=mfu_auto,
        goodput=goodput, goodput_estimated=goodput_estimated, goodput_auto=goodput_auto,
        job_mtti_hours=job_mtti_minutes(n, x["mtti_chip_hours"]) / 60.0, training_days=wall_s / SECONDS_PER_DAY,
    )
    time_items = {
        "steady_days": lambda: steady_s / SECONDS_PER_DAY,
        "chip_hours": lambda: n * wall_h,
        "end_to_end_utilisation": lambda: mfu * goodput,
    }
    out.update({name: f() for name, f in time_items.items() if need(name)})

    # 5. Power, cooling, racks.
    kw = x["it_kw_per_chip"]
    server_share = 1.0 - x["fan_share"]
    servers_mw = n * kw * server_share / 1000.0
    it_mw = servers_mw * (1.0 + x["network_share"])
    facility_mw = it_mw * x["pue"]
    it_mw_avg = it_mw * x["load_factor"]
    chip_kw_in_server = kw * server_share
    servers_per_rack = np.floor(x["max_rack_kw"] / (x["chips_per_server"] * chip_kw_in_server))
    fixed = x["fixed_rack_chips"] > 0
    chips_per_rack = where(fixed, x["fixed_rack_chips"], np.maximum(servers_per_rack, 1.0) * x["chips_per_server"])
    racks = np.ceil(n / chips_per_rack)
    out.update(it_mw=it_mw, facility_mw=facility_mw, it_mw_avg=it_mw_avg, chips_per_rack=chips_per_rack,
               rack_kw=chips_per_rack * chip_kw_in_server, racks=racks, floor_m2=racks * x["floor_m2_per_rack"])
    if need("facility_mw_avg"):
        out["facility_mw_avg"] = it_mw_avg * x["pue"]
    if need("it_energy_mwh"):
        out["it_energy_mwh"] = it_mw_avg * wall_h
    if need("energy_mwh"):
        out["energy_mwh"] = out["it_energy_mwh"] * x["pue"]
    accel_mw = np.minimum(n * x["tdp_kw"] / 1000.0, servers_mw)  # NaN where TDP is unknown
    power_items = {
        "accelerator_energy_mwh": lambda: n * wall_h * x["tdp_kw"] / 1000.0,  # chip-hours x TDP (the narrowest)
        "accelerators_mw": lambda: accel_mw,
        "server_overhead_mw": lambda: servers_mw - accel_mw,
        "network_mw": lambda: it_mw - servers_mw,
        "cooling_overhead_mw": lambda: facility_mw - it_mw,
    }
    out.update({name: f() for name, f in power_items.items() if need(name)})

    # 6. Carbon, water, equivalents.
    carbon = {
        "co2_t": lambda: out["energy_mwh"] * x["grid_g_per_kwh"] / 1000.0,
        "it_co2_t": lambda: out["it_energy_mwh"] * x["grid_g_per_kwh"] / 1000.0,
        "accelerator_co2_t": lambda: out["accelerator_energy_mwh"] * x["grid_g_per_kwh"] / 1000.0,
        "water_m3": lambda: out["it_energy_mwh"] * x["wue_l_per_kwh"],
        "homes": lambda: out["facility_mw_avg"] * HOURS_PER_YEAR / (x["home_kwh_per_year"] / 1000.0),
    }
    out.update({name: f() for name, f in carbon.items() if need(name)})

    # 7. Money. Facility capex is per MW of critical (IT) load, as Cushman & Wakefield quote it.
    if need("capex_usd"):
        it_capex = n * x["chip_capex_usd"] * (1.0 + x["network_capex_share"])
        facility_capex = it_mw * x["facility_capex_usd_per_mw"] * x["build_factor"]
        capex = it_capex + facility_capex
        out.update(it_capex_usd=it_capex, facility_capex_usd=facility_capex, capex_usd=capex)
    if need("own_fixed_usd_per_year"):
        out["own_fixed_usd_per_year"] = (out["it_capex_usd"] / x["depreciation_years"]
                                         + out["facility_capex_usd"] / x["facility_life_years"]
                                         + out["capex_usd"] * x["om_share_per_year"])
    if need("energy_cost_usd"):
        out["energy_cost_usd"] = out["energy_mwh"] * x["electricity_usd_per_mwh"]
    own = x["own"] > 0.5
    money = {
        "own_cost_usd": lambda: out["own_fixed_usd_per_year"] * (wall_h / HOURS_PER_YEAR) + out["energy_cost_usd"],
        "rent_cost_usd": lambda: n * wall_h * x["rent_usd_per_chip_hour"],
    }
    out.update({name: f() for name, f in money.items() if need(name)})
    if need("cost_usd"):
        out["cost_usd"] = (np.where(own, out["own_cost_usd"], out["rent_cost_usd"]) if np.ndim(own)
                           else out["own_cost_usd" if own else "rent_cost_usd"])
    if need("breakeven_utilisation"):
        rent_full_year = n * HOURS_PER_YEAR * x["rent_usd_per_chip_hour"]
        energy_full_year = out["facility_mw_avg"] * HOURS_PER_YEAR * x["electricity_usd_per_mwh"]
        margin = rent_full_year - energy_full_year
        out["breakeven_utilisation"] = where(margin > 0, out["own_fixed_usd_per_year"] / margin, np.inf)

    # 8. Feasibility flags (messages are built in engine.warnings), each only where asked: a
    # plan's batches read two of them.
    flag_items = {
        "states_gb": lambda: x["state_bytes_per_param"] * x["params_b"],
        "usable_hbm_gb": lambda: x["hbm_usable_share"] * n * x["hbm_gb"],
        "tokens_per_param": lambda: x["tokens_t"] * 1e3 / x["active_params_b"],
        "warn_memory": lambda: ~step["fits"].astype(bool),
        "warn_layout": lambda: ~step["layout_valid"].astype(bool),
        "warn_rack_density": lambda: out["rack_kw"] > x["max_rack_kw"],
        "warn_power_cap": lambda: facility_mw > x["power_cap_mw"],
        "warn_mfu": lambda: (mfu > x["mfu_high"]) | (mfu < x["mfu_low"]),
        "warn_goodput": lambda: goodput < x["goodput_low"],
        "warn_chip_estimate": lambda: x["chip_estimate"] > 0.5,
        "warn_eu_ai_act": lambda: flops > x["eu_ai_act_flops"],
        "warn_tokens_per_param": lambda: _far_from_chinchilla(out["tokens_per_param"], x),
        "warn_missing_power": lambda: np.isnan(kw),
        "warn_missing_price": lambda: np.isnan(out["cost_usd"]),
    }
    for name, f in flag_items.items():   # one by one: a flag may read a value before it
        if need(name):
            out[name] = f()
    return out


def _far_from_chinchilla(tokens_per_param: ArrayLike, x: Mapping[str, ArrayLike]) -> ArrayLike:
    """Tokens per parameter more than the far factor away from Chinchilla's, either way."""
    chinchilla, far = x["chinchilla_tokens_per_param"], x["tokens_per_param_far_factor"]
    return (tokens_per_param > chinchilla * far) | (tokens_per_param < chinchilla / far)
