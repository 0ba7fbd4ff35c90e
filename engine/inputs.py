"""The one table of scenario inputs: every fact about an input, stated once.

Each row says what a preset key is called (`cluster.count`), how people read it (label,
short field label, unit, how its value is formatted), what is valid (type, bounds,
choices), what happens when it is left out (required, a fixed default, the catalog's
value, or the model's own estimate), and which resolved model input it sets. The
scenario's pydantic models (engine.scenario), resolution (engine.resolve), the analyses'
ranges (engine.analysis.inputs), formatting (engine.units), the CLI's `--set` help and the
app's fields are all built from this table: a new input is one new row.

Kept free of pydantic and numpy: importing the table costs nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

# The origin label of chips defined inline in a preset (`[chips.KEY]`); any other label is a
# user file's path. engine.resolve turns the first into kind "input", the others into "user".
# Here, not in engine.catalog, so the app's fields use it without importing pydantic.
INLINE_PRESET = "preset [chips]"


def region_price_usd_per_mwh(region: Any, usd_per_eur: float) -> float:
    """A catalog region's electricity price in USD (engine.catalog.Region, or its plain
    copy in engine.opening): its USD price, else its EUR price converted."""
    if region.usd_per_mwh is not None:
        return region.usd_per_mwh
    assert region.eur_per_mwh is not None, f"region {region.key} has no price"
    return region.eur_per_mwh * usd_per_eur

Kind = Literal["number", "share", "count", "choice"]
# Where a choice's options come from: a catalog (chips, cooling types, regions) or a fixed list.
ChoiceSource = Literal["chips", "cooling", "regions"] | tuple[str, ...]
PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "fp4")
MODES: tuple[str, ...] = ("rent", "own")
RECOMPUTE: tuple[str, ...] = ("none", "selective", "full")
# The step model's (engine.step) parts of a step and its layout, by name.
PARTS: tuple[str, ...] = ("model_flops", "matmul", "attention", "memory_bound", "overhead", "tp_comm", "expert_a2a",
                          "recompute", "stage_imbalance", "pp_bubble", "pp_p2p", "dp_comm", "idle_chips")
PART_LABELS: dict[str, str] = {
    "model_flops": "model FLOPs", "matmul": "matmul efficiency", "attention": "attention", "memory_bound":
    "memory-bound ops", "overhead": "per-layer overhead", "tp_comm": "TP collectives", "expert_a2a":
    "expert all-to-all", "recompute": "recompute", "stage_imbalance": "stage imbalance", "pp_bubble":
    "pipeline bubble", "pp_p2p": "pipeline p2p", "dp_comm": "DP gradient reduce", "idle_chips": "idle chips",
}
LAYOUT_KEYS: tuple[str, ...] = ("tp", "pp", "dp", "ep", "micro_batch", "global_batch_tokens", "recompute",
                                "zero_stage")
ON_OFF: tuple[str, ...] = ("on", "off")
GROUP_NAMES: tuple[str, ...] = ("workload", "cluster", "facility", "economics")
# A strict lower bound (gt=0) becomes this much above it for ranges the analyses search.
_STRICT_NUDGE = 1e-9


@dataclass(frozen=True)
class Input:
    """One scenario input (a key of a preset's [workload], [cluster], [facility] or
    [economics] table)."""

    key: str                        # dotted preset key, e.g. "cluster.count"
    label: str                      # how reports name it: "Chips"
    short: str                      # the app's field label, with its unit: "Chips"
    description: str                # one line for help texts and the JSON Schema
    unit: str = ""                  # "B", "MW", "USD/MWh"; "" for shares and plain ratios
    kind: Kind = "number"           # number, share (0-1, '%' accepted), count (whole), choice
    fmt: str = "plain"              # how engine.units.fmt shows its values (share, usd, mw...)
    gt: float | None = None         # bounds, as pydantic's Field takes them
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    required: bool = False          # no default anywhere: a preset must set it
    default: str | None = None      # a fixed default (choices: "bf16", "rent")
    name: str = ""                  # the resolved model input it sets ("" for choices)
    auto: str | None = None         # the output the model estimates when it is left out
    choices: ChoiceSource | None = None
    blank: str | None = None        # what an unset choice means, e.g. "by chip"
    advanced: bool = False          # less used: the app folds it away
    mode: str | None = None         # used only in this economics mode ("rent" or "own")

    @property
    def group(self) -> str:
        return self.key.partition(".")[0]

    @property
    def field(self) -> str:
        return self.key.partition(".")[2]

    @property
    def numeric(self) -> bool:
        return self.kind != "choice"

    @property
    def integer(self) -> bool:
        return self.kind == "count"

    @property
    def low(self) -> float:
        """The smallest valid value (a strict bound nudged inside), -inf if unbounded."""
        if self.ge is not None:
            return float(self.ge)
        if self.gt is not None:
            return float(self.gt) + _STRICT_NUDGE
        return -math.inf

    @property
    def high(self) -> float:
        if self.le is not None:
            return float(self.le)
        if self.lt is not None:
            return float(self.lt) - _STRICT_NUDGE
        return math.inf

    @property
    def interval(self) -> str:
        """The valid interval as the bounds state it: '(0, 1]', '[1, 1e+08]', '[0, inf)'."""
        left = f"[{self.ge:g}" if self.ge is not None else f"({self.gt:g}" if self.gt is not None else "(-inf"
        right = f"{self.le:g}]" if self.le is not None else f"{self.lt:g})" if self.lt is not None else "inf)"
        return f"{left}, {right}"

    @property
    def widget_id(self) -> str:
        """A DOM id for front-ends: 'f-cluster-count'."""
        return "f-" + self.key.replace(".", "-").replace("_", "-")

    def parse(self, text: str) -> Any:
        """Text as a person types it to a preset value: '' -> None (use the default),
        '40%', '40 %' or '40' -> 0.4 for shares (above 1, a share is a percentage),
        '32,768' -> 32768, '2e4', '1.5M', and '16k' chips -> 16,384 (cluster sizes are
        binary). A number still being typed ('1e', '-', '.')
        is INCOMPLETE, not an error. Other text is returned as it is, so validation names
        the problem in its own words."""
        cleaned = text.strip().replace(",", "").replace("_", "").replace(" ", "")
        if not cleaned:
            return None
        if not self.numeric:
            return text.strip()
        percent = self.kind == "share" and cleaned.endswith("%")
        if percent:
            cleaned = cleaned[:-1]
        scale = 1.0
        suffix = cleaned[-1:].lower()
        if not percent and suffix in _SUFFIXES and cleaned[:-1]:
            # A magnitude, in the field's unit: '1.8T' parameters are 1,800 (B), '500B' tokens 0.5 (T).
            scale = (_BINARY if self.integer else _DECIMAL).get(suffix, _DECIMAL[suffix])
            scale /= _UNIT_SCALE.get(self.unit, 1.0)
            cleaned = cleaned[:-1]
        try:
            number = float(cleaned) * scale
        except ValueError:
            return INCOMPLETE if _HALF_TYPED.fullmatch(cleaned) else text.strip()
        if percent or (self.kind == "share" and 1.0 < number <= 100.0):
            # A share above 1 can only be a percentage: '45' is 45 %, as typed on the way to
            # '45%' (it read as 4,500 % and showed an error). '1' stays 100 %.
            number /= 100
        if self.integer and math.isfinite(number):
            return int(number) if number.is_integer() else number
        return number


class _Incomplete:
    """The value of a field whose number is still being typed ('1e', '-')."""

    def __repr__(self) -> str:
        return "INCOMPLETE"


INCOMPLETE = _Incomplete()
_DECIMAL = {"k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9, "t": 1e12}
_BINARY = {"k": 1024.0, "m": 1024.0**2}
_SUFFIXES = set(_DECIMAL)
_UNIT_SCALE = {"B": 1e9, "T": 1e12}   # units that are themselves magnitudes (billions, trillions)
_HALF_TYPED = re.compile(r"[-+]?(\d*\.?\d*)([eE][-+]?)?")


I = Input
INPUTS: tuple[Input, ...] = (
    # Workload.
    I("workload.params_b", "Parameters", "Params, B", "total parameters, billions", unit="B", gt=0,
      required=True, name="params_b"),
    I("workload.tokens_t", "Tokens", "Tokens, T", "training tokens, trillions", unit="T", gt=0, required=True,
      name="tokens_t"),
    I("workload.precision", "Precision", "Precision", "number format of the matmuls (sets the chip's peak)",
      kind="choice", choices=PRECISIONS, default="bf16"),
    I("workload.active_params_b", "Active parameters", "MoE active, B",
      "parameters active per token (mixture of experts), billions; default: all of them", unit="B", gt=0,
      name="active_params_b", advanced=True),
    I("workload.flops", "Training compute", "FLOPs total", "total training FLOPs; default 6 x active params x tokens",
      unit="FLOPs", fmt="flops", gt=0, name="flops", advanced=True),
    # Model shape (docs/model.md §15): default the nearest real family by size (engine/data/models.toml).
    I("workload.layers", "Layers", "Layers", "transformer layers; default: the nearest model family's", kind="count",
      fmt="count", ge=1, le=10_000, name="layers", advanced=True),
    I("workload.hidden", "Hidden size", "Hidden", "model (hidden) width; default: the nearest model family's",
      kind="count", fmt="count", ge=64, le=1_000_000, name="hidden", advanced=True),
    I("workload.heads", "Attention heads", "Heads", "query attention heads; default: the nearest family's",
      kind="count", fmt="count", ge=1, le=10_000, name="heads", advanced=True),
    I("workload.kv_heads", "KV heads", "KV heads", "key-value heads (grouped-query attention); default: the "
      "nearest family's", kind="count", fmt="count", ge=1, le=10_000, name="kv_heads", advanced=True),
    I("workload.ffn", "FFN size", "FFN", "feed-forward width (per expert for MoE: derived from the sizes); "
      "default: the nearest family's", kind="count", fmt="count", ge=1, le=10_000_000, name="ffn", advanced=True),
    I("workload.vocab", "Vocabulary", "Vocab", "vocabulary size; default: the nearest family's", kind="count",
      fmt="count", ge=1, le=10_000_000, name="vocab", advanced=True),
    I("workload.seq_len", "Sequence length", "Seq len", "training sequence length, tokens; default: the nearest "
      "family's", kind="count", fmt="count", ge=1, le=10_000_000, name="seq_len", advanced=True),
    I("workload.experts", "Experts", "Experts", "experts per MoE layer (1 = dense); default: the nearest family's",
      kind="count", fmt="count", ge=1, le=100_000, name="experts", advanced=True),
    I("workload.top_k", "Experts per token", "Top-k", "experts each token is routed to (MoE); default: the "
      "nearest family's", kind="count", fmt="count", ge=1, le=100_000, name="top_k", advanced=True),
    # Cluster.
    I("cluster.chip", "Chip", "Chip", "accelerator: a key of the chip catalog (whatif chips)", kind="choice",
      choices="chips", required=True),
    I("cluster.count", "Chips", "Chips", "number of accelerators", unit="chips", kind="count", fmt="count", ge=1,
      le=100_000_000, required=True, name="count"),
    I("cluster.mfu", "MFU", "MFU", "steady-state model FLOPs utilisation; default: the model's estimate",
      kind="share", fmt="share", gt=0, le=1, name="mfu_in", auto="mfu"),
    # Parallel layout (docs/model.md §16): default auto, the fastest layout that fits in memory.
    I("cluster.tp", "Tensor parallel", "TP", "tensor-parallel size; default: auto (layout search)", kind="count",
      fmt="count", ge=1, le=1_000_000, name="tp_in", auto="layout_tp", advanced=True),
    I("cluster.pp", "Pipeline parallel", "PP", "pipeline-parallel stages; default: auto", kind="count", fmt="count",
      ge=1, le=1_000_000, name="pp_in", auto="layout_pp", advanced=True),
    I("cluster.dp", "Data parallel", "DP", "data-parallel replicas (tp x pp x dp = chips); default: auto",
      kind="count", fmt="count", ge=1, le=100_000_000, name="dp_in", auto="layout_dp", advanced=True),
    I("cluster.ep", "Expert parallel", "EP", "expert-parallel size (MoE, inside data parallel); default: auto",
      kind="count", fmt="count", ge=1, le=1_000_000, name="ep_in", auto="layout_ep", advanced=True),
    I("cluster.micro_batch", "Micro-batch", "Micro-batch", "sequences per micro-batch; default: auto", kind="count",
      fmt="count", ge=1, le=100_000, name="micro_batch_in", auto="layout_micro_batch", advanced=True),
    I("cluster.global_batch_tokens", "Global batch", "Batch, tokens", "tokens per optimizer step; default: a "
      "batch-size law of the compute, capped (docs/model.md §16)", unit="tokens", kind="count", fmt="count", ge=1,
      le=1e12, name="global_batch_tokens_in", auto="layout_global_batch_tokens", advanced=True),
    I("cluster.recompute", "Recompute", "Recompute", "activation recompute: none, selective or full; default: auto",
      kind="choice", choices=RECOMPUTE, blank="auto", advanced=True),
    I("cluster.flash_attention", "Fused attention", "Flash attn", "fused (flash) attention: on, or off for "
      "software that materialises the score matrix (pre-2022 Megatron-LM, DeepSpeed)", kind="choice",
      choices=ON_OFF, default="on", advanced=True),
    I("cluster.zero_stage", "ZeRO stage", "ZeRO", "optimizer-state sharding over data parallel (0-3); default: "
      "auto", kind="count", fmt="count", ge=0, le=3, name="zero_stage_in", auto="layout_zero_stage", advanced=True),
    I("cluster.goodput", "Goodput", "Goodput", "share of wall-clock time doing useful steps; default: the "
      "reliability model", kind="share", fmt="share", gt=0, le=1, name="goodput_in", auto="goodput"),
    I("cluster.mtti_chip_hours", "MTTI per chip", "MTTI/chip, h", "mean time to interrupt per chip, hours",
      unit="h", fmt="count", gt=0, name="mtti_chip_hours", advanced=True),
    I("cluster.checkpoint_minutes", "Checkpoint time", "Checkpt, min", "time to write one checkpoint, minutes",
      unit="min", gt=0, name="checkpoint_minutes", advanced=True),
    I("cluster.restart_minutes", "Restart time", "Restart, min", "time to restart after an interruption, minutes",
      unit="min", ge=0, name="restart_minutes", advanced=True),
    I("cluster.planned_downtime", "Planned downtime", "Planned down", "share of time in planned maintenance",
      kind="share", fmt="share", ge=0, lt=1, name="planned_downtime", advanced=True),
    # Facility.
    I("facility.cooling", "Cooling", "Cooling", "cooling type: a key of the cooling catalog; default: the chip's",
      kind="choice", choices="cooling", blank="by chip"),
    I("facility.region", "Region", "Region", "grid region: a key of the region catalog (price, carbon)",
      kind="choice", choices="regions", blank="us-average"),
    I("facility.pue", "PUE", "PUE", "power usage effectiveness: facility power / IT power; default: the "
      "cooling type's", ge=1, le=5, name="pue"),
    I("facility.it_kw_per_chip", "IT power per chip", "IT kW/chip", "all-in IT kW per accelerator (server share "
      "included); default: the chip's reference server", unit="kW", fmt="kw", gt=0, name="it_kw_per_chip"),
    I("facility.power_cap_mw", "Power cap", "Power cap, MW", "the site's facility power limit, MW; default none",
      unit="MW", fmt="mw", gt=0, name="power_cap_mw"),
    I("facility.electricity_usd_per_mwh", "Electricity price", "Power $/MWh", "electricity price, USD per MWh; "
      "default: the region's; owning only (a rent includes the power)", unit="USD/MWh", ge=0,
      name="electricity_usd_per_mwh", advanced=True, mode="own"),
    I("facility.grid_g_per_kwh", "Grid carbon", "Grid gCO2/kWh", "grid carbon intensity, g CO2 per kWh; "
      "default: the region's", unit="g/kWh", ge=0, name="grid_g_per_kwh", advanced=True),
    I("facility.wue_l_per_kwh", "WUE", "WUE, L/kWh", "water usage effectiveness, litres per IT kWh",
      unit="L/kWh", ge=0, name="wue_l_per_kwh", advanced=True),
    I("facility.load_factor", "Load factor", "Load factor", "average / peak IT draw", kind="share", fmt="share",
      gt=0, le=1, name="load_factor", advanced=True),
    I("facility.network_share", "Network share", "Network share", "network, storage and management power as a "
      "share of server power", kind="share", fmt="share", ge=0, le=2, name="network_share", advanced=True),
    # Economics.
    I("economics.mode", "Mode", "Mode", "rent (cloud price per chip-hour) or own (capex, depreciation, energy)",
      kind="choice", choices=MODES, default="rent"),
    I("economics.rent_usd_per_chip_hour", "Rent per chip-hour", "Rent $/chip-h",
      "rental price, USD per chip-hour; default: the chip's", unit="USD/chip-h", ge=0,
      name="rent_usd_per_chip_hour", mode="rent"),
    I("economics.chip_capex_usd", "Chip price", "Chip price $", "purchase price per accelerator, USD",
      unit="USD", fmt="usd", ge=0, name="chip_capex_usd", mode="own"),
    I("economics.facility_capex_usd_per_mw", "Facility capex", "Facility $/MW", "facility build cost, USD per MW "
      "of IT load", unit="USD/MW", fmt="usd", ge=0, name="facility_capex_usd_per_mw", advanced=True,
      mode="own"),
    I("economics.depreciation_years", "Depreciation", "Deprec., years", "years over which chips are "
      "depreciated", unit="years", gt=0, name="depreciation_years", advanced=True, mode="own"),
    I("economics.network_capex_share", "Network capex share", "Network capex", "network capex as a share of "
      "chip capex", kind="share", fmt="share", ge=0, name="network_capex_share", advanced=True, mode="own"),
)
del I

BY_KEY: dict[str, Input] = {i.key: i for i in INPUTS}
BY_NAME: dict[str, Input] = {i.name: i for i in INPUTS if i.name}


def inputs_of(group: str) -> tuple[Input, ...]:
    return tuple(i for i in INPUTS if i.group == group)


def input_keys() -> list[str]:
    """Every settable 'group.key', in table order."""
    return [i.key for i in INPUTS]
