"""Evaluate scenarios: one at a time (with warnings and provenance) or as numpy batches."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from whatif.engine.inputs import LAYOUT_KEYS, PARTS, RECOMPUTE
from whatif.engine.warnings import ScenarioWarning, Subject, build_warnings

if TYPE_CHECKING:
    import numpy as np

    # Types only: a cached preset's plain inputs (engine.prepared) are evaluated with this
    # module and must not import pydantic, which the scenario and the catalog are built on.
    from numpy.typing import ArrayLike  # numpy.typing costs ~3 ms to import

    from whatif.engine.catalog import Catalog
    from whatif.engine.resolve import Resolved
    from whatif.engine.scenario import Scenario

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
        return output_dict(self.values, self.resolved.values, self.warnings)

    def layout(self) -> dict[str, object]:
        """The parallel layout of the step model (docs/model.md §16): chosen or pinned."""
        return layout_dict(self.values, self.resolved.values)

    def layout_auto(self) -> bool:
        """True when the search chose any part of the layout (nothing pinned in [cluster])."""
        return layout_auto(self.resolved.values)

    def mfu_breakdown(self) -> dict[str, float]:
        """Shares of the step time; they sum to 1 and `model_flops` equals the MFU. With MFU set
        in the scenario the step model does not apply: everything else is 'unexplained'."""
        return mfu_breakdown(self.values)

    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]


def output_dict(values: Mapping[str, float], inputs: Mapping[str, float], warnings: Sequence[ScenarioWarning]
                ) -> dict[str, object]:
    """The docs/model.md §9 keys of computed `values` (resolved `inputs`), JSON-ready."""
    data: dict[str, object] = {}
    for key in OUTPUT_KEYS:
        if key == "warnings":
            data[key] = [w.as_dict() for w in warnings]
        elif key.endswith("_estimated") or key == "fits":
            data[key] = bool(values[key])
        elif key == "layout":
            data[key] = layout_dict(values, inputs)
        elif key == "mfu_breakdown":
            data[key] = mfu_breakdown(values)
        else:
            data[key] = json_number(values[key])
    return data


def layout_dict(values: Mapping[str, float], inputs: Mapping[str, float]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in LAYOUT_KEYS:
        value = values["layout_" + key]
        out[key] = RECOMPUTE[int(value)] if key == "recompute" else json_number(float(round(value, 9)))
    out["idle_chips"] = json_number(float(values["idle_chips"]))
    out["auto"] = layout_auto(inputs)
    return out


def layout_auto(inputs: Mapping[str, float]) -> bool:
    return any(math.isnan(inputs[name]) for name in LAYOUT_INPUTS)


def mfu_breakdown(values: Mapping[str, float]) -> dict[str, float]:
    if not values["mfu_estimated"]:
        return {"model_flops": values["mfu"], "unexplained": 1.0 - values["mfu"]}
    return {name: values["part_" + name] for name in PARTS}


def json_number(value: float) -> float | int | None:
    if math.isnan(value) or math.isinf(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def evaluate(scenario: Scenario, catalog: Catalog | None = None) -> Result:
    """Resolve and compute one scenario. Raises WhatifError on inputs the catalog rejects."""
    from whatif.engine.resolve import resolve

    resolved = resolve(scenario, catalog)
    return evaluate_resolved(scenario, resolved)


def evaluate_resolved(scenario: Scenario, resolved: Resolved) -> Result:
    values, warnings = evaluate_inputs(resolved.values, subject_of(resolved))
    return Result(scenario, resolved, values, warnings)


def evaluate_inputs(inputs: Mapping[str, float], subject: Subject) -> tuple[dict[str, float], list[ScenarioWarning]]:
    """Every computed value of one scenario's resolved `inputs` as floats, and its warnings."""
    # Here, not at the top: with numpy, which the app's first frame does without.
    from whatif.engine.model import compute

    values = {k: float(v) for k, v in compute(inputs).items()}
    return values, build_warnings(values, inputs, subject)


def subject_of(resolved: Resolved) -> Subject:
    return Subject(resolved.chip.name, resolved.chip.chips_per_server, resolved.cooling.key, resolved.mode)


def evaluate_batch(resolved: Resolved, outputs: Sequence[str] | None = None, **columns: ArrayLike
                   ) -> dict[str, np.ndarray]:
    """Compute with some resolved inputs replaced by arrays (e.g. count=np.arange(...)).
    Every output (at least `outputs`, when given) comes back as an array of the broadcast shape."""
    import numpy as np

    from whatif.engine.model import compute

    unknown = set(columns) - set(resolved.values)
    if unknown:
        raise KeyError(f"not model inputs: {', '.join(sorted(unknown))}")
    x: dict[str, ArrayLike] = dict(resolved.values)
    x.update({k: np.asarray(v, dtype=float) for k, v in columns.items()})
    shape = np.broadcast_shapes(*(np.shape(v) for v in x.values()))
    return {k: np.broadcast_to(v, shape) for k, v in compute(x, outputs).items()}


def stack_inputs(resolved: Sequence[Resolved]) -> dict[str, np.ndarray]:
    """Column arrays of several resolved scenarios (different chips, cooling...), for compute()."""
    import numpy as np

    names = resolved[0].values.keys()
    return {k: np.array([r.values[k] for r in resolved], dtype=float) for k in names}


def evaluate_many(scenarios: Sequence[Scenario], catalog: Catalog | None = None) -> dict[str, np.ndarray]:
    """Vectorised evaluation of whole scenarios; row i equals evaluate(scenarios[i])."""
    from whatif.engine.model import compute
    from whatif.engine.resolve import resolve

    return compute(stack_inputs([resolve(s, catalog) for s in scenarios]))


def output_row(values: Mapping[str, float]) -> dict[str, float]:
    return {k: values[k] for k in NUMERIC_OUTPUTS}
