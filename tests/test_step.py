"""The training-step model (engine/step.py, docs/model.md §16): each term by hand, the layout
search, memory per chip, and the properties the search must keep."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whatif.engine.evaluate import evaluate, evaluate_batch
from whatif.engine.presets import load_preset
from whatif.engine.shapes import shape_for
from whatif.engine.step import PARTS, step_model
from tests.helpers import make_scenario

NAN = math.nan
# A small pinned case that can be followed with a pencil: 8 chips as tp 2 x pp 2 x dp 2,
# a 0.1B-parameter model of 4 layers, hidden 1,024, 8 heads, FFN 4,096 (not gated), sequence
# 1,024, vocabulary 32,000; batch 8 sequences = 8,192 tokens, micro-batch 1 -> 4 micro-batches
# per replica. Chip: 100 TFLOP/s, HBM 1 TB/s, 200 GB/s scale-up (100 each way) in a domain of 8,
# 10 GB/s scale-out. Constants: matmul efficiency 0.5, attention 0.5 (causal 0.5), collectives
# at full bandwidth, no latency, 10 memory passes, 100 us per layer visit, overlap 0.5.
HAND = dict(
    count=8.0, params_b=0.1, active_params_b=0.1, flops=1e20, layers=4.0, hidden=1024.0, heads=8.0, kv_heads=8.0,
    ffn=4096.0, vocab=32000.0, seq_len=1024.0, experts=1.0, top_k=1.0, gated=0.0, peak_tflops=100.0,
    hbm_bw_tbps=1.0, hbm_gb=80.0, scaleup_domain=8.0, scaleup_bw_gbps=200.0, scaleout_bw_gbps=10.0, gemm_bytes=2.0,
    tp_in=2.0, pp_in=2.0, dp_in=NAN, ep_in=NAN, micro_batch_in=1.0, global_batch_tokens_in=8192.0, recompute_in=0.0,
    zero_stage_in=1.0, hbm_usable_share=0.9, step_gemm_efficiency=0.5, flash_attention=1.0, step_score_passes=0.0,
    step_attention_efficiency=0.5, step_collective_efficiency=1.0, step_comm_overlap=0.5, step_memory_passes=10.0,
    step_layer_overhead_us=100.0, step_collective_latency_us=0.0, step_max_virtual_stages=8.0,
    step_attention_causal=0.5, batch_law_coefficient=0.292, batch_law_exponent=0.3271, batch_tokens_max=16777216.0,
)


def seconds(out: dict, part: str) -> float:
    return float(out["part_" + part] * out["step_time_s"])


def spf(m: float, k: float, n: float) -> float:
    """Seconds per FLOP of an M x K x N matmul at 0.5 of 100 TFLOP/s plus 2-byte traffic at 1 TB/s."""
    return 1 / (1e14 * 0.5) + 2 * (m * k + k * n + m * n) / (1e12 * 2 * m * k * n)


def test_each_step_term_by_hand():
    out = step_model(HAND)
    assert (out["layout_tp"], out["layout_pp"], out["layout_dp"], out["micro_batches"]) == (2, 2, 2, 4)
    # Model FLOPs per chip: 6 x 1e8 x 8,192 / 8 = 6.144e11 -> 6.144 ms at 100 TFLOP/s.
    assert seconds(out, "model_flops") == pytest.approx(6.144e-3, rel=1e-9)
    # Matmuls: attention projections are 4 x (2 h^2 + 2 h kv hd) / N = 0.16777 of the FLOPs.
    share = 4 * (2 * 1024**2 + 2 * 1024 * 8 * 128) / 1e8
    proj = (spf(1024, 1024, (1024 + 2 * 8 * 128) / 2) + spf(1024, 512, 1024)) / 2
    mlp = (spf(1024, 1024, 4096 / 2) + spf(1024, 2048, 1024)) / 2
    matmul = 6.144e11 * (share * proj + (1 - share) * mlp)
    assert seconds(out, "matmul") == pytest.approx(matmul - 6.144e-3, rel=1e-9)
    # Attention: 12 x 4 layers x 1,024 x 1,024 x 0.5 (causal) x 8,192 / 8 / (1e14 x 0.5) = 0.5154 ms.
    assert seconds(out, "attention") == pytest.approx(5.1539607552e-4, rel=1e-9)
    # Memory-bound: 10 passes x 1,024 x 2 B x 4 layers x 1,024 tokens/chip = 83.9 MB -> 83.9 us;
    # optimizer: 28 B x 2.5e7 local params / dp 2 = 350 MB -> 350 us.
    assert seconds(out, "memory_bound") == pytest.approx(8.388608e-5 + 3.5e-4, rel=1e-9)
    # Overhead: 100 us x 2 layers per stage x 4 micro-batches = 0.8 ms.
    assert seconds(out, "overhead") == pytest.approx(8e-4, rel=1e-9)
    # TP: 8 collectives x 8 layer visits x (1/2 x 2,097,152 B / 100 GB/s) = 0.671 ms.
    assert seconds(out, "tp_comm") == pytest.approx(6.7108864e-4, rel=1e-9)
    # Bubble: (pp - 1) / (v micro) = 1 / (2 x 4) of the per-layer compute.
    compute = matmul + 5.1539607552e-4 + 8.388608e-5 + 8e-4 + 6.7108864e-4
    assert seconds(out, "pp_bubble") == pytest.approx(compute / 8, rel=1e-9)
    # P2P: 2 x v 2 x 4 micro x 1,048,576 B / 100 GB/s, half hidden = 83.9 us.
    assert seconds(out, "pp_p2p") == pytest.approx(8.388608e-5, rel=1e-9)
    # DP: 2 x 1/2 x 2 B x 2.5e7 / 100 GB/s = 0.5 ms, hidden behind 0.5 x 2/3 of a micro-batch's compute.
    assert seconds(out, "dp_comm") == pytest.approx(max(0.0, 5e-4 - 0.5 * compute / 4 * 2 / 3), abs=1e-12)
    for part in ("expert_a2a", "recompute", "stage_imbalance"):
        assert seconds(out, part) == 0.0
    assert sum(float(out["part_" + p]) for p in PARTS) == pytest.approx(1.0, rel=1e-12)
    assert float(out["mfu_step"]) == pytest.approx(float(out["part_model_flops"]), rel=1e-12)


def test_each_memory_term_by_hand():
    out = step_model(HAND)
    # Local params 1e8 / (tp 2 x pp 2) = 2.5e7: weights and grads 2 B each, Adam 12 B over dp 2 (ZeRO-1).
    assert float(out["memory_weights_gb"]) == pytest.approx(0.05)
    assert float(out["memory_grads_gb"]) == pytest.approx(0.05)
    assert float(out["memory_optimizer_gb"]) == pytest.approx(0.15)
    # Activations (no recompute, fused attention): 34 s b h / t = 17.8 MB per layer x 2 layers x
    # min(pp 2, 4 micro-batches) + fp32 logits 4 x 1,024 x 32,000 / 2 = 65.5 MB.
    assert float(out["memory_activations_gb"]) == pytest.approx((34 * 1024 * 1024 / 2 * 2 * 2 + 65_536_000) / 1e9)
    full = step_model({**HAND, "recompute_in": 2.0})
    assert float(full["memory_activations_gb"]) == pytest.approx((2 * 1024 * 1024 / 2 * 2 * 2 + 65_536_000) / 1e9)
    # Full recompute re-runs the forward: a third of the per-layer work on top.
    assert seconds(full, "recompute") > 0 and float(full["step_time_s"]) > float(step_model(HAND)["step_time_s"])
    zero3 = step_model({**HAND, "zero_stage_in": 3.0})
    assert float(zero3["memory_weights_gb"]) == pytest.approx(0.025)
    assert float(zero3["memory_grads_gb"]) == pytest.approx(0.025)


def test_layout_search_picks_the_fastest_valid_layout():
    free = {**HAND, "tp_in": NAN, "pp_in": NAN, "micro_batch_in": NAN, "recompute_in": NAN, "zero_stage_in": NAN}
    out = step_model(free)
    best = float(out["step_time_s"])
    assert out["layout_tp"] * out["layout_pp"] * out["layout_dp"] == 8
    # Every pinned alternative that divides 8 chips is no faster.
    for tp in (1, 2, 4, 8):
        for pp in (1, 2, 4):
            if tp * pp > 8:
                continue
            for rc in (0, 1, 2):
                pinned = step_model({**free, "tp_in": float(tp), "pp_in": float(pp), "recompute_in": float(rc)})
                if pinned["layout_valid"] and pinned["fits"]:
                    assert float(pinned["step_time_s"]) >= best * (1 - 1e-12)


def test_a_layout_that_does_not_fit_is_not_chosen_when_one_fits():
    small = {**HAND, "hbm_gb": 0.3, "tp_in": NAN, "pp_in": NAN, "recompute_in": NAN, "zero_stage_in": NAN}
    out = step_model(small)
    assert out["fits"] and out["memory_gb_per_chip"] <= 0.27
    assert step_model({**small, "tp_in": 1.0, "pp_in": 1.0, "recompute_in": 0.0, "zero_stage_in": 1.0})["fits"] == 0


def test_the_search_is_vectorised_row_by_row():
    counts = np.array([8.0, 16.0, 64.0])
    free = {**HAND, "tp_in": NAN, "pp_in": NAN, "global_batch_tokens_in": 65536.0}
    batch = step_model({**free, "count": counts})
    for i, n in enumerate(counts):
        one = step_model({**free, "count": float(n)})
        assert float(batch["step_time_s"][i]) == pytest.approx(float(one["step_time_s"]), rel=1e-12)
        assert float(batch["layout_tp"][i]) == float(one["layout_tp"])


# ------------------------------------------------------------------------ on real scenarios
def layout(**kw):
    return evaluate(make_scenario(**kw))


def test_405b_on_8_h100_does_not_fit():
    r = layout(workload={"params_b": 405.0}, cluster={"count": 8})
    assert not r["fits"] and "memory-fit" in r.warning_codes()
    assert "GB/chip" in next(w.message for w in r.warnings if w.code == "memory-fit")


def test_405b_on_16384_h100_fits_with_model_parallelism():
    r = layout(workload={"params_b": 405.0}, cluster={"count": 16384})
    lay = r.layout()
    assert r["fits"] and lay["tp"] * lay["pp"] > 1 and lay["tp"] * lay["pp"] * lay["dp"] == 16384
    assert "memory-fit" not in r.warning_codes()


def test_7b_fits_on_8_h100_without_tensor_parallel():
    r = layout(workload={"params_b": 7.0}, cluster={"count": 8})
    assert r["fits"] and r.layout()["tp"] == 1


def test_default_preset_lands_in_metas_reported_mfu():
    r = evaluate(load_preset("presets/default.toml"))
    assert 0.38 <= r["mfu"] <= 0.43  # Llama 3 405B on 16K H100: 38-43 % (Grattafiori et al. 2024, Table 4)


def test_mfu_falls_with_model_size_on_h100():
    # Published H100 runs: 1B-8B at 5-15 %, 70B ~25-27 %, 405B ~40 %: smaller models use the chip worse.
    mfu = [layout(workload={"params_b": p, "tokens_t": 15.0}, cluster={"count": 8192})["mfu"] for p in (1.2, 8.0, 70.0)]
    assert mfu[0] < mfu[1] < mfu[2]


def test_h100_gets_less_of_its_peak_than_a100():
    a100 = layout(workload={"params_b": 70.0}, cluster={"chip": "a100", "count": 1024})["mfu"]
    h100 = layout(workload={"params_b": 70.0}, cluster={"chip": "h100", "count": 1024})["mfu"]
    assert h100 < a100


def test_user_mfu_overrides_the_step_model():
    r = layout(cluster={"mfu": 0.3})
    assert r["mfu"] == 0.3 and not r["mfu_estimated"]
    assert r.outputs()["mfu_breakdown"] == {"model_flops": 0.3, "unexplained": pytest.approx(0.7)}


def test_pinned_layout_is_used_and_reported():
    r = layout(workload={"params_b": 70.0}, cluster={"count": 1024, "tp": 8, "pp": 4, "recompute": "full",
                                                      "zero_stage": 1, "micro_batch": 1})
    lay = r.layout()
    assert (lay["tp"], lay["pp"], lay["dp"], lay["recompute"], lay["zero_stage"], lay["auto"]) == (
        8, 4, 32, "full", 1, True)  # the batch is still chosen
    bad = layout(cluster={"count": 1000, "tp": 7})                   # 7 divides no model's heads
    assert "layout-invalid" in bad.warning_codes() and bad.layout()["tp"] == 7  # a pin is never dropped


def test_output_contract():
    out = layout(cluster={"count": 4096}).outputs()
    lay = out["layout"]
    assert set(lay) == {"tp", "pp", "dp", "ep", "micro_batch", "global_batch_tokens", "recompute", "zero_stage",
                        "idle_chips", "auto"}
    assert lay["tp"] * lay["pp"] * lay["dp"] + lay["idle_chips"] == 4096 and lay["idle_chips"] < lay["tp"] * lay["pp"]
    assert sum(out["mfu_breakdown"].values()) == pytest.approx(1.0)
    assert out["mfu_breakdown"]["model_flops"] == pytest.approx(out["mfu"])
    assert isinstance(out["fits"], bool) and out["memory_gb_per_chip"] > 0


def test_a_chip_count_that_no_layout_divides_leaves_chips_idle_instead_of_falling_apart():
    """16,385 chips run the 16,384-chip layout with one chip idle, not pure data parallel
    at 40 % of the time (the search used to demand tp x pp x dp == count exactly)."""
    from whatif.engine.presets import default_preset_path, load_preset

    preset = load_preset(default_preset_path())                       # 405B on H100
    whole, odd = (evaluate(preset.with_values({"cluster.count": n})) for n in (16384, 16385))
    assert odd.layout()["idle_chips"] == 1 and odd.layout()["dp"] == whole.layout()["dp"]
    assert odd["training_days"] == pytest.approx(whole["training_days"], rel=1e-4)  # goodput: one chip more to fail
    assert odd["mfu"] == pytest.approx(whole["mfu"] * 16384 / 16385, rel=1e-9)   # the idle chip counts against it
    assert odd.outputs()["mfu_breakdown"]["idle_chips"] == pytest.approx(1 / 16385)
    assert sum(odd.outputs()["mfu_breakdown"].values()) == pytest.approx(1.0)


def test_moe_shards_experts_and_pays_all_to_all():
    r = layout(workload={"params_b": 671.0, "active_params_b": 37.0, "precision": "fp8"},
               cluster={"chip": "h800", "count": 2048})
    assert r.resolved.values["experts"] == 256 and r.layout()["ep"] > 1 and r["fits"]
    assert r["part_expert_a2a"] > 0.05


# -------------------------------------------------------------------------------- shapes
def test_shape_from_the_nearest_family():
    s70 = shape_for(70.0, 70.0)
    assert s70.family.key == "llama31-70b" and s70.values["layers"] == 80 and s70.values["kv_heads"] == 8
    assert "Llama 3.1 70B shape" in s70.basis
    s100 = shape_for(120.0, 120.0)
    assert s100.basis.startswith("scaled from") and s100.values["hidden"] % 128 == 0
    assert shape_for(46.7, 12.9).family.key == "mixtral-8x7b"


def test_shape_fields_are_overridable_and_sourced():
    r = layout(workload={"params_b": 70.0, "layers": 40, "seq_len": 4096})
    x, o = r.resolved.values, r.resolved.origins
    assert x["layers"] == 40 and x["seq_len"] == 4096 and x["hidden"] == 8192
    assert o["layers"].kind == "input" and "Llama 3.1 70B" in o["hidden"].source


# ---------------------------------------------------------------------------- properties
SCENARIOS = st.fixed_dictionaries({
    "params_b": st.sampled_from([1.2, 8.0, 27.0, 70.0, 175.0, 405.0]),
    "count": st.sampled_from([8, 64, 512, 1000, 4096, 16384]),
    "chip": st.sampled_from(["a100", "h100", "h800", "b200", "gb200", "mi300x", "tpu-v5p"]),
})
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(SCENARIOS, st.floats(1.0, 8.0), st.sampled_from(["hbm_bw_tbps", "scaleup_bw_gbps", "scaleout_bw_gbps"]))
def test_more_bandwidth_is_never_slower(s, factor, which):
    r = layout(workload={"params_b": s["params_b"]}, cluster={"chip": s["chip"], "count": s["count"]})
    faster = evaluate_batch(r.resolved, **{which: r.resolved.values[which] * factor})
    assert float(faster["step_time_s"]) <= r["step_time_s"] * (1 + 1e-12)


@PROPERTY
@given(SCENARIOS)
def test_parts_sum_to_the_step_and_the_chosen_layout_fits_if_any_does(s):
    r = layout(workload={"params_b": s["params_b"]}, cluster={"chip": s["chip"], "count": s["count"]})
    assert sum(r["part_" + p] for p in PARTS) == pytest.approx(1.0, rel=1e-9)
    lay = r.layout()
    assert lay["tp"] * lay["pp"] * lay["dp"] + lay["idle_chips"] == s["count"]
    assert 0 <= lay["idle_chips"] < lay["tp"] * lay["pp"]              # never a whole replica idle
    if not r["fits"]:
        # The most memory-frugal settings do not fit either.
        frugal = layout(workload={"params_b": s["params_b"]},
                        cluster={"chip": s["chip"], "count": s["count"], "recompute": "full", "zero_stage": 3})
        assert not frugal["fits"]


# ------------------------------------------------------- the fast search against the exhaustive one
def _random_scenario(data) -> dict:
    """A scenario of random shape and chip (dense or MoE, fused or not), nothing pinned."""
    layers = data.draw(st.integers(2, 128))
    heads = data.draw(st.sampled_from([8, 16, 32, 40, 64, 96, 128]))
    hidden = float(heads * data.draw(st.sampled_from([64, 128])))
    experts = data.draw(st.sampled_from([1, 1, 8, 16, 64]))
    top_k = float(min(data.draw(st.sampled_from([1, 2, 8])), experts))
    ffn = hidden * data.draw(st.sampled_from([2.67, 3.5, 4.0]))
    dense = 12.0 * layers * hidden * hidden
    params = dense * (1 + (experts - 1) * 0.6 if experts > 1 else 1.0) / 1e9
    active = params if experts == 1 else params * data.draw(st.floats(0.1, 0.5))
    return {**HAND, "tp_in": NAN, "pp_in": NAN, "micro_batch_in": NAN, "global_batch_tokens_in": NAN,
            "recompute_in": NAN, "zero_stage_in": NAN, "layers": float(layers), "heads": float(heads),
            "kv_heads": float(data.draw(st.sampled_from([heads, 8, 1]))), "hidden": hidden, "ffn": ffn,
            "params_b": params, "active_params_b": active, "experts": float(experts), "top_k": top_k,
            "gated": data.draw(st.sampled_from([0.0, 1.0])), "seq_len": data.draw(st.sampled_from([1024.0, 2048.0,
                                                                                                    8192.0])),
            "flops": 6.0 * active * 1e9 * data.draw(st.floats(1e9, 2e13)),
            "peak_tflops": data.draw(st.floats(100.0, 5000.0)), "hbm_bw_tbps": data.draw(st.floats(1.0, 8.0)),
            "hbm_gb": data.draw(st.sampled_from([16.0, 40.0, 80.0, 141.0, 192.0])),
            "scaleup_domain": data.draw(st.sampled_from([1.0, 4.0, 8.0, 72.0, 256.0])),
            "scaleup_bw_gbps": data.draw(st.floats(50.0, 2000.0)), "scaleout_bw_gbps": data.draw(st.floats(10.0, 100.0)),
            "flash_attention": data.draw(st.sampled_from([0.0, 1.0])), "step_score_passes": 4.0,
            "step_collective_latency_us": 10.0, "step_comm_overlap": data.draw(st.floats(0.0, 1.0)),
            "gemm_bytes": data.draw(st.sampled_from([0.5, 1.0, 2.0]))}


def _assert_same_search(fast: dict, reference: dict) -> None:
    for key in ("layout_tp", "layout_pp", "layout_dp", "layout_ep", "layout_micro_batch", "layout_recompute",
                "layout_zero_stage", "fits", "layout_valid"):
        np.testing.assert_array_equal(fast[key], reference[key], err_msg=key)
    for key in reference:
        np.testing.assert_allclose(fast[key], reference[key], rtol=1e-9, atol=0, err_msg=key)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_fast_search_picks_the_exhaustive_searchs_layout_on_a_sweep_of_counts(data):
    from whatif.engine.step import forget, step_model_exhaustive

    x = _random_scenario(data)
    counts = np.array(sorted(set(data.draw(st.lists(st.integers(1, 300_000), min_size=1, max_size=40)))), dtype=float)
    forget()
    _assert_same_search(step_model({**x, "count": counts}), step_model_exhaustive({**x, "count": counts}))
    one = float(counts[0])
    _assert_same_search(step_model({**x, "count": one}), step_model_exhaustive({**x, "count": one}))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_fast_search_matches_the_exhaustive_one_across_several_scenarios_in_one_batch(data):
    """A plan's batch: several chips and shapes at many counts (one search per distinct scenario)."""
    from whatif.engine.step import forget, step_model_exhaustive

    rows = [_random_scenario(data) for _ in range(data.draw(st.integers(2, 4)))]
    per_row = data.draw(st.sampled_from([3, 24]))  # few counts each (searched together) or many (one by one)
    counts = data.draw(st.lists(st.integers(1, 100_000), min_size=len(rows) * per_row, max_size=len(rows) * per_row))
    batch = {k: np.array([rows[i % len(rows)][k] for i in range(len(counts))], dtype=float) for k in rows[0]}
    batch["count"] = np.array(counts, dtype=float)
    forget()
    _assert_same_search(step_model(batch), step_model_exhaustive(batch))


def test_rows_whose_best_layouts_nearly_tie_take_the_exhaustive_searchs_choice(monkeypatch):
    """Where the fast search's rounding could flip a near tie, those rows go to the reference:
    with the tie margin widened to 50 % most rows of a sweep take that path and must still
    come out as the exhaustive search's."""
    from whatif.engine import step

    free = {**HAND, "tp_in": NAN, "pp_in": NAN, "micro_batch_in": NAN, "global_batch_tokens_in": NAN,
            "recompute_in": NAN, "zero_stage_in": NAN}
    counts = np.arange(8.0, 4096.0, 37.0)
    calls = []
    reference = step._reference_choice
    monkeypatch.setattr(step, "_reference_choice",
                        lambda *a, **k: calls.append((a[5], k.get("prune", True))) or reference(*a, **k))
    monkeypatch.setattr(step, "_NEAR_TIE", 0.5)
    step.forget()
    fast = step_model({**free, "count": counts})
    rows, whole_batch = calls[0]
    assert not whole_batch and 0 < rows[0] <= counts.size   # the near-tie rows went to the reference
    _assert_same_search(fast, step.step_model_exhaustive({**free, "count": counts}))


# ------------------------------------------------------- the bounded search against the dense one
def _counts_of_several(data) -> tuple[list[dict], list[int]]:
    rows = [_random_scenario(data) for _ in range(data.draw(st.integers(1, 3)))]
    counts = sorted(set(data.draw(st.lists(st.integers(1, 300_000), min_size=20, max_size=60))))
    return rows, counts


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_bounded_search_gives_the_dense_searchs_outputs_bit_for_bit(monkeypatch, data):
    """Many counts of one or several scenarios (a sweep, a plan's chips) go through the
    bounded search (engine/step.py _bounded); scoring every candidate densely must give the
    very same layouts and so the very same outputs."""
    from whatif.engine import step

    rows, counts = _counts_of_several(data)
    batch = {k: np.array([r[k] for r in rows for _ in counts], dtype=float) for k in rows[0]}
    batch["count"] = np.array(counts * len(rows), dtype=float)
    step.forget()
    bounded = step.step_model(batch)
    with monkeypatch.context() as m:
        m.setattr(step, "_PRUNE_ROWS", 10**9)
        m.setattr(step, "_BOUNDED_PER_SCENARIO", 10**9)
        step.forget()
        dense = step.step_model(batch)
    for key in dense:
        np.testing.assert_array_equal(bounded[key], dense[key], err_msg=key)
    _assert_same_search(bounded, step.step_model_exhaustive(batch))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_layout_bound_never_exceeds_a_candidates_exact_score(data):
    """What makes the bounded search exact: its bound of a candidate at a count, from the
    coefficients of a block of counts around it (and at the block's largest count with the
    least for the reduce), is never above the candidate's exact best score there."""
    from whatif.engine import step

    x = _random_scenario(data)
    counts = np.array(sorted(set(data.draw(st.lists(st.integers(1, 300_000), min_size=2, max_size=30)))),
                      dtype=float)
    tp, pp, mb, ep = step.candidates({**x, "count": counts})
    cand = step._searched(step._scenario_constants(x, tp, pp, mb, ep), tp[:, 0], pp[:, 0], mb[:, 0], ep[:, 0], 1)
    assert not cand["nan"]
    tpp, width = tp[:, 0] * pp[:, 0], tp.shape[0]
    with np.errstate(all="ignore"):
        exact = step._scores_at(counts[:, None], np.arange(width), cand).min(axis=0)   # (counts, candidates)
        cell = np.broadcast_to(np.arange(width), exact.shape)
        whole = np.full((counts.size, 1), counts[0]), np.full((counts.size, 1), counts[-1])
        for low, high in (whole, (counts[:, None], counts[:, None])):
            coefficients = step._block_coefficients(cand, cell, low, high)
            per_count = step._bound(counts[:, None], tpp, coefficients)
            at_block = step._bound(high, tpp, coefficients, least=low)
            scored = np.isfinite(exact)
            assert np.all(per_count[scored] * (1.0 - step._SLACK) <= exact[scored])
            assert np.all(at_block <= per_count)
    assert np.isfinite(exact).any()


def test_remembered_rows_come_back_as_searched():
    """A batch that partly repeats an earlier one (a re-plan for another cap) takes the
    remembered rows from the row memory and searches only the new ones: the same outputs as
    searching it all afresh."""
    from whatif.engine import step

    free = {**HAND, "tp_in": NAN, "pp_in": NAN, "micro_batch_in": NAN, "global_batch_tokens_in": NAN,
            "recompute_in": NAN, "zero_stage_in": NAN}
    first, again = np.arange(8.0, 2048.0, 24.0), np.arange(8.0, 4096.0, 40.0)
    step.forget()
    step.step_model({**free, "count": first})
    remembered = step.step_model({**free, "count": again})
    step.forget()
    fresh = step.step_model({**free, "count": again})
    for key in fresh:
        np.testing.assert_array_equal(remembered[key], fresh[key], err_msg=key)


def test_lean_outputs_are_the_full_searchs_own_and_remembered_apart():
    """step_model(lean=True) (a plan's batches) gives the full search's MFU, memory fit and
    layout validity, the very floats, for one scenario, a sweep and several chips at once;
    a lean batch remembered does not stand in for a full one, nor the other way round."""
    from whatif.engine import step

    free = {**HAND, "tp_in": NAN, "pp_in": NAN, "micro_batch_in": NAN, "global_batch_tokens_in": NAN,
            "recompute_in": NAN, "zero_stage_in": NAN}
    batches = [free, {**free, "count": np.arange(8.0, 4096.0, 40.0)},
               {**free, "count": np.array([64.0, 512.0, 4096.0, 64.0]), "peak_tflops": np.array([100.0, 100.0, 400.0, 400.0]),
                "hbm_gb": np.array([80.0, 80.0, 40.0, 40.0])}]
    for x in batches:
        step.forget()
        lean = step.step_model(x, lean=True)
        full = step.step_model(x)           # after the lean one: searched again, every output
        assert set(lean) == set(step.LEAN_OUTPUTS) and "part_pp_bubble" in full
        for key in step.LEAN_OUTPUTS:
            np.testing.assert_array_equal(lean[key], full[key], err_msg=key)
        again = step.step_model(x, lean=True)   # and the lean one again, from memory
        for key in step.LEAN_OUTPUTS:
            np.testing.assert_array_equal(again[key], full[key], err_msg=key)
