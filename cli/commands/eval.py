"""`whatif eval PRESET [--set group.key=value ...] [--json] [--explain OUTPUT]`"""

from __future__ import annotations

import argparse

from whatif.cli.commands.common import add_preset_arguments, print_json, scenario_from_args
from whatif.engine.evaluate import evaluate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from whatif.engine.inputs import input_keys

    parser.epilog = "Inputs for --set: " + ", ".join(input_keys())
    add_preset_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object with the docs/model.md §9 keys")
    parser.add_argument("--explain", metavar="OUTPUT", action="append", default=[],
                        help="show how OUTPUT was computed (formula, values, sources); repeatable")


def run(args: argparse.Namespace) -> int:
    result = evaluate(scenario_from_args(args))
    if args.json:
        print_json(result.outputs())
    elif args.explain:
        from whatif.engine.report import render_explanation  # the formulas: only when asked for

        print("\n\n".join(render_explanation(result, name) for name in args.explain))
    else:
        from whatif.engine.report import render_result

        print(render_result(result))
    return 0
