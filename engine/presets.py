"""Presets: TOML scenarios with `schema = 1`. Loading names the file and key of every
problem; saving is atomic and never overwrites without being told to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whatif.engine.errors import WhatifError, did_you_mean
from whatif.engine.inputs import GROUP_NAMES
from whatif.engine.safeio import MAX_FILE_BYTES, loads_toml, read_user_text

if TYPE_CHECKING:
    # Imported where used: reading a preset's text and the paths need no pydantic model
    # (engine.prepared's cache hit builds none).
    from whatif.engine.scenario import Scenario

SCHEMA_VERSION = 1
PRESETS_ENV = "WHATIF_PRESETS"
USER_PRESETS_ENV = "WHATIF_USER_PRESETS"
META_KEYS = ("schema", "name", "description", "source")
TABLE_KEYS = (*GROUP_NAMES, "chips")


def shipped_presets_dir() -> Path:
    """The presets that ship with whatif (package data `whatif.presets`; installed as plain
    files, so a Path), or the folder in WHATIF_PRESETS."""
    env = os.environ.get(PRESETS_ENV)
    if env:
        return Path(env)
    from importlib import resources
    return Path(str(resources.files("whatif.presets")))


def user_presets_dir() -> Path:
    """The user's presets: `presets/` in the user's config folder (engine/settings.py), or
    the folder in WHATIF_USER_PRESETS."""
    env = os.environ.get(USER_PRESETS_ENV)
    if env:
        return Path(env).expanduser()
    from whatif.engine.paths import config_dir
    return config_dir() / "presets"


def shipped_default_preset_path() -> Path:
    return shipped_presets_dir() / "default.toml"


def default_preset_path() -> Path:
    """The preset the app opens without one: config.toml's `default_preset` (a path or a
    preset name), else the shipped default.toml. Never raises: a bad config falls back to
    the shipped file (engine.user.load_settings().problem says why)."""
    from whatif.engine.catalog import load_catalog
    from whatif.engine.paths import config_path
    from whatif.engine.settings import read_config

    try:
        load_catalog()  # a bad user file anywhere: the app runs on the defaults (engine.user)
        value = read_config().default_preset
        return resolve_default_preset(value, config_path()) if value else shipped_default_preset_path()
    except WhatifError:
        return shipped_default_preset_path()


def resolve_default_preset(value: str, config: Path) -> Path:
    """The preset file `default_preset = value` names. Raises WhatifError if none."""
    candidate = Path(value).expanduser()
    if not candidate.is_absolute():
        candidate = config.parent / candidate
    if candidate.is_file():
        return candidate
    names: list[str] = []
    if "/" not in value and os.sep not in value:
        stem = value.removesuffix(".toml")
        for folder in (shipped_presets_dir(), user_presets_dir()):
            found = folder / f"{stem}.toml"
            if found.is_file():
                return found
            if folder.is_dir():
                names += sorted(p.stem for p in folder.glob("*.toml"))
    raise WhatifError(f"no preset file {str(candidate)!r} and no preset named {value!r}"
                      f"{did_you_mean(value, names)}; allowed: a path to a preset file, or a preset name "
                      f"(whatif presets lists them)", path=str(config), key="default_preset")


def list_presets(*dirs: Path) -> list[Path]:
    dirs = dirs or (shipped_presets_dir(), user_presets_dir())
    return [p for d in dirs if d.is_dir() for p in sorted(d.glob("*.toml"))]


def parse_preset(text: str, origin: str) -> Scenario:
    """The scenario a preset's text describes (validated once per text: engine.cache);
    WhatifError naming `origin` and the key otherwise (hostile input included: bad syntax,
    deep nesting, huge integers, text over the size limit)."""
    if len(text) > MAX_FILE_BYTES:
        raise WhatifError(f"too large ({len(text):,} characters); allowed: at most {MAX_FILE_BYTES:,}", path=origin)
    import whatif.engine.scenario  # noqa: F401  (the cached value is a Scenario; module_files stamps its file)
    from whatif.engine.cache import cached, module_files

    sources = module_files(__name__, "whatif.engine.scenario", "whatif.engine.inputs")
    scenario = cached("preset", sources, lambda: _validated(loads_toml(text, origin), origin), content=text.encode())
    return check_references(scenario, origin)  # against the catalog as it is now, not when cached


def preset_from_dict(data: dict[str, Any], origin: str) -> Scenario:
    return check_references(_validated(data, origin), origin)


def _validated(data: dict[str, Any], origin: str) -> Scenario:
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
    from whatif.engine.scenario import scenario_from_dict

    return scenario_from_dict(body, origin)


def check_references(scenario: Scenario, origin: str | None) -> Scenario:
    """`scenario` if the catalog knows its chip, cooling type and region and its inline
    [chips.*] are valid; else a WhatifError naming `origin` (the file, or --set), the key and
    what is allowed. Resolving knows these problems, but not which file they came from."""
    from whatif.engine.catalog import load_catalog
    from whatif.engine.inputs import INLINE_PRESET
    from whatif.engine.resolve import resolve

    try:
        catalog = load_catalog()
    except WhatifError:
        return scenario  # a bad user file: whoever uses the catalog reports it, naming that file
    try:
        resolve(scenario, catalog)
    except WhatifError as exc:
        if exc.path is None or exc.path == INLINE_PRESET:
            raise WhatifError(exc.detail, path=origin, key=exc.key) from None
        raise
    return scenario


def extra_tables() -> tuple[str, ...]:
    """Optional tables a Scenario accepts beyond the groups (claims, uncertainty...)."""
    from whatif.engine.scenario import Scenario

    return tuple(k for k in Scenario.model_fields if k not in (*META_KEYS, *TABLE_KEYS))


def load_preset(path: str | Path) -> Scenario:
    """The preset in the file at `path`: a regular file of at most 1 MB (a FIFO or device is
    refused at once, never read). Raises WhatifError naming the file, the key and the value."""
    return parse_preset(read_preset_text(path), str(path))


def read_preset_text(path: str | Path) -> str:
    """The text of the preset file at `path` (see load_preset); WhatifError naming it if none."""
    path = Path(path)
    try:
        return read_user_text(path)
    except WhatifError as exc:
        if exc.detail == "no such file":
            raise WhatifError("no such preset file", path=str(path)) from None
        raise


def preset_to_dict(scenario: Scenario) -> dict[str, Any]:
    """TOML-ready dict: metadata first, then the groups; unset (default) fields are left out
    so that a saved preset keeps following the catalog's defaults."""
    data: dict[str, Any] = {"schema": SCHEMA_VERSION}
    for key in ("name", "description", "source"):
        value = getattr(scenario, key)
        if value:
            data[key] = value
    from whatif.engine.scenario import GROUPS

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
    import tomli_w  # writing only

    return tomli_w.dumps(preset_to_dict(scenario))


def save_preset(scenario: Scenario, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write atomically (temp file in the same folder, fsync, rename). Raises WhatifError if
    the file exists and `overwrite` is False."""
    from whatif.engine.atomic import write_atomic

    return write_atomic(path, dumps_preset(scenario), overwrite=overwrite)


SCHEMA_FILE = "whatif-preset.schema.json"


def preset_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a preset file, for editors (Taplo / Even Better TOML):
    the Scenario model, the `schema = 1` key, and inline `[chips.KEY]` tables described by
    the chip model (every field optional: a known key is merged over the catalog's chip).
    Shipped as presets/whatif-preset.schema.json (`whatif schema` prints it)."""
    from whatif.engine.catalog import Chip
    from whatif.engine.scenario import Scenario

    body = Scenario.model_json_schema()
    chip = Chip.model_json_schema()
    chip["properties"].pop("key")
    chip.pop("required", None)
    chip["title"] = "Chip"
    chip["description"] = ("A chip for this preset: a new key needs name and dense_tflops; a catalog key "
                           "(whatif chips) is merged field by field over the catalog's entry.")
    defs = {**body.pop("$defs"), "Chip": chip}
    properties = body.pop("properties")
    properties["chips"] = {"type": "object", "title": "Chips", "additionalProperties": {"$ref": "#/$defs/Chip"},
                           "description": "Inline chips, [chips.KEY]."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "whatif preset",
        "description": (f"A whatif scenario (TOML). Start the file with schema = {SCHEMA_VERSION}; workload and "
                        "cluster are required, every other input falls back to the catalog's defaults."),
        "type": "object",
        "properties": {"schema": {"const": SCHEMA_VERSION, "description": "preset file format version"},
                       **properties},
        "required": ["schema", *body.pop("required", [])],
        "additionalProperties": False,
        "$defs": defs,
    }


def preset_json_schema_text() -> str:
    """The schema as the shipped file holds it: fields in model order, two-space indent."""
    import json
    return json.dumps(preset_json_schema(), indent=2, ensure_ascii=False) + "\n"
