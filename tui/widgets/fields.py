"""The input panels: one row per scenario field (label, editor, error line under it).

Field specs say how text maps to scenario values; the app owns validation (through
Scenario.with_values, so messages come from the engine) and recomputation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.geometry import Size
from textual.binding import Binding
from textual.message import Message
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label, Select, Static

from engine.catalog import PRECISIONS, Catalog
from engine.evaluate import Result
from engine.scenario import Scenario
from engine.units import fmt

SHARE, NUMBER, COUNT, CHOICE = "share", "number", "count", "choice"


@dataclass(frozen=True)
class FieldSpec:
    key: str                    # dotted scenario key, e.g. "cluster.count"
    label: str                  # short label with unit
    kind: str = NUMBER          # share (0-1, '%' accepted), number, count (whole), choice (Select)
    resolved: str | None = None  # name in result values / resolved inputs shown as the default hint

    @property
    def widget_id(self) -> str:
        return "f-" + self.key.replace(".", "-").replace("_", "-")


F = FieldSpec
# (group title, main fields, (collapsible title, fields) or None)
PANELS: tuple[tuple[str, tuple[FieldSpec, ...], tuple[str, tuple[FieldSpec, ...]] | None], ...] = (
    ("Workload", (
        F("workload.params_b", "Params, B", resolved="params_b"),
        F("workload.tokens_t", "Tokens, T", resolved="tokens_t"),
        F("workload.precision", "Precision", CHOICE),
    ), ("More workload", (
        F("workload.active_params_b", "Active, B (MoE)", resolved="active_params_b"),
        F("workload.flops", "FLOPs total", resolved="flops"),
    ))),
    ("Cluster", (
        F("cluster.chip", "Chip", CHOICE),
        F("cluster.count", "Chips", COUNT, resolved="count"),
        F("cluster.mfu", "MFU", SHARE, resolved="mfu_auto"),
        F("cluster.goodput", "Goodput", SHARE, resolved="goodput_auto"),
    ), ("Reliability", (
        F("cluster.mtti_chip_hours", "MTTI/chip, h", resolved="mtti_chip_hours"),
        F("cluster.checkpoint_minutes", "Checkpoint, min", resolved="checkpoint_minutes"),
        F("cluster.restart_minutes", "Restart, min", resolved="restart_minutes"),
        F("cluster.planned_downtime", "Planned down", SHARE, resolved="planned_downtime"),
    ))),
    ("Facility", (
        F("facility.cooling", "Cooling", CHOICE),
        F("facility.region", "Region", CHOICE),
        F("facility.pue", "PUE", resolved="pue"),
        F("facility.it_kw_per_chip", "IT kW/chip", resolved="it_kw_per_chip"),
        F("facility.power_cap_mw", "Power cap, MW", resolved="power_cap_mw"),
    ), ("Grid, water, load", (
        F("facility.electricity_usd_per_mwh", "Power $/MWh", resolved="electricity_usd_per_mwh"),
        F("facility.grid_g_per_kwh", "Grid gCO2/kWh", resolved="grid_g_per_kwh"),
        F("facility.wue_l_per_kwh", "WUE, L/kWh", resolved="wue_l_per_kwh"),
        F("facility.load_factor", "Load factor", SHARE, resolved="load_factor"),
        F("facility.network_share", "Network share", SHARE, resolved="network_share"),
    ))),
    ("Economics", (
        F("economics.mode", "Mode", CHOICE),
        F("economics.rent_usd_per_chip_hour", "Rent $/chip-h", resolved="rent_usd_per_chip_hour"),
        F("economics.chip_capex_usd", "Chip price $", resolved="chip_capex_usd"),
    ), ("Owning", (
        F("economics.facility_capex_usd_per_mw", "Facility $/MW", resolved="facility_capex_usd_per_mw"),
        F("economics.depreciation_years", "Depreciation, y", resolved="depreciation_years"),
        F("economics.network_capex_share", "Network capex", SHARE, resolved="network_capex_share"),
    ))),
)
FIELDS: dict[str, FieldSpec] = {f.key: f for _, main, more in PANELS for f in (*main, *(more[1] if more else ()))}
BY_WIDGET_ID: dict[str, FieldSpec] = {f.widget_id: f for f in FIELDS.values()}
# Fields without a catalog default: an empty box is an error, not "use the default".
REQUIRED = frozenset({"workload.params_b", "workload.tokens_t", "cluster.count"})


def parse_text(spec: FieldSpec, text: str) -> Any:
    """Text from an Input to a scenario value. Empty is None (use the default). Text that is
    not a number is passed through unchanged so the engine's validation names the problem."""
    cleaned = text.strip().replace(",", "").replace("_", "").replace(" ", "")
    if not cleaned:
        return None
    percent = spec.kind == SHARE and cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1]
    try:
        number = float(cleaned)
    except ValueError:
        return text.strip()
    if percent:
        number /= 100
    if spec.kind == COUNT:
        return int(number) if number.is_integer() else number
    return number


def format_value(value: Any) -> str:
    """A scenario value as editable text: 405 not 405.0, 1e+26 stays short."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.10g}"


def hint(spec: FieldSpec, result: Result) -> str:
    """Placeholder for an empty field: the value the model uses and where it comes from."""
    if spec.resolved is None:
        return ""
    if spec.resolved in ("mfu_auto", "goodput_auto"):
        return f"auto {fmt(spec.resolved, result.values[spec.resolved])}"
    value = result.resolved.values.get(spec.resolved, math.nan)
    origin = result.resolved.origins.get(spec.resolved)
    kind = origin.kind if origin else "default"
    if math.isnan(value):
        return "none" if spec.key == "facility.power_cap_mw" else f"n/a ({kind})"
    text = fmt(spec.resolved, value) if spec.kind == SHARE else _plain(value)
    return f"{text} {kind}"


def _plain(value: float) -> str:
    if abs(value) >= 1e7:
        return f"{value:.3g}".replace("e+", "e")
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


def choice_options(key: str, catalog: Catalog) -> list[tuple[str, str]]:
    """(label, value) pairs for a Select; labels start with the key so type-to-search works."""
    if key == "cluster.chip":
        width = max(len(k) for k in catalog.chips)
        return [(f"{k:<{width}}  {c.name}{' (est.)' if c.estimate else ''}", k)
                for k, c in sorted(catalog.chips.items())]
    if key == "workload.precision":
        return [(p, p) for p in PRECISIONS]
    if key == "facility.cooling":
        return [(k, k) for k in catalog.cooling]
    if key == "facility.region":
        return [(k, k) for k in catalog.regions]
    if key == "economics.mode":
        return [("rent", "rent"), ("own", "own")]
    raise KeyError(key)


class ChipField(Static, can_focus=True):
    """The chip in one line; Enter or a click opens the searchable chip picker."""

    BINDINGS = [Binding("enter,space", "pick", "Pick chip", id="field.pick_chip", show=False)]

    class Changed(Message):
        def __init__(self, field: ChipField, value: str) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> ChipField:
            return self.field

    def __init__(self, catalog: Catalog, value: str, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.catalog = catalog
        self._value = value

    def on_mount(self) -> None:
        self.value = self._value

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, key: str) -> None:
        self._value = key
        chip = self.catalog.chips.get(key)
        self.update(Text.assemble((key, "bold"), f"  {chip.name}" if chip else ""))

    def on_click(self) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        from tui.screens.chip_picker import ChipPicker
        self.app.push_screen(ChipPicker(self.catalog, self._value), self._picked)

    def _picked(self, key: str | None) -> None:
        if key and key != self._value:
            self.value = key
            self.post_message(self.Changed(self, key))


class FieldInput(Input):
    """An Input whose edits never ask for a screen-wide layout pass.

    Input stores its text width as its virtual size through a layout reactive, so every
    keystroke that changes the length of the text re-laid out the whole screen (about half
    the cost of a keystroke). The field has a fixed size (1fr x 1) and no scrollbars: the
    virtual size only bounds horizontal scrolling, which reads it directly."""

    def _watch_value(self, value: str) -> None:
        # Set the size quietly first: Input's own watcher then finds it unchanged.
        self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)


# Selects that may be blank (None = default chosen by the chip / the model).
BLANK_PROMPTS = {"facility.cooling": "by chip", "facility.region": "us-average"}


class FieldRow(Widget):
    """Label and editor on one line, the error message (if any) under them. A two-column
    grid rather than nested containers: ~30 rows, and every node costs start-up time."""

    def __init__(self, spec: FieldSpec, catalog: Catalog, value: Any, scenario_chips: dict | None = None) -> None:
        super().__init__(classes="field-row")
        self.spec = spec
        self.catalog = catalog
        self.initial = value
        self.scenario_chips = scenario_chips or {}

    def compose(self) -> ComposeResult:
        spec = self.spec
        yield Label(spec.label, classes="field-label")
        if spec.key == "cluster.chip":
            catalog = self.catalog.with_chips(self.scenario_chips, origin="preset [chips]")
            yield ChipField(catalog, self.initial, id=spec.widget_id, classes="field-editor")
        elif spec.kind == CHOICE:
            blank = spec.key in BLANK_PROMPTS
            yield Select(choice_options(spec.key, self.catalog), id=spec.widget_id, compact=True,
                         allow_blank=blank, prompt=BLANK_PROMPTS.get(spec.key, "Select"),
                         classes="field-editor", value=Select.NULL if self.initial is None else self.initial)
        else:
            yield FieldInput(format_value(self.initial), id=spec.widget_id, compact=True, select_on_focus=False,
                        classes="field-editor", tooltip=spec.key)

    def set_error(self, message: str | None) -> None:
        """Show or clear the message under the field. The message line is mounted only when
        needed: one idle Static per field cost ~11 % of start-up."""
        self.set_class(message is not None, "-invalid")
        self.query_one(".field-editor").set_class(message is not None, "-invalid")
        shown = self.query(".field-error")
        if message is None:
            shown.remove()
        elif shown:
            shown.first(Static).update(message)
        else:
            self.mount(Static(message, classes="field-error"))


class InputPanels(Vertical):
    """Every scenario group, in model.md order; less-used fields in Collapsibles."""

    def __init__(self, catalog: Catalog, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog = catalog
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        for title, main, more in PANELS:
            with Vertical(classes="panel", id=f"panel-{title.lower()}") as panel:
                panel.border_title = title
                for spec in main:
                    yield FieldRow(spec, self.catalog, self.scenario.get(spec.key), self.scenario.chips)
                if more:
                    yield MoreFields(more[0], more[1], self.catalog)


class MoreFields(Collapsible):
    """A collapsed section whose fields are mounted when it is first opened: ~50 fewer
    widgets to build and style before the first frame. Values come from app.scenario then."""

    class Filled(Message):
        """Posted once the section's fields exist (the app then fills in hints)."""

    def __init__(self, title: str, specs: tuple[FieldSpec, ...], catalog: Catalog) -> None:
        super().__init__(title=title, classes="more", id=f"more-{title.split()[0].lower().strip(',')}")
        self.specs = specs
        self.catalog = catalog
        self.filled = False

    async def fill(self) -> None:
        if self.filled:
            return
        self.filled = True
        scenario = self.app.scenario  # type: ignore[attr-defined]
        rows = [FieldRow(spec, self.catalog, scenario.get(spec.key), scenario.chips) for spec in self.specs]
        await self.query_one(Collapsible.Contents).mount_all(rows)
        self.post_message(self.Filled())

    async def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        if event.collapsible is self:
            await self.fill()
