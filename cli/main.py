"""Headless command line: `whatif eval|chips|presets|...`. Same numbers as the app.

Each command lives in cli/commands/<name>.py with `HELP`, `add_arguments(parser)` and
`run(args) -> int`, imported only when invoked so that `whatif --help` stays fast.

Exit codes (like grep's): 0 success; 1 a negative answer (`solve` found no solution);
2 an error: bad input, or output that cannot be written. Errors are one line on stderr,
never a traceback. A closed pipe (`whatif eval P | head -1`) is not an error: exit 0, quietly;
ctrl+c exits 130 (whatif/main.py).
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
# Commands with a parser of their own elsewhere (whatif/main.py dispatches to them).
OTHER_COMMANDS: dict[str, str] = {
    "serve-ssh": "serve the app over SSH: every visitor gets their own app, and nothing else",
}
TOP_OPTIONS = ("-h", "--help", "-V", "--version")
APP_OPTIONS = ("--tour",)

EXIT_OK, EXIT_NO_SOLUTION, EXIT_ERROR = 0, 1, 2
EXIT_BAD_INPUT = EXIT_ERROR

USAGE = """whatif [PRESET] [--tour DIR]       open the app
       whatif COMMAND [ARGS ...]         a headless command (whatif COMMAND --help)
       whatif -h | --help | -V | --version"""

EPILOG = """\
PRESET is a preset TOML file; `whatif presets` lists the shipped ones. For the commands,
PRESET '-' reads the preset from standard input, and '-o -' writes to standard output (the
default).

exit codes: 0 success; 1 `solve` found no solution; 2 bad input or output that cannot be written
(one line on stderr). A closed pipe (`whatif eval P | head -1`) exits 0."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exits with 2 too, but prints usage
        self.exit(EXIT_BAD_INPUT, f"whatif: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser, for `whatif --help` and `--version` only: the app's own options
    are parsed by tui/launch.py, each command's by its module (whatif/main.py dispatches)."""
    from whatif import __version__
    from whatif.tui.launch import add_arguments as add_app_arguments

    width = max(map(len, command_names())) + 2
    commands = "\n".join(f"  {name:<{width}} {help_text}" for name, help_text in
                         [*((n, h) for n, (_, h) in COMMANDS.items()), *OTHER_COMMANDS.items()])
    description = ("What-ifs for AI training infrastructure: time, cost, megawatts, energy and CO2.\n\n"
                   f"commands (whatif COMMAND --help for each one's options):\n{commands}")
    parser = _Parser(prog="whatif", usage=USAGE, description=description, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-V", "--version", action="version", version=f"whatif {__version__}",
                        help="print the version and exit")
    add_app_arguments(parser.add_argument_group("open the app"))
    return parser


def command_names() -> tuple[str, ...]:
    return (*COMMANDS, *OTHER_COMMANDS)


def looks_like_preset(word: str) -> bool:
    """An argument the app opens as a preset rather than a command name: '-', a name
    ending in .toml, or anything that exists (a folder gets the preset loader's message)."""
    return word == "-" or word.endswith(".toml") or os.path.exists(word)


def unknown_first_argument(word: str) -> str | None:
    """The one-line error for a first argument that is neither a command, an option nor a
    preset, or None when the app should get it."""
    from whatif.engine.errors import did_you_mean

    if word in COMMANDS or word in OTHER_COMMANDS or word in TOP_OPTIONS or word == "--":
        return None
    if word.startswith("-") and word != "-":
        options = (*TOP_OPTIONS, *APP_OPTIONS)
        if word.partition("=")[0] in options:
            return None
        hint = did_you_mean(word, options) or " (see 'whatif --help')"
        return f"whatif: unknown option '{word}'{hint}"
    if looks_like_preset(word):
        return None
    hint = did_you_mean(word, command_names())
    if hint:
        return f"whatif: unknown command '{word}'{hint}"
    return (f"whatif: unknown command '{word}', and no preset file of that name; "
            f"commands: {', '.join(command_names())}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        build_parser().parse_args(argv or ["--help"])  # prints help or the version, and exits
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
