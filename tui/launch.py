"""Open the app (placeholder until the Textual app lands: prints the default scenario)."""

from __future__ import annotations

import sys


def launch(argv: list[str]) -> int:
    from engine.errors import WhatifError
    from engine.evaluate import evaluate
    from engine.presets import default_preset_path, load_preset
    from engine.report import render_result

    path = argv[0] if argv else default_preset_path()
    try:
        print(render_result(evaluate(load_preset(path))))
    except WhatifError as exc:
        print(f"whatif: {exc}", file=sys.stderr)
        return 2
    return 0
