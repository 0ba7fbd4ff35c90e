"""The start-up cache: a hit is the object an earlier run validated; anything it depends on
changing is a miss; a broken entry is rebuilt; demo sessions never use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli
from whatif.engine import cache
from whatif.engine import prepared as prepared_module
from whatif.engine.catalog import load_catalog
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate, evaluate_inputs, output_dict
from whatif.engine.prepared import prepare
from whatif.engine.presets import load_preset, parse_preset
from whatif.engine.report import render_result, render_values
from whatif.engine.paths import config_path

ROOT = Path(__file__).resolve().parent.parent


def entries() -> list[Path]:
    return sorted(cache.cache_dir().glob("*.pickle"))


def test_the_second_build_comes_from_the_cache_and_a_change_of_source_misses(tmp_path):
    source = tmp_path / "data.toml"
    source.write_text("a = 1\n")
    calls = []

    def build():
        calls.append(1)
        return {"value": len(calls)}

    assert cache.cached("t", [source], build) == {"value": 1}
    assert cache.cached("t", [source], build) == {"value": 1} and len(calls) == 1
    source.write_text("a = 22\n")                           # size and mtime change
    assert cache.cached("t", [source], build) == {"value": 2}
    assert cache.cached("t", [source], build, content=b"other") == {"value": 3}


def test_a_broken_entry_is_rebuilt_and_errors_are_never_cached(tmp_path):
    assert cache.cached("t", [], lambda: 1) == 1
    for entry in entries():
        entry.write_bytes(b"not a pickle")
    assert cache.cached("t", [], lambda: 2) == 2

    def fail():
        raise WhatifError("bad")
    with pytest.raises(WhatifError):
        cache.cached("e", [], fail)
    assert not any(p.name.startswith("e-") for p in entries())


def test_demo_sessions_and_the_switch_turn_it_off(monkeypatch):
    monkeypatch.setenv("WHATIF_DEMO", "1")
    assert cache.cached("t", [], lambda: 1) == 1 and entries() == []
    monkeypatch.delenv("WHATIF_DEMO")
    monkeypatch.setenv("WHATIF_NO_CACHE", "1")
    assert cache.cached("t", [], lambda: 1) == 1 and entries() == []


def test_a_cached_preset_equals_a_fresh_validation(monkeypatch):
    path = ROOT / "presets" / "article-gpt4.toml"
    first = load_preset(path)
    again = load_preset(path)                               # from the cache
    monkeypatch.setenv("WHATIF_NO_CACHE", "1")
    assert again == first == load_preset(path)
    assert again.claims.figures() == first.claims.figures()
    with pytest.raises(WhatifError, match="x.toml: cluster.count"):
        parse_preset("schema = 1\n[workload]\nparams_b = 1\ntokens_t = 1\n[cluster]\nchip = 'h100'\n"
                     "count = 0\n", "x.toml")


def test_the_catalog_follows_the_users_file_through_the_cache():
    assert load_catalog().chip("h100").rent_usd_per_chip_hour != 1.9
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text("[chips.h100]\nrent_usd_per_chip_hour = 1.9\n")
    assert load_catalog().chip("h100").rent_usd_per_chip_hour == 1.9


def test_a_cached_run_builds_no_validator_and_prints_the_same(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "whatif", "eval", str(ROOT / "presets" / "default.toml"), "--json"]
    cold = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    warm = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    assert warm == cold
    probe = ("import sys, io, contextlib\nfrom whatif.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    main(['eval', {str(ROOT / 'presets' / 'default.toml')!r}, '--json'])\n"
             "print('importlib.metadata' in sys.modules)\n")
    # Building a pydantic validator loads its plugin machinery (importlib.metadata): a cached
    # run validates nothing, so it never gets there.
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
    # Nor does it import pydantic at all: the preset comes back as plain resolved numbers.
    probe = probe.replace("'importlib.metadata' in sys.modules", "sorted(m for m in sys.modules if 'pydantic' in m)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("path", sorted((ROOT / "presets").glob("*.toml")), ids=lambda p: p.stem)
def test_a_prepared_preset_evaluates_to_the_validated_result(path):
    text = path.read_text()
    fresh = evaluate(load_preset(path))
    assert repr(prepare(text, str(path))) == repr(prepare(text, str(path)))   # the second from the cache (NaN != NaN)
    assert [p.name.split("-")[0] for p in entries()].count("prepared") == 1
    prepared = prepare(text, str(path))
    values, warnings = evaluate_inputs(prepared.inputs, prepared.subject)
    assert output_dict(values, prepared.inputs, warnings) == fresh.outputs()
    assert render_values(prepared.heading(), values, warnings) == render_result(fresh)


def test_a_prepared_preset_follows_the_users_catalog_and_the_preset_text(tmp_path):
    preset = tmp_path / "mine.toml"
    preset.write_text("schema = 1\n[workload]\nparams_b = 7.0\ntokens_t = 1.0\n[cluster]\nchip = 'h100'\n"
                      "count = 64\n")
    before = prepare(preset.read_text(), str(preset)).inputs["rent_usd_per_chip_hour"]
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text("[chips.h100]\nrent_usd_per_chip_hour = 1.9\n")
    assert before != 1.9
    assert prepare(preset.read_text(), str(preset)).inputs["rent_usd_per_chip_hour"] == 1.9
    config_path().write_text("[chips.h100]\nrent_usd_per_chip_hour = -1\n")   # a bad user file is named
    with pytest.raises(WhatifError, match=r"config.toml: chips.h100.rent_usd_per_chip_hour"):
        prepare(preset.read_text(), str(preset))
    config_path().write_text("")
    assert prepare(preset.read_text().replace("64", "128"), str(preset)).inputs["count"] == 128
    with pytest.raises(WhatifError, match="x.toml: cluster.count"):
        prepare(preset.read_text().replace("64", "0"), "x.toml")


def test_a_prepared_preset_follows_the_engines_code_and_data(tmp_path, monkeypatch):
    files = prepared_module._engine_files()
    assert {"step.py", "resolve.py", "scenario.py", "chips.toml", "models.toml"} <= {Path(f).name for f in files}
    text = (ROOT / "presets" / "default.toml").read_text()
    prepare(text, "default.toml")
    changed = tmp_path / "changed.py"                       # stands for an edited engine file
    changed.write_text("")
    monkeypatch.setattr(prepared_module, "_engine_files", lambda: [*files, str(changed)])
    prepare(text, "default.toml")
    assert [p.name.split("-")[0] for p in entries()].count("prepared") == 2   # a new key, not the old entry


def test_a_demo_visitors_eval_keeps_nothing(monkeypatch, capsys):
    monkeypatch.setenv("WHATIF_DEMO", "1")
    assert run_cli(capsys, "eval", str(ROOT / "presets" / "default.toml"), "--json")[0] == 0
    assert entries() == []


def test_a_cached_preset_is_checked_against_the_catalog_as_it_is_now(tmp_path):
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text('[chips.my-asic]\nname = "My ASIC"\ndense_tflops = { bf16 = 800.0 }\ntdp_w = 900.0\n')
    preset = tmp_path / "mine.toml"
    preset.write_text("schema = 1\n[workload]\nparams_b = 7.0\ntokens_t = 1.0\n[cluster]\nchip = 'my-asic'\n"
                      "count = 64\n")
    assert load_preset(preset).cluster.chip == "my-asic"              # validated and cached
    config_path().write_text("")                                        # the user drops the chip
    with pytest.raises(WhatifError, match="mine.toml: cluster.chip: unknown chip 'my-asic'"):
        load_preset(preset)
