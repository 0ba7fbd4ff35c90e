"""Print the model's error against published training runs (tests/data/published_runs.toml).

Two passes per run: with mfu/goodput set from the published end-to-end utilisation (tests
the arithmetic) and with both omitted (tests the defaults). Run: `make calibrate`.
"""

from __future__ import annotations

import statistics
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whatif.engine.evaluate import evaluate  # noqa: E402
from whatif.engine.scenario import Scenario, scenario_from_dict  # noqa: E402

RUNS_PATH = ROOT / "tests" / "data" / "published_runs.toml"
FACILITY_KEYS = ("it_kw_per_chip", "pue", "load_factor", "network_share")


def load_runs(path: Path = RUNS_PATH) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["run"]


def run_scenario(run: dict, *, published_utilisation: bool) -> Scenario:
    workload = {k: run[k] for k in ("params_b", "active_params_b", "tokens_t", "flops", "precision") if k in run}
    cluster = {"chip": run["chip"], "count": run["count"]}
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


def main() -> None:
    rows = errors(load_runs())
    print(f"{'run':<16} {'published h':>13} {'set: hours':>11} {'set: energy':>12} "
          f"{'auto: util':>11} {'published':>10} {'auto: hours':>12}")
    for r in rows:
        energy = f"{r['fitted_energy_error']:+.2%}" if "fitted_energy_error" in r else "-"
        print(f"{r['id']:<16} {r['published_hours']:>13,.0f} {r['fitted_hours_error']:>+11.2%} {energy:>12} "
              f"{r['default_utilisation']:>11.1%} {r['published_utilisation']:>10.1%} {r['default_hours_error']:>+12.1%}")
    median = statistics.median(abs(r["default_hours_error"]) for r in rows)
    print(f"\nmedian |error| of chip-hours with default MFU and goodput: {median:.1%}")


if __name__ == "__main__":
    main()
