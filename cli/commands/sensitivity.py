"""`whatif sensitivity PRESET [--output NAME] [--pct 20 | --ranges] [--json]`

Moves each uncertain input down and up (by +-pct %, or across its plausible range) and
ranks the inputs by the swing in one output, drawn as a text tornado chart.
"""

from __future__ import annotations

import argparse
import shutil

from whatif.engine.analysis.sensitivity import render_tornado, sensitivity
from whatif.cli.commands.common import add_preset_arguments, print_json, scenario_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--output", default="cost_usd", metavar="NAME", help="output to rank by (default cost_usd)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--pct", type=float, default=20.0, help="move each input by +- this percent (default 20)")
    how.add_argument("--ranges", action="store_true",
                     help="move each input across its plausible range (the Monte Carlo ranges)")
    parser.add_argument("--json", action="store_true", help="print the ranked inputs as JSON")


def run(args: argparse.Namespace) -> int:
    result = sensitivity(scenario_from_args(args), args.output, pct=args.pct, ranges=args.ranges)
    if args.json:
        print_json({
            "output": result.output, "value": result.base_value, "how": result.how,
            "inputs": [{"input": b.key, "input_low": b.input_low, "input_high": b.input_high,
                        "output_low": b.output_low, "output_high": b.output_high, "swing": b.swing}
                       for b in result.bars],
            "no_effect": result.no_effect,
        })
    else:
        print(render_tornado(result, width=min(shutil.get_terminal_size((80, 24)).columns, 100)))
    return 0
