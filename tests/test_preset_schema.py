"""The JSON Schema of preset files: shipped, equal to what `whatif schema` prints, and
every shipped preset passes it (while what the loader rejects, the schema rejects too)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from whatif.cli.main import main as cli_main
from whatif.engine.errors import WhatifError
from whatif.engine.presets import SCHEMA_FILE, load_preset, preset_json_schema, shipped_presets_dir

PRESETS = sorted(shipped_presets_dir().glob("*.toml"))
VALIDATOR = jsonschema.Draft202012Validator(preset_json_schema())


def test_shipped_schema_file_is_what_whatif_schema_prints(capsys):
    assert cli_main(["schema"]) == 0
    printed = capsys.readouterr().out
    shipped = (shipped_presets_dir() / SCHEMA_FILE).read_text(encoding="utf-8")
    assert printed == shipped, "regenerate it: whatif schema > presets/whatif-preset.schema.json"


def test_schema_is_valid_and_describes_the_top_level():
    schema = json.loads((shipped_presets_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "whatif preset" and schema["additionalProperties"] is False
    assert schema["properties"]["schema"] == {"const": 1, "description": "preset file format version"}
    assert schema["required"] == ["schema", "workload", "cluster"]
    assert {"workload", "cluster", "facility", "economics", "chips", "claims", "uncertainty"} <= set(
        schema["properties"])


def test_there_are_presets_to_check():
    assert len(PRESETS) >= 30 and all(p.name != "tour.toml" for p in PRESETS)


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_every_shipped_preset_matches_the_schema(path: Path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize("change, where", [
    ({"schema": 2}, "schema"),
    ({"colour": "red"}, ""),
    ({"cluster": {"chip": "h100", "count": 0}}, "cluster.count"),
    ({"cluster": {"chip": "h100", "count": 8, "chips": 8}}, "cluster"),
    ({"workload": {"params_b": 1.0, "tokens_t": 1.0, "precision": "int8"}}, "workload.precision"),
    ({"chips": {"h100": {"rent": 1.0}}}, "chips.h100"),
    ({"chips": {"h100": {"dense_tflops": {"int8": 1.0}}}}, "chips.h100.dense_tflops"),
])
def test_what_the_loader_rejects_the_schema_rejects(tmp_path, change, where):
    data = tomllib.loads((shipped_presets_dir() / "default.toml").read_text(encoding="utf-8"))
    data.update(change)
    errors = list(VALIDATOR.iter_errors(data))
    assert errors and ".".join(map(str, errors[0].absolute_path)) == where
    import tomli_w
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(data))
    with pytest.raises(WhatifError):
        from whatif.engine.evaluate import evaluate
        evaluate(load_preset(bad))


def test_nothing_at_runtime_imports_jsonschema():
    code = ("import sys, io, contextlib\nfrom whatif.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['schema']); main(['config'])\n"
            "import whatif.engine.settings, whatif.engine.presets\n"
            "assert 'jsonschema' not in sys.modules\n")
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
