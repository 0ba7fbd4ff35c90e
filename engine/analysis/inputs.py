"""Which scenario inputs the analyses can vary, and how to feed them to the vectorised engine.

A dotted scenario key ("cluster.mfu") maps to a resolved model input ("mfu_in"). Workload
sizes are special: FLOPs are derived from them during resolution, so varying them must
recompute the derived FLOPs column too (`batch_columns`). Bounds come from the pydantic
field constraints, so a sweep or a solver never asks the engine for a value that the
scenario itself would reject.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from annotated_types import Ge, Gt, Le, Lt

from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.evaluate import Result
from whatif.engine.resolve import Resolved
from whatif.engine.scenario import GROUPS, split_key

# Scenario keys whose resolved name differs from the field name. Every other numeric
# field resolves to a value of the same name.
RESOLVED_NAME: dict[str, str] = {"cluster.mfu": "mfu_in", "cluster.goodput": "goodput_in"}
# Inputs the model treats as "auto" when NaN: their point value is the model's estimate.
AUTO_OUTPUT: dict[str, str] = {"mfu_in": "mfu", "goodput_in": "goodput"}
# Keys that resolve to text (chip, cooling, region, precision, mode): not numeric.
_TEXT_KEYS = {"cluster.chip", "facility.cooling", "facility.region", "workload.precision", "economics.mode"}
# A strict lower bound (gt=0) is replaced by this share of the current value for ranges.
_EPSILON = 1e-9


@dataclass(frozen=True)
class InputSpec:
    """One numeric scenario input: its dotted key, resolved name and valid interval."""

    key: str
    name: str
    low: float          # smallest valid value (inclusive after nudging strict bounds)
    high: float         # largest valid value
    integer: bool
    interval: str = ""  # the valid interval as the field states it, e.g. "(0, 1]"

    def clip(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, self.low, self.high)


def numeric_keys() -> list[str]:
    """Every dotted key an analysis can vary, in display order."""
    return [f"{g}.{k}" for g, model in GROUPS.items() for k in model.model_fields
            if f"{g}.{k}" not in _TEXT_KEYS]


def input_spec(key: str) -> InputSpec:
    """The spec of `key`; raises WhatifError naming the allowed keys otherwise."""
    if key in _TEXT_KEYS or "." not in key or key.split(".", 1)[0] not in GROUPS:
        raise WhatifError(unknown_choice("numeric input", key, numeric_keys()), key=key)
    group, field_name = split_key(key)
    field = GROUPS[group].model_fields[field_name]
    low, high = -math.inf, math.inf
    left, right = "(-inf", "inf)"
    for bound in field.metadata:
        if isinstance(bound, Ge):
            low, left = float(bound.ge), f"[{bound.ge:g}"
        elif isinstance(bound, Gt):
            low, left = float(bound.gt) + _EPSILON, f"({bound.gt:g}"
        elif isinstance(bound, Le):
            high, right = float(bound.le), f"{bound.le:g}]"
        elif isinstance(bound, Lt):
            high, right = float(bound.lt) - _EPSILON, f"{bound.lt:g})"
    integer = field.annotation is int
    return InputSpec(key, RESOLVED_NAME.get(key, field_name), low, high, integer, f"{left}, {right}")


def point_value(spec: InputSpec, result: Result) -> float:
    """The value the scenario actually uses: the set value, or the model's auto estimate."""
    value = result.resolved.values[spec.name]
    if math.isnan(value) and spec.name in AUTO_OUTPUT:
        return result.values[AUTO_OUTPUT[spec.name]]
    return value


def batch_columns(resolved: Resolved, spec: InputSpec, values: np.ndarray) -> dict[str, np.ndarray]:
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
    return columns


def scenario_value(spec: InputSpec, value: float) -> int | float:
    """A value as the scenario stores it (whole chips for cluster.count)."""
    return int(round(value)) if spec.integer else float(value)


def check_range(spec: InputSpec, low: float, high: float) -> None:
    """Raise a WhatifError unless low < high and both lie within the input's valid interval."""
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise WhatifError(f"range {low:g}:{high:g} must be two numbers, low < high", key=spec.key)
    if low < spec.low or high > spec.high:
        raise WhatifError(f"range {low:g}:{high:g} is outside the allowed interval {spec.interval}", key=spec.key)


def default_range(spec: InputSpec, point: float) -> tuple[float, float]:
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
