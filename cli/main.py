"""Headless command line: `whatif eval|chips|presets|...`. Same numbers as the app.

Each command lives in cli/commands/<name>.py with `HELP`, `add_arguments(parser)` and
`run(args) -> int`, imported only when invoked so that `whatif --help` stays fast.
Exit codes: 0 success, 2 bad input (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
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

EXIT_OK, EXIT_BAD_INPUT = 0, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exits with 2 too, but prints usage
        self.exit(EXIT_BAD_INPUT, f"whatif: {message}\n")


def build_parser(app_help: bool = True) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="whatif",
        description="What-ifs for AI training infrastructure: time, cost, megawatts, energy and CO2.",
        epilog=("Run `whatif` alone to open the app on presets/default.toml, or `whatif FILE.toml` to "
                "open a preset." if app_help else None),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    from whatif.engine.errors import WhatifError

    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        sub = _Parser(prog=f"whatif {argv[0]}", description=COMMANDS[argv[0]][1])
        module.add_arguments(sub)
        args = sub.parse_args(argv[1:])
        try:
            return module.run(args)
        except WhatifError as exc:
            print(f"whatif: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except BrokenPipeError:
            return EXIT_OK
    parser.parse_args(argv or ["--help"])
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
