"""`whatif schema`: the JSON Schema of preset files, for editors (see the README).

The same text ships as presets/whatif-preset.schema.json (a test keeps them equal).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Taplo / Even Better TOML: put `#:schema ./whatif-preset.schema.json` at the top of a preset, "
                     "or associate *.toml files with the schema in .taplo.toml.")


def run(args: argparse.Namespace) -> int:
    from whatif.engine.presets import preset_json_schema_text

    sys.stdout.write(preset_json_schema_text())
    return 0
