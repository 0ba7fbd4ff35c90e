"""`whatif check PRESET... [--set group.key=value ...] [--json]`: each claim of each preset
beside the model (claimed, computed, ratio, implied utilisation, verdict).

The exit code is 0 whatever the verdicts (an implausible claim is a finding, not an error);
2 on bad input, before anything is printed.
"""

from __future__ import annotations

import argparse

from whatif.engine.claims import ClaimCheck, check_claims
from whatif.cli.commands.common import check_stdin_once, display_name, parse_overrides, print_json, read_preset
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result, evaluate
from whatif.engine.presets import check_references

COLUMNS = (("claim", 13), ("claimed", 15), ("computed", 15), ("ratio", 7), ("implied util", 13),
           ("implied MFU", 13), ("verdict", 0))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("presets", metavar="PRESET", nargs="+", help="preset TOML files with a [claims] table (one may be -, standard input)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="GROUP.KEY=VALUE",
                        help="override one input in every preset, e.g. --set workload.flops=3.8e25 (repeatable)")
    parser.add_argument("--json", action="store_true", help="print a JSON list, one object per preset")


def run(args: argparse.Namespace) -> int:
    overrides = parse_overrides(args.overrides)
    check_stdin_once(args.presets)
    checked = [(display_name(path), *_check(path, overrides)) for path in args.presets]
    if args.json:
        print_json([_as_json(path, result, checks) for path, result, checks in checked])
        return 0
    print("\n\n".join(render_checks(path, result, checks) for path, result, checks in checked))
    return 0


def _check(path: str, overrides: dict) -> tuple[Result, list[ClaimCheck]]:
    scenario = read_preset(path)
    if overrides:
        try:
            scenario = check_references(scenario.with_values(overrides), None)
        except WhatifError as exc:
            raise WhatifError(f"--set {exc}", path=display_name(path)) from None
    result = evaluate(scenario)
    return result, check_claims(result)


def _as_json(path: str, result: Result, checks: list[ClaimCheck]) -> dict:
    claims = result.scenario.claims
    return {"path": path, "name": result.scenario.name, "source": claims.source, "note": claims.note,
            "claims": [c.as_dict() for c in checks]}


def render_checks(path: str, result: Result, checks: list[ClaimCheck]) -> str:
    """A header naming the preset, then one aligned line per claim."""
    head = [f"{path}: {result.scenario.name}" if result.scenario.name else path]
    if not checks:
        return "\n".join([*head, "  no [claims] in this preset"])
    claims = result.scenario.claims
    if claims.source:
        head.append(f"  claims: {claims.source}")
    if claims.note:
        head.append(f"  note: {claims.note}")
    rows = [[name for name, _ in COLUMNS]]
    rows += [[c.key, c.claimed_text, c.computed_text, c.ratio_text, c.utilisation_text, c.mfu_text,
              c.summary] for c in checks]
    lines = ["  " + " ".join(cell.ljust(width) if width else cell for cell, (_, width) in zip(row, COLUMNS))
             for row in rows]
    return "\n".join([*head, *(line.rstrip() for line in lines)])
