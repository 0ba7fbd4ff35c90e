"""`whatif compare A.toml B.toml [C.toml ...] [--markdown|--csv|--json] [-o FILE [--force]]`

Two to six presets side by side: every output, with deltas against the first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from whatif.engine.analysis.compare import compare, short_names
from whatif.engine.analysis.export import compare_text, export_compare
from whatif.cli.commands.common import STDIN, add_output_arguments, check_stdin_once, emit, read_preset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("presets", nargs="+", metavar="PRESET",
                        help="two to six preset TOML files (one of them may be -, standard input)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table")
    fmt.add_argument("--csv", action="store_true", help="CSV: one row per output, raw numbers and deltas")
    fmt.add_argument("--json", action="store_true", help="JSON with every scenario's outputs and the deltas")
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> int:
    check_stdin_once(args.presets)
    scenarios = [read_preset(p) for p in args.presets]
    names = short_names([s.name or ("stdin" if p == STDIN else Path(p).stem) for s, p in zip(scenarios, args.presets)])
    table = compare(scenarios, names)
    fmt = "md" if args.markdown else "csv" if args.csv else "json" if args.json else None
    text = export_compare(table, fmt) if fmt else compare_text(table) + "\n"
    emit(text, args.out, force=args.force)
    return 0
