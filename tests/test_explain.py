"""Explanations: formula, values substituted, and where every input came from."""

from __future__ import annotations

import math
import warnings

import pytest

from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import OUTPUT_KEYS, evaluate
from whatif.engine.explain import explain, explainable
from whatif.engine.units import fmt
from tests.helpers import make_scenario

RESULT = evaluate(make_scenario())


def test_facility_mw_names_pue_and_its_source():
    e = explain(RESULT, "facility_mw")
    assert e.formula.startswith("facility_mw = it_mw × pue")
    assert e.substituted == "2.10 MW = 1.40 MW × 1.50"
    pue = next(t for t in e.terms if t.name == "pue")
    assert pue.origin.kind == "catalog" and "Uptime Institute" in pue.origin.source


def test_overrides_and_estimates_are_labelled():
    r = evaluate(make_scenario(facility={"pue": 1.2}, cluster={"chip": "b200"}))
    terms = {t.name: t for t in explain(r, "facility_mw").terms}
    assert terms["pue"].origin.kind == "input"
    rent = {t.name: t for t in explain(r, "rent_cost_usd").terms}["rent_usd_per_chip_hour"]
    assert rent.origin.kind == "estimate" and "rent-to-price ratio" in rent.origin.source
    mfu = explain(r, "mfu")
    assert "step_time_s" in mfu.formula and {t.origin.kind for t in mfu.terms} >= {"derived", "catalog"}
    assert "Step split:" in mfu.formula and "Layout: tp " in mfu.formula and "GB/chip" in mfu.formula


def test_every_numeric_output_and_breakdown_row_can_be_explained():
    names = set(explainable())
    wanted = {k for k in OUTPUT_KEYS if k not in ("warnings", "mfu_estimated", "goodput_estimated", "mfu_breakdown",
                                                  "layout", "fits")}
    wanted |= {"accelerators_mw", "server_overhead_mw", "network_mw", "cooling_overhead_mw", "breakeven_utilisation"}
    assert wanted <= names
    for name in names:
        e = explain(RESULT, name)
        assert e.text == fmt(name, RESULT[name]) and e.terms, name


def test_unknown_output_suggests_the_right_one():
    with pytest.raises(WhatifError, match="did you mean 'facility_mw'"):
        explain(RESULT, "facility_mv")


def test_a_run_that_never_finishes_is_infinite_not_a_crash():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy overflow must not leak out as a warning
        r = evaluate(make_scenario(cluster={"count": 16384, "mtti_chip_hours": 0.001}))
    assert math.isinf(r["training_days"]) and r.outputs()["training_days"] is None
    assert fmt("training_days", r["training_days"]) == "never" and "reliability-wall" in r.warning_codes()
