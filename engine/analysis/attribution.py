"""Explain a change: split the change of an output between the inputs that differ (Shapley).

Between scenarios A and B, the "players" are the scenario inputs whose values differ
(chip, cooling, region, count...). For every subset S of them, v(S) is the output of A with
B's values for S; input i's share is the average, over every order of switching the inputs
from A's values to B's one at a time, of the change when i is switched:

    phi_i = sum over S without i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))

The shares add up exactly to v(all) - v(none) = B - A (up to floating-point rounding), and
with one differing input its share is the whole change. A diff has a handful of inputs,
so all 2^n subsets are evaluated, in one vectorised batch (at most MAX_PLAYERS inputs).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from whatif.engine.catalog import Catalog, load_catalog
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate_many
from whatif.engine.inputs import BY_KEY, INPUTS
from whatif.engine.scenario import Scenario
from whatif.engine.units import QUANTITIES, fmt

MAX_PLAYERS = 12           # 4,096 scenarios
DEFAULT_OUTPUTS: tuple[str, ...] = ("training_days", "cost_usd", "facility_mw", "energy_mwh", "co2_t")


@dataclass
class Split:
    output: str
    before: float
    after: float
    shares: dict[str, float]         # input key -> its share of the change

    @property
    def total(self) -> float:
        return self.after - self.before

    def text(self) -> str:
        """'cost -$38M: chip -$29M, cooling -$4M, region -$5M' (biggest share first)."""
        name = QUANTITIES[self.output].label if self.output in QUANTITIES else self.output
        if math.isnan(self.total):
            return f"{name}: not available in both scenarios"
        if not self.shares or self.total == 0 and all(v == 0 for v in self.shares.values()):
            return f"{name} unchanged ({fmt(self.output, self.after)})"
        parts = ", ".join(f"{label(k)} {signed(self.output, v)}" for k, v in
                          sorted(self.shares.items(), key=lambda kv: -abs(kv[1])) if v != 0)
        idle = [label(k) for k, v in self.shares.items() if v == 0]
        if idle:
            parts += f" (no effect: {', '.join(idle)})"
        pct = f" ({self.total / self.before:+.1%})" if self.before else ""
        return f"{name} {signed(self.output, self.total)}{pct}: {parts}"

    def as_dict(self) -> dict[str, object]:
        from whatif.engine.evaluate import json_number

        return {"output": self.output, "before": json_number(self.before), "after": json_number(self.after),
                "change": json_number(self.total), "shares": {k: json_number(v) for k, v in self.shares.items()}}


def label(key: str) -> str:
    spec = BY_KEY.get(key)
    return spec.label.lower() if spec else key


def signed(output: str, value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return ("-" if value < 0 else "+") + fmt(output, abs(value))


def differing_inputs(a: Scenario, b: Scenario) -> list[str]:
    """The scenario input keys (table order) whose values differ between A and B."""
    return [spec.key for spec in INPUTS if a.get(spec.key) != b.get(spec.key)]


def shapley_weights(n: int) -> dict[int, float]:
    """|S| -> |S|! (n - |S| - 1)! / n!"""
    return {s: math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)}


def explain(a: Scenario, b: Scenario, outputs: Sequence[str] = DEFAULT_OUTPUTS,
            catalog: Catalog | None = None) -> tuple[list[str], list[Split]]:
    """The differing inputs, and for each output its Shapley split of B - A. Raises
    WhatifError when too many inputs differ, or a mix of A's and B's values is invalid
    (e.g. B's chip lacks A's precision: then switch both in one preset first)."""
    for name in outputs:
        if name not in QUANTITIES:
            from whatif.engine.errors import unknown_choice
            from whatif.engine.evaluate import NUMERIC_OUTPUTS
            raise WhatifError(unknown_choice("output", name, NUMERIC_OUTPUTS), key="output")
    players = differing_inputs(a, b)
    n = len(players)
    if n > MAX_PLAYERS:
        raise WhatifError(f"{n} inputs differ; a split is computed for at most {MAX_PLAYERS} "
                          f"({', '.join(players)})")
    catalog = catalog or load_catalog()
    if a.chips != b.chips:   # inline [chips]: B's own chips must be known when A takes B's chip
        catalog = catalog.with_chips({**a.chips, **b.chips}, origin="preset [chips]")
        a = a.model_copy(update={"chips": {}})
    masks = list(itertools.product((0, 1), repeat=n))
    scenarios = []
    for mask in masks:
        values = {key: b.get(key) for key, on in zip(players, mask) if on}
        try:
            scenarios.append(a.with_values(values) if values else a)
        except WhatifError as exc:
            raise WhatifError(f"cannot mix the two scenarios' inputs ({exc})") from None
    table = evaluate_many(scenarios, catalog)
    index = {mask: k for k, mask in enumerate(masks)}
    weights = shapley_weights(n) if n else {}
    splits = []
    for name in outputs:
        y = np.asarray(table[name], dtype=float)
        shares: dict[str, float] = {}
        for i, key in enumerate(players):
            total = 0.0
            for mask in masks:
                if mask[i]:
                    continue
                with_i = mask[:i] + (1,) + mask[i + 1:]
                total += weights[sum(mask)] * (y[index[with_i]] - y[index[mask]])
            shares[key] = float(total)
        splits.append(Split(name, float(y[0]), float(y[-1]), shares))
    return players, splits
