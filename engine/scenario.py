"""The scenario: five groups of validated inputs (docs/model.md §1).

A field left as None means "use the default": from the chip, cooling type, region or the
model constants in engine/data. The resolved values and where each came from are in
engine.resolve.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from whatif.engine.catalog import Precision
from whatif.engine.claims import Claims
from whatif.engine.errors import WhatifError
from whatif.engine.uncertainty import Uncertainty
from whatif.engine.validation import format_validation_error

Mode = Literal["rent", "own"]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Workload(_Group):
    params_b: float = Field(gt=0, description="total parameters, billions")
    active_params_b: float | None = Field(default=None, gt=0, description="active parameters per token (MoE), billions")
    tokens_t: float = Field(gt=0, description="training tokens, trillions")
    flops: float | None = Field(default=None, gt=0, description="total training FLOPs")
    precision: Precision = "bf16"


class Cluster(_Group):
    chip: str = Field(min_length=1)
    count: int = Field(ge=1, le=100_000_000, description="accelerators")
    mfu: float | None = Field(default=None, gt=0, le=1, description="steady-state model FLOPs utilisation")
    goodput: float | None = Field(default=None, gt=0, le=1, description="share of wall-clock doing useful steps")
    mtti_chip_hours: float | None = Field(default=None, gt=0, description="mean time to interrupt per chip, hours")
    checkpoint_minutes: float | None = Field(default=None, gt=0, description="time to write one checkpoint")
    restart_minutes: float | None = Field(default=None, ge=0, description="time to restart after an interruption")
    planned_downtime: float | None = Field(default=None, ge=0, lt=1, description="share of time in planned maintenance")


class Facility(_Group):
    cooling: str | None = None
    pue: float | None = Field(default=None, ge=1, le=5)
    it_kw_per_chip: float | None = Field(default=None, gt=0, description="all-in IT kW per accelerator")
    region: str | None = None
    electricity_usd_per_mwh: float | None = Field(default=None, ge=0)
    grid_g_per_kwh: float | None = Field(default=None, ge=0)
    wue_l_per_kwh: float | None = Field(default=None, ge=0)
    load_factor: float | None = Field(default=None, gt=0, le=1, description="average / peak IT draw")
    network_share: float | None = Field(default=None, ge=0, le=2)
    power_cap_mw: float | None = Field(default=None, gt=0)


class Economics(_Group):
    mode: Mode = "rent"
    rent_usd_per_chip_hour: float | None = Field(default=None, ge=0)
    chip_capex_usd: float | None = Field(default=None, ge=0)
    facility_capex_usd_per_mw: float | None = Field(default=None, ge=0)
    depreciation_years: float | None = Field(default=None, gt=0)
    network_capex_share: float | None = Field(default=None, ge=0)


GROUPS: dict[str, type[_Group]] = {
    "workload": Workload, "cluster": Cluster, "facility": Facility, "economics": Economics,
}


class Scenario(BaseModel):
    """A complete what-if: metadata, the four input groups, and optional inline chips."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    source: str | None = None
    workload: Workload
    cluster: Cluster
    facility: Facility = Facility()
    economics: Economics = Economics()
    chips: dict[str, dict[str, Any]] = {}
    claims: Claims = Field(default_factory=Claims)  # what a source asserted; engine/claims.py
    uncertainty: Uncertainty = Uncertainty()  # [uncertainty] ranges for Monte Carlo (engine/uncertainty.py)

    def get(self, dotted: str) -> Any:
        group, key = split_key(dotted)
        return getattr(getattr(self, group), key)

    def with_values(self, values: dict[str, Any]) -> Scenario:
        """A copy with 'group.key' values set, validated; raises WhatifError naming the key."""
        data = self.model_dump()
        for dotted, value in values.items():
            group, key = split_key(dotted)
            data[group][key] = value
        return scenario_from_dict(data)


def split_key(dotted: str) -> tuple[str, str]:
    group, _, key = dotted.partition(".")
    if group not in GROUPS or not key:
        from whatif.engine.errors import unknown_choice
        raise WhatifError(unknown_choice("group", group, GROUPS), key=dotted)
    fields = GROUPS[group].model_fields
    if key not in fields:
        from whatif.engine.errors import unknown_choice
        raise WhatifError(unknown_choice(f"{group} key", key, fields), key=dotted)
    return group, key


def input_keys() -> list[str]:
    """Every settable 'group.key', in display order."""
    return [f"{g}.{k}" for g, model in GROUPS.items() for k in model.model_fields]


def scenario_from_dict(data: dict[str, Any], origin: str | None = None) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise WhatifError(format_validation_error(exc, Scenario), path=origin) from None
