"""A model's shape from its size: the nearest real family in engine/data/models.toml.

The training-step model (engine.step) needs layers, hidden width, heads, key-value heads,
FFN width, vocabulary and sequence length; a mixture of experts also its expert count and
top-k. A scenario usually gives only the parameter count, so the shape comes from the real
family nearest in log(size) - dense among dense, MoE among MoE (docs/model.md §15):
within 10 % of the family's size its own shape, else the family's shape with hidden width
and depth scaled by the cube root of the size ratio (hidden rounded to a multiple of 128,
heads kept at the family's head size). Every field can be set in [workload].
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from importlib import resources

SHAPE_FIELDS: tuple[str, ...] = ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "seq_len", "experts",
                                 "top_k")
_EXACT = 0.10  # within 10 % of a family's size: use its shape as it is


@dataclass(frozen=True)
class Family:
    key: str
    name: str
    params_b: float
    active_b: float
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    ffn: int
    vocab: int
    seq_len: int
    gated: bool
    experts: int
    top_k: int
    sources: str

    @property
    def moe(self) -> bool:
        return self.experts > 1


@dataclass(frozen=True)
class Shape:
    values: dict[str, float]   # SHAPE_FIELDS + "gated"
    family: Family
    basis: str                 # one line: which family and how


@functools.cache
def families() -> tuple[Family, ...]:
    text = resources.files("whatif.engine.data").joinpath("models.toml").read_text(encoding="utf-8")
    out = []
    for key, t in tomllib.loads(text).items():
        out.append(Family(key=key, name=t["name"], params_b=t["params_b"], active_b=t.get("active_b", t["params_b"]),
                          layers=t["layers"], hidden=t["hidden"], heads=t["heads"], kv_heads=t["kv_heads"],
                          ffn=t["ffn"], vocab=t["vocab"], seq_len=t["seq_len"], gated=t["gated"],
                          experts=t.get("experts", 1), top_k=t.get("top_k", 1), sources=t["sources"]))
    return tuple(sorted(out, key=lambda f: f.params_b))


@functools.lru_cache(maxsize=512)
def shape_for(params_b: float, active_b: float) -> Shape:
    """The shape of a model of `params_b` total and `active_b` active parameters (billions)."""
    moe = active_b < 0.95 * params_b
    pool = [f for f in families() if f.moe == moe] or list(families())
    family = min(pool, key=lambda f: abs(math.log(params_b / f.params_b)))
    ratio = params_b / family.params_b
    v = {k: float(getattr(family, k)) for k in SHAPE_FIELDS}
    v["gated"] = 1.0 if family.gated else 0.0
    if abs(ratio - 1.0) <= _EXACT:
        return Shape(v, family, f"{family.name} shape (nearest family by size; engine/data/models.toml)")
    scale = ratio ** (1.0 / 3.0)
    head_dim = family.hidden / family.heads
    hidden = max(128.0, round(family.hidden * scale / 128.0) * 128.0)
    heads = max(1.0, round(hidden / head_dim))
    v.update(hidden=hidden, heads=heads, kv_heads=min(float(family.kv_heads), heads),
             ffn=round(family.ffn * hidden / family.hidden / 128.0) * 128.0 or 128.0,
             layers=max(1.0, float(round(family.layers * scale))))
    return Shape(v, family, f"scaled from {family.name} (nearest family by size, x{ratio:.2g} parameters: "
                            f"width and depth x{scale:.2f}; engine/data/models.toml)")
