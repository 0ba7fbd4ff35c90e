"""Every warning code fires on its condition, with the numbers behind it."""

from __future__ import annotations

from whatif.engine.evaluate import evaluate
from whatif.engine.warnings import CODES
from tests.helpers import make_scenario


def codes(**groups):
    return evaluate(make_scenario(**groups)).warning_codes()


def test_memory_fit():
    # 1,000B params on 8 chips: at best tp 8 (1e12 / 8 = 125e9 params per chip): bf16 weights
    # 250 GB, grads 250 GB, Adam 12 B x 125e9 / dp 1 = 1,500 GB - far over 0.9 x 80 = 72 GB usable.
    r = evaluate(make_scenario(workload={"params_b": 1000.0}, cluster={"count": 8}))
    w = next(w for w in r.warnings if w.code == "memory-fit")
    assert "no layout fits" in w.message and "of 72 GB/chip" in w.message and "weights 250.0" in w.message
    assert w.values["memory_gb_per_chip"] > 2000
    assert "memory-fit" not in codes()


def test_power_cap():
    r = evaluate(make_scenario(facility={"power_cap_mw": 1.0}))
    assert "power-cap" in r.warning_codes() and "2.10 MW" in r.warnings[0].message or any(
        "2.10 MW" in w.message for w in r.warnings)
    assert "power-cap" not in codes(facility={"power_cap_mw": 3.0})


def test_mfu_and_reliability_wall():
    assert "mfu-implausible" in codes(cluster={"mfu": 0.7})
    assert "mfu-implausible" in codes(cluster={"mfu": 0.04})
    assert "mfu-implausible" not in codes(cluster={"mfu": 0.4})
    r = evaluate(make_scenario(cluster={"count": 200_000}))
    w = next(w for w in r.warnings if w.code == "reliability-wall")
    assert r["goodput"] < 0.7 and "interrupted every ~15.0 min" in w.message


def test_eu_ai_act_and_tokens_per_param():
    assert "eu-ai-act" in codes(workload={"flops": 2e25})
    assert "eu-ai-act" not in codes(workload={"flops": 9e24})
    # 2T tokens / 100B = 20 tokens per param: compute-optimal, no note; 2T / 1B = 2,000: note
    assert "tokens-per-param" not in codes()
    assert "tokens-per-param" in codes(workload={"params_b": 1.0})


def test_missing_power():
    r = evaluate(make_scenario(cluster={"chip": "tpu-v5p"}))
    assert "missing-power" in r.warning_codes()
    assert "missing-power" not in evaluate(make_scenario(cluster={"chip": "tpu-v5p"},
                                                         facility={"it_kw_per_chip": 0.6})).warning_codes()


def test_every_code_is_documented():
    assert set(CODES) == {"memory-fit", "rack-density", "power-cap", "mfu-implausible", "reliability-wall",
                          "chip-estimate", "eu-ai-act", "tokens-per-param", "missing-power", "missing-price",
                          "layout-invalid"}
