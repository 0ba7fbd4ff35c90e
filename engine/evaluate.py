"""Evaluate scenarios: one at a time (with warnings and provenance) or as numpy batches."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike  # numpy.typing costs ~3 ms to import: types only

from whatif.engine.catalog import Catalog
from whatif.engine.model import compute
from whatif.engine.resolve import Resolved, resolve
from whatif.engine.scenario import Scenario
from whatif.engine.step import LAYOUT_KEYS, PARTS, RECOMPUTE
from whatif.engine.warnings import ScenarioWarning, build_warnings

LAYOUT_INPUTS: tuple[str, ...] = ("tp_in", "pp_in", "dp_in", "ep_in", "micro_batch_in", "global_batch_tokens_in",
                                   "recompute_in", "zero_stage_in")

# The output contract of docs/model.md §9: JSON keys and CSV/TOML columns.
OUTPUT_KEYS: tuple[str, ...] = (
    "training_flops", "peak_pflops", "mfu", "mfu_estimated", "mfu_breakdown", "layout", "memory_gb_per_chip", "fits",
    "goodput", "goodput_estimated", "training_days", "chip_hours", "it_mw", "facility_mw",
    "accelerator_energy_mwh", "it_energy_mwh", "energy_mwh", "accelerator_co2_t", "it_co2_t", "co2_t", "water_m3",
    "homes", "racks", "floor_m2", "rent_cost_usd", "own_cost_usd", "capex_usd", "cost_usd", "warnings",
)
_NOT_NUMBERS = ("warnings", "mfu_estimated", "goodput_estimated", "mfu_breakdown", "layout", "fits")
NUMERIC_OUTPUTS: tuple[str, ...] = tuple(k for k in OUTPUT_KEYS if k not in _NOT_NUMBERS)


@dataclass
class Result:
    """One evaluated scenario: every computed value, its warnings and the resolved inputs."""

    scenario: Scenario
    resolved: Resolved
    values: dict[str, float]
    warnings: list[ScenarioWarning]

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def outputs(self) -> dict[str, object]:
        """Exactly the docs/model.md §9 keys, JSON-ready (NaN and infinity become null)."""
        data: dict[str, object] = {}
        for key in OUTPUT_KEYS:
            if key == "warnings":
                data[key] = [w.as_dict() for w in self.warnings]
            elif key.endswith("_estimated") or key == "fits":
                data[key] = bool(self.values[key])
            elif key == "layout":
                data[key] = self.layout()
            elif key == "mfu_breakdown":
                data[key] = self.mfu_breakdown()
            else:
                data[key] = json_number(self.values[key])
        return data

    def layout(self) -> dict[str, object]:
        """The parallel layout of the step model (docs/model.md §16): chosen or pinned."""
        v = self.values
        out: dict[str, object] = {}
        for key in LAYOUT_KEYS:
            value = v["layout_" + key]
            out[key] = RECOMPUTE[int(value)] if key == "recompute" else json_number(float(round(value, 9)))
        out["auto"] = self.layout_auto()
        return out

    def layout_auto(self) -> bool:
        """True when the search chose any part of the layout (nothing pinned in [cluster])."""
        x = self.resolved.values
        return any(math.isnan(x[name]) for name in LAYOUT_INPUTS)

    def mfu_breakdown(self) -> dict[str, float]:
        """Shares of the step time; they sum to 1 and `model_flops` equals the MFU. With MFU set
        in the scenario the step model does not apply: everything else is 'unexplained'."""
        v = self.values
        if not v["mfu_estimated"]:
            return {"model_flops": v["mfu"], "unexplained": 1.0 - v["mfu"]}
        return {name: v["part_" + name] for name in PARTS}

    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]


def json_number(value: float) -> float | int | None:
    if math.isnan(value) or math.isinf(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def evaluate(scenario: Scenario, catalog: Catalog | None = None) -> Result:
    """Resolve and compute one scenario. Raises WhatifError on inputs the catalog rejects."""
    resolved = resolve(scenario, catalog)
    return evaluate_resolved(scenario, resolved)


def evaluate_resolved(scenario: Scenario, resolved: Resolved) -> Result:
    raw = compute(resolved.values)
    values = {k: float(v) for k, v in raw.items()}
    return Result(scenario, resolved, values, build_warnings(values, resolved))


def evaluate_batch(resolved: Resolved, outputs: Sequence[str] | None = None, **columns: ArrayLike
                   ) -> dict[str, np.ndarray]:
    """Compute with some resolved inputs replaced by arrays (e.g. count=np.arange(...)).
    Every output (at least `outputs`, when given) comes back as an array of the broadcast shape."""
    unknown = set(columns) - set(resolved.values)
    if unknown:
        raise KeyError(f"not model inputs: {', '.join(sorted(unknown))}")
    x: dict[str, ArrayLike] = dict(resolved.values)
    x.update({k: np.asarray(v, dtype=float) for k, v in columns.items()})
    shape = np.broadcast_shapes(*(np.shape(v) for v in x.values()))
    return {k: np.broadcast_to(v, shape) for k, v in compute(x, outputs).items()}


def stack_inputs(resolved: Sequence[Resolved]) -> dict[str, np.ndarray]:
    """Column arrays of several resolved scenarios (different chips, cooling...), for compute()."""
    names = resolved[0].values.keys()
    return {k: np.array([r.values[k] for r in resolved], dtype=float) for k in names}


def evaluate_many(scenarios: Sequence[Scenario], catalog: Catalog | None = None) -> dict[str, np.ndarray]:
    """Vectorised evaluation of whole scenarios; row i equals evaluate(scenarios[i])."""
    return compute(stack_inputs([resolve(s, catalog) for s in scenarios]))


def output_row(values: Mapping[str, float]) -> dict[str, float]:
    return {k: values[k] for k in NUMERIC_OUTPUTS}
