"""Helpers shared by CLI commands: loading a preset with --set overrides, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from typing import Any

from whatif.engine.errors import WhatifError
from whatif.engine.presets import check_references, load_preset
from whatif.engine.scenario import Scenario


def add_preset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("preset", metavar="PRESET", help="a preset TOML file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="GROUP.KEY=VALUE",
                        help="override one input, e.g. --set cluster.count=32768 (repeatable)")


def parse_value(text: str) -> Any:
    """A --set value as TOML would read it (32768, 0.4, true, "h100"); bare words are text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):  # ValueError: over 4300 digits
        return text


def parse_overrides(items: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise WhatifError(f"--set {item!r}: expected GROUP.KEY=VALUE, e.g. cluster.count=32768")
        values[key.strip()] = parse_value(raw.strip())
    return values


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    scenario = load_preset(args.preset)
    overrides = parse_overrides(args.overrides)
    if overrides:
        try:
            scenario = check_references(scenario.with_values(overrides), None)
        except WhatifError as exc:
            raise WhatifError(f"--set {exc}") from None
    return scenario


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def emit(text: str, out: str | None, *, force: bool) -> None:
    """Print `text`, or write it atomically to `out` (never replacing a file without --force)."""
    if out:
        from whatif.engine.atomic import write_atomic
        path = write_atomic(out, text, overwrite=force, exists_hint="use --force to replace it")
        print(f"wrote {path}")
    else:
        print(text, end="")
