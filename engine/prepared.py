"""A preset resolved to plain numbers, kept in the start-up cache for `whatif eval`.

Validating a preset and the catalog takes pydantic models (engine.scenario, engine.catalog):
importing pydantic's model machinery and building those classes costs more than a whole
evaluation. A preset file rarely changes between two `whatif eval` runs, so the first run
validates and resolves it the full way (engine.presets, engine.resolve) and keeps only
what the evaluation reads: the resolved inputs (floats), the names the warnings print and
the report's heading. A later run with the same preset text, the same catalog and user
files and the same engine code loads that and computes with numpy alone: no pydantic
model is imported or built, and the numbers are the ones engine.evaluate.evaluate gives.

The cache key (engine.cache) holds the preset's bytes and the size and mtime of every file
resolution depends on: every module and data file of the engine, the user's chips.toml and
config.toml. Bad input is never cached: a miss validates, so a bad file gets the same
message naming file, key and allowed values. Demo sessions and WHATIF_NO_CACHE=1 always
go the full way (engine.cache.enabled).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from whatif.engine.warnings import Subject

_ENGINE = os.path.dirname(__file__)


@dataclass(frozen=True)
class Prepared:
    """What evaluating one preset needs, without its pydantic models."""

    inputs: dict[str, float]   # the resolved model inputs (engine.resolve.Resolved.values)
    subject: Subject           # the chip, cooling and mode the warnings name
    heading: tuple[str, ...]   # the text report's first lines (engine.report.heading)


def prepare(text: str, origin: str) -> Prepared:
    """The preset `text` (from `origin`, the name messages give) resolved against the catalog
    as it is now. Raises WhatifError naming `origin`, the key and what is allowed."""
    from whatif.engine import cache
    from whatif.engine.paths import config_path, user_chips_path

    sources = [*_engine_files(), user_chips_path(), config_path()]
    return cache.cached("prepared", sources, lambda: _prepare(text, origin), content=text.encode())


def _engine_files() -> list[str]:
    """The engine's modules and data files: a change to any of them may change a resolved value."""
    folders = (_ENGINE, os.path.join(_ENGINE, "data"))
    return [entry.path for folder in folders for entry in os.scandir(folder)
            if entry.name.endswith((".py", ".toml"))]


def _prepare(text: str, origin: str) -> Prepared:
    from whatif.engine.evaluate import subject_of
    from whatif.engine.presets import parse_preset
    from whatif.engine.report import heading
    from whatif.engine.resolve import resolve

    scenario = parse_preset(text, origin)
    resolved = resolve(scenario)
    return Prepared(dict(resolved.values), subject_of(resolved), heading(scenario, resolved))
