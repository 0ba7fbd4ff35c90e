"""Open the app: `whatif` (default preset), `whatif FILE.toml`, `whatif --tour DIR`."""

from __future__ import annotations

import argparse
import gc
import sys

# What opening the app imports before its first frame, and just after it: a server that
# forks visitors' apps from one preloaded process imports these there (whatif serve-ssh).
PRELOAD_MODULES = ("whatif.tui.launch", "whatif.tui.app", "whatif.engine.analysis.uncertainty", "numpy.random")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="whatif", description="Open the whatif app (see 'whatif --help' for "
                                     "the headless commands).")
    parser.add_argument("preset", nargs="?", help="preset TOML file (default: presets/default.toml)")
    parser.add_argument("--tour", metavar="DIR", help="step through the presets of a tour folder")
    return parser


def launch(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    # No cyclic garbage collection until the first frame is drawn: start-up allocates a
    # few hundred thousand long-lived objects (modules, widgets, styles) and the collector
    # kept walking them. Then they are frozen out of later collections, and it resumes.
    gc.disable()
    from whatif.engine.errors import WhatifError

    try:
        from whatif.tui.app import WhatifApp
        tour = None
        if args.tour:
            from whatif.engine.tours import load_tour
            tour = load_tour(args.tour)
        app = WhatifApp(args.preset, tour=tour)
    except WhatifError as exc:
        gc.enable()
        print(f"whatif: {exc}", file=sys.stderr)
        return 2
    app.after_first_frame = _resume_collection
    app.run()
    if app.return_code and app.recovery.path.exists():  # ended by an error: say where the edits are
        print(f"whatif: your unsaved edits are kept in {app.recovery.path}; start whatif again to restore them",
              file=sys.stderr)
    return app.return_code or 0


def _resume_collection() -> None:
    gc.freeze()
    gc.enable()
