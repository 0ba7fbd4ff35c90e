"""Goal seek: hits targets within 0.1 % (whole chips where the input is a count) or says
there is no solution in the range."""

from __future__ import annotations

import math

import pytest

from whatif.engine.analysis.solve import Goal, parse_goal, solve
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate
from tests.helpers import make_scenario

H100_BF16_FLOPS = 989.4e12
FIXED = make_scenario(workload={"params_b": 100.0, "tokens_t": 2.0},
                      cluster={"chip": "h100", "count": 1000, "mfu": 0.4, "goodput": 0.9})
AUTO = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6}, cluster={"chip": "h100", "count": 16384})


def days(scenario, **values):
    return evaluate(scenario.with_values(values))


def test_chip_count_for_target_days_matches_the_hand_formula():
    # days = 6 N D / (n P mfu goodput) / 86400  =>  n = 6 N D / (P mfu goodput days 86400)
    n_exact = 6 * 100e9 * 2e12 / (H100_BF16_FLOPS * 0.4 * 0.9 * 30 * 86400)
    sol = solve(FIXED, "cluster.count", parse_goal("training_days<=30"))
    assert sol.ok and sol.edge == "smallest"
    assert sol.value == math.ceil(n_exact)
    assert isinstance(sol.value, int)


def test_count_for_60_days_with_auto_mfu_and_goodput_is_the_smallest_that_meets_it():
    sol = solve(AUTO, "cluster.count", parse_goal("training_days=60"))
    assert sol.ok
    n = sol.value
    assert days(AUTO, **{"cluster.count": n})["training_days"] <= 60.0
    assert days(AUTO, **{"cluster.count": n - 1})["training_days"] > 60.0
    # Days do not fall smoothly with the count: a count's divisors set the layouts the step model can
    # use (a prime count only allows pure data parallel), so the first count that meets 60 days may
    # land well under it.
    assert sol.achieved <= 60.0
    assert "smallest whole chip count" in sol.message and "training_days <=" in sol.message


def test_largest_count_under_a_power_cap():
    sol = solve(AUTO, "cluster.count", parse_goal("facility_mw<=150"))
    assert sol.ok and sol.edge == "largest"
    assert days(AUTO, **{"cluster.count": sol.value})["facility_mw"] <= 150.0
    assert days(AUTO, **{"cluster.count": sol.value + 1})["facility_mw"] > 150.0
    r = evaluate(AUTO).resolved.values
    assert sol.value == math.floor(150.0 * 1000 / (r["it_kw_per_chip"] * 1.1 * r["pue"]))


def test_largest_count_under_a_budget():
    # With auto MFU and goodput, bigger clusters waste more chip-hours: cost rises with count.
    sol = solve(AUTO, "cluster.count", parse_goal("cost_usd<=1e8"))
    assert sol.ok and sol.edge == "largest"
    assert days(AUTO, **{"cluster.count": sol.value})["cost_usd"] <= 1e8
    assert days(AUTO, **{"cluster.count": sol.value + 1})["cost_usd"] > 1e8


def test_mfu_implied_by_a_claimed_time_and_count():
    # 54 days on 16,384 H100 at goodput 0.9: mfu = 6 N D / (n P goodput T)
    claim = AUTO.with_values({"cluster.goodput": 0.9})
    sol = solve(claim, "cluster.mfu", parse_goal("training_days=54"))
    expected = 6 * 405e9 * 15.6e12 / (16384 * H100_BF16_FLOPS * 0.9 * 54 * 86400)
    assert sol.ok
    assert sol.value == pytest.approx(expected, rel=1e-3)
    assert days(claim, **{"cluster.mfu": sol.value})["training_days"] == pytest.approx(54.0, rel=1e-3)


@pytest.mark.parametrize(("key", "goal"), [
    ("facility.pue", "facility_mw=40"),
    ("economics.rent_usd_per_chip_hour", "cost_usd=1e8"),
    ("workload.tokens_t", "training_days=100"),
    ("facility.electricity_usd_per_mwh", "own_cost_usd=4e7"),
])
def test_continuous_targets_are_hit_within_a_tenth_of_a_percent(key, goal):
    scenario = AUTO.with_values({"economics.mode": "own"}) if "own" in goal else AUTO
    g = parse_goal(goal)
    sol = solve(scenario, key, g)
    assert sol.ok, sol.message
    achieved = evaluate(scenario.with_values({key: sol.value})).values[g.output]
    assert achieved == pytest.approx(g.target, rel=1e-3)


def test_no_solution_in_range_is_reported_not_guessed():
    sol = solve(AUTO, "cluster.count", parse_goal("training_days=1"))
    assert not sol.ok and sol.value is None
    assert sol.message.startswith("no solution in range")
    assert "closest" in sol.message


def test_no_solution_within_user_bounds():
    sol = solve(AUTO, "cluster.count", parse_goal("training_days<=60"), low=1024, high=8192)
    assert not sol.ok


def test_goal_met_across_whole_range_says_so():
    sol = solve(FIXED, "cluster.count", parse_goal("facility_mw<=1e6"), low=1, high=5000)
    assert sol.ok and sol.value == 5000 and "whole range" in sol.message


@pytest.mark.parametrize(("text", "goal"), [
    ("training_days=60", Goal("training_days", "=", 60.0)),
    ("facility_mw <= 150", Goal("facility_mw", "<=", 150.0)),
    ("cost_usd>=1_000_000", Goal("cost_usd", ">=", 1e6)),
])
def test_parse_goal(text, goal):
    assert parse_goal(text) == goal


@pytest.mark.parametrize("text", ["training_days", "training_days=abc", "nonsense=3", "training_days=inf"])
def test_parse_goal_rejects_bad_targets(text):
    with pytest.raises(WhatifError):
        parse_goal(text)


def test_cap_keyword_uses_the_scenarios_power_cap():
    assert parse_goal("facility_mw<=cap", power_cap_mw=150.0) == Goal("facility_mw", "<=", 150.0)
    with pytest.raises(WhatifError, match="power_cap_mw"):
        parse_goal("facility_mw<=cap")
