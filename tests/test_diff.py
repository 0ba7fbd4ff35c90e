"""Explaining a change (engine/analysis/attribution.py, `whatif diff`): the Shapley shares add
up to the change, and one changed input gets all of it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatif.cli.main import main
from whatif.engine.analysis.attribution import explain
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import load_preset
from tests.helpers import make_scenario

PAIRS = [("presets/cluster-100k-h100-air.toml", "presets/cluster-100k-b200-liquid.toml"),
         ("presets/default.toml", "presets/region-france.toml"),
         ("presets/shootout-b200.toml", "presets/shootout-gaudi3.toml"),
         ("presets/default.toml", "presets/cluster-100k-b200-liquid.toml")]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch, request):
    monkeypatch.chdir(request.config.rootpath)


@pytest.mark.parametrize("a, b", PAIRS)
def test_shares_add_up_to_the_change(a, b):
    sa, sb = load_preset(a), load_preset(b)
    players, splits = explain(sa, sb)
    assert players
    for split in splits:
        assert split.before == pytest.approx(evaluate(sa).values[split.output], rel=1e-12)
        assert split.after == pytest.approx(evaluate(sb).values[split.output], rel=1e-12)
        assert sum(split.shares.values()) == pytest.approx(split.total, rel=1e-9, abs=1e-9 * abs(split.before))


@settings(max_examples=25, deadline=None)
@given(key=st.sampled_from(["cluster.count", "cluster.chip", "facility.cooling", "facility.region", "facility.pue"]),
       pick=st.integers(0, 3))
def test_one_changed_input_gets_the_whole_change(key, pick):
    options = {"cluster.count": [512, 4096, 30000, 100000], "cluster.chip": ["b200", "mi300x", "gaudi3", "a100"],
               "facility.cooling": ["air", "rear-door", "direct-liquid", "immersion"],
               "facility.region": ["france", "china", "nordics", "us-texas"], "facility.pue": [1.1, 1.3, 1.6, 2.0]}
    a = make_scenario()
    b = a.with_values({key: options[key][pick]})
    players, splits = explain(a, b)
    assert players == [key]
    for split in splits:
        assert split.shares[key] == pytest.approx(split.total, rel=1e-12, abs=1e-12)


def test_diff_cli_text_and_json(capsys):
    a, b = PAIRS[0]
    assert main(["diff", a, b]) == 0
    out = capsys.readouterr().out
    assert "chip h100 -> b200" in out and "Cost -$" in out and "cooling" in out
    assert main(["diff", a, b, "--json", "--output", "cost_usd"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["inputs"]) == {"cluster.chip", "facility.cooling"}
    split = data["splits"][0]
    assert sum(split["shares"].values()) == pytest.approx(split["change"])
    assert main(["diff", a, a]) == 0 and "same inputs" in capsys.readouterr().out
    assert main(["diff", a, b, "--output", "cost"]) == 2
