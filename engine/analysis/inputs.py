"""Which scenario inputs the analyses can vary, and how to feed them to the vectorised engine.

A dotted scenario key ("cluster.mfu") maps to a resolved model input ("mfu_in"). Workload
sizes are special: FLOPs are derived from them during resolution, so varying them must
recompute the derived FLOPs column too (`batch_columns`). Bounds come from the input table
(engine.inputs), as the scenario's validation does, so a sweep or a solver never asks the
engine for a value that the scenario itself would reject.
"""

from __future__ import annotations

import math

import numpy as np

from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.evaluate import Result
from whatif.engine.inputs import BY_KEY, INPUTS, Input
from whatif.engine.resolve import Resolved



def numeric_keys() -> list[str]:
    """Every dotted key an analysis can vary, in table order."""
    return [spec.key for spec in INPUTS if spec.numeric]


def input_spec(key: str) -> Input:
    """The table row of numeric input `key`; raises WhatifError naming the allowed keys otherwise."""
    spec = BY_KEY.get(key)
    if spec is None or not spec.numeric:
        raise WhatifError(unknown_choice("numeric input", key, numeric_keys()), key=key)
    return spec


def clip(spec: Input, values: np.ndarray) -> np.ndarray:
    return np.clip(values, spec.low, spec.high)


def point_value(spec: Input, result: Result) -> float:
    """The value the scenario actually uses: the set value, or the model's auto estimate."""
    value = result.resolved.values[spec.name]
    if math.isnan(value) and spec.auto is not None:
        return result.values[spec.auto]
    return value


def batch_columns(resolved: Resolved, spec: Input, values: np.ndarray) -> dict[str, np.ndarray]:
    """Keyword columns for evaluate_batch that set `spec` to `values`, recomputing what the
    resolver derives from it (active params = params, FLOPs = 6 N D) unless those are set."""
    columns = {spec.name: np.asarray(values, dtype=float)}
    if spec.name not in ("params_b", "active_params_b", "tokens_t"):
        return columns
    v, origins = resolved.values, resolved.origins
    active = columns.get("active_params_b", v["active_params_b"])
    if spec.name == "params_b" and origins["active_params_b"].kind != "input":
        active = columns["active_params_b"] = columns["params_b"]
    if origins["flops"].kind == "derived":
        tokens = columns.get("tokens_t", v["tokens_t"])
        columns["flops"] = 6.0 * np.asarray(active) * 1e9 * np.asarray(tokens) * 1e12
    if spec.name in ("params_b", "active_params_b"):
        columns.update(_shape_columns(resolved, np.asarray(columns.get("params_b", v["params_b"]), dtype=float),
                                      np.asarray(active, dtype=float)))
    return columns


def _shape_columns(resolved: Resolved, params: np.ndarray, active: np.ndarray) -> dict[str, np.ndarray]:
    """The model-family shape at every size of a sweep (docs/model.md §15), for the fields the
    scenario leaves to the family; one lookup per distinct size."""
    from whatif.engine.shapes import SHAPE_FIELDS, shape_for
    free = [k for k in (*SHAPE_FIELDS, "gated") if resolved.origins[k].kind != "input"]
    if not free:
        return {}
    params, active = np.broadcast_arrays(params, active)
    pairs, inverse = np.unique(np.stack([params.ravel(), active.ravel()], axis=1), axis=0, return_inverse=True)
    table = np.array([[shape_for(float(p), float(a)).values[k] for k in free] for p, a in pairs])
    rows = table[inverse.ravel()]
    return {k: rows[:, i].reshape(params.shape) for i, k in enumerate(free)}


def scenario_value(spec: Input, value: float) -> int | float:
    """A value as the scenario stores it (whole chips for cluster.count)."""
    return int(round(value)) if spec.integer else float(value)


def check_range(spec: Input, low: float, high: float) -> None:
    """Raise a WhatifError unless low < high and both lie within the input's valid interval."""
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise WhatifError(f"range {low:g}:{high:g} must be two numbers, low < high", key=spec.key)
    if low < spec.low or high > spec.high:
        raise WhatifError(f"range {low:g}:{high:g} is outside the allowed interval {spec.interval}", key=spec.key)


def default_range(spec: Input, point: float) -> tuple[float, float]:
    """A search range when the user gives none: 1 to 10 million chips for the count, the
    whole valid interval for shares, else 1/100 to 100 x the current value."""
    if spec.key == "cluster.count":
        return 1.0, 1e7
    if math.isfinite(spec.low) and math.isfinite(spec.high):
        return max(spec.low, 1e-3), spec.high      # shares: 0.1 % to the top of the interval
    if not math.isfinite(point) or point <= 0:
        raise WhatifError("no current value to search around; give a range (LOW:HIGH)", key=spec.key)
    return max(spec.low, point / 100.0), min(spec.high, point * 100.0)


def parse_range(text: str, key: str) -> tuple[float, float]:
    """'1024:131072' -> (1024.0, 131072.0); a clear WhatifError otherwise."""
    low, sep, high = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return float(low.replace("_", "").replace(",", "")), float(high.replace("_", "").replace(",", ""))
    except ValueError:
        raise WhatifError(f"range {text!r}: expected LOW:HIGH, e.g. 1024:131072", key=key) from None
