"""Where a resolved number came from (engine.resolve gives one per input).

A module of its own, free of pydantic: the app's views and explanations read origins of
a cached opening (engine.opening) before the models are imported.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Literal

OriginKind = Literal["input", "user", "default", "catalog", "estimate", "auto", "derived"]
ORIGIN_KINDS: tuple[str, ...] = typing.get_args(OriginKind)  # for UIs that label every kind


@dataclass(frozen=True)
class Origin:
    """Where a resolved number came from. `kind`: input (the scenario set it, also in its
    inline `[chips.KEY]`), user (the user's own catalog entry: config.toml or chips.toml;
    `source` names the file, table and field), catalog (shipped chip, cooling or region
    data), default (a model constant), estimate (a default that
    is itself an estimate), auto (estimated by the model, e.g. MFU), derived (computed
    from other inputs, e.g. FLOPs = 6ND)."""

    kind: OriginKind
    source: str = ""
