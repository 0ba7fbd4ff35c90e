"""Calibration report: the model against published runs and measured throughputs.

Part 1 (tests/data/published_runs.toml): chip-hours and energy of whole runs, with MFU and
goodput set from the published utilisation (tests the arithmetic) and left to the model.
Part 2 (tests/data/calibration_runs.toml): the training-step model (docs/model.md §16)
against measured per-GPU throughputs, step times, reported MFU and run chip-hours: the few
free constants of engine/data/defaults.toml [step] are fitted here (coordinate descent on
the mean squared log error), then every run is predicted with constants fitted WITHOUT it
(leave-one-out). `make calibrate` prints both; docs/model-notes.md quotes the result.
"""

from __future__ import annotations

import math
import statistics
import sys
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whatif.engine.evaluate import evaluate  # noqa: E402
from whatif.engine.model import compute  # noqa: E402
from whatif.engine.resolve import resolve  # noqa: E402
from whatif.engine.scenario import Scenario, scenario_from_dict  # noqa: E402

RUNS_PATH = ROOT / "tests" / "data" / "published_runs.toml"
STEP_RUNS_PATH = ROOT / "tests" / "data" / "calibration_runs.toml"
FACILITY_KEYS = ("it_kw_per_chip", "pue", "load_factor", "network_share")
SHAPE_KEYS = ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "seq_len", "experts", "top_k")
LAYOUT_KEYS = ("tp", "pp", "ep", "micro_batch", "global_batch_tokens", "recompute", "zero_stage", "goodput",
               "flash_attention")
# Free constants of the step model and the interval each is searched in.
FREE: dict[str, tuple[float, float]] = {
    "step_gemm_efficiency": (0.75, 0.95),  # large bf16 GEMMs: cuBLAS reaches ~75-90 % of dense peak
    "step_memory_passes": (0.0, 100.0),
    "step_score_passes": (0.0, 40.0),
    "step_layer_overhead_us": (0.0, 500.0),
    "step_collective_efficiency": (0.4, 0.95),  # achieved share of link bandwidth
    "step_comm_overlap": (0.0, 1.0),
}


def load_runs(path: Path = RUNS_PATH) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["run"]


def run_scenario(run: dict, *, published_utilisation: bool) -> Scenario:
    workload = {k: run[k] for k in ("params_b", "active_params_b", "tokens_t", "flops", "precision") if k in run}
    workload.update({k: run[k] for k in SHAPE_KEYS if k in run})
    cluster = {"chip": run["chip"], "count": run["count"], **{k: run[k] for k in LAYOUT_KEYS if k in run}}
    if published_utilisation:
        # All losses folded into MFU: goodput 1 makes chip-hours depend on the published figure alone.
        cluster.update(mfu=run["end_to_end_utilisation"], goodput=1.0)
    facility = {k: run[k] for k in FACILITY_KEYS if k in run}
    return scenario_from_dict({"name": run["name"], "workload": workload, "cluster": cluster, "facility": facility})


def errors(runs: list[dict]) -> list[dict]:
    rows = []
    for run in runs:
        fitted = evaluate(run_scenario(run, published_utilisation=True))
        default = evaluate(run_scenario(run, published_utilisation=False))
        row = {
            "id": run["id"], "published_hours": run["accelerator_hours"],
            "fitted_hours_error": fitted["chip_hours"] / run["accelerator_hours"] - 1,
            "default_hours_error": default["chip_hours"] / run["accelerator_hours"] - 1,
            "default_utilisation": default["end_to_end_utilisation"],
            "published_utilisation": run["end_to_end_utilisation"],
        }
        if "energy_mwh" in run:
            row["fitted_energy_error"] = fitted["energy_mwh"] / run["energy_mwh"] - 1
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------- step model
def load_step_runs(path: Path = STEP_RUNS_PATH) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["run"]


def step_scenario(run: dict) -> Scenario:
    workload = {k: run[k] for k in ("params_b", "active_params_b", "precision", *SHAPE_KEYS) if k in run}
    workload["tokens_t"] = run.get("tokens_t", 1.0)
    cluster = {"chip": run["chip"], "count": run["count"], **{k: run[k] for k in LAYOUT_KEYS if k in run}}
    return scenario_from_dict({"name": run["id"], "workload": workload, "cluster": cluster})


def predicted(run: dict, out: dict[str, np.ndarray], x: dict) -> np.ndarray:
    """The run's measured quantity as the model predicts it."""
    kind = run["kind"]
    if kind == "megatron_tflops":
        s, h, layers, vocab = x["seq_len"], x["hidden"], x["layers"], x["vocab"]
        batch = out["layout_global_batch_tokens"] / s
        flops = 96 * batch * s * layers * h * h * (1 + s / (6 * h) + vocab / (16 * layers * h))
        return flops / (out["step_time_s"] * x["count"]) / 1e12
    return out[{"step_time": "step_time_s", "mfu": "mfu", "chip_hours": "chip_hours"}[kind]]


def throughput_ratio(run: dict, value: np.ndarray) -> np.ndarray:
    """Predicted / measured throughput (time-like measures inverted): > 1 = model too fast."""
    if run["kind"] in ("step_time", "chip_hours"):
        return run["measured"] / value
    return value / run["measured"]


class StepFit:
    """Resolved runs, ready to be recomputed with any values of the free constants."""

    def __init__(self, runs: list[dict]) -> None:
        self.runs = runs
        self.inputs = [dict(resolve(step_scenario(r)).values) for r in runs]

    def ratios(self, constants: dict[str, float | np.ndarray], which: list[int] | None = None) -> np.ndarray:
        rows = []
        for i in (range(len(self.runs)) if which is None else which):
            x = dict(self.inputs[i])
            x.update(constants)
            rows.append(throughput_ratio(self.runs[i], predicted(self.runs[i], compute(x), x)))
        return np.array(rows)

    def loss(self, constants: dict[str, float | np.ndarray], which: list[int] | None = None) -> np.ndarray:
        return np.mean(np.abs(np.log(self.ratios(constants, which))), axis=0)

    def fit(self, start: dict[str, float], which: list[int] | None = None, rounds: int = 4) -> dict[str, float]:
        best = dict(start)
        span = {k: hi - lo for k, (lo, hi) in FREE.items()}
        for _ in range(rounds):
            for name, (lo, hi) in FREE.items():
                grid = np.clip(np.linspace(best[name] - span[name] / 2, best[name] + span[name] / 2, 17), lo, hi)
                losses = self.loss({**best, name: grid}, which)
                best[name] = float(grid[int(np.nanargmin(losses))])
            span = {k: v / 3 for k, v in span.items()}
        return best


def defaults(fit: StepFit) -> dict[str, float]:
    return {k: fit.inputs[0][k] for k in FREE}


def leave_one_out(fit: StepFit, start: dict[str, float]) -> np.ndarray:
    everyone = list(range(len(fit.runs)))
    out = []
    for i in everyone:
        constants = fit.fit(start, [j for j in everyone if j != i], rounds=3)
        out.append(float(fit.ratios(constants, [i])[0]))
    return np.array(out)


def _median_abs(ratios: np.ndarray) -> float:
    return float(np.median(np.abs(np.asarray(ratios) - 1)))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    rows = errors(load_runs())
    print("Part 1: published runs (tests/data/published_runs.toml)")
    print(f"{'run':<16} {'published h':>13} {'set: hours':>11} {'set: energy':>12} "
          f"{'auto: util':>11} {'published':>10} {'auto: hours':>12}")
    for r in rows:
        energy = f"{r['fitted_energy_error']:+.2%}" if "fitted_energy_error" in r else "-"
        print(f"{r['id']:<16} {r['published_hours']:>13,.0f} {r['fitted_hours_error']:>+11.2%} {energy:>12} "
              f"{r['default_utilisation']:>11.1%} {r['published_utilisation']:>10.1%} {r['default_hours_error']:>+12.1%}")
    median = statistics.median(abs(r["default_hours_error"]) for r in rows)
    print(f"\nmedian |error| of chip-hours with default MFU and goodput: {median:.1%}")

    fit = StepFit(load_step_runs())
    shipped = defaults(fit)
    ratios = fit.ratios(shipped)
    print("\nPart 2: training-step model (tests/data/calibration_runs.toml), shipped constants")
    print(f"{'run':<26} {'chip':<6} {'kind':<16} {'measured':>11} {'predicted':>11} {'error':>8}")
    for run, ratio in zip(fit.runs, ratios):
        pred = run["measured"] / ratio if run["kind"] in ("step_time", "chip_hours") else run["measured"] * ratio
        print(f"{run['id']:<26} {run['chip']:<6} {run['kind']:<16} {run['measured']:>11.4g} {pred:>11.4g} "
              f"{ratio - 1:>+8.1%}")
    megatron = [r for r, run in zip(ratios, fit.runs) if run["id"].startswith("megatron")]
    print(f"\nin-sample median |throughput error|: all {_median_abs(ratios):.1%}, Megatron-LM table "
          f"{_median_abs(megatron):.1%}")
    for chip in sorted({run["chip"] for run in fit.runs}):
        sel = [r for r, run in zip(ratios, fit.runs) if run["chip"] == chip]
        print(f"  {chip:<6} {len(sel):>2} runs, median |error| {_median_abs(sel):.1%}")
    if "--fit" in argv or "--loo" in argv:
        best = fit.fit(shipped)
        print("\nfitted constants:", ", ".join(f"{k} = {v:.4g}" for k, v in best.items()))
        print(f"fitted in-sample median |error|: {_median_abs(fit.ratios(best)):.1%}")
    if "--loo" in argv:
        loo = leave_one_out(fit, shipped)
        print("\nleave-one-out (constants refitted without the run):")
        for run, ratio in zip(fit.runs, loo):
            print(f"  {run['id']:<26} {ratio - 1:>+8.1%}")
        print(f"leave-one-out median |throughput error|: {_median_abs(loo):.1%}")
        for chip in sorted({run["chip"] for run in fit.runs}):
            sel = [r for r, run in zip(loo, fit.runs) if run["chip"] == chip]
            print(f"  {chip:<6} {len(sel):>2} runs, median |error| {_median_abs(sel):.1%}")


if __name__ == "__main__":
    main()
