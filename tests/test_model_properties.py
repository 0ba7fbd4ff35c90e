"""Shapes the formulas must keep for any input (hypothesis), and batch == single."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatif.engine.evaluate import evaluate, evaluate_batch, evaluate_many, NUMERIC_OUTPUTS
from whatif.engine.model import goodput_model
from whatif.engine.resolve import resolve
from tests.helpers import make_scenario

counts = st.integers(min_value=1, max_value=10_000_000)
BASE = resolve(make_scenario())


@settings(max_examples=200, deadline=None)
@given(n=counts, extra=st.integers(min_value=1, max_value=1_000_000))
def test_more_chips_never_increase_steady_time(n, extra):
    # With the step model a count's divisors set the layouts it can use (a prime count: pure data
    # parallel), so n + extra chips can be slower than n; twice the chips never are (every layout
    # of n has a counterpart with twice the data parallel).
    out = evaluate_batch(BASE, count=np.array([n, 2 * n]))
    assert out["steady_days"][1] <= out["steady_days"][0]


@settings(max_examples=200, deadline=None)
@given(n=counts, pue=st.floats(1.0, 3.0), bump=st.floats(0.0, 2.0))
def test_higher_pue_never_lowers_mw(n, pue, bump):
    out = evaluate_batch(BASE, count=n, pue=np.array([pue, pue + bump]))
    assert out["facility_mw"][1] >= out["facility_mw"][0]
    assert out["energy_mwh"][1] >= out["energy_mwh"][0]


@settings(max_examples=300, deadline=None)
@given(n=counts, mtti=st.floats(1_000, 1_000_000), ckpt=st.floats(0.01, 30), restart=st.floats(0, 120),
       planned=st.floats(0, 0.5))
def test_goodput_in_unit_interval_and_falls_with_size(n, mtti, ckpt, restart, planned):
    g = goodput_model(np.array([n, n + 1, 2 * n]), mtti, ckpt, restart, planned)
    assert np.all(g > 0) and np.all(g <= 1)
    assert g[1] <= g[0] + 1e-12 and g[2] <= g[1] + 1e-12


def test_goodput_positive_up_to_ten_million_chips_with_defaults():
    g = goodput_model(np.geomspace(1, 1e7, 200), 50_000, 0.5, 5.0, 0.02)
    assert np.all((g > 0) & (g <= 1)) and np.all(np.diff(g) <= 1e-15)


@settings(max_examples=100, deadline=None)
@given(rent=st.floats(0.1, 20), factor=st.floats(1.0, 5.0))
def test_rent_cost_is_linear_in_price(rent, factor):
    out = evaluate_batch(BASE, rent_usd_per_chip_hour=np.array([rent, rent * factor]))
    assert out["rent_cost_usd"][1] == pytest.approx(out["rent_cost_usd"][0] * factor, rel=1e-12)


def test_batch_and_single_agree_exactly():
    counts = [1, 7, 512, 1024, 3000, 16384, 100_000, 2_000_000]
    batch = evaluate_batch(BASE, count=np.array(counts, dtype=float))
    for i, n in enumerate(counts):
        single = evaluate(make_scenario(cluster={"count": n}))
        for key in NUMERIC_OUTPUTS:
            assert batch[key][i] == single[key] or (np.isnan(batch[key][i]) and np.isnan(single[key])), key


def test_many_scenarios_agree_with_single():
    scenarios = [make_scenario(cluster={"chip": c}, facility={"cooling": cool})
                 for c, cool in (("h100", "air"), ("b200", "direct-liquid"), ("mi300x", "rear-door"), ("gb200", "immersion"))]
    batch = evaluate_many(scenarios)
    for i, s in enumerate(scenarios):
        single = evaluate(s)
        for key in NUMERIC_OUTPUTS:
            assert batch[key][i] == single[key] or (np.isnan(batch[key][i]) and np.isnan(single[key])), key


@pytest.mark.parametrize("mode", ["rent", "own"])
def test_asking_for_some_outputs_gives_the_same_values_as_asking_for_all(mode):
    """compute(x, outputs) skips what the asked outputs do not need; what it returns is what
    the full computation gives, alone or in any combination, with one mode or both in a batch.
    A warning flag or feasibility value is asked like any output (a plan reads two flags)."""
    from whatif.engine.model import compute
    resolved = resolve(make_scenario(economics={"mode": mode}))
    rng = np.random.default_rng(5)
    batch = {**resolved.values, "pue": rng.uniform(1.1, 1.6, 50), "mfu_in": rng.uniform(0.3, 0.5, 50),
             "rent_usd_per_chip_hour": rng.uniform(1.5, 4.0, 50), "electricity_usd_per_mwh": rng.uniform(40, 90, 50)}
    mixed = {**batch, "own": (np.arange(50) % 2).astype(float)}
    for x in (resolved.values, batch, mixed):
        full = compute(x)
        flags = [k for k in full if k.startswith("warn_")] + ["states_gb", "usable_hbm_gb", "tokens_per_param"]
        assert len(flags) == 14
        for name in (*NUMERIC_OUTPUTS, *flags):
            assert np.array_equal(compute(x, [name])[name], full[name], equal_nan=True), name
        assert "water_m3" not in compute(x, ["warn_memory", "warn_rack_density"])
        some = compute(x, ["cost_usd", "co2_t", "homes"])
        for name in ("cost_usd", "co2_t", "homes", "training_days", "facility_mw"):
            assert np.array_equal(some[name], full[name], equal_nan=True), name


CHIPS = st.sampled_from(["a100", "h100", "h800", "b200", "gb200", "mi300x", "tpu-v5e", "gaudi3"])


@settings(max_examples=40, deadline=None)
@given(chip=CHIPS, params_b=st.sampled_from([1.2, 8.0, 70.0, 405.0]), efficiency=st.floats(0.3, 1.0),
       mode=st.sampled_from(["rent", "own"]))
def test_no_layout_beats_the_optimistic_figures(chip, params_b, efficiency, mode):
    """The plan's screen (engine.model.optimistic) skips counts whose optimistic figures
    break a limit: at every count and any GEMM efficiency, the searched MFU stays under its
    ceiling and the time-driven figures stay above their bounds (power exactly equal)."""
    from whatif.engine.model import MFU_BOUNDED, optimistic

    r = resolve(make_scenario(workload={"params_b": params_b}, cluster={"chip": chip},
                              economics={"mode": mode}))
    n = np.unique(np.round(np.geomspace(8, 300_000, 60)))
    searched = evaluate_batch(r, count=n, step_gemm_efficiency=efficiency)
    bound = optimistic({**r.values, "count": n, "step_gemm_efficiency": efficiency}, MFU_BOUNDED)
    assert (searched["mfu_step"] <= efficiency * (1 + 1e-12)).all()
    for name in MFU_BOUNDED - {"facility_mw", "it_mw"}:
        known = np.isfinite(searched[name])
        assert (searched[name][known] >= bound[name][known] * (1 - 1e-12)).all(), name
    assert np.array_equal(searched["facility_mw"], np.broadcast_to(bound["facility_mw"], n.shape))


def test_optimistic_days_by_hand():
    """At the MFU ceiling (the GEMM efficiency, 0.75 by default) the days are the FLOPs over
    chips x peak x 0.75 x goodput; power is the model's own."""
    from whatif.engine.model import optimistic

    v = BASE.values
    out = optimistic({**v, "count": 16384.0}, ["training_days", "facility_mw"])
    goodput = goodput_model(16384.0, v["mtti_chip_hours"], v["checkpoint_minutes"], v["restart_minutes"],
                            v["planned_downtime"])
    days = v["flops"] / (16384.0 * v["peak_tflops"] * 1e12 * 0.75 * goodput) / 86400.0
    assert v["step_gemm_efficiency"] == 0.75
    assert float(out["training_days"]) == pytest.approx(days, rel=1e-12)
    assert float(out["facility_mw"]) == evaluate(make_scenario(cluster={"count": 16384}))["facility_mw"]
    with pytest.raises(ValueError, match="states_gb"):
        optimistic({**v, "count": 8.0}, ["states_gb"])
