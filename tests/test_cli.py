"""The headless CLI as a user runs it: exit codes, one-line errors, JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from whatif.engine.evaluate import OUTPUT_KEYS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = str(ROOT / "presets" / "default.toml")


def whatif(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "whatif", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


def test_eval_json_has_exactly_the_section_9_keys():
    out = whatif("eval", DEFAULT, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == list(OUTPUT_KEYS)
    assert data["mfu_estimated"] is True and data["racks"] == 512
    assert data["warnings"] == [{"code": "eu-ai-act", "message": data["warnings"][0]["message"]}]


def test_set_changes_the_result():
    base = json.loads(whatif("eval", DEFAULT, "--json").stdout)
    more = json.loads(whatif("eval", DEFAULT, "--json", "--set", "cluster.count=32768").stdout)
    assert more["it_mw"] == pytest.approx(2 * base["it_mw"])
    assert more["training_days"] < base["training_days"]


def test_table_and_explain():
    table = whatif("eval", DEFAULT)
    assert table.returncode == 0 and "Facility power" in table.stdout and "34.5 MW" in table.stdout
    explained = whatif("eval", DEFAULT, "--explain", "facility_mw")
    assert "facility_mw = it_mw × pue" in explained.stdout and "Uptime Institute" in explained.stdout


@pytest.mark.parametrize("args, message", [
    (("--set", "cluster.cout=5"), "did you mean 'count'?"),
    (("--set", "cluster.chip=h1000"), "unknown chip 'h1000' (did you mean 'h100'?)"),
    (("--set", "cluster.count=-3"), "cluster.count: -3 is out of range"),
    (("--set", "cluster.count=abc"), "cluster.count: expected a whole number, got 'abc'"),
    (("--set", "nonsense"), "expected GROUP.KEY=VALUE"),
    (("--explain", "nothing"), "unknown output to explain 'nothing'"),
])
def test_bad_input_exits_2_with_one_line(args, message):
    out = whatif("eval", DEFAULT, *args)
    assert out.returncode == 2 and message in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_corrupt_toml_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = 1\n[cluster\n", encoding="utf-8")
    out = whatif("eval", str(bad))
    assert out.returncode == 2 and f"{bad}: not valid TOML" in out.stderr


def test_chips_and_presets_listings():
    chips = json.loads(whatif("chips", "--json").stdout)
    h100 = next(c for c in chips if c["key"] == "h100")
    assert h100["dense_tflops"]["bf16"] == 989.4 and h100["tdp_w"] == 700 and h100["estimate"] is False
    presets = json.loads(whatif("presets", "--json").stdout)
    assert any(p["path"].endswith("default.toml") and p["error"] is None for p in presets)


def test_help_does_not_import_textual():
    code = ("import sys; from whatif.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'textual' not in sys.modules and 'rich' not in sys.modules, 'UI imported by --help'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "eval" in out.stdout and "chips" in out.stdout
