"""The input panels: one row per scenario input (label, editor, error line under it).

Rows come from the engine's input table (engine.inputs): its short label, kind, choices
and what an empty field means. The rows only show values and report edits (InputPanels.Edited,
posted to the app); the app hands them to the editing session, which validates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.geometry import Size
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from whatif.engine.evaluate import Result
from whatif.engine.inputs import GROUP_NAMES, INLINE_PRESET, INPUTS, Input as InputRow, inputs_of
from whatif.engine.units import fmt
from whatif.tui.widgets.base import content_width
from whatif.tui.widgets.lean_lines import LeanLines, LeanStatic
from whatif.tui.widgets.ordered_keys import InOrderInput, keep_key_order
from whatif.tui.widgets.results import set_text
from whatif.tui.words import MODE_WORDS, field_tooltip

if TYPE_CHECKING:  # types only: the first frame is drawn before pydantic is imported
    from whatif.engine.catalog import Catalog
    from whatif.engine.scenario import Scenario
    from whatif.tui.screens.dialogs import Dialog

# Panel titles and the title of each panel's folded section of less-used inputs.
PANEL_TITLES: dict[str, tuple[str, str]] = {
    "workload": ("Workload", "More workload"), "cluster": ("Cluster", "Reliability, layout"),
    "facility": ("Facility", "Grid, water, load"), "economics": ("Economics", "Owning"),
}
FIELDS: dict[str, InputRow] = {spec.key: spec for spec in INPUTS}
BY_WIDGET_ID: dict[str, InputRow] = {spec.widget_id: spec for spec in INPUTS}


def format_value(value: Any, spec: InputRow | None = None) -> str:
    """A scenario value as editable text: 405 not 405.0, 1e+26 stays short, and a share as
    the percentage its hint shows ('31.82 %', not '0.3182'; it parses back the same)."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if spec is not None and spec.kind == "share":
        return f"{value * 100:.10g} %"
    return f"{value:.10g}"


def step_line(result: Result) -> Text:
    """'TP8·PP16·DP128 sel 52/72GB': the layout the step model chose, its recompute and its
    memory per chip against usable HBM (red when it does not fit). ZeRO and the step split:
    --explain mfu."""
    v = result.values
    ep = f"·EP{v['layout_ep']:g}" if v["layout_ep"] > 1 else ""
    rc = ("", " sel", " full")[int(v["layout_recompute"])]
    text = (f"TP{v['layout_tp']:g}·PP{v['layout_pp']:g}·DP{v['layout_dp']:.6g}{ep}{rc} "
            f"{v['memory_gb_per_chip']:,.0f}/{v['usable_hbm_gb_per_chip']:,.0f}GB")
    return Text(text, style="" if v["fits"] else "bold red", no_wrap=True, overflow="ellipsis")


def hint(spec: InputRow, result: Result) -> str:
    """Placeholder for an empty field: the value the model uses and where it comes from,
    or that the current economics mode does not use it."""
    if spec.mode is not None and result.resolved.mode != spec.mode:
        return f"unused: {MODE_WORDS[result.resolved.mode]}"  # fits the field at 80 columns
    if spec.required:
        # Nothing stands in for it: the last good result's value ('16,384 input') read as
        # if the emptied field still held it.
        return "required"
    if spec.auto is not None:
        return f"auto {fmt(spec.auto, result.values[spec.auto])}"
    value = result.resolved.values.get(spec.name, math.nan)
    origin = result.resolved.origins.get(spec.name)
    kind = origin.kind if origin else "default"
    if math.isnan(value):
        # None by default (no power cap), or a figure the catalog lacks (V100's rent: 'n/a
        # (estimate)' read as if one had been estimated).
        return _NO_VALUE.get(kind, f"n/a ({kind})")
    text = fmt(spec.name, value) if spec.kind == "share" else _plain(value)
    return f"{text} {kind}"


_NO_VALUE = {"default": "none", "estimate": "none published", "catalog": "none published"}


def _plain(value: float) -> str:
    if abs(value) >= 1e7:
        return f"{value:.3g}".replace("e+", "e")
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


def choice_options(spec: InputRow, catalog: Catalog) -> list[tuple[str, str]]:
    """(label, value) pairs of a choice field (the chip's also name the chip)."""
    if spec.choices == "chips":
        width = max(len(k) for k in catalog.chips)
        return [(f"{k:<{width}}  {c.name}{' (est.)' if c.estimate else ''}", k)
                for k, c in sorted(catalog.chips.items())]
    if spec.choices == "cooling":
        # What a cooling type changes: the PUE and how dense a rack may be.
        width = max(len(k) for k in catalog.cooling)
        return [(f"{k:<{width}}  PUE {format(c.pue, 'g'):<5} up to {c.max_rack_kw:>4,.0f} kW/rack", k)
                for k, c in catalog.cooling.items()]
    if spec.choices == "regions":
        # Price, carbon and whether a figure stands in for a missing one: what a region changes.
        usd_per_eur = catalog.defaults["money"]["usd_per_eur"]
        width = max(len(k) for k in catalog.regions)
        # In columns, so prices and carbon compare down the list.
        return [(f"{k:<{width}}  {'$' + format(r.price_usd_per_mwh(usd_per_eur), ',.0f'):>5}/MWh"
                 f"  {r.grid_g_per_kwh:>5,.0f} g/kWh{_proxy_words(r.estimated)}", k)
                for k, r in catalog.regions.items()]
    if isinstance(spec.choices, tuple):
        return [(value, value) for value in spec.choices]
    raise KeyError(spec.key)


# A region's figures that may stand in for a missing one (engine/data/regions.toml `estimated`).
_REGION_FIGURES = {"usd_per_mwh": "price", "eur_per_mwh": "price", "grid_g_per_kwh": "carbon"}


def _proxy_words(estimated: list[str]) -> str:
    """'  (carbon is a proxy)': which of a region's figures another's stands in for."""
    if not estimated:
        return ""
    names = " and ".join(dict.fromkeys(_REGION_FIGURES.get(name, name) for name in estimated))
    return f"  ({names} {'are' if ' and ' in names else 'is'} a proxy)"


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

    # A character typed here opens the picker with it as the start of its filter.
    opens_on_typing = False
    _picker: Dialog | None = None   # the picker this field opened, until it closes

    def on_click(self) -> None:
        self.action_open()

    @property
    def open_picker_screen(self) -> Dialog | None:
        """The picker this field opened while it is open (answered, popped or refused: None)."""
        picker = self._picker
        return picker if picker is not None and picker in self.app.screen_stack else None

    def _on_key(self, event: events.Key) -> None:
        picker = self.open_picker_screen
        if picker is not None:
            # Typed in one burst with the key that opened it: the picker's (textual #6605).
            event.stop()
            event.prevent_default()
            picker.type_ahead(event)
            return
        if keep_key_order(self, event):
            return
        typed = self.opens_on_typing and event.is_printable and event.character is not None
        if event.key in ("enter", "space") or typed:
            # At once, not by the binding: the keys behind this one then go to the picker.
            event.stop()
            event.prevent_default()
            self.action_open()
            if typed and (picker := self.open_picker_screen) is not None:
                picker.type_ahead(event)

    def open_picker(self, picker: Dialog, on_pick: Callable[[Any], object]) -> None:
        self._picker = picker
        self.app.push_screen(picker, on_pick)

    def action_open(self) -> None:
        raise NotImplementedError


class ChipField(PickerField):
    """The chip in one line; Enter, a click or typing opens the searchable chip picker."""

    opens_on_typing = True

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
        self.open_picker(ChipPicker(self.catalog, self._value or ""), lambda key: key and self.pick(key))


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
        """What the field reads: the value itself (the list's labels may add details, such
        as a region's price), or the prompt when it is blank."""
        if self._value is None:
            return self._prompt or ""
        return self._value

    def render(self) -> Text:
        width = content_width(self)
        label = self.label()
        if self._value is None and len(label) > width - 2 and " (" in label:
            # 'us-average (default)' cut to 'us-average (d…' at 80 columns: the value whole
            # tells more; the list still says which entry is the default.
            label = label.partition(" (")[0]
        text = Text(label, no_wrap=True, overflow="ellipsis")
        text.truncate(max(width - 2, 1), overflow="ellipsis")
        text.pad_right(max(width - text.cell_len - 1, 1))
        text.append("▼")
        return text

    def action_open(self) -> None:
        from whatif.tui.screens.choice_picker import ChoicePicker
        self.open_picker(ChoicePicker(self.title, self.choices(), self._value),
                         lambda picked: picked is not None and self.pick(picked[0]))

    def action_step(self, step: int) -> None:
        values = [value for _, value in self.choices()]
        index = values.index(self._value) if self._value in values else 0
        self.pick(values[(index + step) % len(values)])


class FieldInput(LeanLines, InOrderInput):
    """An Input whose edits never ask for a screen-wide layout pass.

    Input stores its text width as its virtual size through a layout reactive, so every
    keystroke that changes the length of the text re-laid out the whole screen (about half
    the cost of a keystroke). The field has a fixed size (1fr x 1) and no scrollbars: the
    virtual size only bounds horizontal scrolling, which reads it directly."""

    BINDINGS = [Binding("ctrl+u", "clear_to_default", "Clear", id="field.reset",
                        tooltip="Empty the field: the default shown in grey applies")]
    _hint: str | None = None
    # The click that focuses the field keeps the value selected (typing replaces it, as
    # after Tab); Input's own press put the cursor where the click was, so typing appended
    # (405 became 4057). A click in the focused field places the cursor as usual.
    _focus_click_pending = False

    def _on_focus(self, event: events.Focus) -> None:
        self._focus_click_pending = self.select_on_focus

    def _on_blur(self, event: events.Blur) -> None:
        self._focus_click_pending = False

    def _on_key(self, event: events.Key) -> None:
        self._focus_click_pending = False

    def _on_mouse_down(self, event: events.MouseDown) -> None:
        if self._focus_click_pending:
            self._focus_click_pending = False
            event.prevent_default()  # Input's handler would replace the selection with a cursor

    def action_clear_to_default(self) -> None:
        """Empty the whole field (wherever the cursor is): the model's default applies."""
        self.value = ""

    def show_hint(self, text: str) -> None:
        """The placeholder: what an empty field means. Set only while it shows: a new hint
        for a field that has a value (the count's '16,384 input') repainted it for nothing."""
        self._hint = text
        if not self.value:
            self.placeholder = text

    def render_line(self, y: int) -> Strip:
        """The field's line drawn as segments, as Input draws it, where it is plain: Input
        draws it through a Rich console render (~0.3-0.5 ms a line; a count key repaints
        the count's value and the MFU and goodput hints). Anything else is Input's own."""
        if y == 0:
            strip = self._hint_line() if not self.value else self._value_line()
            if strip is not None:
                return strip
        return super().render_line(y)

    @property
    def _line_width(self) -> int:
        """The cells Input draws a line in: its scrollable region and one for the cursor
        (the field has no scrollbars: that region is its content's, read without asking
        the compositor)."""
        return content_width(self) + 1

    def _hint_line(self) -> Strip | None:
        """An empty field without the focus: its hint (the placeholder) as one segment."""
        if self.has_focus:
            return None
        hint = self.placeholder
        width = self._line_width
        hint_cells = cell_len(hint)
        if not hint or hint_cells > width or not hint.isprintable():
            return None
        segments = [Segment(hint, self.look.component("input--placeholder"))]
        if hint_cells < width:
            segments.append(Segment(" " * (width - hint_cells)))
        return Strip(segments, width).apply_style(self.look.rich_style)

    def _value_line(self) -> Strip | None:
        """The value, unscrolled and whole, with the selection and the cursor as Input
        styles them (the selection under the cursor); None for what only Input draws (a
        suggestion, a highlighter, a password, a value scrolled or wider than the field,
        wide or unprintable characters)."""
        value = self.value
        width = self._line_width
        if (self.password or self.highlighter is not None or self.scroll_offset.x
                or (self.has_focus and len(self._suggestion) > len(value))
                or len(value) + 1 > width or not value.isprintable() or cell_len(value) != len(value)):
            return None
        styles = [None] * (len(value) + 1)  # a style per cell; the last: the cursor past the end
        if self.has_focus:
            if not self.selection.is_empty:
                start, end = sorted(self.selection)
                selected = self.look.component("input--selection")
                styles[start:end] = [selected] * (end - start)
            if self._cursor_visible:
                cursor = self.cursor_position
                under = styles[cursor]
                cursor_style = self.look.component("input--cursor")
                styles[cursor] = cursor_style if under is None else under + cursor_style
        text = value + " "
        segments = []
        run = 0
        for cell in range(1, len(text) + 1):
            if cell == len(text) or styles[cell] is not styles[run]:
                segments.append(Segment(text[run:cell], styles[run]))
                run = cell
        if len(text) < width:
            segments.append(Segment(" " * (width - len(text))))
        return Strip(segments, width).apply_style(self.look.rich_style)

    def _watch_value(self, value: str) -> None:
        # Set the size quietly first: Input's own watcher then finds it unchanged.
        self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        if not value and self._hint is not None:
            self.placeholder = self._hint
        super()._watch_value(value)


class PanelInput(FieldInput):
    """A scenario field's editor: the typed character and the result of its edit go out in
    one frame (tui.widgets.frame_hold): the screen waits until the app applied the edit."""

    def _watch_value(self, value: str) -> None:
        # An edit: not put in by the app (which prevents Changed) nor the value the field is
        # built with (before it is mounted: an echo of the scenario the session ignored).
        edit = self.is_mounted and not self._is_prevented(Input.Changed)
        if edit and self.has_focus:  # typed
            hold = getattr(self.app, "frame_hold", None)
            if hold is not None:
                hold.hold()
        # The edit goes to the app at once, as Edited: Input.Changed bubbled up through the
        # row and the panels to InputPanels, which only turned it into Edited (~0.5 ms a key).
        with self.prevent(Input.Changed):
            super()._watch_value(value)
        if edit:
            spec = BY_WIDGET_ID[self.id or ""]
            self.app.post_message(InputPanels.Edited(spec.key, spec.parse(value)))


class FieldRow(Widget):
    """Label and editor on one line, the error message (if any) under them. The row draws
    its label itself and the editor sits to its right (margin in app.tcss): a Label widget
    per field was a third of the widgets every keystroke's frame walks."""

    COMPONENT_CLASSES = {"field-row--label"}

    def __init__(self, spec: InputRow, catalog: Catalog, value: Any, scenario_chips: dict | None = None,
                 classes: str = "") -> None:
        super().__init__(classes=f"field-row {classes}".strip())
        self.spec = spec
        self.catalog = catalog
        self.initial = value
        self.scenario_chips = scenario_chips or {}

    def render(self) -> Text:
        return Text(self.spec.short, style=self.get_component_rich_style("field-row--label"), no_wrap=True,
                    overflow="ellipsis")

    def compose(self) -> ComposeResult:
        spec = self.spec
        if spec.choices == "chips":
            catalog = self.catalog.with_chips(self.scenario_chips, origin=INLINE_PRESET)
            yield ChipField(catalog, self.initial, id=spec.widget_id, classes="field-editor")
        elif spec.kind == "choice":
            yield ChoiceField(spec.short, choice_options(spec, self.catalog), self.initial,
                              spec.blank, id=spec.widget_id, classes="field-editor")
        else:
            yield PanelInput(format_value(self.initial, spec), id=spec.widget_id, compact=True, select_on_focus=True,
                             classes="field-editor", tooltip=field_tooltip(spec))

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


class MoreFields(Widget, can_focus=True):
    """A section of less-used fields: one line ('▶ Reliability') whose rows are built the
    first time it is opened, below it in the same panel (~50 fewer widgets to build and
    style before the first frame). The rows start empty; the panels fill them in on Filled."""

    BINDINGS = [Binding("enter,space", "toggle", "Open or close section", id="field.toggle_section",
                        show=False)]

    class Filled(Message):
        """Posted once the section's fields exist (the panels then fill in values and hints)."""

        def __init__(self, section: MoreFields) -> None:
            super().__init__()
            self.section = section

    def __init__(self, title: str, specs: tuple[InputRow, ...], catalog: Catalog) -> None:
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
        self.rows = [FieldRow(spec, self.catalog, None, classes="more-row") for spec in self.specs]
        for row in self.rows:
            row.display = not self.collapsed
        panel = self.parent
        assert isinstance(panel, Widget)
        await panel.mount_all(self.rows, after=self)
        self.post_message(self.Filled(self))

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

    def _on_key(self, event: events.Key) -> None:
        keep_key_order(self, event)

    def _show(self, collapsed: bool) -> None:
        self.collapsed = collapsed
        for row in self.rows:
            row.display = not collapsed
        self.refresh()


class InputPanels(Vertical):
    """Every scenario group in the input table's order; less-used fields in sections opened
    on demand. Shows what it is given (values, errors, hints) and posts `Edited` for every
    change a person makes; it never validates."""

    class Edited(Message):
        """A field's new value as typed or picked (None: back to the default)."""

        def __init__(self, key: str, value: Any) -> None:
            super().__init__()
            self.key, self.value = key, value

    def __init__(self, catalog: Catalog, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog = catalog
        self.scenario = scenario
        self._result: Result | None = None
        self._errors: dict[str, str] = {}
        self._editors: dict[str, Input | PickerField] = {}
        self._unbuilt: set[str] = set()     # keys whose section is not opened yet
        self._rows: dict[str, FieldRow] = {}
        self._errors_shown: dict[str, str] = {}
        self._step_line: Static | None = None

    def compose(self) -> ComposeResult:
        for group in GROUP_NAMES:
            title, more_title = PANEL_TITLES[group]
            specs = inputs_of(group)
            with Vertical(classes="panel", id=f"panel-{group}") as panel:
                panel.border_title = title
                for spec in specs:
                    if not spec.advanced:
                        yield FieldRow(spec, self.catalog, self.scenario.get(spec.key), self.scenario.chips)
                if group == "cluster":
                    yield LeanStatic("", id="step-line", classes="step-line")  # layout and memory per chip
                advanced = tuple(spec for spec in specs if spec.advanced)
                if advanced:
                    yield MoreFields(more_title, advanced, self.catalog)

    # ------------------------------------------------------------------ editors
    def editor(self, key: str) -> Input | PickerField | None:
        """The field's editor, or None while it sits in a section not opened yet."""
        widget = self._editors.get(key)
        if widget is None:
            if key in self._unbuilt:
                return None  # known absent until its section opens (a DOM query per keystroke is slow)
            self._index_editors()
            widget = self._editors.get(key)
        return widget

    def _index_editors(self) -> None:
        """Find every editor and row in one walk (a query per field walked the whole DOM
        each time: ~10 % of start-up)."""
        for widget in self.walk_children(Widget):
            if isinstance(widget, FieldRow):
                self._rows[widget.spec.key] = widget
            elif widget.id in BY_WIDGET_ID and isinstance(widget, Input | PickerField):
                self._editors[BY_WIDGET_ID[widget.id].key] = widget
        self._unbuilt = {key for key in FIELDS if key not in self._editors}

    # ------------------------------------------------------------------ data from above
    def show_values(self, scenario: Scenario) -> None:
        """Put the scenario's values in every built field (after a load, an undo, a goal seek).
        A field that already shows its value is left alone: a presenter's keystroke mirrored
        by a follower changes one field, and repainting them all made the follower's frame
        span the whole screen."""
        chips_changed = scenario.chips != self.scenario.chips
        self.scenario = scenario
        for key in FIELDS:
            self._set_field(key, scenario.get(key), chips_changed)

    def _set_field(self, key: str, value: Any, chips_changed: bool = True) -> None:
        widget = self.editor(key)
        if widget is None:
            return  # a section not opened yet: filled when it opens
        if isinstance(widget, ChipField):
            if chips_changed:  # inline [chips] of the preset are pickable too
                widget.catalog = self.catalog.with_chips(self.scenario.chips, origin=INLINE_PRESET)
            elif widget.value == value:
                return
            widget.value = value
        elif isinstance(widget, PickerField):
            if widget.value != value:
                widget.value = value
        else:
            text = format_value(value, FIELDS[key])
            if widget.value == text:
                return
            with widget.prevent(Input.Changed):
                widget.value = text
                widget.select_all()  # put in by the app (undo, goal seek, a load): typing replaces it

    def texts(self, keys: Iterable[str]) -> dict[str, str]:
        """What is typed in the text fields of `keys` (a tab's invalid edits, kept while
        another tab is shown)."""
        editors = {key: self.editor(key) for key in keys}
        return {key: e.value for key, e in editors.items() if isinstance(e, Input)}

    def show_texts(self, texts: dict[str, str]) -> None:
        """Put typed texts back (see `texts`), without editing anything again."""
        for key, text in texts.items():
            widget = self.editor(key)
            if isinstance(widget, Input):
                with widget.prevent(Input.Changed):
                    widget.value = text

    def show_hints(self, result: Result) -> None:
        """What an empty field means: the value the model uses and where it comes from."""
        self._result = result
        if self._step_line is None:
            self._step_line = self.query_one("#step-line", Static)
        # Same height every time: a plain update() asked for a layout of the whole screen
        # on every keystroke (and so a repaint of every field).
        set_text(self._step_line, step_line(result))
        for key, spec in FIELDS.items():
            editor = self.editor(key)
            if editor is None:
                continue
            if isinstance(editor, FieldInput) and spec.numeric:
                editor.show_hint(hint(spec, result))
            elif isinstance(editor, ChoiceField) and spec.key == "facility.cooling":
                # Value first, like the other defaults ('1.5 catalog'): a narrow field cuts the origin.
                editor.prompt = f"{result.resolved.cooling.key} {spec.blank}"
            elif isinstance(editor, ChoiceField) and spec.key == "facility.region":
                editor.prompt = f"{spec.blank} (default)"  # the preset sets none: not the explicit entry

    def hint_widgets(self) -> list[Widget]:
        """The widgets show_hints changes: the layout line and the built editors."""
        return [*([self._step_line] if self._step_line is not None else []), *self._editors.values()]

    def show_errors(self, errors: dict[str, str]) -> None:
        """Mark the fields whose edits are not accepted, with the reason under each. Touches
        only rows whose message changed: querying all ~30 rows cost ~30 ms a keystroke."""
        self._errors = dict(errors)
        if not self._rows:
            self._index_editors()
        changed = {k for k in {*errors, *self._errors_shown} if errors.get(k) != self._errors_shown.get(k)}
        for key in changed:
            row = self._rows.get(key)
            if row is not None:
                row.set_error(errors.get(key))
        self._errors_shown = {k: v for k, v in errors.items() if k in self._rows}

    async def focus_field(self, key: str) -> None:
        """Focus a field, opening its section first if needed."""
        for section in self.query(MoreFields):
            if any(spec.key == key for spec in section.specs):
                await section.expand()
                self._index_editors()
        widget = self.editor(key)
        if widget is not None:
            widget.focus()

    # ------------------------------------------------------------------ edits going up
    # Edited goes to the app itself: no container between handles it, and each it passed
    # through cost a message dispatch on the keystroke's way to its frame. (A text field
    # posts its own: PanelInput._watch_value.)
    @on(PickerField.Changed)
    def _picked(self, event: PickerField.Changed) -> None:
        event.stop()
        self.app.post_message(self.Edited(BY_WIDGET_ID[event.field.id or ""].key, event.value))

    @on(MoreFields.Filled)
    def _section_filled(self, event: MoreFields.Filled) -> None:
        event.stop()
        self._index_editors()
        for spec in event.section.specs:
            self._set_field(spec.key, self.scenario.get(spec.key))
        if self._result is not None:
            self.show_hints(self._result)
        self.show_errors(self._errors)
