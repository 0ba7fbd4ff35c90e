"""The chart pane: outputs against one swept input, drawn with Unicode braille dots.

Each character cell holds a 2 x 4 grid of braille dots, so a 44 x 5 plot has 88 x 20 points
of resolution: enough to see where training time stops falling. The sweep is one vectorised
engine call (~2 ms), so the chart follows the scenario on every keystroke.

Marks: the current scenario's column is highlighted; curve dots where goodput is below the
reliability-wall threshold take the warning colour, dots over the site power cap the error
colour, and the legend says where each starts. Keys (when the chart has focus): x cycles
the swept input, y the outputs, l toggles the log x axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget

from whatif.engine.analysis.inputs import input_spec, point_value
from whatif.engine.analysis.sweep import Sweep, sweep
from whatif.engine.errors import WhatifError
from whatif.engine.units import QUANTITIES, fmt
from whatif.tui.widgets.base import RecomputingView
from whatif.tui.words import in_words

# Inputs the x key cycles through (the first is the default).
SWEEP_KEYS: tuple[str, ...] = (
    "cluster.count", "cluster.mfu", "cluster.goodput", "facility.pue", "facility.it_kw_per_chip",
    "facility.electricity_usd_per_mwh", "economics.rent_usd_per_chip_hour", "workload.tokens_t",
    "cluster.mtti_chip_hours",
)
# Output sets the y key cycles through (one or two stacked plots).
OUTPUT_SETS: tuple[tuple[str, ...], ...] = (
    ("training_days", "cost_usd"), ("facility_mw",), ("energy_mwh", "co2_t"), ("goodput", "mfu"),
    ("chip_hours",), ("capex_usd", "own_cost_usd"),
)
AXIS_W = 9                      # characters for the y-axis labels
# Braille dot bits by (column 0-1, row 0-3) inside one character cell.
_DOT = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def sweep_range(key: str, point: float) -> tuple[float, float, bool]:
    """(low, high, log) around the scenario's value: 1/16 to 16 x for chips (log), else
    half to one and a half times, kept within the input's valid interval."""
    spec = input_spec(key)
    if key == "cluster.count":
        return max(1.0, math.floor(point / 16)), min(spec.high, point * 16), True
    low, high = max(spec.low, point * 0.5), min(spec.high, point * 1.5)
    if high <= low:
        low, high = max(spec.low, point * 0.5), max(point, spec.low + 1e-6)
    return low, high, False


class BrailleCanvas:
    """A width x height character grid of braille dots with per-cell style keys."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.bits = np.zeros((height, width), dtype=np.int32)
        self.kind = np.zeros((height, width), dtype=np.int8)   # 0 line, 1 wall, 2 cap (worst wins)

    def dot(self, px: int, py: int, kind: int = 0) -> None:
        """Set the dot at pixel (px, py); py = 0 is the top."""
        if 0 <= px < 2 * self.width and 0 <= py < 4 * self.height:
            cy, cx = py // 4, px // 2
            self.bits[cy, cx] |= _DOT[px % 2][py % 4]
            self.kind[cy, cx] = max(self.kind[cy, cx], kind)

    def line(self, x0: float, y0: float, x1: float, y1: float, kind: int = 0) -> None:
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for t in np.linspace(0.0, 1.0, steps + 1):
            self.dot(int(round(x0 + (x1 - x0) * t)), int(round(y0 + (y1 - y0) * t)), kind)

    def char(self, row: int, col: int) -> str:
        bits = int(self.bits[row, col])
        return chr(0x2800 + bits) if bits else " "


def plot_rows(x: np.ndarray, y: np.ndarray, kinds: np.ndarray, width: int, height: int, log_x: bool,
              log_y: bool, y_low: float, y_high: float) -> BrailleCanvas:
    """Draw the series (x, y) into a canvas, `kinds` per point (0 line, 1 wall, 2 cap)."""
    canvas = BrailleCanvas(width, height)
    fx = _scale(x, x[0], x[-1], log_x, 2 * width - 1)
    fy = (4 * height - 1) - _scale(y, y_low, y_high, log_y, 4 * height - 1)
    prev = None
    for i in range(len(x)):
        if not (math.isfinite(fx[i]) and math.isfinite(fy[i])):
            prev = None
            continue
        if prev is None:
            canvas.dot(int(round(fx[i])), int(round(fy[i])), int(kinds[i]))
        else:
            canvas.line(fx[prev], fy[prev], fx[i], fy[i], int(kinds[i]))
        prev = i
    return canvas


def _scale(v: np.ndarray, low: float, high: float, log: bool, span: int) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if log:
            v, low, high = np.log(v), math.log(low), math.log(high)
        return (v - low) / (high - low) * span if high > low else np.full_like(v, span / 2)


class SweepChart(RecomputingView, Widget, can_focus=True):
    """Outputs against one swept input around the current scenario (see module doc)."""

    update_when_hidden = False      # a tab pane: skipped while hidden, updated when shown

    COMPONENT_CLASSES = {"chart--line", "chart--wall", "chart--cap", "chart--current", "chart--axis",
                         "chart--title", "chart--legend"}
    BINDINGS = [
        Binding("x", "next_input", "Sweep input", id="chart.next_input"),
        Binding("y", "next_outputs", "Chart outputs", id="chart.next_outputs"),
        Binding("l", "toggle_log", "Log x", id="chart.toggle_log"),
    ]

    def __init__(self, key: str = "cluster.count", outputs: Sequence[str] = OUTPUT_SETS[0], **kwargs) -> None:
        super().__init__(**kwargs)
        self.key = key
        self.outputs: tuple[str, ...] = tuple(outputs)
        self.log_x: bool | None = None          # None: the input's default
        self.data: Sweep | None = None
        self.error: str = ""

    # ----------------------------------------------------------- state
    def _recompute(self) -> None:
        if self._result is None:
            return
        spec = input_spec(self.key)
        point = point_value(spec, self._result)
        try:
            if not math.isfinite(point) or point <= 0:
                raise WhatifError(f"{spec.label} has no value in this scenario; press x for another input")
            low, high, log = sweep_range(self.key, point)
            log = log if self.log_x is None else self.log_x
            points = max(2 * max(self.size.width - AXIS_W, 20), 40)
            self.data = sweep(self._result.scenario, self.key, low, high, points=points, log=log, base=self._result)
            self.error = ""
        except WhatifError as exc:
            self.data, self.error = None, in_words(str(exc))
        self.refresh()

    def action_next_input(self) -> None:
        self.key = SWEEP_KEYS[(SWEEP_KEYS.index(self.key) + 1) % len(SWEEP_KEYS)] if self.key in SWEEP_KEYS \
            else SWEEP_KEYS[0]
        self.log_x = None
        self._recompute()

    def action_next_outputs(self) -> None:
        index = OUTPUT_SETS.index(self.outputs) if self.outputs in OUTPUT_SETS else -1
        self.outputs = OUTPUT_SETS[(index + 1) % len(OUTPUT_SETS)]
        self.refresh()

    def action_toggle_log(self) -> None:
        self.log_x = not (self.data.log if self.data else False)
        self._recompute()

    def on_resize(self) -> None:
        self._recompute()

    # ----------------------------------------------------------- drawing
    def render(self) -> Text:
        if self.data is None:
            return Text(self.error or "No result yet.", style=self.get_component_rich_style("chart--legend"))
        width = max(self.size.width - AXIS_W - 1, 10)
        height = max(self.size.height, 6)
        outputs = self.outputs
        spare = height - 3                              # legend (2) + x axis (1)
        per_plot = spare // len(outputs) - 1            # each plot has a title line
        if per_plot < 2 and len(outputs) > 1:
            outputs, per_plot = outputs[:1], spare - 1
        text = Text(no_wrap=True, overflow="crop")
        for name in outputs:
            self._plot(text, name, width, max(per_plot, 1))
        self._x_axis(text, width)
        self._legend(text)
        return text

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _plot(self, text: Text, name: str, width: int, rows: int) -> None:
        data = self.data
        assert data is not None
        y = np.asarray(data.series(name), dtype=float)
        finite = y[np.isfinite(y)]
        current = data.point_values[name]
        title = f"{QUANTITIES[name].label}: {fmt(name, current)} now"
        text.append(title[: width + AXIS_W] + "\n", style=self._style("chart--title"))
        if finite.size == 0:
            text.append("  not available for this scenario\n" * rows, style=self._style("chart--legend"))
            return
        y_low, y_high = float(finite.min()), float(finite.max())
        limit_y, limit_kind = self._threshold(name)
        if limit_y is not None and y_low / 2 <= limit_y <= y_high * 2:
            y_low, y_high = min(y_low, limit_y), max(y_high, limit_y)   # keep the limit line in view
        else:
            limit_y = None
        log_y = y_low > 0 and y_high / y_low > 20
        if y_high == y_low:
            y_low, y_high = y_low * 0.9 - 1e-9, y_high * 1.1 + 1e-9
        kinds = np.zeros(len(data.x), dtype=np.int8)
        for limit in data.limits:
            kinds = np.where(limit.mask, np.maximum(kinds, 2 if limit.code == "power-cap" else 1), kinds)
        canvas = plot_rows(data.x, y, kinds, width, rows, data.log, log_y, y_low, y_high)
        if limit_y is not None:
            # A dotted horizontal line at the limit (power cap, reliability-wall goodput).
            py = (4 * rows - 1) - _scale(np.array([limit_y]), y_low, y_high, log_y, 4 * rows - 1)[0]
            for px in range(0, 2 * width, 3):
                canvas.dot(px, int(round(py)), limit_kind)
        cur_col = self._column_of(data.point, width)
        styles = {0: self._style("chart--line"), 1: self._style("chart--wall"), 2: self._style("chart--cap")}
        current_style = self._style("chart--current")
        for row in range(rows):
            label = _axis_label(name, y_high if row == 0 else y_low if row == rows - 1 else None)
            text.append(f"{label:>{AXIS_W - 1}}┤", style=self._style("chart--axis"))
            for col in range(width):
                style = styles[int(canvas.kind[row, col])]
                if col == cur_col:
                    style = style + current_style
                text.append(canvas.char(row, col), style=style)
            text.append("\n")

    def _threshold(self, name: str) -> tuple[float | None, int]:
        """The limit drawn across a plot: the power cap on facility power, the reliability-wall
        goodput on goodput; (None, 0) elsewhere or when the scenario has no cap."""
        values = self._result.resolved.values if self._result else {}
        if name == "facility_mw" and math.isfinite(values.get("power_cap_mw", math.nan)):
            return values["power_cap_mw"], 2
        if name == "goodput" and "goodput_low" in values:
            return values["goodput_low"], 1
        return None, 0

    def _column_of(self, value: float, width: int) -> int:
        data = self.data
        assert data is not None
        pos = _scale(np.array([value]), data.x[0], data.x[-1], data.log, 2 * width - 1)[0]
        return int(round(pos)) // 2 if math.isfinite(pos) and 0 <= pos <= 2 * width - 1 else -1

    def _x_axis(self, text: Text, width: int) -> None:
        data = self.data
        assert data is not None
        spec = data.spec
        low, high = _x_label(spec.name, data.x[0]), _x_label(spec.name, data.x[-1])
        cells = list(low + " " * max(1, width - len(low) - len(high)) + high)
        cur = self._column_of(data.point, width)
        if 0 <= cur < len(cells) and cells[cur] == " ":
            cells[cur] = "▲"        # the current scenario, also visible without colour
        axis = f"{'':>{AXIS_W - 1}}└" + "".join(cells)
        text.append(axis[: width + AXIS_W] + "\n", style=self._style("chart--axis"))

    def _legend(self, text: Text) -> None:
        data = self.data
        assert data is not None
        spec = data.spec
        width = max(self.size.width - 1, 20)
        scale = "log" if data.log else "linear"
        head = f"x: {spec.label} {scale} · ▲ now {_x_label(spec.name, data.point)}"
        keys = " · keys x y l"
        text.append((head + keys if len(head + keys) <= width else head)[:width] + "\n",
                    style=self._style("chart--legend"))
        parts = self._limit_parts(long=True)
        if sum(len(p) + 2 for p, _ in parts) > width:
            parts = self._limit_parts(long=False)
        if not parts:
            text.append("no reliability wall or power cap here"[:width], style=self._style("chart--legend"))
        used = 0
        for i, (part, style) in enumerate(parts):
            piece = ("  " if i else "") + part
            text.append(piece[: max(width - used, 0)], style=style)
            used += len(piece)

    def _limit_parts(self, long: bool) -> list[tuple[str, Style]]:
        """'■ reliability wall from 93,031' (or '■ wall ≥93,031' when narrow) for each limit
        reached in the range, in its colour."""
        data = self.data
        assert data is not None
        parts = []
        for limit in data.limits:
            if limit.first is None:
                continue
            at = _x_label(data.spec.name, limit.first)
            if limit.code == "power-cap":
                cap = fmt("power_cap_mw", self._result.resolved.values["power_cap_mw"]) if self._result else ""
                label = f"{cap} cap"
                style = self._style("chart--cap")
            else:
                label = "reliability wall" if long else "wall"
                style = self._style("chart--wall")
            parts.append((f"■ {label} from {at}" if long else f"■ {label} ≥{at}", style))
        return parts


def _axis_label(name: str, value: float | None) -> str:
    if value is None:
        return ""
    label = fmt(name, value)
    unit = QUANTITIES[name].unit
    if unit and label.endswith(" " + unit) and len(label) > AXIS_W - 1:
        label = label[: -len(unit) - 1]
    return label[: AXIS_W - 1]


def _x_label(name: str, value: float) -> str:
    q = QUANTITIES.get(name)
    if name == "count":
        return f"{value:,.0f}"
    if q and q.kind == "share":
        return f"{value * 100:.0f} %"
    return f"{value:.3g}"


TORNADO_OUTPUTS: tuple[str, ...] = ("cost_usd", "training_days", "facility_mw", "energy_mwh", "co2_t")


class TornadoView(RecomputingView, Widget, can_focus=True):
    """The sensitivity tornado (engine.analysis.sensitivity) for one output, live."""

    update_when_hidden = False      # a tab pane: skipped while hidden, updated when shown

    BINDINGS = [
        Binding("o", "next_output", "Tornado output", id="tornado.next_output"),
        Binding("r", "toggle_ranges", "+-20 % / ranges", id="tornado.toggle_ranges"),
    ]

    def __init__(self, output: str = "cost_usd", **kwargs) -> None:
        super().__init__(**kwargs)
        self.output = output
        self.ranges = False
        self.text = ""

    def _recompute(self) -> None:
        if self._result is None:
            return
        from whatif.engine.analysis.sensitivity import render_tornado, sensitivity
        try:
            data = sensitivity(self._result.scenario, self.output, ranges=self.ranges, base=self._result)
            self.text = render_tornado(data, width=max(self.content_size.width, 30))
        except WhatifError as exc:
            self.text = in_words(str(exc))
        self.text += "\n\no: another output · r: +-20 % or plausible ranges"
        self.refresh()

    def action_next_output(self) -> None:
        index = TORNADO_OUTPUTS.index(self.output) if self.output in TORNADO_OUTPUTS else -1
        self.output = TORNADO_OUTPUTS[(index + 1) % len(TORNADO_OUTPUTS)]
        self._recompute()

    def action_toggle_ranges(self) -> None:
        self.ranges = not self.ranges
        self._recompute()

    def on_resize(self) -> None:
        self._recompute()

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="crop")
