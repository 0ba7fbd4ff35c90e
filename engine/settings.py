"""The user's files: where they are and what they say.

Paths (engine.paths, which has no pydantic; platformdirs: on Linux XDG_CONFIG_HOME / XDG_STATE_HOME):

- `config_path()`: the config file, `<user config dir>/config.toml` (Linux
  `~/.config/whatif/config.toml`), or the file in $WHATIF_CONFIG.
- `user_chips_path()`: the older chip file `<user config dir>/chips.toml`, or $WHATIF_CHIPS.
  Still read; its entries are merged before config.toml's.
- `engine.presets.user_presets_dir()`: `<user config dir>/presets`, or $WHATIF_USER_PRESETS.
- `host_key_path()`: the SSH demo server's host key, `<user config dir>/ssh_host_ed25519_key`.
- `state_dir()`: `<user state dir>` (Linux `~/.local/state/whatif`), for files the app keeps
  for itself (crash recovery).

config.toml (every key optional)::

    theme = "nord"                      # a Textual theme name
    default_preset = "article-gpt4"     # a shipped or user preset's name, or a path
    [keymap]                            # binding id -> keys (Textual's App.set_keymap)
    "preset.save" = "ctrl+w"
    [chips.h100]                        # an existing key: these fields replace the shipped ones
    rent_usd_per_chip_hour = 1.9
    [cooling.my-loop]                   # a new key: a new entry (every required field)
    [regions.KEY]

`default_preset`: a path (`~` expanded; a relative path is relative to the config file's
folder), else the name of a shipped preset (`article-gpt4`), else of a user preset.

Reading these files into one `Settings` (with the catalog and the default preset) is
engine.user's job; this module only knows where the files are and what config.toml holds,
so that the catalog and the presets can read it without importing each other.

`save_theme(name) -> Path` writes only the `theme = ...` line of the user's file.
Files are re-read when their mtime changes.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string when the models are created, ~15 ms of every start.

import functools
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from whatif.engine.errors import WhatifError
from whatif.engine.paths import config_path, mtime
from whatif.engine.validation import format_validation_error

CATALOG_TABLES = ("chips", "cooling", "regions")


class ConfigFile(BaseModel):
    """config.toml as written. Catalog entries are checked when merged (engine.catalog)."""

    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True)

    theme: str | None = None
    default_preset: str | None = None
    keymap: dict[str, str] = {}
    chips: dict[str, dict[str, Any]] = {}
    cooling: dict[str, dict[str, Any]] = {}
    regions: dict[str, dict[str, Any]] = {}

    def catalog_entries(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {table: getattr(self, table) for table in CATALOG_TABLES}


EMPTY_CONFIG = ConfigFile.model_construct()  # no file: built without validating (no validator needed)


# ---------------------------------------------------------------------- reading

def read_toml(path: Path) -> dict[str, Any]:
    """A user file's TOML; WhatifError naming the file if it cannot be read or parsed."""
    from whatif.engine.safeio import loads_toml, read_user_text  # regular files, at most 1 MB

    return loads_toml(read_user_text(path), str(path))


def read_config(path: Path | None = None) -> ConfigFile:
    """The config file, validated (an absent file is an empty config). Raises WhatifError
    naming the file, the key and what is allowed."""
    path = path or config_path()
    return _read_config(str(path), mtime(path))


@functools.lru_cache(maxsize=8)
def _read_config(path: str, stamp: float) -> ConfigFile:
    if stamp < 0:
        return EMPTY_CONFIG
    data = read_toml(Path(path))
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise WhatifError(format_validation_error(exc, ConfigFile), path=path) from None


# ---------------------------------------------------------------------- writing

# Patterns, compiled (and cached by re) the first time a theme is saved, not at every start.
_TABLE = r"^\s*\["
_THEME = (r"""^(?P<lead>\s*(?:theme|"theme"|'theme')\s*=\s*)"""
          r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s#]+)(?P<rest>.*)$""")


def save_theme(name: str, path: Path | None = None) -> Path:
    """Set `theme = "name"` in the config file, changing nothing else (comments, order,
    other keys). Adds the line before the first table if absent; creates the file and its
    folders if missing. Atomic; keeps the file's mode; writes through a symlink. Raises
    WhatifError if the file exists but is not valid TOML (it is left as it is)."""
    if not isinstance(name, str) or not name:
        raise WhatifError(f"expected a theme name, got {name!r}", key="theme")
    path = path or config_path()
    if path.is_symlink():
        path = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        text, mode = "", None
    except (OSError, UnicodeDecodeError) as exc:
        raise WhatifError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", path=str(path)) from None
    if text:
        read_toml(path)  # never rewrite a file we cannot parse
    new = with_theme_line(text, _dump_string(name))
    if tomllib.loads(new).get("theme") != name:  # e.g. a theme key inside a multi-line string
        raise WhatifError("cannot find where to write the theme line; set theme = ... by hand", path=str(path))
    from whatif.engine.atomic import write_atomic

    written = write_atomic(path, new, overwrite=True, mode=mode)
    _read_config.cache_clear()
    return written


def _dump_string(value: str) -> str:
    import tomli_w

    return tomli_w.dumps({"v": value}).partition("=")[2].strip()


def with_theme_line(text: str, value: str) -> str:
    """`text` with its top-level `theme = ...` value replaced by `value` (a TOML string;
    a trailing comment stays), or the line inserted before the first table (and before the
    comment lines that introduce it)."""
    lines = text.splitlines(keepends=True)
    first_table = next((i for i, line in enumerate(lines) if re.match(_TABLE, line)), len(lines))
    for i in range(first_table):
        match = re.match(_THEME, lines[i].rstrip("\r\n"))
        if match:
            ending = lines[i][len(lines[i].rstrip("\r\n")):] or "\n"
            lines[i] = f"{match['lead']}{value}{match['rest']}{ending}"
            return "".join(lines)
    at = first_table
    if at < len(lines):  # keep a comment block that introduces the first table with it
        while at > 0 and lines[at - 1].lstrip().startswith("#"):
            at -= 1
        if at == 0:  # the file's own header comment: insert after it, just before the table
            at = first_table
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines[at:at] = [f"theme = {value}\n"] + (["\n"] if at < len(lines) else [])
    return "".join(lines)

