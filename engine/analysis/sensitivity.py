"""Sensitivity: move each uncertain input down and up, rank inputs by the swing in one output.

Two ways to move an input: by +-pct % of its point value (default 20 %), or across its
plausible range (the same low/high the Monte Carlo uses). All 2k moved scenarios go through
the vectorised model in one call. Moves are clipped to each input's valid interval (an MFU
of 0.9 + 20 % stays at 1.0), and the values actually used are reported.
`render_tornado` draws the ranking as a plain-text tornado chart (CLI and app).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np

from whatif.engine.analysis.inputs import clip, input_spec, point_value
from whatif.engine.analysis.uncertainty import input_ranges
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result, evaluate, evaluate_batch
from whatif.engine.scenario import Scenario
from whatif.engine.units import QUANTITIES, fmt

# Inputs moved in percent mode: the uncertain ones plus the power and reliability
# assumptions that drive time, MW and money.
PCT_KEYS: tuple[str, ...] = (
    "cluster.mfu", "cluster.goodput", "cluster.mtti_chip_hours", "facility.pue", "facility.it_kw_per_chip",
    "facility.load_factor", "facility.network_share", "facility.electricity_usd_per_mwh",
    "facility.grid_g_per_kwh", "facility.wue_l_per_kwh", "economics.rent_usd_per_chip_hour",
    "economics.chip_capex_usd", "economics.facility_capex_usd_per_mw", "economics.depreciation_years",
)


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    input_low: float       # the input value of the low move
    input_high: float
    output_low: float      # the output at the low input value
    output_high: float

    @property
    def swing(self) -> float:
        return abs(self.output_high - self.output_low)


@dataclass
class Sensitivity:
    output: str
    base_value: float
    how: str                 # "+-20 %" or "plausible ranges"
    bars: list[Bar]          # ranked, largest swing first; inputs with no effect are left out
    no_effect: list[str]     # keys that do not move this output


def sensitivity(scenario: Scenario, output: str = "cost_usd", pct: float = 20.0, ranges: bool = False,
                base: Result | None = None) -> Sensitivity:
    base = base or evaluate(scenario)
    if output not in base.values or output.startswith("warn_"):
        from whatif.engine.errors import unknown_choice
        from whatif.engine.evaluate import NUMERIC_OUTPUTS
        raise WhatifError(unknown_choice("output", output, NUMERIC_OUTPUTS), key="output")
    if not ranges and not 0 < pct < 100:
        raise WhatifError(f"percent must be between 0 and 100, got {pct:g}", key="pct")
    moves = _range_moves(base) if ranges else _pct_moves(base, pct)
    names = [input_spec(key).name for key, _, _ in moves]
    rows = 2 * len(moves)
    columns: dict[str, np.ndarray] = {}
    for i, ((key, low, high), name) in enumerate(zip(moves, names)):
        column = columns.setdefault(name, np.full(rows, base.resolved.values[name]))
        column[2 * i], column[2 * i + 1] = low, high
    y = np.asarray(evaluate_batch(base.resolved, **columns)[output], dtype=float) if moves else np.array([])
    bars, no_effect = [], []
    scale = max(abs(base.values[output]), 1e-300)
    for i, (key, low, high) in enumerate(moves):
        bar = Bar(key, input_label(key), low, high, float(y[2 * i]), float(y[2 * i + 1]))
        if not math.isfinite(bar.swing) or bar.swing <= 1e-9 * scale:
            no_effect.append(key)
        else:
            bars.append(bar)
    bars.sort(key=lambda b: b.swing, reverse=True)
    how = "plausible ranges" if ranges else f"+-{pct:g} %"
    return Sensitivity(output, base.values[output], how, bars, no_effect)


def input_label(key: str) -> str:
    """'MFU' for cluster.mfu: the input table's label."""
    return input_spec(key).label


def _pct_moves(base: Result, pct: float) -> list[tuple[str, float, float]]:
    moves = []
    for key in PCT_KEYS:
        spec = input_spec(key)
        point = point_value(spec, base)
        if not math.isfinite(point) or point == 0:
            continue
        low, high = clip(spec, np.array([point * (1 - pct / 100), point * (1 + pct / 100)]))
        moves.append((key, float(low), float(high)))
    return moves


def _range_moves(base: Result) -> list[tuple[str, float, float]]:
    ranges, _ = input_ranges(base)
    moves = []
    for r in ranges:
        low, high = clip(input_spec(r.key), np.array([r.low, r.high]))
        moves.append((r.key, float(low), float(high)))
    return moves


def render_tornado(result: Sensitivity, width: int = 80, limit: int | None = None) -> str:
    """A text tornado: one row per input, bars left (output falls) and right (rises) of the
    point value, labelled with the input move and the output at each end."""
    bars = result.bars[:limit] if limit else result.bars
    title = (f"Sensitivity of {QUANTITIES[result.output].label.lower()} ({fmt(result.output, result.base_value)}) "
             f"to each input, {result.how}")
    lines = textwrap.wrap(title, width=width)
    if not bars:
        return "\n".join(lines + ["  (no input moves this output)"])
    label_w = min(max(len(b.label) for b in bars), 26, max(width // 3, 8))
    half = max((width - label_w - 3) // 2, 6)
    span = max(max(abs(b.output_low - result.base_value), abs(b.output_high - result.base_value)) for b in bars)
    lines.append(f"{'':<{label_w}}  {'lower':>{half}}|{'higher':<{half}}".rstrip())
    for b in bars:
        left = right = 0.0
        for value in (b.output_low, b.output_high):
            delta = value - result.base_value
            if delta < 0:
                left = max(left, -delta)
            else:
                right = max(right, delta)
        lines.append(f"{b.label[:label_w]:<{label_w}}  {_bar(left, span, half, True)}|{_bar(right, span, half, False)}".rstrip())
        lines.extend(textwrap.wrap(_move_text(result.output, b), width=width, initial_indent="  ",
                                   subsequent_indent="    "))
    if result.no_effect:
        lines.extend(textwrap.wrap(f"No effect: {', '.join(input_label(k) for k in result.no_effect)}", width=width,
                                   subsequent_indent="  "))
    return "\n".join(lines)


def _bar(delta: float, span: float, cells: int, leftward: bool) -> str:
    """A bar of `delta / span` of `cells` character cells, with eighth-block resolution."""
    eighths = int(round(delta / span * cells * 8)) if span > 0 else 0
    full, part = divmod(min(eighths, cells * 8), 8)
    if leftward:
        # Left-growing bars: Unicode has only the right half block (no right eighths).
        lead = "█" if part >= 7 else ("▐" if part >= 3 else "")
        return (lead + "█" * full).rjust(cells)
    body = "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])
    return body.ljust(cells)


def _move_text(output: str, b: Bar) -> str:
    name = input_spec(b.key).name
    return (f"{fmt(name, b.input_low)} -> {fmt(output, b.output_low)} · "
            f"{fmt(name, b.input_high)} -> {fmt(output, b.output_high)}")
