"""`whatif solve PRESET --for KEY --target OUTPUT(=|<=|>=)VALUE [--range LOW:HIGH] [--json]`

Goal seek on the vectorised engine (engine/analysis/solve.py explains the method). Examples:
  whatif solve P.toml --for cluster.count --target training_days=60       # chips for 60 days
  whatif solve P.toml --for cluster.count --target facility_mw<=150       # largest under 150 MW
  whatif solve P.toml --for cluster.count --target facility_mw<=cap       # ... under the preset's cap
  whatif solve P.toml --for cluster.mfu --target training_days=54         # MFU a claim implies
  whatif solve P.toml --for cluster.chip --target 'training_days<=60' --target 'facility_mw<=150' --minimise cost
                                                  # the cheapest chip (at the preset's count) for 60 days, 150 MW
  whatif solve P.toml --for cluster.chip,facility.cooling,cluster.count --target 'training_days<=60'
  whatif solve P.toml --for cluster.chip,cluster.count --target 'training_days<=60' --every-count
                                                  # ... searching every whole-server count (exact, seconds)

Choosing among chips or cooling types (--for cluster.chip, facility.cooling, either with
cluster.count) takes one or more <= / >= targets and an objective (--minimise, default cost);
the rest of the scenario stays as it is (engine/analysis/plan.py: choose).

Exit codes: 0 solved; 1 no solution in the range (the message says how close it gets);
2 bad input.
"""

from __future__ import annotations

import argparse
import sys

from whatif.engine.analysis.inputs import parse_range
from whatif.engine.analysis.plan import CHOICE_KEYS, choose
from whatif.engine.analysis.solve import parse_goal, solve
from whatif.engine.errors import WhatifError
from whatif.cli.commands.common import add_preset_arguments, print_json, scenario_from_args

EXIT_NO_SOLUTION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Exit codes: 0 solved, 1 no solution in range, 2 bad input."
    add_preset_arguments(parser)
    parser.add_argument("--for", dest="key", required=True, metavar="KEY",
                        help="the numeric input to solve for, e.g. cluster.count, cluster.mfu, facility.pue; or "
                             "choices: cluster.chip, facility.cooling (comma-separated, optionally with cluster.count)")
    parser.add_argument("--target", required=True, action="append", metavar="OUTPUT=VALUE",
                        help="the goal: OUTPUT=VALUE, OUTPUT<=VALUE or OUTPUT>=VALUE, e.g. training_days=60; "
                             "VALUE 'cap' = the scenario's facility.power_cap_mw (repeatable when choosing)")
    parser.add_argument("--minimise", "--minimize", dest="objective", default="cost",
                        help="when choosing a chip or cooling: what to minimise (days, cost, co2, energy, "
                             "facility_mw; default cost)")
    parser.add_argument("--range", dest="span", metavar="LOW:HIGH",
                        help="search range (default: 1 to 10 million chips; the valid interval for shares; "
                             "else 1/100 to 100 x the current value)")
    parser.add_argument("--every-count", action="store_true",
                        help="choosing a chip or cooling with cluster.count: search every whole-server count "
                             "(the exact best, in seconds; default: a grid zoomed near each best)")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")


def run(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    keys = [k.strip() for k in args.key.split(",") if k.strip()]
    if any(k in CHOICE_KEYS for k in keys):
        return run_choice(args, scenario, keys)
    if args.every_count:
        raise WhatifError("only for choosing a chip or cooling with cluster.count (--for cluster.chip,"
                          "cluster.count); solving a number alone is exact already", key="every-count")
    if len(args.target) != 1:
        raise WhatifError("solving a numeric input takes one --target (several: when choosing a chip or cooling)",
                          key="target")
    goal = parse_goal(args.target[0], scenario.facility.power_cap_mw)
    low = high = None
    if args.span:
        low, high = parse_range(args.span, args.key)
    solution = solve(scenario, args.key, goal, low, high)
    if args.json:
        print_json(solution.as_dict())
    elif solution.ok:
        print(solution.message)
    else:
        print(f"whatif: {solution.message}", file=sys.stderr)
    return 0 if solution.ok else EXIT_NO_SOLUTION


def run_choice(args: argparse.Namespace, scenario, keys: list[str]) -> int:
    goals = [parse_goal(t, scenario.facility.power_cap_mw) for t in args.target]
    result = choose(scenario, keys, [(g.output, g.op, g.target) for g in goals], args.objective,
                    every_count=args.every_count)
    if args.json:
        print_json({"ok": result.ok, "inputs": keys, "message": result.message,
                    "value": result.best.values if result.ok else None, **result.as_dict()})
    elif result.ok:
        print(result.message)
    else:
        print(f"whatif: {result.message}", file=sys.stderr)
    return 0 if result.ok else EXIT_NO_SOLUTION
