"""Compare two to six scenarios side by side: every output, with deltas against the first.

Scenarios are evaluated one by one (each keeps its own warnings and provenance); the table
holds the raw numbers, and engine.analysis.export renders it as text, Markdown, CSV or JSON.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import NUMERIC_OUTPUTS, Result, evaluate
from whatif.engine.units import QUANTITIES, fmt, fmt_delta

if TYPE_CHECKING:  # a type only: the app's first frame comes before pydantic's import
    from whatif.engine.scenario import Scenario

MIN_COLUMNS, MAX_COLUMNS = 2, 6
# Inputs shown above the outputs so a reader sees what differs between the columns.
SETUP_ROWS: tuple[tuple[str, str], ...] = (
    ("chip", "Chip"), ("count", "Chips"), ("precision", "Precision"), ("cooling", "Cooling"),
    ("region", "Region"), ("mode", "Mode"),
)


@dataclass
class Column:
    name: str
    result: Result

    def setup(self) -> dict[str, str | int]:
        r = self.result.resolved
        return {"chip": r.chip.key, "count": self.result.scenario.cluster.count,
                "precision": r.precision, "cooling": r.cooling.key, "region": r.region.key, "mode": r.mode}


@dataclass
class Comparison:
    columns: list[Column]
    outputs: tuple[str, ...] = NUMERIC_OUTPUTS
    reference: int = 0        # the column deltas are measured against (the app's pinned tab)

    @property
    def first(self) -> Column:
        return self.columns[0]

    def with_reference_first(self) -> Comparison:
        """The same columns with the reference moved to the front (exports measure against
        their first column)."""
        order = [self.reference, *(i for i in range(len(self.columns)) if i != self.reference)]
        return Comparison([self.columns[i] for i in order], self.outputs)

    def value(self, column: int, output: str) -> float:
        return self.columns[column].result.values[output]

    def delta(self, column: int, output: str) -> float:
        """Raw difference against the reference column (NaN where either is unavailable)."""
        return self.value(column, output) - self.value(self.reference, output)

    def delta_text(self, column: int, output: str) -> str:
        """'-48.0 days, -56.0 %' against the reference column; 'same' if equal, '' for the
        reference itself."""
        if column == self.reference:
            return ""
        new, old = self.value(column, output), self.value(self.reference, output)
        if new == old:
            return "same"
        text = fmt_delta(output, new, old)
        return text[:-1].replace(" (", ", ") if text.endswith(")") else text

    def setup_text(self, column: int, key: str) -> str:
        value = self.columns[column].setup()[key]
        return f"{value:,}" if isinstance(value, int) else str(value)

    def cell(self, column: int, output: str) -> str:
        return fmt(output, self.value(column, output))


def check_count(n: int) -> None:
    if not MIN_COLUMNS <= n <= MAX_COLUMNS:
        raise WhatifError(f"compare takes {MIN_COLUMNS} to {MAX_COLUMNS} scenarios, got {n}", key="scenarios")


def compare_results(results: Sequence[Result], names: Sequence[str] | None = None) -> Comparison:
    """A comparison of already-evaluated results (the app keeps these live)."""
    check_count(len(results))
    names = list(names) if names else [r.scenario.name or f"Scenario {i + 1}" for i, r in enumerate(results)]
    return Comparison([Column(n, r) for n, r in zip(unique_names(names), results)])


def compare(scenarios: Sequence[Scenario], names: Sequence[str] | None = None) -> Comparison:
    check_count(len(scenarios))
    return compare_results([evaluate(s) for s in scenarios], names)


def unique_names(names: Sequence[str]) -> list[str]:
    """Column headers that can be told apart: repeated names get ' (2)', ' (3)'..."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


SHORT_ENOUGH = 24  # characters: a name this short fits a column header whole


def short_names(names: Sequence[str]) -> list[str]:
    """Drop a shared leading phrase ('Chip shoot-out: NVIDIA B200', 'Chip shoot-out: AMD
    MI355X' -> 'NVIDIA B200', 'AMD MI355X') so narrow column headers keep what differs."""
    if len(names) < 2:
        return list(names)
    if len(set(names)) == 1 and len(names[0]) <= SHORT_ENOUGH:
        return list(names)   # 'My 70B run' twice: cutting would leave 'run' twice
    # The same long name: its last word is what a column can show ('H100', 'H100 (2)').
    prefix = os.path.commonprefix(list(names))
    cut = max(prefix.rfind(" "), prefix.rfind(":") + 1)   # only cut at a word boundary
    if cut < 4 or any(len(n) <= cut + 1 for n in names):
        return list(names)
    return [n[cut:].strip(" :-") or n for n in names]


def output_label(name: str) -> str:
    q = QUANTITIES[name]
    return q.label


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
