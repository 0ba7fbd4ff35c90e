"""The input panels: one row per scenario field (label, editor, error line under it).

Field specs say how text maps to scenario values; the app owns validation (through
Scenario.with_values, so messages come from the engine) and recomputation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.binding import Binding
from textual.message import Message
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from whatif.engine.catalog import PRECISIONS, Catalog
from whatif.engine.evaluate import Result
from whatif.engine.scenario import Scenario
from whatif.engine.units import fmt
from whatif.tui.widgets.base import content_width

SHARE, NUMBER, COUNT, CHOICE = "share", "number", "count", "choice"


@dataclass(frozen=True)
class FieldSpec:
    key: str                    # dotted scenario key, e.g. "cluster.count"
    label: str                  # short label with unit
    kind: str = NUMBER          # share (0-1, '%' accepted), number, count (whole), choice (a picker)
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
        F("workload.active_params_b", "MoE active, B", resolved="active_params_b"),
        F("workload.flops", "FLOPs total", resolved="flops"),
    ))),
    ("Cluster", (
        F("cluster.chip", "Chip", CHOICE),
        F("cluster.count", "Chips", COUNT, resolved="count"),
        F("cluster.mfu", "MFU", SHARE, resolved="mfu_auto"),
        F("cluster.goodput", "Goodput", SHARE, resolved="goodput_auto"),
    ), ("Reliability", (
        F("cluster.mtti_chip_hours", "MTTI/chip, h", resolved="mtti_chip_hours"),
        F("cluster.checkpoint_minutes", "Checkpt, min", resolved="checkpoint_minutes"),
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
        F("economics.depreciation_years", "Deprec., years", resolved="depreciation_years"),
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
    """(label, value) pairs of a choice field (the chip's also name the chip)."""
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


class PickerField(Widget, can_focus=True):
    """A field that shows its value on one line and opens a picker (Enter, space or a click).

    One widget where Textual's Select builds six: fewer widgets to style before the first
    frame. Subclasses say how the value reads and which picker opens."""

    BINDINGS = [Binding("enter,space", "open", "Choose", id="field.open_picker", show=False)]

    class Changed(Message):
        def __init__(self, field: PickerField, value: str | None) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> PickerField:
            return self.field

    def __init__(self, value: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._value = value

    @property
    def value(self) -> str | None:
        return self._value

    @value.setter
    def value(self, value: str | None) -> None:
        """Show `value` (no Changed message: the app sets fields from the scenario)."""
        self._value = value
        self.refresh()

    def pick(self, value: str | None) -> None:
        """Take `value` as the user's choice: show it and tell the app."""
        if value != self._value:
            self.value = value
            self.post_message(self.Changed(self, value))

    def on_click(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        raise NotImplementedError


class ChipField(PickerField):
    """The chip in one line; Enter or a click opens the searchable chip picker."""

    def __init__(self, catalog: Catalog, value: str, **kwargs: Any) -> None:
        super().__init__(value, **kwargs)
        self.catalog = catalog

    def render(self) -> Text:
        chip = self.catalog.chips.get(self._value or "")
        text = Text.assemble((self._value or "", "bold"), f"  {chip.name}" if chip else "", no_wrap=True)
        text.truncate(max(content_width(self), 1), overflow="ellipsis")
        return text

    def action_open(self) -> None:
        from whatif.tui.screens.chip_picker import ChipPicker
        self.app.push_screen(ChipPicker(self.catalog, self._value or ""), lambda key: key and self.pick(key))


class ChoiceField(PickerField):
    """One of a few values ('rent ▼'): Enter opens the list, left/right step through it in
    place. A field that may be blank shows its prompt (e.g. 'air by chip') when it is."""

    BINDINGS = [
        Binding("left", "step(-1)", "Previous option", id="field.option_previous", show=False),
        Binding("right", "step(1)", "Next option", id="field.option_next", show=False),
    ]

    def __init__(self, title: str, options: list[tuple[str, str]], value: str | None,
                 blank_prompt: str | None = None, **kwargs: Any) -> None:
        super().__init__(value, **kwargs)
        self.title = title
        self.options = options
        self._prompt = blank_prompt

    @property
    def prompt(self) -> str | None:
        return self._prompt

    @prompt.setter
    def prompt(self, text: str) -> None:
        if text != self._prompt:
            self._prompt = text
            if self._value is None:
                self.refresh()

    def choices(self) -> list[tuple[str, str | None]]:
        """(label, value) in list order; the blank (None) first when the field may be blank."""
        blank = [(self._prompt, None)] if self._prompt is not None else []
        return blank + list(self.options)

    def label(self) -> str:
        return next((label for label, value in self.choices() if value == self._value), str(self._value))

    def render(self) -> Text:
        width = content_width(self)
        text = Text(self.label(), no_wrap=True, overflow="ellipsis")
        text.truncate(max(width - 2, 1), overflow="ellipsis")
        text.pad_right(max(width - text.cell_len - 1, 1))
        text.append("▼")
        return text

    def action_open(self) -> None:
        from whatif.tui.screens.choice_picker import ChoicePicker
        self.app.push_screen(ChoicePicker(self.title, self.choices(), self._value),
                             lambda picked: picked is not None and self.pick(picked[0]))

    def action_step(self, step: int) -> None:
        values = [value for _, value in self.choices()]
        index = values.index(self._value) if self._value in values else 0
        self.pick(values[(index + step) % len(values)])


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

    async def _on_key(self, event: events.Key) -> None:
        """Editing keys (backspace, ctrl+u, End...) act here, in order with the characters
        around them. Textual runs a widget's key bindings only once the key has bubbled up
        to the app, while characters are inserted at once: in one burst (fast typing over
        SSH, a paste of keys) 'ctrl+u 5 0' inserted 50 first and then cleared the field
        (textual issue #6605). Input's own handler (next in the MRO) takes the rest."""
        action = _EDIT_ACTIONS.get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)


# Input's editing bindings by key ('home,ctrl+a' gives two); Enter keeps its normal path.
_EDIT_ACTIONS: dict[str, str] = {binding.key: binding.action for binding in Binding.make_bindings(Input.BINDINGS)
                                 if binding.action != "submit"}


# Choices that may be blank (None = default chosen by the chip / the model).
BLANK_PROMPTS = {"facility.cooling": "by chip", "facility.region": "us-average"}


class FieldRow(Widget):
    """Label and editor on one line, the error message (if any) under them. The row draws
    its label itself and the editor sits to its right (margin in app.tcss): a Label widget
    per field was a third of the widgets every keystroke's frame walks."""

    COMPONENT_CLASSES = {"field-row--label"}

    def __init__(self, spec: FieldSpec, catalog: Catalog, value: Any, scenario_chips: dict | None = None,
                 classes: str = "") -> None:
        super().__init__(classes=f"field-row {classes}".strip())
        self.spec = spec
        self.catalog = catalog
        self.initial = value
        self.scenario_chips = scenario_chips or {}

    def render(self) -> Text:
        return Text(self.spec.label, style=self.get_component_rich_style("field-row--label"), no_wrap=True,
                    overflow="ellipsis")

    def compose(self) -> ComposeResult:
        spec = self.spec
        if spec.key == "cluster.chip":
            catalog = self.catalog.with_chips(self.scenario_chips, origin="preset [chips]")
            yield ChipField(catalog, self.initial, id=spec.widget_id, classes="field-editor")
        elif spec.kind == CHOICE:
            yield ChoiceField(spec.label, choice_options(spec.key, self.catalog), self.initial,
                              BLANK_PROMPTS.get(spec.key), id=spec.widget_id, classes="field-editor")
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
    """Every scenario group, in docs/model.md §1 order; less-used fields in sections opened on demand."""

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


class MoreFields(Widget, can_focus=True):
    """A section of less-used fields: one line ('▶ Reliability') whose rows are built the
    first time it is opened, below it in the same panel (~50 fewer widgets to build and
    style before the first frame). The rows start from app.scenario then."""

    BINDINGS = [Binding("enter,space", "toggle", "Open or close section", id="field.toggle_section",
                        show=False)]

    class Filled(Message):
        """Posted once the section's fields exist (the app then fills in hints)."""

    def __init__(self, title: str, specs: tuple[FieldSpec, ...], catalog: Catalog) -> None:
        super().__init__(classes="more", id=f"more-{title.split()[0].lower().strip(',')}")
        self.title = title
        self.specs = specs
        self.catalog = catalog
        self.rows: list[FieldRow] = []
        self.collapsed = True

    def render(self) -> Text:
        return Text(f"{'▶' if self.collapsed else '▼'} {self.title}", no_wrap=True, overflow="ellipsis")

    async def fill(self) -> None:
        if self.rows:
            return
        scenario = self.app.scenario  # type: ignore[attr-defined]
        self.rows = [FieldRow(spec, self.catalog, scenario.get(spec.key), scenario.chips, classes="more-row")
                     for spec in self.specs]
        for row in self.rows:
            row.display = not self.collapsed
        await self.parent.mount_all(self.rows, after=self)  # type: ignore[union-attr]
        self.post_message(self.Filled())

    async def expand(self) -> None:
        await self.fill()
        self._show(collapsed=False)

    async def action_toggle(self) -> None:
        if self.collapsed:
            await self.expand()
        else:
            self._show(collapsed=True)

    async def on_click(self) -> None:
        await self.action_toggle()

    def _show(self, collapsed: bool) -> None:
        self.collapsed = collapsed
        for row in self.rows:
            row.display = not collapsed
        self.refresh()
