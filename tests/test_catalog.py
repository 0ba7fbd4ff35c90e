"""The catalogs: complete, sourced, and extendable by the user and by presets."""

from __future__ import annotations

import pytest

from whatif.engine.catalog import load_catalog, shipped_catalog
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate
from tests.helpers import make_scenario

REQUIRED_CHIPS = {"v100", "a100", "h100", "h800", "h200", "b200", "gb200", "b300", "gb300", "mi300x", "mi325x",
                  "mi355x", "gaudi2", "gaudi3", "tpu-v3", "tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu-v7",
                  "trainium1", "trainium2", "ascend-910b", "ascend-910c"}


def test_every_required_chip_is_sourced():
    chips = shipped_catalog().chips
    assert REQUIRED_CHIPS <= set(chips)
    for chip in chips.values():
        assert chip.sources and chip.dense_tflops, chip.key


def test_dense_peaks_match_the_datasheets():
    chips = shipped_catalog().chips
    assert chips["h100"].peak_tflops("bf16") == 989.4 and chips["h100"].peak_tflops("fp8") == 1979
    assert chips["b200"].peak_tflops("fp8") == 4500 and chips["b200"].peak_tflops("fp4") == 9000
    assert chips["v100"].peak_tflops("fp16") == 125 and chips["a100"].peak_tflops("fp16") == 312


def test_announced_parts_are_flagged():
    chips = shipped_catalog().chips
    assert chips["rubin"].estimate and chips["mi455x"].estimate and not chips["h100"].estimate
    r = evaluate(make_scenario(workload={"precision": "fp8"}, cluster={"chip": "rubin"}))
    assert "chip-estimate" in r.warning_codes()


def test_unsupported_precision_names_what_is_supported():
    with pytest.raises(WhatifError, match=r"no published fp8 peak; it supports: bf16, fp16"):
        evaluate(make_scenario(workload={"precision": "fp8"}, cluster={"chip": "a100"}))


def test_regions_and_cooling():
    cat = shipped_catalog()
    assert {"us-average", "us-texas", "us-virginia", "ireland", "france", "nordics", "china"} <= set(cat.regions)
    assert set(cat.cooling) == {"air", "rear-door", "direct-liquid", "immersion"}
    # EUR price converted at the ECB 2024 average: 256 x 1.0824 = 277.09 USD/MWh
    r = evaluate(make_scenario(facility={"region": "ireland"}))
    assert r.resolved.values["electricity_usd_per_mwh"] == pytest.approx(277.0944)
    assert r.resolved.values["grid_g_per_kwh"] == 291


def test_user_chip_file_adds_and_overrides(tmp_path, monkeypatch):
    path = tmp_path / "chips.toml"
    path.write_text('[chips.mychip]\nname = "My chip"\ndense_tflops = { bf16 = 500.0 }\ntdp_w = 500.0\n\n'
                    '[chips.h100]\nrent_usd_per_chip_hour = 1.5\n', encoding="utf-8")
    monkeypatch.setenv("WHATIF_CHIPS", str(path))
    cat = load_catalog()
    assert cat.chip("mychip").peak_tflops("bf16") == 500
    assert cat.chip("h100").rent_usd_per_chip_hour == 1.5 and cat.chip("h100").server_kw == 10.2
    r = evaluate(make_scenario(cluster={"chip": "mychip"}), cat)
    # no reference server: 500 W x 1.6 overhead = 0.8 kW per chip, flagged as an estimate
    assert r.resolved.values["it_kw_per_chip"] == pytest.approx(0.8)
    assert r.resolved.origins["it_kw_per_chip"].kind == "estimate"


def test_bad_user_chip_file_names_file_and_key(tmp_path, monkeypatch):
    path = tmp_path / "chips.toml"
    path.write_text('[chips.x]\nname = "X"\ndense_tflops = { bf16 = -1.0 }\n', encoding="utf-8")
    monkeypatch.setenv("WHATIF_CHIPS", str(path))
    with pytest.raises(WhatifError) as err:
        load_catalog()
    assert str(path) in str(err.value) and "chips.x.dense_tflops" in str(err.value)


def test_inline_preset_chip():
    s = make_scenario(cluster={"chip": "article-mi400"})
    s = s.model_copy(update={"chips": {"article-mi400": {"name": "MI400 (article)", "dense_tflops": {"fp8": 5200.0},
                                                         "tdp_w": 1200.0, "estimate": True}}})
    r = evaluate(s.with_values({"workload.precision": "fp8"}))
    assert r["peak_pflops"] == pytest.approx(1000 * 5.2)
