"""Sensitivity: signs, exact swings for proportional inputs, ranking, the tornado text."""

from __future__ import annotations

import pytest

from whatif.engine.analysis.sensitivity import render_tornado, sensitivity
from whatif.engine.errors import WhatifError
from tests.helpers import make_scenario

BASE = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6}, cluster={"chip": "h100", "count": 16384})


def bar(result, key):
    return next(b for b in result.bars if b.key == key)


def test_more_mfu_means_fewer_days():
    b = bar(sensitivity(BASE, "training_days"), "cluster.mfu")
    assert b.input_high > b.input_low
    assert b.output_high < result_value(BASE, "training_days") < b.output_low


def test_higher_pue_means_more_megawatts_exactly_in_proportion():
    result = sensitivity(BASE, "facility_mw", pct=20)
    b = bar(result, "facility.pue")
    assert b.input_low == pytest.approx(1.2) and b.input_high == pytest.approx(1.8)   # air PUE 1.5 +- 20 %
    assert b.output_low == pytest.approx(result.base_value * 0.8)
    assert b.output_high == pytest.approx(result.base_value * 1.2)


def test_days_fall_by_one_over_1_2_when_mfu_rises_20_percent():
    result = sensitivity(BASE.with_values({"cluster.mfu": 0.4}), "training_days", pct=20)
    b = bar(result, "cluster.mfu")
    assert b.output_high == pytest.approx(result.base_value / 1.2)
    assert b.output_low == pytest.approx(result.base_value / 0.8)


def test_ranked_by_swing_and_inputs_without_effect_listed_apart():
    result = sensitivity(BASE, "cost_usd")
    swings = [b.swing for b in result.bars]
    assert swings == sorted(swings, reverse=True)
    assert "facility.pue" in result.no_effect          # renting: PUE does not change the bill
    assert "facility.pue" not in [b.key for b in result.bars]


def test_moves_are_clipped_to_valid_values():
    b = bar(sensitivity(BASE.with_values({"cluster.goodput": 0.95}), "training_days"), "cluster.goodput")
    assert b.input_high == 1.0


def test_range_mode_uses_the_uncertainty_ranges():
    result = sensitivity(BASE, "training_days", ranges=True)
    b = bar(result, "cluster.mfu")
    mfu = result_value(BASE, "mfu")
    assert b.input_low == pytest.approx(mfu * 0.38 / 0.42)
    assert b.input_high == pytest.approx(mfu * 0.55 / 0.42)
    assert result.how == "plausible ranges"


def test_tornado_text_fits_the_width_and_names_the_inputs():
    text = render_tornado(sensitivity(BASE, "cost_usd"), width=80)
    assert "MFU" in text and "Rent" in text and "|" in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_unknown_output_is_rejected():
    with pytest.raises(WhatifError, match="did you mean 'cost_usd'"):
        sensitivity(BASE, "cost_usb")


def result_value(scenario, name):
    from whatif.engine.evaluate import evaluate
    return evaluate(scenario).values[name]
