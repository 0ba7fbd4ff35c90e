"""`whatif presets [--json]`: shipped and user presets with their names."""

from __future__ import annotations

import argparse

from whatif.cli.commands.common import print_json
from whatif.engine.errors import WhatifError
from whatif.engine.presets import list_presets, load_preset, shipped_presets_dir, user_presets_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list")


def run(args: argparse.Namespace) -> int:
    rows = []
    for path in list_presets():
        try:
            scenario = load_preset(path)
            rows.append({"path": str(path), "name": scenario.name, "description": scenario.description, "error": None})
        except WhatifError as exc:
            rows.append({"path": str(path), "name": "", "description": "", "error": str(exc)})
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        label = row["name"] or f"(invalid: {row['error']})"
        print(f"{row['path']}\n    {label}")
    print(f"\nShipped: {shipped_presets_dir()}   User: {user_presets_dir()}")
    return 0
