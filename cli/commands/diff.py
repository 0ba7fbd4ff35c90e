"""`whatif diff A.toml B.toml [--output NAME ...] [--json]`

Why B differs from A: each output's change split between the inputs that differ, Shapley
style (engine/analysis/attribution.py), the shares adding up to the change. Example:
  whatif diff presets/cluster-100k-h100-air.toml presets/cluster-100k-b200-liquid.toml
"""

from __future__ import annotations

import argparse

from whatif.cli.commands.common import check_stdin_once, print_json, read_preset
from whatif.engine.analysis.attribution import DEFAULT_OUTPUTS, explain, label


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="the scenario before (a preset file, or - for standard input)")
    parser.add_argument("b", metavar="B", help="the scenario after")
    parser.add_argument("--output", dest="outputs", action="append", metavar="NAME",
                        help=f"an output to explain (repeatable; default: {', '.join(DEFAULT_OUTPUTS)})")
    parser.add_argument("--json", action="store_true", help="print the splits as JSON")


def run(args: argparse.Namespace) -> int:
    check_stdin_once([args.a, args.b])
    a, b = read_preset(args.a), read_preset(args.b)
    players, splits = explain(a, b, args.outputs or DEFAULT_OUTPUTS)
    if args.json:
        print_json({"inputs": {k: {"a": a.get(k), "b": b.get(k)} for k in players},
                    "splits": [s.as_dict() for s in splits]})
        return 0
    if not players:
        print("The two scenarios have the same inputs.")
        return 0
    print("Inputs that differ: " + ", ".join(f"{label(k)} {a.get(k)!s} -> {b.get(k)!s}"
                                             .replace("None", "default") for k in players))
    for split in splits:
        print(split.text())
    return 0
