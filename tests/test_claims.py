"""Claims: the [claims] table, implied utilisation, verdicts, and `whatif check`.

Expected values are hand-computed from claims.md's arithmetic: implied utilisation =
FLOPs / (chips x dense peak x claimed seconds), B200 BF16 dense peak 2.25 PF.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from whatif.engine.claims import Claims, check_claims, implied_utilisation, load_thresholds
from whatif.cli.main import main
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import dumps_preset, load_preset, parse_preset
from tests.helpers import make_scenario

PRESETS = Path(__file__).resolve().parent.parent / "presets"
DAY_S = 86400.0


def checks_of(name: str, **overrides) -> dict:
    scenario = load_preset(PRESETS / name)
    if overrides:
        scenario = scenario.with_values(overrides)
    return {c.key: c for c in check_claims(evaluate(scenario))}


# --- The article's table rows as printed: all implausible on B200 (claims.md). ---

@pytest.mark.parametrize(("preset", "flops", "chips", "days", "expected"), [
    ("article-gpt4.toml", 2.1e25, 25000, 90, 0.0480),
    ("article-gemini-ultra.toml", 1.8e25, 20000, 80, 0.0579),
    ("article-llama31-405b.toml", 3.8e24, 16000, 30, 0.0407),
    ("article-deepseek-v3.toml", 2.8e24, 12000, 20, 0.0600),
])
def test_article_rows_as_printed_are_implausible_on_b200(preset, flops, chips, days, expected):
    check = checks_of(preset)["training_days"]
    hand = flops / (chips * 2.25e15 * days * DAY_S)
    assert check.implied_utilisation == pytest.approx(hand, rel=1e-9)
    assert check.implied_utilisation == pytest.approx(expected, abs=5e-4)  # claims.md's rounded figure
    assert check.verdict == "implausible"
    assert "under 15 %" in check.reason


def test_llama_with_the_papers_flops_in_30_days_on_16k_b200_is_plausible():
    check = checks_of("article-llama31-405b-paper-flops.toml")["training_days"]
    assert check.implied_utilisation == pytest.approx(3.8e25 / (16000 * 2.25e15 * 30 * DAY_S), rel=1e-9)
    assert check.implied_utilisation == pytest.approx(0.407, abs=5e-4)
    assert check.verdict == "plausible"


def test_same_llama_claim_on_h100_needs_93_percent_and_is_implausible():
    check = checks_of("article-llama31-405b-paper-flops.toml", **{"cluster.chip": "h100"})["training_days"]
    assert check.implied_utilisation == pytest.approx(3.8e25 / (16000 * 989.4e12 * 30 * DAY_S), rel=1e-9)
    assert check.implied_utilisation == pytest.approx(0.926, abs=1e-3)
    assert check.verdict == "implausible"
    assert "over 60 %" in check.reason


def test_changing_the_printed_flops_flips_the_llama_verdict():
    check = checks_of("article-llama31-405b.toml", **{"workload.flops": 3.8e25})
    assert check["training_days"].verdict == "plausible"
    # The printed FLOPs claim is now a tenth of what the scenario computes.
    assert check["flops"].ratio == pytest.approx(0.1)
    assert check["flops"].verdict == "off"
    assert check["flops"].summary == "off by x10: the claim is lower"


def test_gpt4_row_on_the_a100s_actually_used_is_plausible():
    check = checks_of("article-gpt4.toml", **{"cluster.chip": "a100"})["training_days"]
    assert check.implied_utilisation == pytest.approx(2.1e25 / (25000 * 312e12 * 90 * DAY_S), rel=1e-9)
    assert check.implied_utilisation == pytest.approx(0.346, abs=5e-4)
    assert check.verdict == "plausible"


def test_article_cost_claim_shows_the_implied_rent():
    check = checks_of("article-gpt4.toml")["cost_usd"]
    assert check.implied_usd_per_chip_hour == pytest.approx(100e6 / (25000 * 90 * 24))  # $1.85
    assert "$1.85/chip-h" in check.reason


# --- Rebuilt from primary sources. ---

def test_published_llama_gpu_hours_imply_34_6_percent():
    check = checks_of("published-llama31-405b.toml")["chip_hours"]
    assert check.implied_utilisation == pytest.approx(3.8e25 / (30.84e6 * 3600 * 989.4e12), rel=1e-9)
    assert check.implied_utilisation == pytest.approx(0.346, abs=5e-4)
    assert check.verdict == "plausible"


def test_published_deepseek_fp8_hours_and_cost():
    checks = checks_of("published-deepseek-v3.toml")
    util = checks["chip_hours"].implied_utilisation
    assert util == pytest.approx(6 * 37e9 * 14.8e12 / (2.664e6 * 3600 * 1979e12), rel=1e-9)  # 17.3 % of FP8 peak
    assert checks["chip_hours"].verdict == "plausible"
    # $5.328M / 2.664M GPU-hours = the report's $2 per GPU-hour.
    assert checks["cost_usd"].implied_usd_per_chip_hour == pytest.approx(2.0)


def test_gpt4_estimate_range_gives_a_utilisation_range():
    check = checks_of("published-gpt4-estimate.toml")["training_days"]
    low, high = check.implied_utilisation
    assert low == pytest.approx(2.1e25 / (25000 * 312e12 * 100 * DAY_S), rel=1e-9)
    assert high == pytest.approx(2.1e25 / (25000 * 312e12 * 90 * DAY_S), rel=1e-9)
    assert check.verdict == "plausible"
    assert check.utilisation_text == "31.2-34.6 %"


def test_gpt3_reproduces_pattersons_energy_and_co2():
    checks = checks_of("published-gpt3-175b.toml")
    # 3.14e23 / (1e4 x 125e12 x 0.197) s = 354.2 h; x 10,000 x 0.33 kW x PUE 1.1 = 1,285.8 MWh.
    hours = 3.14e23 / (1e4 * 125e12 * 0.197) / 3600
    assert checks["energy_mwh"].computed == pytest.approx(1e4 * 0.33 * 1.1 * hours / 1000, rel=1e-9)
    assert checks["energy_mwh"].verdict == "consistent"
    assert checks["co2_t"].computed == pytest.approx(1e4 * 0.33 * 1.1 * hours / 1000 * 0.429, rel=1e-9)
    assert checks["co2_t"].verdict == "consistent"
    assert checks["training_days"].implied_utilisation == pytest.approx(0.196, abs=5e-4)


def test_bloom_reproduces_433_mwh_and_the_cost_range():
    checks = checks_of("published-bloom-176b.toml")
    assert checks["energy_mwh"].computed == pytest.approx(433.2, rel=0.002)
    assert checks["co2_t"].computed == pytest.approx(24.69, rel=0.002)
    assert checks["cost_usd"].verdict == "consistent"
    assert checks["chip_hours"].implied_utilisation == pytest.approx(0.3182, abs=5e-4)


# --- The 100,000-GPU cluster and the homes. ---

@pytest.mark.parametrize(("pue", "facility_mw"), [(1.2, 153.0), (1.5, 191.25)])
def test_100k_h100_cluster_lands_in_150_200_mw_at_pue_1_2_to_1_5(pue, facility_mw):
    # claims.md: 100k x 1.275 kW (DGX H100 10.2 kW / 8) x PUE, no network share.
    check = checks_of("cluster-100k-h100-air.toml", **{"facility.pue": pue})["facility_mw"]
    assert check.computed == pytest.approx(facility_mw, rel=1e-9)
    assert check.claimed == (150.0, 200.0)
    assert check.ratio == 1.0
    assert check.verdict == "consistent"
    assert check.reason == "within the claimed range"


def test_100k_cluster_with_the_default_network_share_is_210_mw():
    check = checks_of("cluster-100k-h100-air.toml", **{"facility.network_share": 0.1})["facility_mw"]
    assert check.computed == pytest.approx(100000 * 1.275 * 1.1 * 1.5 / 1000, rel=1e-9)
    assert check.ratio == pytest.approx(200 / 210.375)
    assert check.verdict == "consistent"  # within 15 % of the range's top
    assert check.reason == "5.2 % above the claimed range"


def test_100k_b200_air_is_over_the_range_and_liquid_inside():
    air = checks_of("cluster-100k-b200-air.toml")["facility_mw"]
    assert air.computed == pytest.approx(100000 * 14.3 / 8 * 1.5 / 1000, rel=1e-9)  # 268 MW
    assert air.verdict == "off"
    assert air.summary == "off by x1.34: the claim is lower"
    liquid = checks_of("cluster-100k-b200-liquid.toml")["facility_mw"]
    assert liquid.computed == pytest.approx(100000 * 14.3 / 8 * 0.92 * 1.15 / 1000, rel=1e-9)  # 189 MW
    assert liquid.verdict == "consistent"


def test_200_mw_drawn_continuously_is_163_500_homes():
    scenario = make_scenario(cluster={"chip": "h100", "count": 100000},
                             facility={"it_kw_per_chip": 1.6, "pue": 1.25, "network_share": 0.0, "load_factor": 1.0},
                             claims={"facility_mw": 200.0, "homes": 160000.0})
    checks = {c.key: c for c in check_claims(evaluate(scenario))}
    assert checks["facility_mw"].computed == pytest.approx(200.0)
    assert checks["homes"].computed == pytest.approx(200e3 * 8760 / 10715)  # 163,509
    assert checks["homes"].computed == pytest.approx(163500, rel=1e-3)
    assert checks["homes"].verdict == "consistent"


def test_homes_preset_draws_200_mw_and_is_about_163_500_homes():
    checks = checks_of("cluster-100k-homes.toml")
    assert checks["facility_mw"].computed == pytest.approx(100000 * 1.275 * 1.57 / 1000)  # 200.2 MW
    assert checks["homes"].computed == pytest.approx(163500, rel=2e-3)
    assert checks["homes"].verdict == "consistent"


# --- Verdict rules and thresholds. ---

def _days_for(util: float, goodput: float = 0.9) -> tuple[list, float]:
    """A 1,000-H100 scenario with the given goodput and the claimed days that imply `util`."""
    flops = 1e24
    days = flops / (1000 * 989.4e12 * util * DAY_S)
    scenario = make_scenario(workload={"flops": flops}, cluster={"goodput": goodput},
                             claims={"training_days": days})
    return check_claims(evaluate(scenario)), days


@pytest.mark.parametrize(("util", "verdict"), [
    (0.10, "implausible"),   # under 15 % end-to-end
    (0.20, "plausible"),
    (0.40, "plausible"),     # MFU 44 %
    (0.47, "optimistic"),    # end-to-end over 45 % (MFU 52 %)
    (0.52, "optimistic"),    # MFU 57.8 %: above 55 %
    (0.56, "implausible"),   # MFU 62 %: above 60 %
])
def test_duration_verdict_thresholds(util, verdict):
    (check,), _ = _days_for(util)
    assert check.implied_utilisation == pytest.approx(util, rel=1e-9)
    assert check.implied_mfu == pytest.approx(util / 0.9, rel=1e-9)
    assert check.verdict == verdict


def test_thresholds_are_sourced_data():
    t = load_thresholds()
    assert (t.implausible_below, t.optimistic_above, t.optimistic_mfu_above, t.implausible_mfu_above) == (
        0.15, 0.45, 0.55, 0.60)
    assert t.consistent_within == 0.15
    assert "docs/model.md §11" in t.sources


def test_range_duration_keeps_the_better_end():
    scenario = make_scenario(workload={"flops": 1e24}, cluster={"goodput": 0.9},
                             claims={"training_days": [1e24 / (1000 * 989.4e12 * 0.3 * DAY_S),
                                                       1e24 / (1000 * 989.4e12 * 0.1 * DAY_S)]})
    (check,) = check_claims(evaluate(scenario))
    assert check.implied_utilisation == pytest.approx((0.1, 0.3))
    assert check.verdict == "plausible"  # 30 % end is plausible, 10 % end is not


def test_chip_hours_and_days_imply_the_same_utilisation():
    result = evaluate(make_scenario(workload={"flops": 1e24}))
    assert implied_utilisation(result, "chip_hours", 1000 * 10 * 24) == pytest.approx(
        implied_utilisation(result, "training_days", 10))


@pytest.mark.parametrize(("claimed", "verdict", "summary"), [
    (1.10, "consistent", "consistent: within 15 %"),
    (1 / 1.10, "consistent", "consistent: within 15 %"),
    (1.20, "off", "off by x1.2: the claim is higher"),
    (0.5, "off", "off by x2: the claim is lower"),
])
def test_value_verdicts(claimed, verdict, summary):
    result = evaluate(make_scenario())
    computed = result.values["facility_mw"]
    (check,) = check_claims(result, Claims(facility_mw=claimed * computed))
    assert check.ratio == pytest.approx(claimed)
    assert check.verdict == verdict
    assert check.summary == summary


def test_missing_price_gives_no_verdict():
    result = evaluate(make_scenario(cluster={"chip": "mi355x"}))
    (check,) = check_claims(result, Claims(cost_usd=1e6))
    assert check.verdict == "n/a"
    assert check.ratio_text == "n/a"


# --- The [claims] table in presets. ---

BASE = 'schema = 1\n[workload]\nparams_b = 1\ntokens_t = 1\n[cluster]\nchip = "h100"\ncount = 8\n[claims]\n'


@pytest.mark.parametrize(("line", "message"), [
    ("trainig_days = 3", "claims.trainig_days: unknown key (did you mean 'training_days'?)"),
    ("training_days = -3", "claims.training_days: expected a number > 0 or a range [low, high] (got -3)"),
    ("facility_mw = [200, 150]", "claims.facility_mw: expected a range [low, high] of numbers > 0 with low <= high"),
    ('cost_usd = "lots"', "claims.cost_usd: expected a number > 0 or a range [low, high] (got 'lots')"),
])
def test_bad_claims_name_the_file_and_key(line, message):
    with pytest.raises(WhatifError) as info:
        parse_preset(BASE + line, "p.toml")
    assert str(info.value).startswith(f"p.toml: {message}")


def test_claims_round_trip_with_ranges_and_text():
    scenario = parse_preset(BASE + 'facility_mw = [150, 200]\ntraining_days = 30\nsource = "an article"', "p.toml")
    assert scenario.claims.facility_mw == (150.0, 200.0)
    again = parse_preset(dumps_preset(scenario), "again.toml")
    assert again == scenario
    assert "[claims]" in dumps_preset(scenario)


def test_preset_without_claims_saves_no_claims_table():
    scenario = parse_preset(BASE.removesuffix("[claims]\n"), "p.toml")
    assert scenario.claims.is_empty()
    assert "[claims]" not in dumps_preset(scenario)
    assert check_claims(evaluate(scenario)) == []


# --- `whatif check`. ---

def test_check_cli_prints_one_line_per_claim_and_exits_0_on_implausible(capsys):
    assert main(["check", str(PRESETS / "article-gpt4.toml")]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("  training_days")]
    assert len(lines) == 1
    assert "90.0 days" in lines[0] and "4.8 %" in lines[0] and "implausible" in lines[0]
    assert out.count("\n  flops ") == 1 and out.count("\n  cost_usd ") == 1


def test_check_cli_json(capsys):
    paths = [str(PRESETS / "article-llama31-405b.toml"), str(PRESETS / "cluster-100k-h100-air.toml")]
    assert main(["check", *paths, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["path"] for d in data] == paths
    days = next(c for c in data[0]["claims"] if c["key"] == "training_days")
    assert days["claimed"] == 30.0
    assert days["implied_utilisation"] == pytest.approx(3.8e24 / (16000 * 2.25e15 * 30 * DAY_S))
    assert days["verdict"] == "implausible"
    (power,) = data[1]["claims"]
    assert power["claimed"] == [150.0, 200.0]
    assert power["computed"] == pytest.approx(191.25)
    assert power["verdict"] == "consistent"


def test_check_cli_set_applies_to_every_preset(capsys):
    assert main(["check", str(PRESETS / "article-llama31-405b.toml"), "--set", "workload.flops=3.8e25", "--json"]) == 0
    (data,) = json.loads(capsys.readouterr().out)
    days = next(c for c in data["claims"] if c["key"] == "training_days")
    assert days["verdict"] == "plausible"


def test_check_cli_preset_without_claims(capsys):
    assert main(["check", str(PRESETS / "default.toml")]) == 0
    assert "no [claims] in this preset" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["check", "no-such-file.toml"],
    ["check", str(PRESETS / "article-gpt4.toml"), "--set", "cluster.chip=nope"],
    ["check", str(PRESETS / "article-gpt4.toml"), "--set", "claims=1"],
    ["check"],
])
def test_check_cli_bad_input_exits_2_with_one_line(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors exit from inside parse_args
        code = exc.code
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("whatif: ")
    assert "Traceback" not in captured.err


def test_check_cli_bad_preset_among_good_ones_prints_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE + "training_days = -1", encoding="utf-8")
    assert main(["check", str(PRESETS / "article-gpt4.toml"), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "bad.toml: claims.training_days" in captured.err
