"""`whatif plan PRESET [--power-cap-mw MW] [--deadline-days D] [--budget-usd USD] [--max-chips N]
[--chips KEY,...] [--cooling KEY,...] [--available-by YYYY-MM] [--minimise days|cost|co2|energy|facility_mw]
[--every-count] [--json]`

Plan a site: for each chip, the best cooling and count under the constraints (one
vectorised batch over chip x cooling x count; engine/analysis/plan.py explains the method),
then the Pareto front of days against cost. --every-count searches every whole-server count
instead of a grid and its zoom: the exact best (a grid's best can be up to ~1 % off), in
seconds rather than milliseconds. Example:
  whatif plan presets/default.toml --power-cap-mw 100 --deadline-days 90

Exit codes: 0 at least one feasible option; 1 nothing feasible (the message names the
constraint that bites first and by how much); 2 bad input.
"""

from __future__ import annotations

import argparse
import sys

from whatif.cli.commands.common import add_preset_arguments, print_json, scenario_from_args
from whatif.engine.analysis.plan import DEFAULT_MAX_CHIPS, OBJECTIVES, Plan, limits_from, plan
from whatif.engine.units import fmt

EXIT_NO_SOLUTION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Exit codes: 0 a feasible option, 1 nothing feasible, 2 bad input."
    add_preset_arguments(parser)
    parser.add_argument("--power-cap-mw", type=float, metavar="MW", help="facility power limit, MW "
                        "(default: the preset's facility.power_cap_mw, if any)")
    parser.add_argument("--deadline-days", type=float, metavar="DAYS", help="the run must finish within DAYS")
    parser.add_argument("--budget-usd", type=float, metavar="USD", help="the run must cost at most USD")
    parser.add_argument("--max-chips", type=int, metavar="N", default=DEFAULT_MAX_CHIPS,
                        help=f"largest cluster considered (default {DEFAULT_MAX_CHIPS:,})")
    parser.add_argument("--chips", metavar="KEY,...", help="chips to consider (default: the whole catalog, "
                        "with the user's and the preset's own chips)")
    parser.add_argument("--cooling", metavar="KEY,...", help="cooling types to consider (default: all)")
    parser.add_argument("--available-by", metavar="YYYY-MM", help="only chips shipping by then "
                        "(engine/data/availability.toml; chips without a sourced date are excluded)")
    parser.add_argument("--minimise", "--minimize", dest="objective", default="days", choices=list(OBJECTIVES),
                        help="what to minimise (default days)")
    parser.add_argument("--every-count", action="store_true", help="search every whole-server count: the exact "
                        "best, in seconds (default: a grid zoomed near each best, in milliseconds)")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")


def split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def run(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    cap = args.power_cap_mw if args.power_cap_mw is not None else scenario.facility.power_cap_mw
    limits = limits_from(cap, args.deadline_days, args.budget_usd)
    told = args.every_count and sys.stderr.isatty()   # seconds: say how far it got
    result = plan(scenario, limits, args.objective, chips=split(args.chips), coolings=split(args.cooling),
                  max_chips=args.max_chips, available_by=args.available_by, every_count=args.every_count,
                  progress=_progress_line() if told else None)
    if told:
        print("\r\033[K", end="", file=sys.stderr, flush=True)   # the progress line goes
    if args.json:
        print_json(result.as_dict())
    else:
        print(render(result))
    if not result.ok:
        print(f"whatif: {result.message}", file=sys.stderr)
        return EXIT_NO_SOLUTION
    return 0


def _progress_line():
    """A callback that keeps '... 40 % searched' on stderr's last line (a terminal: the
    every-count search takes seconds), at most every 0.2 s."""
    import time

    told = [0.0]

    def progress(share: float) -> bool:
        if time.monotonic() - told[0] >= 0.2:
            told[0] = time.monotonic()
            print(f"\rsearching every whole-server count: {share:.0%}", end="", file=sys.stderr, flush=True)
        return True

    return progress


COLUMNS = (("Chip", "chip"), ("Cooling", "cooling"), ("Chips", "count"), ("Days", "training_days"),
           ("Cost", "cost_usd"), ("Facility", "facility_mw"), ("CO2", "co2_t"))


def cells(option) -> list[str]:
    f = option.figures
    return [option.chip, option.cooling, f"{option.count:,}", fmt("training_days", f["training_days"]),
            fmt("cost_usd", f["cost_usd"]), fmt("facility_mw", f["facility_mw"]), fmt("co2_t", f["co2_t"])]


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    return ["  ".join(c.ljust(w) if k < 2 else c.rjust(w) for k, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in [header, *rows]]


def render(result: Plan) -> str:
    limits = ", ".join(l.text() for l in result.limits) or "none"
    lines = [f"Plan: minimise {result.objective}; constraints: {limits}; up to {result.max_chips:,} chips "
             f"({result.evaluated:,} options searched{': every whole-server count' if result.every_count else ''})"]
    if result.ok:
        lines += ["", "Best option per chip (best first):"]
        lines += table([cells(o) for o in result.options], [h for h, _ in COLUMNS])
        lines += ["", "Why, and what binds:"]
        width = max(len(o.chip) for o in result.options)
        for o in result.options:
            lines.append(f"  {o.chip.ljust(width)}  {o.why}; binding: {o.binding}")
        if result.pareto:
            lines += ["", "Pareto front, days against cost (no option is both faster and cheaper):"]
            lines += table([cells(o) for o in result.pareto], [h for h, _ in COLUMNS])
        best = result.best
        sets = " ".join(f"--set {k}={v}" for k, v in best.values.items() if v is not None)
        lines += ["", f"Best: {best.chip} x {best.count:,}, {best.cooling} cooling. Check it: whatif eval PRESET {sets}"]
        dropped = [k for k, v in best.values.items() if v is None]
        if dropped:
            lines.append(f"  (with {', '.join(dropped)} removed from the preset: its figures are for its own "
                         "chip or cooling, so the plan used the catalog's)")
    else:
        lines += ["", result.message]
    if result.excluded:
        lines += ["", "Excluded:"]
        width = max(len(k) for k in result.excluded)
        lines += [f"  {k.ljust(width)}  {v}" for k, v in result.excluded.items()]
    return "\n".join(lines)
