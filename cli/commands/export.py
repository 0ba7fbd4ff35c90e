"""`whatif export PRESET --format md|csv|json [-o FILE|-] [--force] [--uncertainty]`

The preset's results as Markdown, CSV or JSON (docs/model.md §9 names). With --uncertainty, adds
P10/P50/P90 from the Monte Carlo (ranges and seed from the preset's [uncertainty] table).
Writing a file is atomic and never replaces an existing file without --force.
"""

from __future__ import annotations

import argparse

from whatif.engine.analysis.export import FORMATS, export_result
from whatif.engine.analysis.uncertainty import monte_carlo
from whatif.cli.commands.common import add_output_arguments, add_preset_arguments, emit, scenario_from_args
from whatif.engine.evaluate import evaluate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="md", help="md (default), csv or json")
    add_output_arguments(parser)
    parser.add_argument("--uncertainty", action="store_true", help="add P10/P50/P90 from the Monte Carlo")


def run(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    result = evaluate(scenario)
    mc = monte_carlo(scenario, result) if args.uncertainty else None
    text = export_result(result, args.format, mc)
    emit(text, args.out, force=args.force)
    return 0
