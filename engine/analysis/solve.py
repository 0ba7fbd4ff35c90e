"""Goal seek: the value of one input that brings an output to a target, within bounds.

Method: evaluate a grid over the range in one vectorised call, find the first place where
the goal flips between unmet and met (scanning from the low end), then zoom into that
bracket with finer grids until it is narrower than the tolerance (or one chip wide for the
integer chip count). Outputs can be non-monotonic (training time rises again past the
reliability wall), so the first crossing from the low end is the answer, stated as such.

Goals: `output<=v`, `output>=v` or `output=v`.
- For `<=` / `>=` the answer is the edge of the first stretch (from the low end) where the
  goal is met: the *smallest* value if the goal is unmet at the low end (e.g. chips needed
  for <= 60 days), else the *largest* (e.g. most chips under a 150 MW cap or a budget).
- For `=` on a continuous input the answer is within 0.1 % of the target or "no solution".
  On the integer chip count `=` means "first whole count at or past the target", i.e. the
  smallest count with days <= target, and the statement says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from whatif.engine.analysis.inputs import (
    Input, batch_columns, check_range, default_range, input_spec, point_value, scenario_value,
)
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result, evaluate, evaluate_batch
from whatif.engine.scenario import Scenario
from whatif.engine.units import QUANTITIES, fmt

TOLERANCE = 1e-3            # relative miss allowed on the output for an "=" goal
_GRID_POINTS = 401          # first scan over the whole range
_ZOOM_POINTS = 65           # each refinement of the bracket
_MAX_ZOOMS = 12
_GOAL = re.compile(r"^\s*([a-z_0-9]+)\s*(<=|>=|=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Goal:
    output: str
    op: str          # "<=", ">=" or "="
    target: float

    def met(self, y: np.ndarray) -> np.ndarray:
        if self.op == "<=":
            return y <= self.target
        if self.op == ">=":
            return y >= self.target
        raise ValueError("'=' has no met set; use its implied inequality")

    def text(self) -> str:
        return f"{self.output} {self.op} {fmt(self.output, self.target)}"


@dataclass
class Solution:
    """`ok` False means no solution in range; `value` is then None and `message` says why."""

    ok: bool
    key: str
    goal: Goal
    value: float | int | None
    achieved: float | None           # the output at `value`
    edge: str                        # "smallest", "largest", "root" or ""
    low: float
    high: float
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "input": self.key, "output": self.goal.output, "op": self.goal.op,
                "target": self.goal.target, "value": self.value, "achieved": self.achieved,
                "edge": self.edge, "range": [self.low, self.high], "message": self.message}


def parse_goal(text: str, power_cap_mw: float | None = None) -> Goal:
    """'training_days=60', 'facility_mw<=150', 'cost_usd <= 5e8' -> Goal. The value 'cap'
    means the scenario's facility.power_cap_mw (e.g. 'facility_mw<=cap')."""
    m = _GOAL.match(text)
    if not m:
        raise WhatifError(f"target {text!r}: expected OUTPUT=VALUE, OUTPUT<=VALUE or OUTPUT>=VALUE, "
                          "e.g. training_days=60", key="target")
    output, op, raw = m.groups()
    if output not in QUANTITIES:
        from whatif.engine.errors import unknown_choice
        from whatif.engine.evaluate import NUMERIC_OUTPUTS
        raise WhatifError(unknown_choice("output", output, NUMERIC_OUTPUTS), key="target")
    if raw.lower() == "cap":
        if power_cap_mw is None:
            raise WhatifError("target 'cap' needs facility.power_cap_mw set in the scenario", key="target")
        return Goal(output, op, float(power_cap_mw))
    try:
        target = float(raw.replace("_", "").replace(",", ""))
    except ValueError:
        raise WhatifError(f"target value {raw!r} is not a number", key="target") from None
    if not math.isfinite(target):
        raise WhatifError(f"target value {raw!r} must be finite", key="target")
    return Goal(output, op, target)


def solve(scenario: Scenario, key: str, goal: Goal, low: float | None = None, high: float | None = None,
          base: Result | None = None) -> Solution:
    """Solve `key` for `goal` within [low, high] (default: see inputs.default_range)."""
    spec = input_spec(key)
    base = base or evaluate(scenario)
    if goal.output not in base.values:
        raise WhatifError(f"unknown output '{goal.output}'", key="target")
    if low is None or high is None:
        d_low, d_high = default_range(spec, point_value(spec, base))
        low = d_low if low is None else low
        high = d_high if high is None else high
    check_range(spec, low, high)
    f = _objective(base, spec, goal.output)
    x = _grid(spec, low, high, _GRID_POINTS)
    y = f(x)
    op = goal.op
    if op == "=":
        start = y[np.isfinite(y)]
        if start.size == 0:
            return _fail(spec, goal, low, high, f"{goal.output} is not available for this scenario")
        # The inequality that becomes true once the output crosses the target from the low end.
        op = "<=" if start[0] > goal.target else ">="
    ineq = Goal(goal.output, op, goal.target)
    met = ineq.met(y) & np.isfinite(y)
    if not met.any():
        return _fail(spec, goal, low, high, _no_solution_text(spec, goal, x, y, low, high))
    first = int(np.argmax(met))
    if goal.op == "=" and first == 0:
        return _finish(spec, goal, ineq, low, high, x[0], f, "smallest")   # on target at the low end
    if first > 0:
        edge_x = _zoom(f, spec, ineq, x[first - 1], x[first], want_met_low=False)
        return _finish(spec, goal, ineq, low, high, edge_x, f, "smallest")
    unmet = np.flatnonzero(~met)
    if unmet.size == 0:
        return _finish(spec, goal, ineq, low, high, x[-1], f, "largest", whole_range=True)
    # Met at the low end: the answer is the last met value before it stops being met.
    i = int(unmet[0])
    edge_x = _zoom(f, spec, ineq, x[i - 1], x[i], want_met_low=True)
    return _finish(spec, goal, ineq, low, high, edge_x, f, "largest")


def _objective(base: Result, spec: Input, output: str):
    def f(xs: np.ndarray) -> np.ndarray:
        return np.asarray(evaluate_batch(base.resolved, **batch_columns(base.resolved, spec, xs))[output], dtype=float)
    return f


def _grid(spec: Input, low: float, high: float, points: int) -> np.ndarray:
    log = low > 0 and high / low > 20
    x = np.geomspace(low, high, points) if log else np.linspace(low, high, points)
    if spec.integer:
        x = np.unique(np.concatenate(([math.ceil(low)], np.round(x), [math.floor(high)])))
    return x


def _zoom(f, spec: Input, goal: Goal, a: float, b: float, want_met_low: bool) -> float:
    """Narrow the bracket [a, b] where the goal flips; return the point on its met side.
    `want_met_low`: the goal is met at `a` (answer = largest met), else met at `b`."""
    for _ in range(_MAX_ZOOMS):
        if spec.integer and b - a <= 1:
            break
        if not spec.integer and (b - a) <= 1e-12 * max(abs(a), abs(b), 1e-300):
            break
        xs = np.linspace(a, b, _ZOOM_POINTS)
        if spec.integer:
            xs = np.unique(np.round(xs))
        met = goal.met(f(xs))
        if want_met_low:
            flips = np.flatnonzero(~met)
            if flips.size == 0 or flips[0] == 0:
                break
            a, b = xs[flips[0] - 1], xs[flips[0]]
        else:
            flips = np.flatnonzero(met)
            if flips.size == 0 or flips[0] == 0:
                break
            a, b = xs[flips[0] - 1], xs[flips[0]]
    return float(a if want_met_low else b)


def _finish(spec: Input, goal: Goal, ineq: Goal, low: float, high: float, x: float, f, edge: str,
            whole_range: bool = False) -> Solution:
    y = float(f(np.array([x]))[0])
    if goal.op == "=" and not spec.integer:
        return _exact(spec, goal, low, high, x, y, "root")
    value = scenario_value(spec, x)
    what = f"{spec.key} = {value:,}" if spec.integer else f"{spec.key} = {value:.6g}"
    noun = "whole chip count" if spec.key == "cluster.count" else ("whole number" if spec.integer else "value")
    scope = " (the goal is met across the whole range)" if whole_range else ""
    text = (f"{what}: the {edge} {noun} in {low:g}..{high:g} with {ineq.text()} "
            f"(gives {fmt(goal.output, y)}){scope}")
    return Solution(True, spec.key, goal, value, y, edge, low, high, text)


def _exact(spec: Input, goal: Goal, low: float, high: float, x: float, y: float, edge: str) -> Solution:
    if abs(y - goal.target) > TOLERANCE * max(abs(goal.target), 1e-300):
        return _fail(spec, goal, low, high,
                     f"no solution in range: {goal.output} jumps past {fmt(goal.output, goal.target)} near "
                     f"{spec.key} = {x:.6g} (gets to {fmt(goal.output, y)}, more than 0.1 % off)")
    text = f"{spec.key} = {x:.6g} gives {goal.output} = {fmt(goal.output, y)} (target {fmt(goal.output, goal.target)})"
    return Solution(True, spec.key, goal, float(x), y, edge, low, high, text)


def _fail(spec: Input, goal: Goal, low: float, high: float, message: str) -> Solution:
    return Solution(False, spec.key, goal, None, None, "", low, high, message)


def _no_solution_text(spec: Input, goal: Goal, x: np.ndarray, y: np.ndarray, low: float, high: float) -> str:
    if not np.isfinite(y).any():
        return f"no solution in range: {goal.output} is not available for this scenario"
    best = int(np.nanargmin(np.abs(y - goal.target)))
    at = scenario_value(spec, float(x[best]))
    at_text = f"{at:,}" if spec.integer else f"{at:.4g}"
    want = "reaches" if goal.op == "=" else f"gets to {goal.op}"
    return (f"no solution in range {spec.key} = {low:g}..{high:g}: {goal.output} never {want} "
            f"{fmt(goal.output, goal.target)}; closest is {fmt(goal.output, float(y[best]))} "
            f"at {spec.key} = {at_text}")
