"""`whatif` itself: its --help (the app's options and every command in one text), --version,
and the one-line error for a first argument that is no command, option or preset.

Import-light: argparse and the names of the commands, nothing of Textual, numpy or pydantic.
"""

from __future__ import annotations

import argparse
import os

from whatif.cli.main import COMMANDS, EXIT_ERROR

# Commands with a parser of their own elsewhere (whatif/main.py dispatches to them).
OTHER_COMMANDS: dict[str, str] = {
    "serve-ssh": "serve the app over SSH: every visitor gets their own app, and nothing else",
    "serve-web": "serve the app to web browsers: every visitor gets their own app, and nothing else",
}
TOP_OPTIONS = ("-h", "--help", "-V", "--version")
APP_OPTIONS = ("--tour",)

USAGE = """whatif [PRESET] [--tour DIR]       open the app
       whatif COMMAND [ARGS ...]         a headless command (whatif COMMAND --help)
       whatif -h | --help | -V | --version"""

EPILOG = """\
PRESET is a preset TOML file; `whatif presets` lists the shipped ones. For the commands,
PRESET '-' reads the preset from standard input, and '-o -' writes to standard output (the
default).

exit codes: 0 success; 1 `solve` found no solution; 2 bad input or output that cannot be written
(one line on stderr). A closed pipe (`whatif eval P | head -1`) exits 0, ctrl+c 130."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, like the commands'
        self.exit(EXIT_ERROR, f"whatif: {message} (see 'whatif --help')\n")


def command_names() -> tuple[str, ...]:
    return (*COMMANDS, *OTHER_COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    """For --help and --version only: the app's own options are parsed by tui/launch.py,
    each command's by its module."""
    from whatif import __version__
    from whatif.tui.launch import add_arguments as add_app_arguments

    width = max(map(len, command_names())) + 2
    listed = [*((name, help_text) for name, (_, help_text) in COMMANDS.items()), *OTHER_COMMANDS.items()]
    commands = "\n".join(f"  {name:<{width}} {help_text}" for name, help_text in listed)
    description = ("What-ifs for AI training infrastructure: time, cost, megawatts, energy and CO2.\n\n"
                   f"commands (whatif COMMAND --help for each one's options):\n{commands}")
    parser = _Parser(prog="whatif", usage=USAGE, description=description, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-V", "--version", action="version", version=f"whatif {__version__}",
                        help="print the version and exit")
    add_app_arguments(parser.add_argument_group("open the app"))
    return parser


def main(argv: list[str]) -> int:
    build_parser().parse_args(argv)  # --help or --version: prints and exits
    return 0


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
