"""Sweep one input over a range and compute every output at each point (one numpy call).

Each row equals `evaluate(scenario.with_values({key: value}))`: the sweep feeds the same
resolved inputs to the same vectorised model. Where the reliability wall (goodput below
its threshold) or the site power cap bites is reported as the first swept value where the
flag turns on, so charts and tables can mark it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from whatif.engine.inputs import Input
from whatif.engine.analysis.inputs import batch_columns, check_range, input_spec, point_value
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result, evaluate, evaluate_batch
from whatif.engine.scenario import Scenario

DEFAULT_OUTPUTS = ("training_days", "cost_usd")
# Flags worth marking on a sweep: name -> (compute() flag, short label).
LIMITS: dict[str, tuple[str, str]] = {
    "reliability-wall": ("warn_goodput", "reliability wall (goodput below threshold)"),
    "power-cap": ("warn_power_cap", "over the power cap"),
}


@dataclass
class Limit:
    """Where a limit bites along the sweep: `first` is the first swept value with the
    flag on (None if never), `mask` the flag at each point."""

    code: str
    label: str
    mask: np.ndarray
    first: float | None


@dataclass
class Sweep:
    spec: Input
    x: np.ndarray                       # the swept values (whole numbers for chip counts)
    values: dict[str, np.ndarray]       # every compute() output at each x
    point: float                        # the scenario's own value of the swept input
    point_values: dict[str, float]      # the scenario's own outputs
    log: bool
    limits: list[Limit] = field(default_factory=list)

    def series(self, output: str) -> np.ndarray:
        if output not in self.values:
            raise WhatifError(f"unknown output '{output}'", key=output)
        return self.values[output]


def grid(spec: Input, low: float, high: float, points: int, log: bool) -> np.ndarray:
    """`points` values from low to high (geometric if log); whole and distinct for integers."""
    if points < 2:
        raise WhatifError(f"points must be at least 2, got {points}", key="points")
    if log and low <= 0:
        raise WhatifError(f"a log sweep needs a positive low end, got {low:g}", key=spec.key)
    x = np.geomspace(low, high, points) if log else np.linspace(low, high, points)
    return np.unique(np.round(x)) if spec.integer else x


def sweep(scenario: Scenario, key: str, low: float, high: float, points: int = 50, log: bool = False,
          base: Result | None = None) -> Sweep:
    """Evaluate `scenario` with `key` at `points` values from `low` to `high`."""
    spec = input_spec(key)
    check_range(spec, low, high)
    base = base or evaluate(scenario)
    x = grid(spec, low, high, points, log)
    values = evaluate_batch(base.resolved, **batch_columns(base.resolved, spec, x))
    limits = [Limit(code, label, np.asarray(values[flag], dtype=bool),
                    _onset(base, spec, flag, x, np.asarray(values[flag], dtype=bool)))
              for code, (flag, label) in LIMITS.items()]
    return Sweep(spec, x, values, point_value(spec, base), base.values, log, limits)


def _onset(base: Result, spec: Input, flag: str, x: np.ndarray, mask: np.ndarray) -> float | None:
    """The first value where `flag` turns on: exact between grid points (zoomed in with finer
    grids), so '94,804 chips' rather than the next grid point; None if it never does."""
    on = np.flatnonzero(mask)
    if not on.size:
        return None
    i = int(on[0])
    if i == 0:
        return float(x[0])
    a, b = float(x[i - 1]), float(x[i])
    for _ in range(8):
        if (spec.integer and b - a <= 1) or b - a <= 1e-9 * abs(b):
            break
        xs = np.linspace(a, b, 33)
        if spec.integer:
            xs = np.unique(np.round(xs))
        flags = np.asarray(evaluate_batch(base.resolved, **batch_columns(base.resolved, spec, xs))[flag], dtype=bool)
        j = int(np.argmax(flags))
        if j == 0:
            break
        a, b = float(xs[j - 1]), float(xs[j])
    return b


def sweep_rows(result: Sweep, outputs: tuple[str, ...] | list[str]) -> list[dict[str, object]]:
    """Plain rows for CSV/JSON: the swept value, each chosen output and the limit flags."""
    rows = []
    for i, xv in enumerate(result.x):
        row: dict[str, object] = {result.spec.key: int(xv) if result.spec.integer else float(xv)}
        for name in outputs:
            value = float(result.series(name)[i])
            row[name] = value if np.isfinite(value) else None
        for limit in result.limits:
            row[limit.code] = bool(limit.mask[i])
        rows.append(row)
    return rows
