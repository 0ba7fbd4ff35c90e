"""Catalogs as data: chips, cooling types, regions and model constants, each with sources.

The shipped TOML files live in engine/data. Users add or override chips in their own file
(`~/.config/whatif/chips.toml`, or the path in WHATIF_CHIPS) and inline in a preset
(`[chips.<key>]`); an entry with an existing key is merged over the shipped one.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.inputs import PRECISIONS
from whatif.engine.validation import format_validation_error

Precision = Literal[PRECISIONS]  # type: ignore[valid-type]
USER_CHIPS_ENV = "WHATIF_CHIPS"


class Chip(BaseModel):
    """One accelerator. Powers and prices are optional: what is not published stays None."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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


class Cooling(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    name: str
    pue: float = Field(ge=1)
    max_rack_kw: float = Field(gt=0)
    wue_l_per_kwh: float = Field(ge=0)
    build_factor: float = Field(gt=0)
    fan_share: float = Field(ge=0, lt=1)
    sources: str


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    name: str
    usd_per_mwh: float | None = Field(default=None, ge=0)
    eur_per_mwh: float | None = Field(default=None, ge=0)
    grid_g_per_kwh: float = Field(ge=0)
    estimated: list[str] = []
    sources: str

    def price_usd_per_mwh(self, usd_per_eur: float) -> float:
        if self.usd_per_mwh is not None:
            return self.usd_per_mwh
        assert self.eur_per_mwh is not None, f"region {self.key} has no price"
        return self.eur_per_mwh * usd_per_eur


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

    def with_chips(self, entries: Mapping[str, Mapping[str, Any]], origin: str) -> Catalog:
        """A catalog with `entries` added or merged over existing chips."""
        if not entries:
            return self
        chips = dict(self.chips)
        for key, entry in entries.items():
            chips[key] = parse_chip(key, entry, origin, base=chips.get(key))
        return Catalog(chips, self.cooling, self.regions, self.defaults)


def parse_chip(key: str, entry: Mapping[str, Any], origin: str, base: Chip | None = None) -> Chip:
    if not isinstance(entry, Mapping):
        raise WhatifError(f"must be a table of chip fields, got {entry!r}", path=origin, key=f"chips.{key}")
    data = base.model_dump() if base else {}
    data.update(entry)
    data["key"] = key
    try:
        return Chip.model_validate(data)
    except ValidationError as exc:
        raise WhatifError(format_validation_error(exc, Chip, prefix=f"chips.{key}"), path=origin) from None


def _read_data(name: str) -> dict[str, Any]:
    text = resources.files("whatif.engine.data").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def user_chips_path() -> Path:
    return Path(_user_chips_file())


def _user_chips_file() -> str:
    # os.path rather than pathlib: this runs on every evaluation (the file may change).
    env = os.environ.get(USER_CHIPS_ENV)
    if env:
        return os.path.expanduser(env)
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config_home, "whatif", "chips.toml")


@functools.cache
def shipped_catalog() -> Catalog:
    chips = {k: parse_chip(k, v, "engine/data/chips.toml") for k, v in _read_data("chips.toml").items()}
    cooling = {k: Cooling(key=k, **v) for k, v in _read_data("cooling.toml").items()}
    regions = {k: Region(key=k, **v) for k, v in _read_data("regions.toml").items()}
    return Catalog(chips, cooling, regions, _read_data("defaults.toml"))


def load_catalog(user_path: Path | None = None) -> Catalog:
    """The shipped catalog with the user's chip file merged in (if it exists)."""
    path = str(user_path) if user_path is not None else _user_chips_file()
    return _with_user_file(path, _mtime(path))


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


@functools.lru_cache(maxsize=8)
def _with_user_file(path: str, mtime: float) -> Catalog:
    base = shipped_catalog()
    if mtime < 0:
        return base
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WhatifError(f"not valid TOML: {exc}", path=path) from None
    except OSError as exc:
        raise WhatifError(f"cannot read: {exc.strerror}", path=path) from None
    entries = data.get("chips", data)
    return base.with_chips(entries, origin=path)
