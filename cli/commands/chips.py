"""`whatif chips [--json]`: the chip catalog (shipped plus the user's chip file)."""

from __future__ import annotations

import argparse

from whatif.engine.catalog import PRECISIONS, load_catalog
from whatif.engine.paths import config_path, user_chips_path
from whatif.cli.commands.common import print_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list")


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    rows = [{
        "key": chip.key, "name": chip.name, "vendor": chip.vendor,
        "dense_tflops": {p: chip.peak_tflops(p) for p in chip.supported_precisions()},
        "hbm_gb": chip.hbm_gb, "tdp_w": chip.tdp_w, "estimate": chip.estimate,
    } for chip in catalog.chips.values()]
    if args.json:
        print_json(rows)
        return 0
    head = f"{'key':<12} {'name':<44} " + " ".join(f"{p:>7}" for p in PRECISIONS) + f" {'HBM GB':>7} {'TDP W':>6}  est"
    print(head)
    print("-" * len(head))
    for row in rows:
        peaks = " ".join(f"{row['dense_tflops'].get(p, 0) or '-':>7}" for p in PRECISIONS)
        hbm = f"{row['hbm_gb']:g}" if row["hbm_gb"] else "-"
        tdp = f"{row['tdp_w']:g}" if row["tdp_w"] else "-"
        print(f"{row['key']:<12} {row['name'][:44]:<44} {peaks} {hbm:>7} {tdp:>6}  {'yes' if row['estimate'] else ''}")
    print(f"\nDense TFLOP/s (no sparsity). Your chips: [chips.KEY] in {config_path()} "
          f"(or the older {user_chips_path()}); whatif config lists them.")
    return 0
