"""Tours: an ordered list of presets to step through in the app (`whatif --tour DIR`).

DIR/tour.toml names the stops:

    title = "From one GPU to a gigawatt"
    [[stop]]
    preset = "01-h100.toml"      # relative to DIR
    note = "what to look at"     # optional

Without tour.toml the stops are the sorted *.toml files of DIR and the title is DIR's name.
Kept free of Textual so it loads (and is tested) without the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from whatif.engine.errors import WhatifError, did_you_mean

TOUR_FILE = "tour.toml"
_TOUR_KEYS = ("title", "stop")
_STOP_KEYS = ("preset", "note")


@dataclass(frozen=True)
class Stop:
    path: Path
    note: str = ""


@dataclass(frozen=True)
class Tour:
    title: str
    stops: tuple[Stop, ...]
    folder: Path


def shipped_tours() -> list[Tour]:
    """The tours that ship with whatif (presets/tours/*), in folder order; one that does not
    load is left out (the tests load each)."""
    from whatif.engine.presets import shipped_presets_dir

    root = shipped_presets_dir() / "tours"
    tours = []
    for folder in sorted(p for p in root.glob("*") if p.is_dir()) if root.is_dir() else ():
        try:
            tours.append(load_tour(folder))
        except WhatifError:
            continue
    return tours


def load_tour(folder: str | Path) -> Tour:
    """Read a tour folder. Raises WhatifError naming the file and key of any problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WhatifError("not a folder (a tour is a folder of presets, optionally with tour.toml)",
                          path=str(folder))
    spec = folder / TOUR_FILE
    if spec.is_file():
        return _from_spec(folder, spec)
    stops = tuple(Stop(p) for p in sorted(folder.glob("*.toml")) if p.name != TOUR_FILE)
    if not stops:
        raise WhatifError("no *.toml presets in this folder", path=str(folder))
    return Tour(folder.name, stops, folder)


def _from_spec(folder: Path, spec: Path) -> Tour:
    where = str(spec)
    from whatif.engine.safeio import loads_toml, read_user_text  # regular files, at most 1 MB

    data = loads_toml(read_user_text(spec), where)
    for key in data:
        if key not in _TOUR_KEYS:
            raise WhatifError(f"unknown key{did_you_mean(key, _TOUR_KEYS)}; allowed: {', '.join(_TOUR_KEYS)}",
                              path=where, key=key)
    title = data.get("title", folder.name)
    if not isinstance(title, str):
        raise WhatifError(f"expected text, got {title!r}", path=where, key="title")
    entries = data.get("stop", [])
    if not isinstance(entries, list) or not entries:
        raise WhatifError("needs at least one [[stop]] table with preset = \"file.toml\"", path=where, key="stop")
    return Tour(title, tuple(_stop(folder, where, i, e) for i, e in enumerate(entries, 1)), folder)


def _stop(folder: Path, where: str, number: int, entry: object) -> Stop:
    key = f"stop {number}"
    if not isinstance(entry, dict):
        raise WhatifError(f"expected a table, got {entry!r}", path=where, key=key)
    for name in entry:
        if name not in _STOP_KEYS:
            raise WhatifError(f"unknown key '{name}'{did_you_mean(name, _STOP_KEYS)}; allowed: "
                              f"{', '.join(_STOP_KEYS)}", path=where, key=key)
    preset = entry.get("preset")
    if not isinstance(preset, str) or not preset:
        raise WhatifError("needs preset = \"file.toml\" (a path relative to the tour folder)", path=where, key=key)
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise WhatifError(f"note: expected text, got {note!r}", path=where, key=key)
    path = folder / preset
    if not path.is_file():
        raise WhatifError(f"preset '{preset}' not found in {folder}", path=where, key=key)
    return Stop(path, note)
