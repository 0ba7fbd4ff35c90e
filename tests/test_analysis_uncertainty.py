"""Monte Carlo: percentiles ordered, P50 near the point for symmetric ranges, seeded,
ranges from the preset or the sourced defaults, and the [uncertainty] table round-trips."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from whatif.engine.analysis.uncertainty import HEADLINE, input_ranges, monte_carlo
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, evaluate
from whatif.engine.presets import dumps_preset, parse_preset
from whatif.engine.scenario import UNCERTAIN_KEYS, UncertainRange
from tests.helpers import make_scenario

BASE = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6}, cluster={"chip": "h100", "count": 16384})
SYMMETRIC = make_scenario(
    workload={"params_b": 405.0, "tokens_t": 15.6},
    cluster={"chip": "h100", "count": 16384, "mfu": 0.40, "goodput": 0.90},
    facility={"pue": 1.5, "electricity_usd_per_mwh": 80.0, "grid_g_per_kwh": 367.0},
    economics={"rent_usd_per_chip_hour": 2.5, "chip_capex_usd": 29000.0, "facility_capex_usd_per_mw": 11.7e6},
    uncertainty={"samples": 40000, "seed": 11, "mfu": {"low": 0.36, "high": 0.44}, "goodput": {"low": 0.85, "high": 0.95},
                 "pue": {"low": 1.4, "high": 1.6}, "rent_usd_per_chip_hour": {"low": 2.0, "high": 3.0},
                 "electricity_usd_per_mwh": {"low": 70.0, "high": 90.0}, "chip_capex_usd": {"low": 25000.0, "high": 33000.0},
                 "facility_capex_usd_per_mw": {"low": 10.0e6, "high": 13.4e6}, "grid_g_per_kwh": {"low": 330.0, "high": 404.0}},
)


def test_p10_le_p50_le_p90_for_every_output():
    mc = monte_carlo(BASE)
    for name in NUMERIC_OUTPUTS:
        band = mc.bands[name]
        assert band.p10 <= band.p50 <= band.p90, name


@pytest.mark.parametrize("distribution", ["triangular", "pert"])
def test_p50_within_two_percent_of_the_point_for_symmetric_ranges(distribution):
    scenario = SYMMETRIC.model_copy(update={"uncertainty": SYMMETRIC.uncertainty.model_copy(
        update={"distribution": distribution})})
    mc = monte_carlo(scenario)
    point = evaluate(scenario)
    for name in ("training_days", "cost_usd", "facility_mw", "energy_mwh", "co2_t", "own_cost_usd", "capex_usd"):
        assert mc.bands[name].p50 == pytest.approx(point.values[name], rel=0.02), name
        assert mc.bands[name].p10 < point.values[name] < mc.bands[name].p90


def test_same_seed_same_numbers_other_seed_other_numbers():
    a, b = monte_carlo(BASE, samples=5000, seed=3), monte_carlo(BASE, samples=5000, seed=3)
    c = monte_carlo(BASE, samples=5000, seed=4)
    assert a.bands == b.bands
    assert a.bands["training_days"] != c.bands["training_days"]


def test_seed_and_samples_come_from_the_preset_table():
    scenario = BASE.with_values({}).model_copy(update={"uncertainty": BASE.uncertainty.model_copy(
        update={"seed": 9, "samples": 2000})})
    mc = monte_carlo(scenario)
    assert (mc.seed, mc.samples) == (9, 2000)
    assert mc.bands == monte_carlo(BASE, samples=2000, seed=9).bands


def test_default_ranges_scale_around_the_auto_mfu():
    base = evaluate(BASE)
    ranges = {r.name: r for r in input_ranges(base)[0]}
    mfu = base.values["mfu"]                 # auto estimate at 16,384 chips, below the 0.42 base
    assert mfu < 0.42
    assert ranges["mfu"].likely == pytest.approx(mfu)
    assert ranges["mfu"].low == pytest.approx(mfu * 0.38 / 0.42)
    assert ranges["mfu"].high == pytest.approx(mfu * 0.55 / 0.42)
    assert ranges["pue"].low == pytest.approx(1.3) and ranges["pue"].high == pytest.approx(1.6)   # air


def test_preset_range_with_likely_on_auto_mfu_is_relative():
    scenario = BASE.model_copy(update={"uncertainty": BASE.uncertainty.model_copy(
        update={"mfu": UncertainRange(low=0.3, likely=0.4, high=0.5)})})
    scenario = parse_preset(dumps_preset(scenario), "x.toml")
    base = evaluate(scenario)
    r = next(r for r in input_ranges(base)[0] if r.name == "mfu")
    mfu = base.values["mfu"]
    assert (r.low, r.likely, r.high) == pytest.approx((mfu * 0.75, mfu, mfu * 1.25))


def test_preset_range_is_absolute_for_a_set_input_and_clamps_the_point():
    scenario = SYMMETRIC.with_values({"facility.pue": 1.8})      # outside the 1.4-1.6 range
    ranges, notes = input_ranges(evaluate(scenario))
    pue = next(r for r in ranges if r.name == "pue")
    assert (pue.low, pue.likely, pue.high) == (1.4, 1.6, 1.6)
    assert any("facility.pue" in note for note in notes)


def test_draws_are_clipped_to_valid_values():
    scenario = BASE.with_values({"cluster.goodput": 0.97})       # default range reaches past 1.0
    mc = monte_carlo(scenario, samples=20000)
    assert mc.bands["goodput"].p90 <= 1.0


def test_uncertainty_table_round_trips_and_defaults_are_not_written():
    assert "uncertainty" not in dumps_preset(BASE)
    text = dumps_preset(BASE) + "\n[uncertainty]\nseed = 5\ndistribution = \"pert\"\npue = { low = 1.2, high = 1.6 }\n"
    scenario = parse_preset(text, "u.toml")
    again = parse_preset(dumps_preset(scenario), "u2.toml")
    assert again == scenario
    assert again.uncertainty.seed == 5 and again.uncertainty.pue.low == 1.2
    assert "samples" not in dumps_preset(scenario)


@pytest.mark.parametrize(("table", "message"), [
    ("mfu = { low = 0.6, high = 0.5 }", "above high"),
    ("mfu = { low = 0.3, likely = 0.6, high = 0.5 }", "outside low..high"),
    ("mfux = { low = 0.3, high = 0.5 }", "did you mean 'mfu'"),
    ("distribution = \"normal\"", "not allowed"),
    ("samples = 5", "out of range"),
])
def test_bad_uncertainty_tables_name_the_key(table, message):
    with pytest.raises(WhatifError, match=message) as info:
        parse_preset(dumps_preset(BASE) + f"\n[uncertainty]\n{table}\n", "bad.toml")
    assert "bad.toml" in str(info.value) and "uncertainty" in str(info.value)


def test_default_ranges_file_is_complete_and_sourced():
    data = tomllib.loads(resources.files("whatif.engine.data").joinpath("uncertainty.toml").read_text(encoding="utf-8"))
    entries = [data[k] for k in UNCERTAIN_KEYS if k != "pue"] + list(data["pue"].values())
    assert set(data["pue"]) == {"air", "rear-door", "direct-liquid", "immersion"}
    for entry in entries:
        assert entry["low"] <= entry["ref"] <= entry["high"]
        assert len(entry["sources"]) > 40


def test_headline_bands_exist():
    mc = monte_carlo(BASE, samples=1000)
    assert set(HEADLINE) <= set(mc.bands)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 10000])
def test_percentiles_are_numpys_nearest_rank(n):
    import numpy as np

    from whatif.engine.analysis.uncertainty import _nearest_ranks
    x = np.random.default_rng(n).random(n)
    assert _nearest_ranks(x) == tuple(float(v) for v in np.percentile(x, (10, 50, 90), method="lower"))


def test_triangular_draws_have_the_hand_computed_moments_and_are_numpys_stream():
    """Inverse-CDF draws: within low..high, mean (low + likely + high) / 3, mode share
    F(likely) = (likely - low) / (high - low) below the peak, and the very numbers numpy's
    Generator.triangular gives for the same seed (so bands did not move when it replaced it)."""
    import numpy as np

    from whatif.engine.analysis.uncertainty import InputRange, draw
    r = InputRange("rent_usd_per_chip_hour", "economics.rent_usd_per_chip_hour", 1.65, 2.49, 4.916, "test")
    x = draw(np.random.default_rng(3), r, 200_000, "triangular")
    assert x.min() >= 1.65 and x.max() <= 4.916
    assert x.mean() == pytest.approx((1.65 + 2.49 + 4.916) / 3, abs=4 * 0.69 / 200_000 ** 0.5)  # sd 0.69
    assert (x <= 2.49).mean() == pytest.approx((2.49 - 1.65) / (4.916 - 1.65), abs=0.005)
    assert np.array_equal(x, np.random.default_rng(3).triangular(1.65, 2.49, 4.916, 200_000))
    assert np.array_equal(draw(np.random.default_rng(3), InputRange("pue", "facility.pue", 1.2, 1.2, 1.5, "t"), 1000,
                               "triangular"), np.random.default_rng(3).triangular(1.2, 1.2, 1.5, 1000))


def test_p10_p50_p90_of_one_triangular_input_match_the_closed_form():
    """Only the rent varies and the cost is linear in it, so the cost's bands are the point cost
    scaled by the triangular quantiles: F^-1(p) = low + sqrt(p (high - low)(likely - low)) below
    F(likely), high - sqrt((1 - p)(high - low)(high - likely)) above."""
    import math
    rent = (2.0, 2.5, 4.0)
    scenario = SYMMETRIC.model_copy(update={"uncertainty": SYMMETRIC.uncertainty.model_copy(update={
        "samples": 100_000, "mfu": UncertainRange(low=0.4, high=0.4), "goodput": UncertainRange(low=0.9, high=0.9),
        "rent_usd_per_chip_hour":
        UncertainRange(low=rent[0], likely=rent[1], high=rent[2])})})
    mc = monte_carlo(scenario, outputs=("cost_usd",))
    lo, mode, hi = rent
    fc = (mode - lo) / (hi - lo)

    def quantile(p):
        return lo + math.sqrt(p * (hi - lo) * (mode - lo)) if p <= fc else hi - math.sqrt((1 - p) * (hi - lo) * (hi - mode))
    point = evaluate(scenario).values["cost_usd"]
    band = mc.bands["cost_usd"]
    for got, p in ((band.p10, 0.1), (band.p50, 0.5), (band.p90, 0.9)):
        assert got == pytest.approx(point * quantile(p) / mode, rel=0.005), p


def test_the_chunk_size_changes_no_band(monkeypatch):
    """The samples are drawn and evaluated in chunks; a generator's draws in pieces are its
    draws in one call, so any chunk size gives the same bands."""
    from whatif.engine.analysis import uncertainty
    for distribution in ("triangular", "pert"):
        scenario = BASE.model_copy(update={"uncertainty": BASE.uncertainty.model_copy(update={"distribution": distribution})})
        whole = monte_carlo(scenario, samples=3001)
        monkeypatch.setattr(uncertainty, "_CHUNK", 1000)
        assert monte_carlo(scenario, samples=3001).bands == whole.bands
        monkeypatch.setattr(uncertainty, "_CHUNK", 7)
        assert monte_carlo(scenario, samples=3001).bands == whole.bands
        monkeypatch.undo()
