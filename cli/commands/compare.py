"""`whatif compare A.toml B.toml [C.toml ...] [--markdown|--csv|--json] [-o FILE [--force]]`

Two to six presets side by side: every output, with deltas against the first.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from whatif.engine.analysis.compare import compare, short_names
from whatif.engine.analysis.export import compare_text, export_compare
from whatif.cli.commands.common import emit
from whatif.engine.presets import load_preset


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("presets", nargs="+", metavar="PRESET", help="two to six preset TOML files")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table")
    fmt.add_argument("--csv", action="store_true", help="CSV: one row per output, raw numbers and deltas")
    fmt.add_argument("--json", action="store_true", help="JSON with every scenario's outputs and the deltas")
    parser.add_argument("-o", "--out", metavar="FILE", help="write to FILE (atomic) instead of printing")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    scenarios = [load_preset(p) for p in args.presets]
    names = short_names([s.name or Path(p).stem for s, p in zip(scenarios, args.presets)])
    table = compare(scenarios, names)
    fmt = "md" if args.markdown else "csv" if args.csv else "json" if args.json else None
    text = export_compare(table, fmt) if fmt else compare_text(table) + "\n"
    emit(text, args.out, force=args.force)
    return 0
