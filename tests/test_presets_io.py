"""Presets: clear errors naming file and key, atomic saves that never clobber, round-trips."""

from __future__ import annotations

import os

import pytest

from whatif.engine.errors import WhatifError
from whatif.engine.presets import default_preset_path, dumps_preset, load_preset, parse_preset, save_preset
from tests.helpers import make_scenario

GOOD = """schema = 1
name = "t"
[workload]
params_b = 70.0
tokens_t = 15.0
[cluster]
chip = "h100"
count = 2048
"""


def _error(text: str) -> str:
    with pytest.raises(WhatifError) as err:
        parse_preset(text, "x.toml")
    return str(err.value)


def test_default_preset_loads():
    s = load_preset(default_preset_path())
    assert s.cluster.chip == "h100" and s.cluster.count == 16384


@pytest.mark.parametrize("text, expected", [
    (GOOD.replace("count = 2048", "cout = 2048"), "x.toml: cluster.cout: unknown key (did you mean 'count'?)"),
    (GOOD.replace("count = 2048", "count = -5"), "x.toml: cluster.count: -5 is out of range; must be at least 1"),
    (GOOD.replace("count = 2048", 'count = "many"'), "x.toml: cluster.count: expected a whole number, got 'many'"),
    (GOOD.replace("schema = 1", "schema = 2"), "x.toml: schema: schema 2 is not supported"),
    (GOOD.replace("schema = 1\n", ""), "x.toml: schema: missing 'schema = 1'"),
    (GOOD + "[facilty]\npue = 1.2\n", "x.toml: facilty: unknown key (did you mean 'facility'?)"),
    (GOOD.replace("[cluster]", "[cluster"), "x.toml: not valid TOML"),
    (GOOD.replace('precision', 'x').replace("tokens_t = 15.0", 'tokens_t = 15.0\nprecision = "fp6"'),
     "x.toml: workload.precision: 'fp6' is not allowed; allowed: 'bf16', 'fp16', 'fp8' or 'fp4'"),
])
def test_bad_presets_name_file_key_and_what_is_allowed(text, expected):
    assert _error(text).startswith(expected)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(WhatifError, match="no such preset file"):
        load_preset(tmp_path / "nope.toml")


def test_round_trip(tmp_path):
    original = make_scenario(facility={"cooling": "direct-liquid", "pue": 1.2}, economics={"mode": "own"})
    path = save_preset(original.model_copy(update={"name": "rt", "description": "d"}), tmp_path / "a.toml")
    loaded = load_preset(path)
    assert loaded == original.model_copy(update={"name": "rt", "description": "d"})
    assert load_preset(save_preset(loaded, tmp_path / "b.toml")) == loaded


def test_defaults_are_not_written():
    text = dumps_preset(make_scenario())
    assert "mfu" not in text and "pue" not in text and "[facility]" not in text


def test_save_never_clobbers_and_is_atomic(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("precious", encoding="utf-8")
    with pytest.raises(WhatifError, match="file exists"):
        save_preset(make_scenario(), path)
    assert path.read_text(encoding="utf-8") == "precious"
    save_preset(make_scenario(), path, overwrite=True)
    assert "schema = 1" in path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["p.toml"]  # no temp files left behind


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "p.toml"
    path.write_text("old", encoding="utf-8")

    def boom(*_args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(WhatifError, match="p.toml: cannot write: disk full"):  # a message, not a traceback
        save_preset(make_scenario(), path, overwrite=True)
    assert path.read_text(encoding="utf-8") == "old" and len(list(tmp_path.iterdir())) == 1


def test_with_values_validates_and_names_the_key():
    s = make_scenario()
    assert s.with_values({"cluster.count": 32768}).cluster.count == 32768
    with pytest.raises(WhatifError, match=r"cluster.mfu: 1.5 is out of range; must be at most 1"):
        s.with_values({"cluster.mfu": 1.5})
    with pytest.raises(WhatifError, match=r"unknown facility key 'pu' \(did you mean 'pue'\?\)"):
        s.with_values({"facility.pu": 1.2})


def test_an_edited_copy_writes_only_what_was_set(tmp_path):
    from whatif.engine.presets import default_preset_path, load_preset, preset_to_dict

    edited = load_preset(default_preset_path()).with_values({"cluster.chip": "b200", "facility.pue": 1.2})
    data = preset_to_dict(edited)
    assert data["cluster"] == {"chip": "b200", "count": 16384} and data["facility"] == {"region": "us-average", "pue": 1.2}
    assert "flash_attention" not in data["cluster"]              # a default, never set: not written
