"""`whatif config [--json]`: the user's files in use and the settings they give.

A bad config.toml or chips.toml fails like every command: one line naming the file and
the key on stderr, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from whatif.cli.commands.common import print_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Environment: WHATIF_CONFIG (the config file), WHATIF_CHIPS (the older chip file), "
                     "WHATIF_USER_PRESETS (the user presets folder), XDG_CONFIG_HOME / XDG_STATE_HOME (Linux).")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def collect() -> dict[str, Any]:
    """Paths and effective settings, JSON-ready."""
    from whatif.engine.presets import shipped_default_preset_path, user_presets_dir
    from whatif.engine.paths import host_key_path, state_dir
    from whatif.engine.user import read_settings

    s = read_settings()
    assert s.catalog is not None

    def place(path: Path) -> dict[str, Any]:
        return {"path": str(path), "exists": path.exists()}

    from whatif.engine.catalog import shipped_catalog

    entries: dict[str, dict[str, dict[str, Any]]] = {}
    for table in ("chips", "cooling", "regions"):
        shipped = getattr(shipped_catalog(), table)
        for key, entry in getattr(s.catalog, table).items():
            if entry.field_origins:
                entries.setdefault(table, {})[key] = {"new": key not in shipped, "fields": dict(entry.field_origins)}
    return {
        "paths": {
            "config": place(s.path),
            "chips": place(s.chips_path) if s.chips_path else None,
            "user_presets": place(user_presets_dir()),
            "state": place(state_dir()),
            "host_key": place(host_key_path()),
        },
        "settings": {
            "theme": s.theme,
            "default_preset": s.default_preset,
            "default_preset_path": str(s.default_preset_path or shipped_default_preset_path()),
            "keymap": dict(s.keymap),
        },
        # table -> key -> {new: not in the shipped catalog, fields: field -> the file that set it}
        "catalog": entries,
    }


def run(args: argparse.Namespace) -> int:
    data = collect()
    if args.json:
        print_json(data)
        return 0
    paths, settings = data["paths"], data["settings"]
    labels = {"config": "config file", "chips": "chips file (older)", "user_presets": "user presets",
              "state": "state folder", "host_key": "SSH host key"}
    print("Files")
    for name, label in labels.items():
        place = paths[name]
        print(f"  {label:<20} {place['path']}{'' if place['exists'] else '  (not there)'}")
    print("\nSettings")
    print(f"  {'theme':<20} {settings['theme'] or '(the app default)'}")
    chosen = settings["default_preset"]
    print(f"  {'default preset':<20} {settings['default_preset_path']}"
          f"{f'  (default_preset = {chosen!r})' if chosen else ''}")
    if settings["keymap"]:
        print("  keymap")
        for binding, keys in settings["keymap"].items():
            print(f"    {binding:<18} {keys}")
    else:
        print(f"  {'keymap':<20} (the app's keys)")
    print("\nYour catalog entries")
    if not data["catalog"]:
        print("  (none: add [chips.KEY], [cooling.KEY] or [regions.KEY] to the config file)")
    for table, entries in data["catalog"].items():
        for key, entry in entries.items():
            by_file: dict[str, list[str]] = {}
            for field, origin in entry["fields"].items():
                by_file.setdefault(origin, []).append(field)
            where = "; ".join(f"{', '.join(names)} from {origin}" for origin, names in by_file.items())
            print(f"  [{table}.{key}] {'new: ' if entry['new'] else ''}{where}")
    return 0
