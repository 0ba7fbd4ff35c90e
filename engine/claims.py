"""Claims: what a source asserted about a scenario, checked against what the model computes.

A preset may carry a `[claims]` table (an article's "90 days on 25k GPUs, ~$100M", a paper's
GPU-hours). Each claim is set beside the computed value (ratio = claimed / computed). A
claimed duration also gives the utilisation the chips would need to do the scenario's FLOPs
in that time, and a verdict (plausible / optimistic / implausible); the thresholds and their
sources are in engine/data/claims.toml.

The [claims] table itself is part of the scenario (engine.scenario.Claims).
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from whatif.engine.evaluate import Result
from whatif.engine.scenario import BOUNDARY_OUTPUTS, CLAIM_OUTPUTS, DURATION_CLAIMS, Claims, Range
from whatif.engine.units import fmt

SECONDS_PER_DAY = 86400.0
SECONDS_PER_HOUR = 3600.0

Verdict = Literal["plausible", "optimistic", "implausible", "consistent", "off", "n/a"]


@dataclass(frozen=True)
class Thresholds:
    implausible_below: float
    optimistic_above: float
    optimistic_mfu_above: float
    implausible_mfu_above: float
    consistent_within: float
    sources: str


@functools.cache
def load_thresholds() -> Thresholds:
    data = tomllib.loads(resources.files("whatif.engine.data").joinpath("claims.toml").read_text(encoding="utf-8"))
    d, v = data["duration"], data["value"]
    return Thresholds(d["implausible_below"], d["optimistic_above"], d["optimistic_mfu_above"],
                      d["implausible_mfu_above"], v["consistent_within"], f"{d['sources']} | {v['sources']}")


@dataclass(frozen=True)
class ClaimCheck:
    """One claim beside the model. Range claims give range-shaped implied values."""

    key: str
    output: str
    claimed: float | Range
    computed: float
    ratio: float
    verdict: Verdict
    reason: str
    implied_utilisation: float | Range | None = None
    implied_mfu: float | Range | None = None
    implied_usd_per_chip_hour: float | Range | None = None

    def as_dict(self) -> dict[str, Any]:
        def js(v: float | Range | None) -> Any:
            if v is None:
                return None
            if isinstance(v, tuple):
                return [js(x) for x in v]
            return None if math.isnan(v) or math.isinf(v) else v

        return {
            "key": self.key, "output": self.output, "claimed": js(self.claimed), "computed": js(self.computed),
            "ratio": js(self.ratio), "implied_utilisation": js(self.implied_utilisation),
            "implied_mfu": js(self.implied_mfu), "implied_usd_per_chip_hour": js(self.implied_usd_per_chip_hour),
            "verdict": self.verdict, "reason": self.reason, "summary": self.summary,
        }

    @property
    def summary(self) -> str:
        """'implausible: implied utilisation 4.8 % ...', 'off by x3.8: the claim is higher'."""
        return f"off {self.reason}" if self.verdict == "off" else f"{self.verdict}: {self.reason}"

    @property
    def claimed_text(self) -> str:
        return format_claim(self.output, self.claimed)

    @property
    def computed_text(self) -> str:
        return fmt(self.output, self.computed)

    @property
    def ratio_text(self) -> str:
        return "n/a" if not math.isfinite(self.ratio) else "x" + f"{self.ratio:#.3g}".rstrip(".")

    @property
    def utilisation_text(self) -> str:
        return format_share(self.implied_utilisation)

    @property
    def mfu_text(self) -> str:
        return format_share(self.implied_mfu)


def format_claim(output: str, value: float | Range) -> str:
    """'90.0 days', or '150-200 MW' for a range whose ends share a unit."""
    if not isinstance(value, tuple):
        return fmt(output, value)
    low, high = fmt(output, value[0]), fmt(output, value[1])
    low_num, _, low_unit = low.rpartition(" ")
    high_num, _, high_unit = high.rpartition(" ")
    if low_num and low_unit == high_unit:
        return f"{low_num}-{high_num} {high_unit}"
    return f"{low}-{high}"


def format_share(value: float | Range | None) -> str:
    if value is None:
        return "-"
    ends = value if isinstance(value, tuple) else (value,)
    if not all(math.isfinite(v * 100) for v in ends):
        return "n/a"
    return "-".join(f"{v * 100:.1f}" for v in ends) + " %"


def _quotient(a: float, b: float) -> float:
    """a / b, or NaN when it has no finite value (a zero divisor, an infinite or NaN operand):
    edge inputs (MTTI near zero, FLOPs overflowing) give 'n/a', never an exception."""
    try:
        q = a / b
    except (ZeroDivisionError, OverflowError):
        return math.nan
    return q if math.isfinite(q) else math.nan


def check_claims(result: Result, claims: Claims | None = None) -> list[ClaimCheck]:
    """Every claim of `claims` (default: the result's scenario's) against `result`."""
    claims = result.scenario.claims if claims is None else claims
    limits = load_thresholds()
    figures = claims.figures()
    booked_hours = _booked_chip_hours(figures, result)
    checks = []
    for key, claimed in figures.items():
        output = BOUNDARY_OUTPUTS[claims.energy_boundary or "facility"].get(key, CLAIM_OUTPUTS[key])
        computed = result.values[output]
        ratio = _ratio(claimed, computed)
        if key in DURATION_CLAIMS:
            checks.append(_check_duration(key, output, claimed, computed, ratio, result, limits))
            continue
        verdict, reason = _value_verdict(output, claimed, computed, ratio, limits)
        if key in ("energy_mwh", "co2_t") and claims.energy_boundary:
            reason += f" (at the {_BOUNDARY_TEXT[claims.energy_boundary]}, as claimed)"
        rent = None
        if key == "cost_usd" and booked_hours is not None:
            rent = _divide(claimed, booked_hours)
            reason += f"; claimed cost / claimed chip-hours = {_usd_per_hour(rent)}/chip-h"
        checks.append(ClaimCheck(key, output, claimed, computed, ratio, verdict, reason,
                                 implied_usd_per_chip_hour=rent))
    return checks


def implied_utilisation(result: Result, key: str, value: float) -> float:
    """FLOPs / (chips x dense peak x claimed seconds), the booked-time utilisation a claimed
    duration implies (docs/model.md §11). chip_hours already counts the chips."""
    flops = result.values["training_flops"]
    peak_flops = result.resolved.values["peak_tflops"] * 1e12
    if key == "chip_hours":
        return _quotient(flops, peak_flops * value * SECONDS_PER_HOUR)
    return _quotient(flops, result.resolved.values["count"] * peak_flops * value * SECONDS_PER_DAY)


def _check_duration(key: str, output: str, claimed: float | Range, computed: float, ratio: float,
                    result: Result, limits: Thresholds) -> ClaimCheck:
    goodput = result.values["goodput"]
    ends = claimed if isinstance(claimed, tuple) else (claimed,)
    utils = [implied_utilisation(result, key, v) for v in ends]
    judged = [_duration_verdict(u, _quotient(u, goodput), limits) for u in utils]
    verdict, reason = min(judged, key=lambda vr: _RANK[vr[0]])
    if len(utils) == 2:
        util: float | Range = (min(utils), max(utils))
        mfu: float | Range = (_quotient(util[0], goodput), _quotient(util[1], goodput))
    else:
        util, mfu = utils[0], _quotient(utils[0], goodput)
    return ClaimCheck(key, output, claimed, computed, ratio, verdict, reason, util, mfu)


_BOUNDARY_TEXT = {"accelerator": "accelerators: chip-hours x TDP", "it": "IT boundary: servers and network",
                  "facility": "facility: IT x PUE"}
_RANK = {"plausible": 0, "optimistic": 1, "implausible": 2, "n/a": 3}


def _duration_verdict(util: float, mfu: float, t: Thresholds) -> tuple[Verdict, str]:
    if not (math.isfinite(util) and math.isfinite(mfu)):
        return "n/a", "the implied utilisation has no finite value for this scenario (see the warnings)"
    u, m = f"{util * 100:.1f} %", f"{mfu * 100:.1f} %"
    if util < t.implausible_below:
        return "implausible", (f"implied utilisation {u} is under {_pct(t.implausible_below)}: "
                               "no large run idles that much")
    if mfu > t.implausible_mfu_above:
        return "implausible", f"implied MFU {m} is over {_pct(t.implausible_mfu_above)}: beyond any large training run"
    if mfu > t.optimistic_mfu_above:
        return "optimistic", f"implied MFU {m} beats the best published large runs ({_pct(t.optimistic_mfu_above)})"
    if util > t.optimistic_above:
        return "optimistic", (f"implied utilisation {u} is over {_pct(t.optimistic_above)} "
                              "(published runs: 30-35 % end-to-end)")
    return "plausible", f"implied utilisation {u} (MFU {m}) is what large runs achieve"


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def _value_verdict(output: str, claimed: float | Range, computed: float, ratio: float,
                   t: Thresholds) -> tuple[Verdict, str]:
    if not math.isfinite(ratio) or ratio <= 0:
        return "n/a", f"{output} is not computed for this scenario (see the warnings)"
    tolerance = 1.0 + t.consistent_within
    if 1.0 / tolerance <= ratio <= tolerance:
        if isinstance(claimed, tuple):
            where = ("within the claimed range" if ratio == 1.0
                     else f"{abs(1 - 1 / ratio) * 100:.2g} % {'below' if ratio > 1 else 'above'} the claimed range")
            return "consistent", where
        return "consistent", f"within {_pct(t.consistent_within)}"
    if ratio > 1.0:
        return "off", f"by x{ratio:.3g}: the claim is higher"
    return "off", f"by x{1 / ratio:.3g}: the claim is lower"


def _ratio(claimed: float | Range, computed: float) -> float:
    """claimed / computed; for a range, its nearest end / computed (1 inside the range)."""
    if not math.isfinite(computed) or computed <= 0:
        return math.nan
    if not isinstance(claimed, tuple):
        return _quotient(claimed, computed)
    low, high = claimed
    if computed < low:
        return _quotient(low, computed)
    if computed > high:
        return _quotient(high, computed)
    return 1.0


def _booked_chip_hours(figures: dict[str, float | Range], result: Result) -> float | Range | None:
    """Chip-hours the claims imply (chip_hours, else training_days x chips), for an implied rent."""
    if "chip_hours" in figures:
        return figures["chip_hours"]
    days = figures.get("training_days")
    if days is None:
        return None
    per_day = result.resolved.values["count"] * 24.0
    return (days[0] * per_day, days[1] * per_day) if isinstance(days, tuple) else days * per_day


def _divide(a: float | Range, b: float | Range) -> float | Range:
    """a / b where either may be a range: the range of possible quotients, low to high."""
    a_lo, a_hi = a if isinstance(a, tuple) else (a, a)
    b_lo, b_hi = b if isinstance(b, tuple) else (b, b)
    low, high = _quotient(a_lo, b_hi), _quotient(a_hi, b_lo)
    return low if low == high else (low, high)


def _usd_per_hour(value: float | Range) -> str:
    if isinstance(value, tuple):
        if not all(math.isfinite(v) for v in value):
            return "n/a"
        return f"${value[0]:.2f}-{value[1]:.2f}"
    return f"${value:.2f}" if math.isfinite(value) else "n/a"
