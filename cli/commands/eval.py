"""`whatif eval PRESET [--set group.key=value ...] [--json] [--explain OUTPUT]`"""

from __future__ import annotations

import argparse

from whatif.cli.commands.common import (add_preset_arguments, parse_overrides, preset_origin, print_json,
                                        read_preset_text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from whatif.engine.inputs import input_keys

    parser.epilog = "Inputs for --set: " + ", ".join(input_keys())
    add_preset_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object with the docs/model.md §9 keys")
    parser.add_argument("--explain", metavar="OUTPUT", action="append", default=[],
                        help="show how OUTPUT was computed (formula, values, sources); repeatable")


def run(args: argparse.Namespace) -> int:
    text = read_preset_text(args.preset)  # once: standard input can be read only once
    if args.explain:
        return _run_validated(args, text)
    # The common case: the preset's resolved inputs from the start-up cache (engine.prepared),
    # --set numbers applied to them: no pydantic model is imported, the same numbers as
    # engine.evaluate.evaluate.
    from whatif.engine.evaluate import evaluate_inputs, output_dict
    from whatif.engine.prepared import prepare, with_values

    prepared = prepare(text, preset_origin(args.preset))
    overrides = parse_overrides(args.overrides)
    if overrides:
        prepared = with_values(prepared, overrides)
        if prepared is None:  # a choice, a workload size, or a value the models must word a message for
            return _run_validated(args, text)
    values, warnings = evaluate_inputs(prepared.inputs, prepared.subject)
    if args.json:
        print_json(output_dict(values, prepared.inputs, warnings))
    else:
        from whatif.engine.report import render_values

        print(render_values(prepared.heading(), values, warnings))
    return 0


def _run_validated(args: argparse.Namespace, text: str) -> int:
    """--explain, or --set values the models must check: the scenario and its Result, validated."""
    from whatif.cli.commands.common import scenario_from_args
    from whatif.engine.evaluate import evaluate

    result = evaluate(scenario_from_args(args, text))
    if args.json:
        print_json(result.outputs())
    elif args.explain:
        from whatif.engine.report import render_explanation  # the formulas: only when asked for

        print("\n\n".join(render_explanation(result, name) for name in args.explain))
    else:
        from whatif.engine.report import render_result

        print(render_result(result))
    return 0
