"""`whatif sweep PRESET --vary KEY=LOW:HIGH [--points N] [--log] [--output NAME ...] [--csv|--json]`

Evaluates the preset with one numeric input at N values (one vectorised call) and prints a
table of the chosen outputs, marking where the reliability wall (goodput below the
threshold) or the site power cap starts to bite.
"""

from __future__ import annotations

import argparse
import csv
import sys

from whatif.engine.analysis.inputs import parse_range
from whatif.engine.analysis.sweep import DEFAULT_OUTPUTS, sweep, sweep_rows
from whatif.cli.commands.common import add_preset_arguments, print_json, scenario_from_args
from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.evaluate import NUMERIC_OUTPUTS, evaluate
from whatif.engine.units import QUANTITIES, fmt


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--vary", required=True, metavar="KEY=LOW:HIGH",
                        help="the input to sweep and its range, e.g. cluster.count=1024:131072")
    parser.add_argument("--points", type=int, default=25, help="number of values (default 25; "
                        "whole chip counts are deduplicated)")
    parser.add_argument("--log", action="store_true", help="space the values geometrically")
    parser.add_argument("--output", action="append", default=[], metavar="NAME",
                        help=f"output to show (repeatable; default {' and '.join(DEFAULT_OUTPUTS)})")
    fmt_group = parser.add_mutually_exclusive_group()
    fmt_group.add_argument("--csv", action="store_true", help="CSV rows of raw numbers")
    fmt_group.add_argument("--json", action="store_true", help="a JSON object with the rows and the limits")


def run(args: argparse.Namespace) -> int:
    key, sep, span = args.vary.partition("=")
    if not sep:
        raise WhatifError(f"--vary {args.vary!r}: expected KEY=LOW:HIGH, e.g. cluster.count=1024:131072")
    low, high = parse_range(span, key.strip())
    outputs = tuple(args.output) or DEFAULT_OUTPUTS
    for name in outputs:
        if name not in NUMERIC_OUTPUTS:
            raise WhatifError(unknown_choice("output", name, NUMERIC_OUTPUTS), key="--output")
    scenario = scenario_from_args(args)
    base = evaluate(scenario)
    result = sweep(scenario, key.strip(), low, high, args.points, args.log, base=base)
    rows = sweep_rows(result, outputs)
    limits = {limit.code: limit.first for limit in result.limits}
    if args.json:
        print_json({"input": result.spec.key, "log": args.log, "point": result.point, "limits": limits, "rows": rows})
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        print(render_table(result, outputs))
    return 0


def render_table(result, outputs: tuple[str, ...]) -> str:
    spec = result.spec
    key_w = max(len(spec.key), 10)
    widths = [max(len(QUANTITIES[o].label), 14) for o in outputs]
    head = f"{spec.key:>{key_w}}" + "".join(f"  {QUANTITIES[o].label:>{w}}" for o, w in zip(outputs, widths)) + "  limits"
    lines = [f"Sweep of {spec.key} ({'log' if result.log else 'linear'}); scenario value {_x(spec, result.point)}", "",
             head]
    for i, xv in enumerate(result.x):
        marks = [limit.code for limit in result.limits if limit.mask[i]]
        cells = "".join(f"  {fmt(o, float(result.series(o)[i])):>{w}}" for o, w in zip(outputs, widths))
        lines.append(f"{_x(spec, xv):>{key_w}}{cells}  {', '.join(marks)}".rstrip())
    lines.append("")
    for limit in result.limits:
        where = (f"from {spec.key} = {_x(spec, limit.first)}" if limit.first is not None else "not reached in this range")
        lines.append(f"{limit.label}: {where}")
    return "\n".join(lines)


def _x(spec, value: float) -> str:
    return f"{value:,.0f}" if spec.integer else f"{value:.4g}"
