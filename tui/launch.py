"""Open the app: `whatif` (default preset), `whatif FILE.toml [MORE.toml ...]` (each in a tab),
`whatif --tour DIR`."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

# What opening the app imports before its first frame, and just after it: a server that
# forks visitors' apps from one preloaded process imports these there (whatif serve-ssh).
PRELOAD_MODULES = ("whatif.tui.launch", "whatif.tui.app", "whatif.engine.analysis.uncertainty", "numpy.random")

EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, like the commands' (cli/main.py)
        self.exit(EXIT_ERROR, f"whatif: {message} (see 'whatif --help')\n")


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The app's own arguments (also listed by `whatif --help`)."""
    parser.add_argument("preset", metavar="PRESET", nargs="*",
                        help="preset TOML files to open, each in a tab (default: the shipped default.toml)")
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
    if "-" in args.preset:
        print("whatif: the app cannot read its preset from standard input (it needs the terminal there); "
              "save it to a file and run 'whatif FILE.toml', or use 'whatif eval -'", file=sys.stderr)
        return EXIT_ERROR
    # No cyclic garbage collection until the first frame is drawn: start-up allocates a
    # few hundred thousand long-lived objects (modules, widgets, styles) and the collector
    # kept walking them. Then they are frozen out of later collections, and it resumes;
    # whatever ends the launch before that frame (a message, an exception) resumes it too.
    gc.disable()
    try:
        return _launch(args)
    finally:
        sys.setswitchinterval(_DEFAULT_SWITCH_S)
        gc.enable()


def _launch(args) -> int:
    from whatif.engine.errors import WhatifError

    # The preset (or tour) is read before the terminal is checked, as its problem is the
    # more useful message, and before Textual is imported: without a terminal that import
    # (~0.6 s) would be for nothing. Without a terminal the app would draw escape codes
    # into a file or pipe and wait for keys that never come.
    try:
        tour = scenario = path = opening = None
        text, stamp = "", ""
        more: list[str] = []
        if args.tour:
            from whatif.engine.tours import load_tour
            tour = load_tour(args.tour)  # the app opens its first stop
        else:
            if len(args.preset) <= 1:  # a preset opened before: its plain copy (no pydantic before the frame)
                from whatif.engine.opening import load as load_opening
                opening, stamp = load_opening(Path(args.preset[0]) if args.preset else None)
            if opening is not None:
                path = opening.path
            else:
                from whatif.engine.presets import default_preset_path, parse_preset, read_preset_text
                path, *more = args.preset or [default_preset_path()]
                text = read_preset_text(path)
                scenario = parse_preset(text, str(path))
                for other in more:  # every problem before the terminal is taken over
                    parse_preset(read_preset_text(other), str(other))
    except WhatifError as exc:
        print(f"whatif: {exc}", file=sys.stderr)
        return EXIT_ERROR
    # A driver chosen by whoever started the app (serve-web's WebDriver talks over pipes) has
    # no terminal to check.
    missing = [] if os.environ.get("TEXTUAL_DRIVER") else not_a_terminal()
    if missing:
        streams = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
        what = f"standard {streams} {'is not one' if len(missing) == 1 else 'are not terminals'}"
        print(f"whatif: the app needs a terminal ({what}); "
              "for headless use try 'whatif eval PRESET'", file=sys.stderr)
        return EXIT_ERROR
    try:
        from whatif.tui.app import WhatifApp
        app = WhatifApp(path, tour=tour, scenario=scenario, more=more, placeholder=not args.preset and not args.tour,
                        opening=opening)
    except WhatifError as exc:
        print(f"whatif: {exc}", file=sys.stderr)
        return EXIT_ERROR
    app.after_first_frame = _resume_collection
    if stamp and opening is None and scenario is not None and not more:
        app.after_first_frame = lambda: (_resume_collection(), _keep_opening(app, stamp, scenario, Path(path), text,
                                                                             not args.preset))
    # Textual hands each frame to its writer thread, which then waits for the GIL while this
    # thread goes on: up to the 5 ms switch interval, often twice (the first frame reached
    # the terminal a median 12 ms after it was ready, with 0.5 ms 2.5 ms: a PTY reader
    # against the time the frame was handed over). With 0.1 ms a keystroke's headline frame
    # is out while the views after it are drawn (bench/keys.py, side by side against 0.5 ms:
    # 160x48 headline 6.9 against 8.5 ms; the views and the CPU per key unchanged). Only the
    # writer and the key reader want the GIL, and only with something to pass on: with none
    # waiting the interval costs nothing.
    sys.setswitchinterval(SWITCH_S)
    app.run()
    if app.return_code and app.recovery.path.exists():  # ended by an error: say where the edits are
        print(f"whatif: your unsaved edits are kept in {app.recovery.path}; start whatif again to restore them",
              file=sys.stderr)
    return app.return_code or 0


_DEFAULT_SWITCH_S = sys.getswitchinterval()
SWITCH_S = 0.0001


def _keep_opening(app, stamp: str, scenario, path: Path, text: str, default: bool) -> None:
    """Opened the full way: keep the opening's plain copy, so the next start with the same
    files draws its first frame from it (engine.opening). Only while the app still shows
    the scenario as it was read."""
    session = app.session
    if len(app.workspace) == 1 and session.scenario is scenario and not session.dirty and session.baseline is None:
        from whatif.engine.opening import store
        store(stamp, app.settings, scenario, session.result, path, text, default)


def _resume_collection() -> None:
    gc.freeze()
    gc.enable()
