"""Everything the user's files say, with the defaults filled in: one call for a front-end.

`read_settings()` (the CLI) raises WhatifError naming the file and key of a problem;
`load_settings()` (the app) never does: it returns the defaults then, with `problem` saying
what is wrong, so the app starts and shows it. Paths and the config file itself are in
engine.settings; the catalog with the user's entries in engine.catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from whatif.engine.catalog import Catalog, load_catalog, shipped_catalog
from whatif.engine.errors import WhatifError
from whatif.engine.presets import resolve_default_preset
from whatif.engine.paths import config_path, mtime, user_chips_path
from whatif.engine.settings import read_config


@dataclass(frozen=True)
class Settings:
    """What the user's files say, with the defaults filled in."""

    path: Path                     # the config file (it may not exist)
    exists: bool
    theme: str | None = None       # a Textual theme name; None: the app's default
    keymap: Mapping[str, str] = field(default_factory=dict)  # binding id -> keys
    default_preset: str | None = None  # as written in the file
    default_preset_path: Path | None = None  # what it names; None: the shipped default.toml
    chips_path: Path | None = None  # the older chips.toml (it may not exist)
    problem: str | None = None     # why the user's files were not used (one line), or None
    catalog: Catalog | None = field(default=None, repr=False)  # shipped + the user's entries


def read_settings() -> Settings:
    """The effective settings. Raises WhatifError (file, key, what is allowed) for a bad
    config.toml or chips.toml, or a default_preset that names nothing."""
    path = config_path()
    config = read_config(path)
    catalog = load_catalog()
    preset = resolve_default_preset(config.default_preset, path) if config.default_preset else None
    return Settings(path=path, exists=mtime(path) >= 0, theme=config.theme, keymap=dict(config.keymap),
                    default_preset=config.default_preset, default_preset_path=preset,
                    chips_path=user_chips_path(), catalog=catalog)


def load_settings() -> Settings:
    """Like read_settings, but never raises for a bad user file: the defaults then, with
    `problem` saying what is wrong (the app starts and shows it)."""
    try:
        return read_settings()
    except WhatifError as exc:
        path = config_path()
        return Settings(path=path, exists=mtime(path) >= 0, chips_path=user_chips_path(), problem=str(exc),
                        catalog=shipped_catalog())
