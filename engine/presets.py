"""Presets: TOML scenarios with `schema = 1`. Loading names the file and key of every
problem; saving is atomic and never overwrites without being told to."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from whatif.engine.atomic import write_atomic
from whatif.engine.errors import WhatifError, did_you_mean
from whatif.engine.scenario import GROUPS, Scenario, scenario_from_dict

SCHEMA_VERSION = 1
PRESETS_ENV = "WHATIF_PRESETS"
USER_PRESETS_ENV = "WHATIF_USER_PRESETS"
META_KEYS = ("schema", "name", "description", "source")
TABLE_KEYS = (*GROUPS, "chips")


def shipped_presets_dir() -> Path:
    """The presets that ship with whatif (package data `whatif.presets`; installed as plain
    files, so a Path), or the folder in WHATIF_PRESETS."""
    env = os.environ.get(PRESETS_ENV)
    if env:
        return Path(env)
    from importlib import resources
    return Path(str(resources.files("whatif.presets")))


def user_presets_dir() -> Path:
    env = os.environ.get(USER_PRESETS_ENV)
    if env:
        return Path(env).expanduser()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return config_home / "whatif" / "presets"


def default_preset_path() -> Path:
    return shipped_presets_dir() / "default.toml"


def list_presets(*dirs: Path) -> list[Path]:
    dirs = dirs or (shipped_presets_dir(), user_presets_dir())
    return [p for d in dirs if d.is_dir() for p in sorted(d.glob("*.toml"))]


def parse_preset(text: str, origin: str) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WhatifError(f"not valid TOML: {exc}", path=origin) from None
    return preset_from_dict(data, origin)


def preset_from_dict(data: dict[str, Any], origin: str) -> Scenario:
    schema = data.get("schema")
    if schema is None:
        raise WhatifError(f"missing 'schema = {SCHEMA_VERSION}' at the top of the file", path=origin, key="schema")
    if schema != SCHEMA_VERSION:
        raise WhatifError(f"schema {schema!r} is not supported; this version of whatif reads schema = {SCHEMA_VERSION}",
                          path=origin, key="schema")
    allowed = (*META_KEYS, *TABLE_KEYS, *extra_tables())
    for key in data:
        if key not in allowed:
            raise WhatifError(f"unknown key{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}",
                              path=origin, key=key)
    body = {k: v for k, v in data.items() if k != "schema"}
    return scenario_from_dict(body, origin)


def extra_tables() -> tuple[str, ...]:
    """Optional tables a Scenario accepts beyond the groups (claims, uncertainty...)."""
    return tuple(k for k in Scenario.model_fields if k not in (*META_KEYS, *TABLE_KEYS))


def load_preset(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WhatifError("no such preset file", path=str(path)) from None
    except OSError as exc:
        raise WhatifError(f"cannot read: {exc.strerror}", path=str(path)) from None
    except UnicodeDecodeError:
        raise WhatifError("not a text file (expected UTF-8 TOML)", path=str(path)) from None
    return parse_preset(text, str(path))


def preset_to_dict(scenario: Scenario) -> dict[str, Any]:
    """TOML-ready dict: metadata first, then the groups; unset (default) fields are left out
    so that a saved preset keeps following the catalog's defaults."""
    data: dict[str, Any] = {"schema": SCHEMA_VERSION}
    for key in ("name", "description", "source"):
        value = getattr(scenario, key)
        if value:
            data[key] = value
    dumped = scenario.model_dump(exclude_none=True, exclude_defaults=False)
    for group, model in GROUPS.items():
        table = {k: v for k, v in dumped[group].items() if k in getattr(scenario, group).model_fields_set or
                 v != model.model_fields[k].default}
        if table:
            data[group] = table
    for key in (*extra_tables(), "chips"):
        value = dumped.get(key)
        if value:
            data[key] = value
    return data


def dumps_preset(scenario: Scenario) -> str:
    return tomli_w.dumps(preset_to_dict(scenario))


def save_preset(scenario: Scenario, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write atomically (temp file in the same folder, fsync, rename). Raises WhatifError if
    the file exists and `overwrite` is False."""
    return write_atomic(path, dumps_preset(scenario), overwrite=overwrite)
