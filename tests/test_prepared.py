"""`whatif eval` without the models: --set numbers applied to a cached preset's resolved
inputs (engine.prepared.with_values) give exactly what validating and resolving gives, and
every value the models would refuse is left to them (so their message is the one shown)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli
from whatif.cli.commands.common import parse_value
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate, evaluate_inputs, output_dict
from whatif.engine.prepared import DIRECT_INPUTS, prepare, with_values
from whatif.engine.presets import load_preset
from whatif.engine.report import render_result, render_values

ROOT = Path(__file__).resolve().parent.parent
PRESET = ROOT / "presets" / "article-gpt4.toml"     # sets claims, leaves most inputs to the defaults


def candidates(spec) -> list[object]:
    """Values around and at the bounds, of every type TOML gives, valid or not."""
    bounds = [b for b in (spec.gt, spec.ge, spec.lt, spec.le) if b is not None]
    numbers = {0, 1, 2, -1, 0.5, 1.5, 7, 100, 1e9, *bounds, *(b + 1 for b in bounds), *(b - 1 for b in bounds)}
    floats = {float(n) for n in numbers}
    ints = {int(n) for n in numbers if float(n).is_integer()}
    return [*sorted(floats), *sorted(ints), True, False, "7", math.inf, -math.inf, math.nan, 10**400]


def validated(key: str, value: object) -> dict | None:
    try:
        scenario = load_preset(PRESET).with_values({key: value})
    except WhatifError:
        return None
    return evaluate(scenario).outputs()


def test_the_direct_inputs_are_the_numbers_outside_the_workload():
    assert {"cluster.count", "cluster.mfu", "facility.pue", "economics.rent_usd_per_chip_hour"} <= set(DIRECT_INPUTS)
    assert not {"workload.params_b", "workload.layers", "cluster.chip", "facility.cooling"} & set(DIRECT_INPUTS)


@pytest.mark.parametrize("key", sorted(DIRECT_INPUTS))
def test_a_set_number_is_taken_exactly_when_the_models_take_it_and_gives_their_result(key):
    prepared = prepare(PRESET.read_text(), str(PRESET))
    for value in candidates(DIRECT_INPUTS[key]):
        expected = validated(key, value)
        changed = with_values(prepared, {key: value})
        assert (changed is not None) == (expected is not None), (key, value)
        if changed is not None:
            values, warnings = evaluate_inputs(changed.inputs, changed.subject)
            assert output_dict(values, changed.inputs, warnings) == expected, (key, value)


def test_a_changed_count_is_in_the_reports_heading():
    prepared = with_values(prepare(PRESET.read_text(), str(PRESET)), {"cluster.count": 4096, "facility.pue": 1.2})
    assert prepared is not None
    values, warnings = evaluate_inputs(prepared.inputs, prepared.subject)
    fresh = evaluate(load_preset(PRESET).with_values({"cluster.count": 4096, "facility.pue": 1.2}))
    assert render_values(prepared.heading(), values, warnings) == render_result(fresh)
    assert prepared.heading()[1].startswith("4,096 x ")


def test_anything_else_is_left_to_validation():
    prepared = prepare(PRESET.read_text(), str(PRESET))
    for values in ({"cluster.chip": "b200"}, {"workload.params_b": 70}, {"cluster.count": 8, "cluster.nope": 1},
                   {"cluster.count": 0}):
        assert with_values(prepared, values) is None


def test_eval_with_set_prints_the_validated_result_and_message(capsys):
    for items in (["cluster.count=4096", "facility.pue=1.25"], ["cluster.chip=b200", "cluster.count=64"]):
        code, out, _ = run_cli(capsys, "eval", str(PRESET), "--json", *(f"--set={item}" for item in items))
        values = {key: parse_value(text) for key, text in (item.split("=") for item in items)}
        assert code == 0 and json.loads(out) == evaluate(load_preset(PRESET).with_values(values)).outputs()
    code, out, err = run_cli(capsys, "eval", str(PRESET), "--set", "facility.pue=0.5")
    assert (code, out) == (2, "") and err.startswith("whatif: --set facility.pue: ") and "must be at least 1" in err


def test_standard_input_is_read_once_when_validation_takes_over():
    out = subprocess.run([sys.executable, "-m", "whatif", "eval", "-", "--set", "cluster.chip=b200"],
                         input=PRESET.read_text(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "x NVIDIA B200" in out.stdout.splitlines()[1]
