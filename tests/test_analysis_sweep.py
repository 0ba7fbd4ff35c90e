"""Sweeps: every row equals a point evaluation; limits are found where they start."""

from __future__ import annotations

import numpy as np
import pytest

from whatif.engine.analysis.inputs import input_spec, numeric_keys
from whatif.engine.analysis.sweep import sweep, sweep_rows
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, evaluate
from tests.helpers import make_scenario

BASE = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6}, cluster={"chip": "h100", "count": 16384})


def _assert_rows_equal_points(scenario, key, result):
    for i, xv in enumerate(result.x):
        value = int(xv) if input_spec(key).integer else float(xv)
        point = evaluate(scenario.with_values({key: value}))
        for name in NUMERIC_OUTPUTS:
            assert result.values[name][i] == pytest.approx(point.values[name], rel=1e-12, nan_ok=True), (key, value, name)


@pytest.mark.parametrize(("key", "low", "high", "log"), [
    ("cluster.count", 1024, 131072, True),
    ("cluster.count", 1000, 5000, False),
    ("cluster.mfu", 0.2, 0.6, False),
    ("cluster.goodput", 0.5, 1.0, False),
    ("facility.pue", 1.05, 2.0, False),
    ("facility.electricity_usd_per_mwh", 20.0, 200.0, True),
    ("economics.rent_usd_per_chip_hour", 1.0, 6.0, False),
    ("workload.params_b", 7.0, 1000.0, True),      # FLOPs are derived: recomputed per point
    ("workload.tokens_t", 1.0, 30.0, False),
    ("cluster.mtti_chip_hours", 5000.0, 200000.0, True),
])
def test_sweep_equals_point_evaluations_at_every_point(key, low, high, log):
    result = sweep(BASE, key, low, high, points=9, log=log)
    _assert_rows_equal_points(BASE, key, result)


def test_sweep_in_own_mode_with_set_mfu_equals_points():
    scenario = BASE.with_values({"economics.mode": "own", "cluster.mfu": 0.4, "facility.power_cap_mw": 100.0})
    result = sweep(scenario, "facility.pue", 1.1, 1.6, points=6)
    _assert_rows_equal_points(scenario, "facility.pue", result)


def test_count_sweep_uses_distinct_whole_counts():
    result = sweep(BASE, "cluster.count", 1, 40, points=200, log=True)
    assert np.all(result.x == np.round(result.x))
    assert np.all(np.diff(result.x) > 0)
    assert result.x[0] == 1 and result.x[-1] == 40


def test_reliability_wall_onset_is_the_first_count_below_the_threshold():
    result = sweep(BASE, "cluster.count", 1024, 1_048_576, points=20, log=True)
    wall = next(limit for limit in result.limits if limit.code == "reliability-wall")
    onset = int(wall.first)
    assert evaluate(BASE.with_values({"cluster.count": onset})).values["goodput"] < 0.7
    assert evaluate(BASE.with_values({"cluster.count": onset - 1})).values["goodput"] >= 0.7


def test_power_cap_onset_matches_the_hand_computed_count():
    scenario = BASE.with_values({"facility.power_cap_mw": 150.0})
    result = sweep(scenario, "cluster.count", 1024, 262144, points=10, log=True)
    cap = next(limit for limit in result.limits if limit.code == "power-cap")
    r = evaluate(scenario).resolved.values
    # facility_mw = n * kW * (1 + network share) * PUE / 1000 (air: no fan share removed)
    mw_per_chip = r["it_kw_per_chip"] * (1 + r["network_share"]) * r["pue"] / 1000
    assert cap.first == np.floor(150.0 / mw_per_chip) + 1


def test_limits_are_none_when_never_reached():
    result = sweep(BASE, "cluster.count", 1024, 4096, points=5)
    assert all(limit.first is None and not limit.mask.any() for limit in result.limits)


def test_sweep_rows_carry_raw_numbers_and_flags():
    rows = sweep_rows(sweep(BASE, "cluster.count", 1024, 2048, points=2), ["training_days"])
    assert rows[0]["cluster.count"] == 1024
    assert rows[0]["training_days"] == pytest.approx(evaluate(BASE.with_values({"cluster.count": 1024}))["training_days"])
    assert rows[1]["reliability-wall"] is False


@pytest.mark.parametrize(("key", "low", "high", "message"), [
    ("cluster.mfu", 0.2, 1.5, "outside the allowed"),
    ("facility.pue", 2.0, 1.5, "low < high"),
    ("cluster.chip", 1, 2, "unknown numeric input"),
    ("cluster.cuont", 1, 2, "did you mean 'cluster.count'"),
])
def test_bad_sweeps_say_what_is_allowed(key, low, high, message):
    with pytest.raises(WhatifError, match=message):
        sweep(BASE, key, low, high)


def test_numeric_keys_exclude_text_inputs():
    keys = numeric_keys()
    assert "cluster.count" in keys and "economics.rent_usd_per_chip_hour" in keys
    assert not {"cluster.chip", "facility.cooling", "facility.region", "workload.precision", "economics.mode"} & set(keys)
