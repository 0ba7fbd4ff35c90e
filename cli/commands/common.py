"""Helpers shared by CLI commands: loading a preset (a file, or '-' for standard input) with
--set overrides, JSON output, writing to standard output or a file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whatif.engine.errors import WhatifError

if TYPE_CHECKING:
    # Validation is imported where used: `whatif eval` on a cached preset needs none of it
    # (engine.prepared).
    from whatif.engine.scenario import Scenario

STDIN = "-"
STDIN_NAME = "<stdin>"  # how messages name a preset read from standard input


def add_preset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("preset", metavar="PRESET", help="a preset TOML file, or - to read it from standard input")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="GROUP.KEY=VALUE",
                        help="override one input, e.g. --set cluster.count=32768 (repeatable)")


def parse_value(text: str) -> Any:
    """A --set value as TOML would read it (32768, 0.4, true, "h100"); bare words are text."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):  # ValueError: over 4300 digits
        return text


def parse_overrides(items: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise WhatifError(f"--set {item!r}: expected GROUP.KEY=VALUE, e.g. cluster.count=32768")
        values[key.strip()] = parse_value(raw.strip())
    return values


def display_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def preset_origin(path: str) -> str:
    """How messages name the preset at `path` (as engine.presets.load_preset names a file)."""
    return STDIN_NAME if path == STDIN else str(Path(path))


def read_preset(path: str) -> Scenario:
    """The preset at `path`, or the one on standard input for '-'."""
    from whatif.engine.presets import parse_preset

    return parse_preset(read_preset_text(path), preset_origin(path))


def read_preset_text(path: str) -> str:
    """The text of the preset file at `path`, or of standard input for '-'."""
    if path != STDIN:
        from whatif.engine.presets import read_preset_text as read_file

        return read_file(path)
    return _read_stdin()


def check_stdin_once(paths: list[str]) -> None:
    if paths.count(STDIN) > 1:
        raise WhatifError("'-' (standard input) can be given for one preset only")


def _read_stdin() -> str:
    if sys.stdin is None:
        raise WhatifError("cannot read: standard input is closed", path=STDIN_NAME)
    if sys.stdin.isatty():
        print("whatif: reading a preset from standard input (end it with ctrl+d)", file=sys.stderr)
    try:
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    except OSError as exc:
        raise WhatifError(f"cannot read: {exc.strerror or exc}", path=STDIN_NAME) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise WhatifError("not a text file (expected UTF-8 TOML)", path=STDIN_NAME) from None


def scenario_from_args(args: argparse.Namespace, text: str | None = None) -> Scenario:
    """The preset of `args` (its `text`, if already read) with the --set values applied."""
    if text is None:
        scenario = read_preset(args.preset)
    else:
        from whatif.engine.presets import parse_preset

        scenario = parse_preset(text, preset_origin(args.preset))
    overrides = parse_overrides(args.overrides)
    if overrides:
        from whatif.engine.presets import check_references

        try:
            scenario = check_references(scenario.with_values(overrides), None)
        except WhatifError as exc:
            raise WhatifError(f"--set {exc}") from None
    return scenario


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--out", metavar="FILE",
                        help="write to FILE (atomic) instead of standard output (also: -o -)")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")


def emit(text: str, out: str | None, *, force: bool) -> None:
    """Print `text` (no `out`, or '-'), or write it atomically to the file `out`, never
    replacing a file without --force. An existing file that is not a regular one
    (/dev/stdout, a named pipe) is written into, as the shell's `>` would."""
    if not out or out == STDIN:
        print(text, end="")
        return
    path = Path(out)
    if path.is_dir():
        raise WhatifError("is a folder; give a file name", path=out)
    try:
        if path.exists() and not path.is_file():
            # Renaming a temp file over a device would replace the device itself.
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
            return
        from whatif.engine.atomic import write_atomic
        written = write_atomic(path, text, overwrite=force, exists_hint="use --force to replace it")
    except OSError as exc:
        raise WhatifError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {written}")
