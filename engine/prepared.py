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

`with_values` applies `--set` values that set one resolved input each and that the input
table (engine.inputs) accepts as they are; anything else is left to validation.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Any

from whatif.engine.inputs import INPUTS, Input
from whatif.engine.warnings import Subject

_ENGINE = os.path.dirname(__file__)
# Inputs whose value resolution copies into one model input and derives nothing from: every
# number outside [workload] (whose sizes and shape feed FLOPs and the model family). Choices
# pick catalog entries. A --set of anything else goes through the models.
DIRECT_INPUTS: dict[str, Input] = {spec.key: spec for spec in INPUTS
                                   if spec.name and spec.numeric and spec.group != "workload"}


@dataclass(frozen=True)
class Prepared:
    """What evaluating one preset needs, without its pydantic models."""

    inputs: dict[str, float]   # the resolved model inputs (engine.resolve.Resolved.values)
    subject: Subject           # the chip, cooling and mode the warnings name
    name: str                  # the scenario's name, and what it runs on (engine.report.runs_on)
    runs_on: str

    def heading(self) -> tuple[str, str]:
        """The text report's first lines, as engine.report.heading gives them."""
        from whatif.engine.report import heading_lines

        return heading_lines(self.name, int(self.inputs["count"]), self.runs_on)


def prepare(text: str, origin: str) -> Prepared:
    """The preset `text` (from `origin`, the name messages give) resolved against the catalog
    as it is now. Raises WhatifError naming `origin`, the key and what is allowed."""
    from whatif.engine import cache
    from whatif.engine.paths import config_path, user_chips_path

    sources = [*_engine_files(), user_chips_path(), config_path()]
    return cache.cached("prepared", sources, lambda: _prepare(text, origin), content=text.encode())


def with_values(prepared: Prepared, values: dict[str, Any]) -> Prepared | None:
    """`prepared` with 'group.key' values set, as Scenario.with_values and resolving would
    set them; None if any of them is not a DIRECT_INPUTS value the table accepts as it is
    (validation then decides, and words its message)."""
    inputs = dict(prepared.inputs)
    for key, value in values.items():
        spec = DIRECT_INPUTS.get(key)
        if spec is None or not _accepted(spec, value):
            return None
        inputs[spec.name] = float(value)
    return replace(prepared, inputs=inputs)


def _accepted(spec: Input, value: Any) -> bool:
    """What the scenario's field (engine.scenario) accepts: an int for a count, an int or a
    float otherwise (never a bool or text), finite and within the bounds."""
    if type(value) is not int and (spec.integer or type(value) is not float):
        return False
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return False
    return (math.isfinite(number) and (spec.gt is None or number > spec.gt) and (spec.ge is None or number >= spec.ge)
            and (spec.lt is None or number < spec.lt) and (spec.le is None or number <= spec.le))


def _engine_files() -> list[str]:
    """The engine's modules and data files: a change to any of them may change a resolved value."""
    folders = (_ENGINE, os.path.join(_ENGINE, "data"))
    return [entry.path for folder in folders for entry in os.scandir(folder)
            if entry.name.endswith((".py", ".toml"))]


def _prepare(text: str, origin: str) -> Prepared:
    from whatif.engine.evaluate import subject_of
    from whatif.engine.presets import parse_preset
    from whatif.engine.report import runs_on
    from whatif.engine.resolve import resolve

    scenario = parse_preset(text, origin)
    resolved = resolve(scenario)
    return Prepared(dict(resolved.values), subject_of(resolved), scenario.name, runs_on(resolved))
