"""Catalogs as data: chips, cooling types, regions and model constants, each with sources.

The shipped TOML files live in engine/data. Users add or override entries in their own
files (engine/settings.py: the older chips.toml, then config.toml's `[chips.KEY]`,
`[cooling.KEY]`, `[regions.KEY]`) and chips inline in a preset (`[chips.KEY]`). An entry
with a new key is added; one with an existing key is merged over it field by field (a
field such as dense_tflops is replaced as a whole). Each entry remembers which file set
each of its fields (`field_origins`), so that a value is explained with its file.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string when the models are created, ~15 ms of every start.

import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from whatif.engine import paths, settings
from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.inputs import PRECISIONS, region_price_usd_per_mwh
from whatif.engine.validation import format_validation_error

Precision = Literal[PRECISIONS]  # type: ignore[valid-type]
USER_CHIPS_ENV = paths.USER_CHIPS_ENV


class _Entry(BaseModel):
    """A catalog entry. `field_origins`: field -> the user file (path) or INLINE_PRESET that
    set it; fields from the shipped catalog are absent."""

    model_config = ConfigDict(extra="forbid", defer_build=True, frozen=True, allow_inf_nan=False)
    _field_origins: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def field_origins(self) -> Mapping[str, str]:
        return self._field_origins

    def set_by(self, *names: str) -> str | None:
        """The origin label of the first of `names` set by a user file or preset, or None."""
        return next((self._field_origins[n] for n in names if n in self._field_origins), None)


_E = TypeVar("_E", bound=_Entry)


class Chip(_Entry):
    """One accelerator. Powers and prices are optional: what is not published stays None."""

    key: str
    name: str
    vendor: str = ""
    launch_year: int | None = None
    status: str = ""
    estimate: bool = False
    estimated_fields: list[str] = []
    dense_tflops: dict[Precision, Annotated[float, Field(gt=0)]] = Field(min_length=1)
    hbm_gb: float | None = Field(default=None, gt=0)
    hbm_bw_tbps: float | None = Field(default=None, gt=0)
    scaleup_bw_gbps: float | None = Field(default=None, gt=0)
    scaleup_domain: int | None = Field(default=None, ge=1)        # chips in one scale-up (NVLink/ICI) domain
    scaleout_bw_gbps: float | None = Field(default=None, gt=0)    # scale-out NIC bandwidth per chip, one direction
    network_basis: str = ""                                        # sources of the three fields above
    tdp_w: float | None = Field(default=None, gt=0)
    tdp_basis: str = ""
    chips_per_server: int = Field(default=8, ge=1)
    server_kw: float | None = Field(default=None, gt=0)
    server_name: str = ""
    it_kw_per_chip: float | None = Field(default=None, gt=0)
    it_kw_basis: str = ""
    fixed_rack_chips: int | None = Field(default=None, ge=1)
    rack_kw: float | None = Field(default=None, gt=0)
    rack_basis: str = ""
    default_cooling: str | None = None
    cooling_basis: str = ""
    capex_usd: float | None = Field(default=None, ge=0)
    capex_basis: str = ""
    rent_usd_per_chip_hour: float | None = Field(default=None, ge=0)
    rent_basis: str = ""
    rent_estimate: bool = False
    notes: str = ""
    sources: str = ""

    def peak_tflops(self, precision: str) -> float:
        """Dense peak at `precision`; fp16 falls back to bf16 (same tensor rate on every
        catalog chip that publishes both). Raises a WhatifError naming what is supported."""
        if precision in self.dense_tflops:
            return self.dense_tflops[precision]  # type: ignore[index]
        if precision == "fp16" and "bf16" in self.dense_tflops:
            return self.dense_tflops["bf16"]
        supported = ", ".join(self.supported_precisions())
        raise WhatifError(
            f"chip '{self.key}' ({self.name}) has no published {precision} peak; it supports: {supported}",
            key="workload.precision",
        )

    def supported_precisions(self) -> list[str]:
        have = set(self.dense_tflops)
        if "bf16" in have:
            have.add("fp16")
        return [p for p in PRECISIONS if p in have]

    def it_kw(self, server_overhead_factor: float) -> tuple[float | None, str, bool]:
        """All-in IT kW per chip, how it was obtained, and whether that is an estimate."""
        if self.it_kw_per_chip is not None:
            return self.it_kw_per_chip, self.it_kw_basis or "catalog value", False
        if self.fixed_rack_chips and self.rack_kw:
            basis = f"rack {self.rack_kw:g} kW / {self.fixed_rack_chips} chips ({self.rack_basis})"
            return self.rack_kw / self.fixed_rack_chips, basis, self.estimate
        if self.server_kw:
            basis = f"{self.server_name or 'reference server'} {self.server_kw:g} kW max / {self.chips_per_server} chips"
            return self.server_kw / self.chips_per_server, basis, False
        if self.tdp_w:
            basis = (f"no reference server published: TDP {self.tdp_w:g} W x server overhead "
                     f"{server_overhead_factor:g} (DGX and NVL72 maxima: 1.4-1.8x, docs/model.md §5)")
            return self.tdp_w / 1000 * server_overhead_factor, basis, True
        return None, "no power figure published for this chip", True

    def it_kw_fields(self) -> tuple[str, ...]:
        """The fields it_kw() used (to tell whose figure it is)."""
        if self.it_kw_per_chip is not None:
            return ("it_kw_per_chip",)
        if self.fixed_rack_chips and self.rack_kw:
            return ("rack_kw", "fixed_rack_chips")
        if self.server_kw:
            return ("server_kw", "chips_per_server")
        return ("tdp_w",) if self.tdp_w else ()


class Cooling(_Entry):
    key: str
    name: str
    pue: float = Field(ge=1)
    max_rack_kw: float = Field(gt=0)
    wue_l_per_kwh: float = Field(ge=0)
    build_factor: float = Field(gt=0)
    fan_share: float = Field(ge=0, lt=1)
    sources: str


class Region(_Entry):
    key: str
    name: str
    usd_per_mwh: float | None = Field(default=None, ge=0)
    eur_per_mwh: float | None = Field(default=None, ge=0)
    grid_g_per_kwh: float = Field(ge=0)
    estimated: list[str] = []
    sources: str

    def price_usd_per_mwh(self, usd_per_eur: float) -> float:
        return region_price_usd_per_mwh(self, usd_per_eur)


class Catalog:
    """Chips, cooling types, regions and constants; immutable once built."""

    def __init__(self, chips: Mapping[str, Chip], cooling: Mapping[str, Cooling],
                 regions: Mapping[str, Region], defaults: Mapping[str, Any]) -> None:
        self.chips = dict(chips)
        self.cooling = dict(cooling)
        self.regions = dict(regions)
        self.defaults = defaults

    def chip(self, key: str) -> Chip:
        try:
            return self.chips[key]
        except KeyError:
            raise WhatifError(unknown_choice("chip", key, self.chips), key="cluster.chip") from None

    def cooling_type(self, key: str) -> Cooling:
        try:
            return self.cooling[key]
        except KeyError:
            raise WhatifError(unknown_choice("cooling type", key, self.cooling), key="facility.cooling") from None

    def region(self, key: str) -> Region:
        try:
            return self.regions[key]
        except KeyError:
            raise WhatifError(unknown_choice("region", key, self.regions), key="facility.region") from None

    def with_chips(self, entries: Mapping[str, Mapping[str, Any]], origin: str) -> "Catalog":
        """A catalog with `entries` added or merged over existing chips. `origin`: the user
        file's path, or INLINE_PRESET for a preset's `[chips.KEY]`."""
        return self.with_entries({"chips": entries}, origin) if entries else self

    def with_entries(self, tables: Mapping[str, Mapping[str, Mapping[str, Any]]], origin: str) -> "Catalog":
        """A catalog with `tables` ({"chips"|"cooling"|"regions": {key: fields}}) added or
        merged over existing entries, each field remembered as set by `origin`."""
        if not any(tables.values()):
            return self
        merged = {"chips": dict(self.chips), "cooling": dict(self.cooling), "regions": dict(self.regions)}
        for table, entries in tables.items():
            model = _MODELS[table]
            for key, entry in entries.items():
                merged[table][key] = parse_entry(model, table, key, entry, origin, base=merged[table].get(key))
        return Catalog(merged["chips"], merged["cooling"], merged["regions"], self.defaults)


def parse_entry(model: type[_E], table: str, key: str, entry: Mapping[str, Any], origin: str,
                base: _E | None = None) -> _E:
    """`entry` (the fields of `[table.key]` in `origin`) merged over `base`. Raises
    WhatifError naming the file, `table.key.field` and what is allowed."""
    if not isinstance(entry, Mapping):
        raise WhatifError(f"must be a table of {_NOUN[table]} fields, got {entry!r}", path=origin,
                          key=f"{table}.{key}")
    data = base.model_dump() if base else {}
    data.update(entry)
    data["key"] = key
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        missing = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "missing" and len(e["loc"]) == 1]
        if base is None and missing and len(missing) == len(exc.errors()) and origin not in _SHIPPED:
            raise WhatifError(f"a new {_NOUN[table]} needs {', '.join(missing)} (missing); an existing key "
                              f"({_existing_keys(table)}) is merged field by field instead",
                              path=origin, key=f"{table}.{key}") from None
        raise WhatifError(format_validation_error(exc, model, prefix=f"{table}.{key}"), path=origin) from None
    if origin not in _SHIPPED:
        origins = dict(base.field_origins) if base else {}
        origins.update((name, origin) for name in entry if name != "key")
        parsed._field_origins = origins
    return parsed


def _existing_keys(table: str) -> str:
    if table == "chips":
        return "whatif chips lists them"
    return ", ".join(sorted(getattr(shipped_catalog(), table)))


def parse_chip(key: str, entry: Mapping[str, Any], origin: str, base: Chip | None = None) -> Chip:
    return parse_entry(Chip, "chips", key, entry, origin, base)


_MODELS: dict[str, type[_Entry]] = {"chips": Chip, "cooling": Cooling, "regions": Region}
_NOUN = {"chips": "chip", "cooling": "cooling type", "regions": "region"}
_SHIPPED = {f"engine/data/{name}.toml" for name in _MODELS}


def _read_data(name: str) -> dict[str, Any]:
    from importlib import resources  # only when the cache misses

    text = resources.files("whatif.engine.data").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def user_chips_path() -> Path:
    return paths.user_chips_path()


@functools.cache
def shipped_catalog() -> Catalog:
    tables = {name: {k: parse_entry(model, name, k, v, f"engine/data/{name}.toml")
                     for k, v in _read_data(f"{name}.toml").items()} for name, model in _MODELS.items()}
    return Catalog(tables["chips"], tables["cooling"], tables["regions"], _read_data("defaults.toml"))


def load_catalog(user_path: Path | None = None) -> Catalog:
    """The shipped catalog with the user's files merged in: chips.toml (`user_path`, else
    paths.user_chips_path()), then config.toml's catalog tables. Re-read when a file
    changes. Raises WhatifError naming the file and key of a problem."""
    chips = Path(user_path) if user_path is not None else paths.user_chips_path()
    config = paths.config_path()
    return _with_user_files(str(chips), paths.mtime(chips), str(config), paths.mtime(config))


_DATA = Path(__file__).with_name("data")  # the package data read below (for the cache key)


@functools.lru_cache(maxsize=8)
def _with_user_files(chips: str, chips_stamp: float, config: str, config_stamp: float) -> Catalog:
    from whatif.engine.cache import cached, module_files

    sources = [*(_DATA / f"{name}.toml" for name in (*_MODELS, "defaults")), chips, config,
               *module_files(__name__, "whatif.engine.inputs", "whatif.engine.settings")]
    return cached("catalog", sources, lambda: _merge_user_files(chips, chips_stamp, config, config_stamp))


def _merge_user_files(chips: str, chips_stamp: float, config: str, config_stamp: float) -> Catalog:
    catalog = shipped_catalog()
    if chips_stamp >= 0:
        data = settings.read_toml(Path(chips))
        catalog = catalog.with_chips(data.get("chips", data), origin=chips)
    if config_stamp >= 0:
        entries = settings.read_config(Path(config)).catalog_entries()
        catalog = catalog.with_entries(entries, origin=config)
    return catalog
