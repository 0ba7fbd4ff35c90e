"""The scenario: everything a preset holds, validated.

The four input groups ([workload], [cluster], [facility], [economics]) are built from the
one input table (engine.inputs): a field left as None means "use the default", from the
chip, cooling type, region or the model constants in engine/data (engine.resolve says which
and why). Beside them: metadata, inline [chips], the [claims] an article or paper made
(checked by engine.claims) and the [uncertainty] ranges of the Monte Carlo
(engine.analysis.uncertainty). The model behind them: docs/model.md §1.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string when the models are created, ~15 ms of every start.

import math
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, Strict, ValidationError,
                      create_model, model_serializer, model_validator)
from pydantic_core import PydanticCustomError

from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.inputs import BY_KEY, GROUP_NAMES, Input, inputs_of
from whatif.engine.validation import format_validation_error

Mode = Literal["rent", "own"]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, validate_assignment=True)


def _annotation(spec: Input) -> Any:
    if isinstance(spec.choices, tuple):
        base: Any = Literal[spec.choices]
    elif spec.kind == "choice":
        base = str
    else:
        # Strict: true is not 100 % and "15.6" is not a number (an int is still a float).
        base = Annotated[int if spec.integer else float, Strict()]
    return base if spec.required or spec.default is not None else base | None


def _field(spec: Input) -> Any:
    default: Any = ... if spec.required else spec.default
    bounds = {k: getattr(spec, k) for k in ("gt", "ge", "lt", "le") if getattr(spec, k) is not None}
    if spec.kind == "choice" and spec.choices in ("chips", "cooling", "regions"):
        bounds["min_length"] = 1
    if spec.numeric and not spec.integer:
        bounds["allow_inf_nan"] = False
    return Field(default, description=spec.description, **bounds)


def _group_model(group: str) -> type[_Group]:
    fields = {spec.field: (_annotation(spec), _field(spec)) for spec in inputs_of(group)}
    return create_model(group.title(), __base__=_Group, __module__=__name__, **fields)


Workload = _group_model("workload")
Cluster = _group_model("cluster")
Facility = _group_model("facility")
Economics = _group_model("economics")
GROUPS: dict[str, type[_Group]] = {"workload": Workload, "cluster": Cluster, "facility": Facility,
                                   "economics": Economics}
assert tuple(GROUPS) == GROUP_NAMES


# ------------------------------------------------------------------------------ [claims]
Range = tuple[float, float]  # a claimed [low, high]


def _claim_value(value: Any) -> float | Range:
    """A positive number, or a [low, high] range of positive numbers with low <= high."""
    def positive(v: Any) -> float | None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return None
        try:
            number = float(v)  # an int of 400 digits does not fit a float
        except OverflowError:
            return None
        return number if math.isfinite(number) and number > 0 else None

    if isinstance(value, list | tuple):
        if len(value) == 2:
            low, high = positive(value[0]), positive(value[1])
            if low is not None and high is not None and low <= high:
                return (low, high)
        raise PydanticCustomError("claim_value", "expected a range [low, high] of numbers > 0 with low <= high")
    number = positive(value)
    if number is None:
        raise PydanticCustomError("claim_value", "expected a number > 0 or a range [low, high]")
    return number


ClaimValue = Annotated[
    float | Range,
    PlainValidator(_claim_value),
    PlainSerializer(lambda v: list(v) if isinstance(v, tuple) else v),
]


class Claims(BaseModel):
    """The `[claims]` table of a preset. Every figure is a number or a [low, high] range."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    flops: ClaimValue | None = Field(default=None, description="total training FLOPs")
    training_days: ClaimValue | None = Field(default=None, description="wall-clock training time, days")
    chip_hours: ClaimValue | None = Field(default=None, description="accelerator-hours booked")
    cost_usd: ClaimValue | None = Field(default=None, description="training cost, USD")
    facility_mw: ClaimValue | None = Field(default=None, description="facility power (peak), MW")
    homes: ClaimValue | None = Field(default=None, description="US homes with the same average draw")
    energy_mwh: ClaimValue | None = Field(default=None, description="facility energy of the run, MWh")
    co2_t: ClaimValue | None = Field(default=None, description="CO2 of the run, tonnes")
    energy_boundary: Literal["accelerator", "it", "facility"] | None = Field(
        default=None, description="where the claimed energy and CO2 are measured: accelerator (chip-hours x TDP), "
        "it (servers and network) or facility (x PUE, the default)")
    source: str | None = Field(default=None, description="who made the claims, where")
    note: str | None = Field(default=None, description="anything a reader should know")

    def figures(self) -> dict[str, float | Range]:
        """The claimed figures that are set, in display order."""
        return {k: getattr(self, k) for k in CLAIM_OUTPUTS if getattr(self, k) is not None}

    def is_empty(self) -> bool:
        return not self.figures()


# Energy and CO2 claims at a narrower boundary than the facility (engine.claims compares like with like).
BOUNDARY_OUTPUTS: dict[str, dict[str, str]] = {
    "accelerator": {"energy_mwh": "accelerator_energy_mwh", "co2_t": "accelerator_co2_t"},
    "it": {"energy_mwh": "it_energy_mwh", "co2_t": "it_co2_t"},
    "facility": {"energy_mwh": "energy_mwh", "co2_t": "co2_t"},
}

# claim key -> the Result value it is compared with (display order).
CLAIM_OUTPUTS: dict[str, str] = {
    "flops": "training_flops",
    "training_days": "training_days",
    "chip_hours": "chip_hours",
    "cost_usd": "cost_usd",
    "facility_mw": "facility_mw",
    "homes": "homes",
    "energy_mwh": "energy_mwh",
    "co2_t": "co2_t",
}
DURATION_CLAIMS = ("training_days", "chip_hours")


# ------------------------------------------------------------------------- [uncertainty]
# The `[uncertainty]` table of a preset: Monte Carlo settings and per-input ranges.
#
#     [uncertainty]
#     samples = 20000                   # Monte Carlo draws (default 10,000)
#     seed = 7                          # same seed, same percentiles
#     distribution = "pert"             # or "triangular" (default)
#     mfu = { low = 0.35, high = 0.50 }            # likely = the scenario's point value
#     pue = { low = 1.2, likely = 1.3, high = 1.5 }
#
# How a range is read (engine/analysis/uncertainty.py applies it):
# - For an input the scenario sets (or any input when `likely` is omitted) low/likely/high are
#   absolute values; `likely` defaults to the point value and is clamped into [low, high].
# - For MFU or goodput left on auto *with* a `likely`, the range is relative: draws are
#   auto value x (draw / likely), so it moves with the estimate as the chip count changes.
# - An input without a range here uses engine/data/uncertainty.toml (always relative).
# Only non-default content is written back when a preset is saved.

# Uncertain inputs: [uncertainty] key -> scenario key.
UNCERTAIN_KEYS: dict[str, str] = {
    "mfu": "cluster.mfu",
    "goodput": "cluster.goodput",
    "pue": "facility.pue",
    "rent_usd_per_chip_hour": "economics.rent_usd_per_chip_hour",
    "electricity_usd_per_mwh": "facility.electricity_usd_per_mwh",
    "chip_capex_usd": "economics.chip_capex_usd",
    "facility_capex_usd_per_mw": "economics.facility_capex_usd_per_mw",
    "grid_g_per_kwh": "facility.grid_g_per_kwh",
}


class UncertainRange(BaseModel):
    """low <= likely <= high; `likely` omitted = the scenario's point value."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    low: Annotated[float, Strict()] = Field(ge=0, allow_inf_nan=False, description="pessimistic or low end")
    high: Annotated[float, Strict()] = Field(ge=0, allow_inf_nan=False, description="high end")
    likely: Annotated[float, Strict()] | None = Field(default=None, ge=0, allow_inf_nan=False,
                                                      description="most likely value; default the point value")

    @model_validator(mode="after")
    def _ordered(self) -> "UncertainRange":
        if self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g}")
        if self.likely is not None and not self.low <= self.likely <= self.high:
            raise ValueError(f"likely {self.likely:g} is outside low..high {self.low:g}..{self.high:g}")
        return self


class Uncertainty(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True, validate_assignment=True)

    samples: Annotated[int, Strict()] = Field(default=10_000, ge=100, le=2_000_000, description="Monte Carlo draws")
    seed: Annotated[int, Strict()] = Field(default=1, ge=0, le=2**63 - 1,
                                           description="random seed: same seed, same percentiles")
    distribution: Literal["triangular", "pert"] = "triangular"
    mfu: UncertainRange | None = None
    goodput: UncertainRange | None = None
    pue: UncertainRange | None = None
    rent_usd_per_chip_hour: UncertainRange | None = None
    electricity_usd_per_mwh: UncertainRange | None = None
    chip_capex_usd: UncertainRange | None = None
    facility_capex_usd_per_mw: UncertainRange | None = None
    grid_g_per_kwh: UncertainRange | None = None

    @model_serializer(mode="wrap")
    def _non_default(self, handler: Any) -> dict[str, Any]:
        """Dump only what differs from the defaults, so an untouched table is not saved."""
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None and v != type(self).model_fields[k].default}


# ------------------------------------------------------------------------------ scenario
class Scenario(BaseModel):
    """A complete what-if: metadata, the four input groups, and the optional tables."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = ""
    description: str = ""
    source: str | None = None
    workload: Workload  # type: ignore[valid-type]
    cluster: Cluster  # type: ignore[valid-type]
    facility: Facility = Field(default_factory=Facility)  # type: ignore[valid-type]
    economics: Economics = Field(default_factory=Economics)  # type: ignore[valid-type]
    chips: dict[str, dict[str, Any]] = {}
    claims: Claims = Field(default_factory=Claims)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)

    def get(self, dotted: str) -> Any:
        group, key = split_key(dotted)
        return getattr(getattr(self, group), key)

    def with_values(self, values: dict[str, Any]) -> "Scenario":
        """A copy with 'group.key' values set, validated; raises WhatifError naming the key.
        Only what was set stays set: a saved copy keeps following the defaults elsewhere."""
        data = self.model_dump(exclude_unset=True)
        for dotted, value in values.items():
            group, key = split_key(dotted)
            data.setdefault(group, {})[key] = value
        return scenario_from_dict(data)


def split_key(dotted: str) -> tuple[str, str]:
    """'cluster.count' -> ('cluster', 'count'); a WhatifError naming the allowed keys otherwise."""
    spec = BY_KEY.get(dotted)
    if spec is not None:
        return spec.group, spec.field
    group, _, key = dotted.partition(".")
    if group not in GROUPS or not key:
        raise WhatifError(unknown_choice("group", group, GROUPS), key=dotted)
    raise WhatifError(unknown_choice(f"{group} key", key, [i.field for i in inputs_of(group)]), key=dotted)


def scenario_from_dict(data: dict[str, Any], origin: str | None = None) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise WhatifError(format_validation_error(exc, Scenario), path=origin) from None
