"""The analysis commands from the command line: output, formats and exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.helpers import run_cli as run

PRESET = "presets/default.toml"


pytestmark = pytest.mark.usefixtures("in_repo_root")  # presets/... paths as a user types them


def test_sweep_table_marks_the_limits(capsys):
    code, out, _ = run(capsys, "sweep", PRESET, "--vary", "cluster.count=1024:1048576", "--points", "8", "--log",
                       "--set", "facility.power_cap_mw=150")
    assert code == 0
    assert "reliability wall (goodput below threshold): from cluster.count = 93,031" in out
    assert "over the power cap: from cluster.count = 71,302" in out
    assert "power-cap" in out.splitlines()[-4]


def test_sweep_json_and_csv(capsys):
    code, out, _ = run(capsys, "sweep", PRESET, "--vary", "cluster.mfu=0.3:0.5", "--points", "5", "--json",
                       "--output", "training_days")
    data = json.loads(out)
    assert code == 0 and len(data["rows"]) == 5 and data["rows"][0]["cluster.mfu"] == 0.3
    code, out, _ = run(capsys, "sweep", PRESET, "--vary", "cluster.count=1024:2048", "--points", "3", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["cluster.count"] for r in rows] == ["1024", "1536", "2048"]


def test_solve_exit_codes(capsys):
    code, out, _ = run(capsys, "solve", PRESET, "--for", "cluster.count", "--target", "training_days=60")
    assert code == 0 and "smallest whole chip count" in out
    code, _, err = run(capsys, "solve", PRESET, "--for", "cluster.count", "--target", "training_days=1")
    assert code == 1 and "no solution in range" in err
    code, _, err = run(capsys, "solve", PRESET, "--for", "cluster.count", "--target", "trainig_days=1")
    assert code == 2 and "did you mean 'training_days'" in err


def test_solve_json(capsys):
    code, out, _ = run(capsys, "solve", PRESET, "--for", "cluster.count", "--target", "facility_mw<=150", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["edge"] == "largest" and data["value"] == 71301


def test_sensitivity_prints_a_tornado(capsys):
    code, out, _ = run(capsys, "sensitivity", PRESET, "--output", "training_days")
    assert code == 0 and out.splitlines()[0].startswith("Sensitivity of training time")
    assert "MFU" in out and "█" in out


def test_compare_and_export_to_files(capsys, tmp_path):
    out_file = tmp_path / "cmp.md"
    code, out, _ = run(capsys, "compare", PRESET, PRESET, "--markdown", "-o", str(out_file))
    assert code == 0 and out_file.read_text().startswith("Deltas are against")
    code, _, err = run(capsys, "compare", PRESET, PRESET, "--markdown", "-o", str(out_file))
    assert code == 2 and "not overwritten" in err
    code, out, _ = run(capsys, "export", PRESET, "--format", "json")
    assert code == 0 and "training_days" in json.loads(out)["outputs"]
    code, out, _ = run(capsys, "export", PRESET, "--format", "csv", "--uncertainty")
    days = next(line for line in out.splitlines() if line.startswith("output,training_days,"))
    assert code == 0 and all(days.split(",")[-3:])           # P10, P50 and P90 filled in


def test_solve_under_the_presets_power_cap(capsys):
    code, out, _ = run(capsys, "solve", PRESET, "--set", "facility.power_cap_mw=150", "--for", "cluster.count",
                       "--target", "facility_mw<=cap")
    assert code == 0 and out.startswith("cluster.count = 71,301: the largest whole chip count")
