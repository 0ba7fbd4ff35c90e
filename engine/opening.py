"""The app's opening state as plain data, kept in the start-up cache for its first frame.

Importing pydantic's model machinery is ~15 % of the app's time to its first frame, and
nothing on that frame needs validation: it shows a preset that validated at an earlier
start. So after a start the app keeps what its first frame reads (`Opening`: the user's
settings, the scenario, the catalog and the result) as `Mirror`s: the models' and the
resolved inputs' field and property values as plain attributes, which unpickle without
importing pydantic or any module that does. The next start with the same preset text,
catalog, user files and engine code draws from them, and builds the real objects just
after the frame (tui.session.EditSession.warm_up).

A mirror answers anything it does not hold (a method, say `Scenario.with_values`) from the
real object at the same place, built on first need by its `Anchor` (the loader the app
gives it). So code handed a mirror gets the real answer, only later than from plain data.

Nothing is kept for a preset that failed to load, a tour or several presets: those start
the full way, with the same messages.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from whatif.engine import cache
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import Result, evaluate
from whatif.engine.inputs import BY_KEY, region_price_usd_per_mwh
from whatif.engine.presets import read_preset_text

KIND = "opening"
DEFAULT_KIND = "opening-default"
_ENGINE = os.path.dirname(__file__)
# Objects of these modules hold plain data already and unpickle without pydantic.
_PLAIN_MODULES = ("whatif.engine.warnings", "whatif.engine.evaluate", "whatif.engine.origin")


class Anchor:
    """The real objects a set of mirrors stands for, built by `loader` on first need."""

    def __init__(self) -> None:
        self.loader: Callable[[], Any] | None = None
        self._real: Any = None

    def __getstate__(self) -> dict:
        return {}  # the loader and what it built belong to one process

    def __setstate__(self, _state: dict) -> None:
        self.__init__()

    @property
    def loaded(self) -> bool:
        return self._real is not None

    def real(self) -> Any:
        if self._real is None:
            if self.loader is None:
                raise RuntimeError("a mirror's real object was needed before its loader was set")
            self._real = self.loader()
        return self._real

    def resolve(self, path: tuple) -> Any:
        node = self.real()
        for step in path:
            node = node[step[0]] if isinstance(step, tuple) else getattr(node, step)
        return node


class Mirror:
    """A model's (or a dataclass's) field and property values as plain attributes; anything
    else comes from the real object at `_mirror_path` under `_mirror_anchor`."""

    _mirror_anchor: Anchor
    _mirror_path: tuple

    def __getattr__(self, name: str) -> Any:
        # Only called for what the instance does not hold. Never for dunders (pickle and
        # copy probe them) or the mirror's own slots (absent while unpickling).
        if name.startswith("__") or name.startswith("_mirror"):
            raise AttributeError(name)
        return getattr(self._mirror_anchor.resolve(self._mirror_path), name)

    @property
    def real(self) -> Any:
        """The real object this one stands for (built now if needed)."""
        return self._mirror_anchor.resolve(self._mirror_path)


class ScenarioMirror(Mirror):
    def get(self, dotted: str) -> Any:  # engine.scenario.Scenario.get, for the table's keys
        spec = BY_KEY.get(dotted)
        if spec is None:
            return self.real.get(dotted)  # the real one words the message
        return getattr(getattr(self, spec.group), spec.field)


class CatalogMirror(Mirror):
    def with_chips(self, entries: Any, origin: str) -> Any:  # engine.catalog.Catalog.with_chips
        return self.real.with_chips(entries, origin) if entries else self


class RegionMirror(Mirror):
    def price_usd_per_mwh(self, usd_per_eur: float) -> float:  # engine.catalog.Region's
        return region_price_usd_per_mwh(self, usd_per_eur)


_MIRRORS: dict[str, type[Mirror]] = {"Scenario": ScenarioMirror, "Catalog": CatalogMirror, "Region": RegionMirror}


@dataclass
class Opening:
    """What the app's first frame reads: the user's settings (engine.user.Settings, with
    the catalog), the preset's scenario and its result. Mirrors until `anchor` is loaded."""

    path: Path
    text: str          # the preset's text: the real scenario is parsed from it
    settings: Any
    scenario: Any
    result: Result
    anchor: Anchor
    has_claims: bool = False  # engine.claims has checks to show for it


def mirror(settings: Any, scenario: Any, result: Result, path: Path, text: str) -> Opening:
    """Plain copies of the real `settings`, `scenario` and its `result`."""
    from whatif.engine.claims import check_claims

    anchor = Anchor()
    memo: dict[int, Any] = {}
    real_result = result
    plain = Opening(path, text, _copy(settings, anchor, ("settings",), memo),
                    _copy(scenario, anchor, ("scenario",), memo), None, anchor)  # type: ignore[arg-type]
    plain.result = Result(_copy(real_result.scenario, anchor, ("result", "scenario"), memo),
                          _copy(real_result.resolved, anchor, ("result", "resolved"), memo),
                          dict(real_result.values), list(real_result.warnings))
    plain.has_claims = bool(check_claims(real_result))
    return plain


def _copy(value: Any, anchor: Anchor, path: tuple, memo: dict[int, Any]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, bytes, Path)):
        return value
    if id(value) in memo:  # shared (the catalog in the settings and the resolved inputs)
        return memo[id(value)]
    if isinstance(value, Mapping):
        return {k: _copy(v, anchor, (*path, (k,)), memo) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v, anchor, (*path, (i,)), memo) for i, v in enumerate(value))
    kind = type(value)
    if kind.__module__ in _PLAIN_MODULES or not kind.__module__.startswith("whatif."):
        return value
    if dataclasses.is_dataclass(value):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif hasattr(kind, "model_fields"):  # a pydantic model
        fields = {name: getattr(value, name) for name in kind.model_fields}
    else:  # a plain class (engine.catalog.Catalog)
        fields = dict(vars(value))
    plain = memo[id(value)] = object.__new__(_MIRRORS.get(kind.__name__, Mirror))
    plain._mirror_anchor, plain._mirror_path = anchor, path
    for name in dir(kind):  # properties a view may read, computed now
        if not name.startswith("_") and isinstance(getattr(kind, name, None), property):
            fields.setdefault(name, getattr(value, name))
    for name, field_value in fields.items():
        setattr(plain, name, _copy(field_value, anchor, (*path, name), memo))
    return plain


# ---------------------------------------------------------------------------- cache keys
def _sources() -> list[str]:
    """What an opening depends on besides the preset: the engine's modules and data, the
    user's files and the preset folders (a default_preset name is looked up there)."""
    from whatif.engine.paths import config_path, user_chips_path
    from whatif.engine.presets import shipped_presets_dir, user_presets_dir

    folders = (_ENGINE, os.path.join(_ENGINE, "data"), os.path.join(_ENGINE, "analysis"))
    files = [entry.path for folder in folders for entry in os.scandir(folder) if entry.name.endswith((".py", ".toml"))]
    return [*files, str(user_chips_path()), str(config_path()), str(shipped_presets_dir()), str(user_presets_dir())]


def load(path: Path | None) -> tuple[Opening | None, str]:
    """The cached opening of the preset at `path` (None: the default preset), and a stamp of
    the files it depends on for `store`."""
    sources = _sources()
    stamp = cache.key(DEFAULT_KIND, sources)
    if path is None:  # which file the default is depends on the user's config only
        found = cache.load(DEFAULT_KIND, stamp)
        if not isinstance(found, Path):
            return None, stamp
        path = found
    try:
        text = read_preset_text(path)
    except WhatifError:  # the full way words the message
        return None, stamp
    opening = cache.load(KIND, _key(path, text, sources))
    if not isinstance(opening, Opening):
        return None, stamp
    opening.anchor.loader = lambda: _real(opening)
    return opening, stamp


def _real(opening: Opening) -> SimpleNamespace:
    """The real objects an opening's mirrors stand for, built the full way (validated)."""
    from whatif.engine.presets import parse_preset
    from whatif.engine.user import load_settings

    settings = load_settings()
    scenario = parse_preset(opening.text, str(opening.path))
    return SimpleNamespace(settings=settings, scenario=scenario, result=evaluate(scenario, settings.catalog))


def store(stamp: str, settings: Any, scenario: Any, result: Result, path: Path, text: str, default: bool) -> None:
    """Keep the opening of the preset at `path` (`text`, parsed into `scenario`) for the next
    start, unless a file it depends on changed since `load` gave `stamp` (what was loaded
    then may not be what the files say now). `default`: opening without a preset opens it."""
    sources = _sources()
    if cache.key(DEFAULT_KIND, sources) != stamp:
        return
    cache.store(KIND, _key(path, text, sources), mirror(settings, scenario, result, path, text))
    if default:
        cache.store(DEFAULT_KIND, stamp, path)


def _key(path: Path, text: str, sources: list[str]) -> str:
    return cache.key(KIND, sources, f"{path}\0{text}".encode())
