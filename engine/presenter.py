"""Presenter mode's wire format: what the server's relay (serve/relay.py) and the app
(tui/follow.py) say to each other. They may not import each other; both import this.

A server that runs a relay starts each visitor's app with the environment variables
below: where the relay listens, the app's role, a token of its own that the relay
checks, and the presenter's display name. The app connects to the socket, says hello
with its token, and then:
- a presenter sends `{"type": "state", "state": STATE}` whenever what it shows changes;
- a follower receives `state` (the latest at once on connect, then every new one) and
  `{"type": "presenter", "present": bool}`; a presenter receives
  `{"type": "followers", "count": N}`.
Messages are one JSON object per line, at most MAX_MESSAGE_BYTES.

STATE is data, not screen bytes (`PresenterState`): the scenario as a preset's dict (what
saving it would write), the active results view, the tour stop and the pinned baseline's
scenario; each follower computes and renders it at its own size. It may carry the P10/P90
strip's figures too (`bands`: output -> [p10, p50, p90, point]): the Monte Carlo is seeded,
so a follower would draw the same samples again, and twenty followers doing so on a small
server cost a tenth of a second each keystroke.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from whatif.engine.errors import WhatifError
from whatif.engine.presets import preset_from_dict, preset_to_dict

if TYPE_CHECKING:  # a type only: the app reads RELAY_SOCKET_ENV before its first frame, pydantic after
    from whatif.engine.scenario import Scenario

RELAY_SOCKET_ENV = "WHATIF_RELAY_SOCKET"
RELAY_TOKEN_ENV = "WHATIF_RELAY_TOKEN"
RELAY_ROLE_ENV = "WHATIF_RELAY_ROLE"
PRESENTER_NAME_ENV = "WHATIF_PRESENTER_NAME"

Role = Literal["presenter", "follower"]
ROLES: tuple[Role, ...] = ("presenter", "follower")

# A preset is at most 1 MB of TOML (engine.safeio); a state holds two scenarios as JSON.
# Lines longer than this close the connection that sent them.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Names and view ids are shown or looked up, never trusted: bounded and plain.
MAX_NAME_CHARS = 64
MAX_VIEW_CHARS = 64
MAX_BANDS = 16

Bands = dict[str, tuple[float, float, float, float]]  # output -> (p10, p50, p90, point)


def encode(message: dict[str, Any]) -> bytes:
    """One message as the line sent on the socket."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """The message in one received line; ValueError if it is not a JSON object with a type."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {len(line):,} bytes; allowed: at most {MAX_MESSAGE_BYTES:,}")
    message = json.loads(line)
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ValueError("a message is a JSON object with a 'type'")
    return message


def clean_name(name: str) -> str:
    """A display name safe to show: printable, one line, bounded."""
    shown = "".join(ch for ch in name if ch.isprintable()).strip()[:MAX_NAME_CHARS]
    return shown or "presenter"


@dataclass(frozen=True)
class PresenterState:
    """What followers mirror of the presenter's app."""

    scenario: Scenario
    view: str = "tab-results"           # the active results pane's id
    stop: int | None = None             # the tour stop's index, if touring
    baseline: Scenario | None = None    # the pinned baseline's scenario
    bands: Bands | None = None          # the scenario's P10/P90 strip figures, if sampled

    def to_wire(self) -> dict[str, Any]:
        return {
            "scenario": preset_to_dict(self.scenario),
            "view": self.view,
            "stop": self.stop,
            "baseline": preset_to_dict(self.baseline) if self.baseline is not None else None,
            "bands": {name: list(band) for name, band in self.bands.items()} if self.bands else None,
        }

    @classmethod
    def from_wire(cls, data: Any) -> PresenterState:
        """The state in a message; WhatifError if it is not one (checked as a preset file is)."""
        if not isinstance(data, dict) or not isinstance(data.get("scenario"), dict):
            raise WhatifError("a state needs a 'scenario' table", path="presenter")
        view = data.get("view")
        stop = data.get("stop")
        baseline = data.get("baseline")
        if not isinstance(view, str) or not 0 < len(view) <= MAX_VIEW_CHARS:
            view = "tab-results"
        if not (isinstance(stop, int) and not isinstance(stop, bool) and stop >= 0):
            stop = None
        return cls(
            scenario=preset_from_dict(data["scenario"], "presenter"),
            view=view,
            stop=stop,
            baseline=preset_from_dict(baseline, "presenter baseline") if isinstance(baseline, dict) else None,
            bands=_bands_from_wire(data.get("bands")),
        )


def _bands_from_wire(data: Any) -> Bands | None:
    """The bands in a state, or None if they are not output -> four finite numbers (a
    follower then samples its own)."""
    if not isinstance(data, dict) or not 0 < len(data) <= MAX_BANDS:
        return None
    bands: Bands = {}
    for name, band in data.items():
        if not (isinstance(name, str) and len(name) <= MAX_NAME_CHARS and isinstance(band, list) and len(band) == 4
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in band)):
            return None
        bands[name] = (float(band[0]), float(band[1]), float(band[2]), float(band[3]))
    return bands
