"""Headless command line: `whatif eval|chips|presets|...`. Same numbers as the app.

Each command lives in cli/commands/<name>.py with `HELP`, `add_arguments(parser)` and
`run(args) -> int`, imported only when invoked so that `whatif --help` stays fast.

Exit codes (like grep's): 0 success; 1 a negative answer (`solve` found no solution);
2 an error: bad input, or output that cannot be written. Errors are one line on stderr,
never a traceback. A closed pipe (`whatif eval P | head -1`) is not an error: exit 0, quietly;
ctrl+c exits 130 (whatif/main.py). `whatif --help` and `--version`: whatif/toplevel.py.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys

# name -> (module, one-line help). Add a command by adding a module and a line here.
COMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("whatif.cli.commands.eval", "evaluate a preset and print the results"),
    "chips": ("whatif.cli.commands.chips", "list the chip catalog"),
    "presets": ("whatif.cli.commands.presets", "list the shipped and user presets"),
    "sweep": ("whatif.cli.commands.sweep", "vary one input over a range and tabulate outputs (reliability wall, power cap)"),
    "solve": ("whatif.cli.commands.solve", "goal seek: solve one input for a target output (e.g. chips for 60 days)"),
    "sensitivity": ("whatif.cli.commands.sensitivity", "rank inputs by their effect on one output (tornado chart)"),
    "compare": ("whatif.cli.commands.compare", "2-6 presets side by side with deltas against the first"),
    "export": ("whatif.cli.commands.export", "write a preset's results as Markdown, CSV or JSON"),
    "check": ("whatif.cli.commands.check", "check the [claims] of presets against the model (implied utilisation, verdicts)"),
    "config": ("whatif.cli.commands.config", "show the user's files (config.toml, chips, presets) and the settings in use"),
    "schema": ("whatif.cli.commands.schema", "print the JSON Schema of preset files (for editor completion and checks)"),
}
EXIT_OK, EXIT_NO_SOLUTION, EXIT_ERROR = 0, 1, 2
EXIT_BAD_INPUT = EXIT_ERROR

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exits with 2 too, but prints usage
        self.exit(EXIT_BAD_INPUT, f"whatif: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The commands alone, for `main([])`; `whatif --help` (whatif/toplevel.py) lists the
    app's options and every command."""
    parser = _Parser(prog="whatif", description="Headless commands of whatif (see 'whatif --help').")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        build_parser().parse_args(argv or ["--help"])  # prints help, or the error, and exits
        return EXIT_OK
    from whatif.engine.errors import WhatifError

    module = importlib.import_module(COMMANDS[argv[0]][0])
    sub = _Parser(prog=f"whatif {argv[0]}", description=COMMANDS[argv[0]][1])
    module.add_arguments(sub)
    args = sub.parse_args(argv[1:])
    # The output is collected and written at the end: a failed write (full disk, closed
    # pipe) is then known to be standard output's, and bad input prints nothing at all.
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = module.run(args)
    except WhatifError as exc:
        print(f"whatif: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return write_stdout(out.getvalue(), code)


def write_stdout(text: str, code: int = EXIT_OK) -> int:
    """Write `text` and flush. A closed pipe keeps `code`, quietly; any other failure to
    write (e.g. a full disk) is one line on stderr and exit 2. Either way the
    interpreter's own flush at exit has nothing left to fail on."""
    if sys.stdout is None:  # started with descriptor 1 closed
        if not text:
            return code
        print("whatif: cannot write standard output: it is closed", file=sys.stderr)
        return EXIT_ERROR
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        return code
    except OSError as exc:
        _discard_stdout()
        print(f"whatif: cannot write standard output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    return code


def _discard_stdout() -> None:
    """Point file descriptor 1 at /dev/null so that what is still buffered goes nowhere."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
