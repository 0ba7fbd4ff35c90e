"""Compare and export: deltas against the first column, every format parses back to the
same numbers, files are written atomically and never clobbered without consent."""

from __future__ import annotations

import csv
import io
import json

import pytest

from whatif.engine.analysis.compare import compare
from whatif.engine.analysis.export import (
    compare_csv, compare_json, compare_markdown, compare_text, export_result,
)
from whatif.engine.analysis.uncertainty import monte_carlo
from whatif.engine.atomic import write_atomic
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, evaluate
from tests.helpers import make_scenario

H100 = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6},
                     cluster={"chip": "h100", "count": 16384, "mfu": 0.4, "goodput": 0.9})
B200 = H100.with_values({"cluster.chip": "b200"})
DLC = H100.with_values({"facility.cooling": "direct-liquid"})


def test_deltas_are_against_the_first_column():
    table = compare([H100, B200, DLC], ["H100", "B200", "H100 DLC"])
    # Same MFU and goodput: time scales with peak FLOP/s, 989.4 vs 2,250 TFLOP/s (bf16 dense).
    assert table.value(1, "training_days") == pytest.approx(table.value(0, "training_days") * 989.4 / 2250)
    assert table.delta(1, "training_days") == pytest.approx(table.value(1, "training_days") - table.value(0, "training_days"))
    assert table.delta(2, "training_days") == 0.0
    assert table.delta_text(2, "training_days") == "same"
    assert table.delta_text(1, "training_days").endswith("%")


@pytest.mark.parametrize("n", [1, 7])
def test_two_to_six_scenarios(n):
    with pytest.raises(WhatifError, match="2 to 6"):
        compare([H100] * n)


def test_duplicate_names_are_told_apart():
    table = compare([H100, H100])
    assert [c.name for c in table.columns] == ["Scenario 1", "Scenario 2"]
    table = compare([H100, H100], ["a", "a"])
    assert [c.name for c in table.columns] == ["a", "a (2)"]


def test_compare_formats_carry_the_same_numbers():
    table = compare([H100, B200], ["H100", "B200"])
    rows = {row[0]: row for row in csv.reader(io.StringIO(compare_csv(table)))}
    assert rows["output"] == ["output", "H100", "B200", "B200 - H100"]
    assert float(rows["training_days"][1]) == pytest.approx(table.value(0, "training_days"), rel=1e-11)
    assert float(rows["training_days"][3]) == pytest.approx(table.delta(1, "training_days"))
    assert rows["chip"][1:3] == ["h100", "b200"]
    data = json.loads(compare_json(table))
    assert data["scenarios"][1]["outputs"]["training_days"] == table.value(1, "training_days")
    assert data["deltas"]["B200"]["training_days"] == pytest.approx(table.delta(1, "training_days"))
    md = compare_markdown(table)
    assert md.count("\n|") >= len(NUMERIC_OUTPUTS) + 2 and "| Training time |" in md
    assert "Training time" in compare_text(table)


def test_export_result_formats():
    result = evaluate(H100)
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(export_result(result, "csv")))}
    days = rows["training_days"]
    assert days["kind"] == "output" and days["unit"] == "days"
    assert float(days["value"]) == pytest.approx(result.values["training_days"], rel=1e-11)
    assert len(days["value"].split(".")[1]) <= 12                       # tidy, not 17 digits
    assert rows["mfu_estimated"]["value"] == "False"
    # The inputs, with units and origins: a spreadsheet sees what the figures rest on.
    assert rows["cluster.chip"]["value"] == "h100" and rows["cluster.count"]["value"] == "16384"
    assert rows["cluster.count"]["origin"] == "input" and rows["facility.pue"]["origin"] == "catalog"
    assert rows["cluster.mfu"]["origin"] == ("auto" if result.values["mfu_estimated"] else "input")
    assert float(rows["cluster.mfu"]["value"]) == pytest.approx(result.values["mfu"], rel=1e-11)
    assert rows["facility.electricity_usd_per_mwh"]["unit"] == "USD/MWh"
    data = json.loads(export_result(result, "json"))
    assert data["outputs"] == json.loads(json.dumps(result.outputs()))
    assert {"key": "cluster.chip", "value": "h100"}.items() <= next(i for i in data["inputs"] if i["key"] == "cluster.chip").items()
    md = export_result(result, "md")
    assert md.startswith("# ") and "| Training time |" in md and "| Chips | 16,384 chips | input |" in md


def test_export_with_uncertainty_adds_percentiles():
    result = evaluate(H100)
    mc = monte_carlo(H100, result, samples=2000)
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(export_result(result, "csv", mc)))}
    days = rows["training_days"]
    assert float(days["p10"]) <= float(days["p50"]) <= float(days["p90"])
    assert float(days["p50"]) == pytest.approx(mc.bands["training_days"].p50, rel=1e-11)
    assert "P10" in export_result(result, "md", mc)
    assert json.loads(export_result(result, "json", mc))["uncertainty"]["samples"] == 2000


def test_unknown_format():
    with pytest.raises(WhatifError, match="allowed: md, csv, json"):
        export_result(evaluate(H100), "xlsx")


def test_write_atomic_never_clobbers_without_consent(tmp_path):
    path = tmp_path / "out" / "r.md"
    write_atomic(path, "one")
    with pytest.raises(WhatifError, match="not overwritten"):
        write_atomic(path, "two")
    assert path.read_text() == "one"
    write_atomic(path, "three", overwrite=True)
    assert path.read_text() == "three"
    assert [p.name for p in path.parent.iterdir()] == ["r.md"]       # no temp files left behind


@pytest.mark.parametrize(("names", "short"), [
    (["Chip shoot-out: NVIDIA B200", "Chip shoot-out: AMD MI355X"], ["NVIDIA B200", "AMD MI355X"]),
    (["H100", "H200"], ["H100", "H200"]),                    # no word boundary in the shared part
    (["Llama 405B on H100", "Llama 405B on B200"], ["H100", "B200"]),
    (["same", "same"], ["same", "same"]),
    (["My 70B run", "My 70B run"], ["My 70B run", "My 70B run"]),   # a tab and its copy: not "run", "run"
    (["Llama 3.1 405B class on 16,384 H100"] * 2, ["H100", "H100"]),  # too long for a header: its last word
    (["only"], ["only"]),
])
def test_short_names_drop_a_shared_leading_phrase(names, short):
    from whatif.engine.analysis.compare import short_names
    assert short_names(names) == short
