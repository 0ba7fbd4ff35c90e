"""The `[uncertainty]` table of a preset: Monte Carlo settings and per-input ranges.

    [uncertainty]
    samples = 20000                   # Monte Carlo draws (default 10,000)
    seed = 7                          # same seed, same percentiles
    distribution = "pert"             # or "triangular" (default)
    mfu = { low = 0.35, high = 0.50 }            # likely = the scenario's point value
    pue = { low = 1.2, likely = 1.3, high = 1.5 }

How a range is read (engine/analysis/uncertainty.py applies it):
- For an input the scenario sets (or any input when `likely` is omitted) low/likely/high are
  absolute values; `likely` defaults to the point value and is clamped into [low, high].
- For MFU or goodput left on auto *with* a `likely`, the range is relative: draws are
  auto value x (draw / likely), so it moves with the estimate as the chip count changes.
- An input without a range here uses engine/data/uncertainty.toml (always relative).
Only non-default content is written back when a preset is saved.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

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


class Range(BaseModel):
    """low <= likely <= high; `likely` omitted = the scenario's point value."""

    model_config = ConfigDict(extra="forbid")

    low: float = Field(ge=0, description="pessimistic or low end")
    high: float = Field(ge=0, description="high end")
    likely: float | None = Field(default=None, ge=0, description="most likely value; default the point value")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g}")
        if self.likely is not None and not self.low <= self.likely <= self.high:
            raise ValueError(f"likely {self.likely:g} is outside low..high {self.low:g}..{self.high:g}")
        return self


class Uncertainty(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    samples: int = Field(default=10_000, ge=100, le=2_000_000, description="Monte Carlo draws")
    seed: int = Field(default=1, ge=0, description="random seed: same seed, same percentiles")
    distribution: Literal["triangular", "pert"] = "triangular"
    mfu: Range | None = None
    goodput: Range | None = None
    pue: Range | None = None
    rent_usd_per_chip_hour: Range | None = None
    electricity_usd_per_mwh: Range | None = None
    chip_capex_usd: Range | None = None
    facility_capex_usd_per_mw: Range | None = None
    grid_g_per_kwh: Range | None = None

    @model_serializer(mode="wrap")
    def _non_default(self, handler: Any) -> dict[str, Any]:
        """Dump only what differs from the defaults, so an untouched table is not saved."""
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None and v != type(self).model_fields[k].default}
