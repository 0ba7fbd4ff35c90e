"""The shipped preset library: every preset loads, evaluates and round-trips through save;
the families (article, published, cluster, chips, shoot-out, regions) hold what they promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from whatif.engine.claims import check_claims
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import load_preset, save_preset
from whatif.engine.tours import load_tour

PRESETS = Path(__file__).resolve().parent.parent / "presets"
ALL = sorted(PRESETS.glob("*.toml"))


def test_library_has_every_family():
    names = {p.name for p in ALL}
    for expected in (
        "article-gpt4.toml", "article-gemini-ultra.toml", "article-llama31-405b.toml", "article-deepseek-v3.toml",
        "article-llama31-405b-paper-flops.toml",
        "published-llama31-405b.toml", "published-deepseek-v3.toml", "published-gpt4-estimate.toml",
        "published-gpt3-175b.toml", "published-bloom-176b.toml",
        "cluster-100k-h100-air.toml", "cluster-100k-h100-liquid.toml", "cluster-100k-b200-air.toml",
        "cluster-100k-b200-liquid.toml", "cluster-100k-homes.toml",
        "chips-article-mi400.toml", "chips-mi355x.toml", "chips-article-gaudi4.toml", "chips-gaudi3.toml",
    ):
        assert expected in names
    assert len([n for n in names if n.startswith("shootout-")]) == 5
    assert len([n for n in names if n.startswith("region-")]) == 5


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_preset_loads_evaluates_and_round_trips(path, tmp_path):
    scenario = load_preset(path)
    assert scenario.name and scenario.description and scenario.source
    result = evaluate(scenario)  # warnings allowed, errors not
    assert result.values["training_days"] > 0
    check_claims(result)  # never raises, whatever the verdicts
    saved = save_preset(scenario, tmp_path / path.name)
    assert load_preset(saved) == scenario


@pytest.mark.parametrize("path", [p for p in ALL if p.name.startswith(("article-", "published-", "cluster-"))],
                         ids=lambda p: p.name)
def test_claim_presets_carry_sourced_claims(path):
    claims = load_preset(path).claims
    assert not claims.is_empty()
    assert claims.source


def test_article_rows_as_printed_are_on_b200_with_the_printed_counts():
    expected = {"article-gpt4.toml": 25000, "article-gemini-ultra.toml": 20000,
                "article-llama31-405b.toml": 16000, "article-deepseek-v3.toml": 12000}
    for name, count in expected.items():
        scenario = load_preset(PRESETS / name)
        assert (scenario.cluster.chip, scenario.cluster.count) == ("b200", count)
        assert scenario.workload.flops == scenario.claims.flops


def test_rebuilt_runs_use_the_hardware_actually_used():
    llama = load_preset(PRESETS / "published-llama31-405b.toml")
    assert (llama.cluster.chip, llama.cluster.count, llama.workload.flops) == ("h100", 16384, 3.8e25)
    deepseek = load_preset(PRESETS / "published-deepseek-v3.toml")
    assert (deepseek.cluster.chip, deepseek.cluster.count, deepseek.workload.precision) == ("h800", 2048, "fp8")
    assert deepseek.workload.active_params_b == 37.0
    assert evaluate(deepseek).values["training_flops"] == pytest.approx(6 * 37e9 * 14.8e12)
    gpt4 = load_preset(PRESETS / "published-gpt4-estimate.toml")
    assert (gpt4.cluster.chip, gpt4.cluster.count) == ("a100", 25000)


def test_article_chips_are_inline_and_labelled_as_the_articles():
    for name, key, fp8 in (("chips-article-mi400.toml", "article-mi400", 5200.0),
                           ("chips-article-gaudi4.toml", "article-gaudi4", 3000.0),
                           ("chips-article-tpu-v6.toml", "article-tpu-v6", 4000.0)):
        scenario = load_preset(PRESETS / name)
        assert scenario.cluster.chip == key
        chip = evaluate(scenario).resolved.chip
        assert chip.dense_tflops == {"fp8": fp8}
        assert chip.estimate and "article" in chip.name
        assert "chip-estimate" in evaluate(scenario).warning_codes()


def _without(scenario, group: str, key: str) -> dict:
    data = scenario.model_dump(exclude={"name", "description", "source"})
    data[group].pop(key)
    return data


def test_shootout_presets_share_one_workload_and_differ_only_in_chip():
    paths = sorted(PRESETS.glob("shootout-*.toml"))
    scenarios = [load_preset(p) for p in paths]
    assert {s.cluster.chip for s in scenarios} == {"b200", "mi355x", "tpu-v6e", "trainium2", "gaudi3"}
    first = _without(scenarios[0], "cluster", "chip")
    assert all(_without(s, "cluster", "chip") == first for s in scenarios)


def test_region_presets_differ_only_in_region():
    scenarios = [load_preset(p) for p in sorted(PRESETS.glob("region-*.toml"))]
    assert {s.facility.region for s in scenarios} == {"us-texas", "ireland", "france", "nordics", "china"}
    first = _without(scenarios[0], "facility", "region")
    assert all(_without(s, "facility", "region") == first for s in scenarios)
    co2 = {s.facility.region: evaluate(s).values["co2_t"] for s in scenarios}
    assert co2["france"] < co2["nordics"] < co2["ireland"] < co2["us-texas"] < co2["china"]


def test_article_tour_steps_through_printed_rebuilt_then_cluster():
    tour = load_tour(PRESETS / "tours" / "article")
    names = [stop.path.name for stop in tour.stops]
    assert names[:4] == ["article-gpt4.toml", "article-gemini-ultra.toml", "article-llama31-405b.toml",
                         "article-deepseek-v3.toml"]
    assert names[-1] == "cluster-100k-homes.toml"
    assert names.index("published-llama31-405b.toml") < names.index("cluster-100k-h100-air.toml")
    assert all(stop.note for stop in tour.stops)
    for stop in tour.stops:
        load_preset(stop.path)
