"""Open the app: `whatif` (default preset), `whatif FILE.toml`, `whatif --tour DIR`."""

from __future__ import annotations

import argparse
import gc
import os
import sys

# What opening the app imports before its first frame, and just after it: a server that
# forks visitors' apps from one preloaded process imports these there (whatif serve-ssh).
PRELOAD_MODULES = ("whatif.tui.launch", "whatif.tui.app", "whatif.engine.analysis.uncertainty", "numpy.random")

EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, like the commands' (cli/main.py)
        self.exit(EXIT_ERROR, f"whatif: {message} (see 'whatif --help')\n")


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The app's own arguments (also listed by `whatif --help`)."""
    parser.add_argument("preset", metavar="PRESET", nargs="?",
                        help="preset TOML file to open (default: the shipped default.toml)")
    parser.add_argument("--tour", metavar="DIR", help="step through the presets of a tour folder")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="whatif", description="Open the whatif app (see 'whatif --help' for "
                     "the headless commands).")
    add_arguments(parser)
    return parser


def not_a_terminal() -> list[str]:
    """The standard streams ('input', 'output', 'error') that are not a terminal. Textual
    reads keys from stdin and draws on stderr; stdout redirected means the user expects
    output to capture, which an interactive app does not give."""
    names = [name for name, stream in (("input", sys.__stdin__), ("output", sys.__stdout__),
                                       ("error", sys.__stderr__)) if not _isatty(stream)]
    return names


def _isatty(stream) -> bool:
    try:
        return stream is not None and os.isatty(stream.fileno())
    except (OSError, ValueError):
        return False


def launch(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.preset == "-":
        print("whatif: the app cannot read its preset from standard input (it needs the terminal there); "
              "save it to a file and run 'whatif FILE.toml', or use 'whatif eval -'", file=sys.stderr)
        return EXIT_ERROR
    # No cyclic garbage collection until the first frame is drawn: start-up allocates a
    # few hundred thousand long-lived objects (modules, widgets, styles) and the collector
    # kept walking them. Then they are frozen out of later collections, and it resumes.
    gc.disable()
    from whatif.engine.errors import WhatifError

    # The preset (or tour) is read before the terminal is checked, as its problem is the
    # more useful message, and before Textual is imported: without a terminal that import
    # (~0.6 s) would be for nothing. Without a terminal the app would draw escape codes
    # into a file or pipe and wait for keys that never come.
    try:
        tour = scenario = path = None
        if args.tour:
            from whatif.engine.tours import load_tour
            tour = load_tour(args.tour)  # the app opens its first stop
        else:
            from whatif.engine.presets import default_preset_path, load_preset
            path = args.preset or default_preset_path()
            scenario = load_preset(path)
    except WhatifError as exc:
        gc.enable()
        print(f"whatif: {exc}", file=sys.stderr)
        return EXIT_ERROR
    # A driver chosen by whoever started the app (serve-web's WebDriver talks over pipes) has
    # no terminal to check.
    missing = [] if os.environ.get("TEXTUAL_DRIVER") else not_a_terminal()
    if missing:
        gc.enable()
        streams = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
        what = f"standard {streams} {'is not one' if len(missing) == 1 else 'are not terminals'}"
        print(f"whatif: the app needs a terminal ({what}); "
              "for headless use try 'whatif eval PRESET'", file=sys.stderr)
        return EXIT_ERROR
    try:
        from whatif.tui.app import WhatifApp
        app = WhatifApp(path, tour=tour, scenario=scenario)
    except WhatifError as exc:
        gc.enable()
        print(f"whatif: {exc}", file=sys.stderr)
        return EXIT_ERROR
    app.after_first_frame = _resume_collection
    # Textual hands each frame to its writer thread, which then waits for the GIL while this
    # thread goes on with what is queued after the first frame (the Monte Carlo, validators):
    # up to the 5 ms switch interval, often twice. The first frame reached the terminal a
    # median 12 ms after it was ready; with 0.5 ms until then, 2.5 ms (bench: a PTY reader
    # against the time the frame was handed over).
    sys.setswitchinterval(_FIRST_FRAME_SWITCH_S)
    app.run()
    if app.return_code and app.recovery.path.exists():  # ended by an error: say where the edits are
        print(f"whatif: your unsaved edits are kept in {app.recovery.path}; start whatif again to restore them",
              file=sys.stderr)
    return app.return_code or 0


_DEFAULT_SWITCH_S = sys.getswitchinterval()
_FIRST_FRAME_SWITCH_S = 0.0005


def _resume_collection() -> None:
    sys.setswitchinterval(_DEFAULT_SWITCH_S)
    gc.freeze()
    gc.enable()
