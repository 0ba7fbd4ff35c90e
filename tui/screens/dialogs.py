"""Modal dialogs: confirm, explain a number, open a preset, save as, show the preset TOML.

Each dismisses with its answer (bool, Path or None) so the app can chain them with
push_screen callbacks. Escape always cancels.

A pick-one dialog with a filter over its list (FilterDialog: the open dialog, the chip
picker): `/` focuses the filter; typing there narrows the list (case-insensitive); up and
down move in the list from the filter; Enter picks the highlighted entry; Escape clears the
filter first and closes the dialog only when the filter is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from whatif.engine.explain import Explanation
from whatif.engine.origin import Origin
from whatif.engine.units import fmt
from whatif.tui.widgets.ordered_keys import InOrderInput  # ctrl+u, backspace in order with typing

ORIGIN_MEANING = {
    "input": "yours: set in the scenario",
    "user": "your file: an entry of your config.toml or chips.toml",
    "default": "default: a model constant",
    "catalog": "catalog: chip, cooling or region data",
    "estimate": "estimate: a default that is itself an estimate",
    "auto": "auto: estimated by the model",
    "derived": "derived: computed from other values",
}


class Dialog(ModalScreen):
    """Base: Escape cancels with None (or False for yes/no questions)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    CANCEL_VALUE: object = None
    _keys_ahead: list[tuple[str, str | None]] | None = None   # typed before it was up

    def action_cancel(self) -> None:
        self.dismiss(self.CANCEL_VALUE)

    def type_ahead(self, event: events.Key) -> None:
        """A key typed in one burst with the one that opened this dialog. Keys of a burst are
        all delivered before a binding runs (textual #6605), so it reached the widget left
        behind: it acts here, in order, once the dialog is up and has set its focus."""
        if self._keys_ahead is None:
            self._keys_ahead = []
            if self.is_mounted:
                self.call_after_refresh(self._replay_keys)
        self._keys_ahead.append((event.key, event.character))

    def _on_mount(self) -> None:
        if self._keys_ahead:  # runs after the subclass's on_mount, which sets the focus
            self.call_after_refresh(self._replay_keys)

    def _replay_keys(self) -> None:
        keys, self._keys_ahead = self._keys_ahead or [], None
        if self.app.screen is not self:
            return  # closed meanwhile: the keys were for a dialog that is gone
        for key, character in keys:
            if not self.take_key(key, character):
                # Through the app, as if typed now: a key handed to a widget skips the bindings.
                self.app.post_message(events.Key(key, character))

    def take_key(self, key: str, character: str | None) -> bool:
        """Act on a key typed ahead now, in order with the others; False leaves it to the
        app. Posted to the app, Enter's binding ran before the characters ahead of it were
        typed (textual #6605 again), so dialogs with a list take their keys here."""
        return False


class FilterDialog(Dialog):
    """Base of a dialog with an Input `#FILTER_ID` over an OptionList `#LIST_ID`. Subclasses
    fill the list in `refilter(text)` and dismiss with the picked option. Typed in the filter,
    `/` is text (chip names have it: 'HGX/DGX B200'), except first: there it is the key to
    the filter, pressed where the filter has the focus already ('/b200' found nothing);
    elsewhere it is the key to the filter."""

    FILTER_ID = "filter"
    LIST_ID = "filter-list"
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="list.filter",
                tooltip="Type to narrow the list (Esc clears the filter)"),
        Binding("down", "move(1)", "Next", id="list.down", show=False),
        Binding("up", "move(-1)", "Previous", id="list.up", show=False),
    ]

    @property
    def filter(self) -> Input:
        return self.query_one(f"#{self.FILTER_ID}", Input)

    @property
    def options(self) -> OptionList:
        return self.query_one(f"#{self.LIST_ID}", OptionList)

    def refilter(self, text: str) -> None:
        raise NotImplementedError

    def pick(self, option_id: str) -> None:
        self.dismiss(option_id)

    def highlight_first(self) -> None:
        """Highlight the first entry that can be picked (group titles cannot)."""
        options = self.options
        options.highlighted = next((i for i in range(options.option_count)
                                    if not options.get_option_at_index(i).disabled), None)

    def action_focus_filter(self) -> None:
        self.filter.focus()

    def on_key(self, event: events.Key) -> None:
        """A character that reaches the dialog was not typed into the filter: it was typed
        while the list had focus, or was already on its way to the list when `/` moved the
        focus (keys of one burst are delivered before a binding runs: textual #6605, so
        '/gpt4' fast opened the first preset). It goes to the filter, in order. A key
        bound on the dialog (`/`) is left to its binding."""
        if not event.is_printable or event.character is None or event.key in self._bindings.key_to_bindings:
            return
        event.stop()
        event.prevent_default()
        self._type_into_filter(event.character)

    def _type_into_filter(self, character: str) -> None:
        self.filter.focus()
        self.filter.insert_text_at_cursor(character)

    def action_cancel(self) -> None:
        if self.filter.value:
            self.filter.value = ""  # Changed refills the list
            self.filter.focus()
            return
        super().action_cancel()

    def action_move(self, step: int) -> None:
        if step > 0:
            self.options.action_cursor_down()
        else:
            self.options.action_cursor_up()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.FILTER_ID:
            event.stop()
            if event.value.startswith("/"):
                event.input.value = event.value.lstrip("/")   # its Changed refilters
                return
            self.refilter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != self.FILTER_ID:
            return
        event.stop()
        self._pick_highlighted()

    def _pick_highlighted(self) -> None:
        options = self.options
        if options.highlighted is not None and options.option_count:
            option = options.get_option_at_index(options.highlighted)
            if option.id and not option.disabled:
                self.pick(option.id)

    def take_key(self, key: str, character: str | None) -> bool:
        if key == "enter":
            self._pick_highlighted()
        elif key in ("down", "up"):
            self.action_move(1 if key == "down" else -1)
        elif character is not None and character.isprintable():
            self._type_into_filter(character)
            self.refilter(self.filter.value)  # now: the Enter behind it picks from this list
        else:
            return False
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.pick(event.option.id)


class ConfirmScreen(Dialog):
    """A yes/no question; dismisses True for yes."""

    CANCEL_VALUE = False
    FOCUSED = "no"  # the button Enter presses at first
    # Only buttons here: the arrows move between them, as people try first (Tab does too).
    BINDINGS = [
        Binding("left", "app.focus_previous", "Previous button", id="dialog.previous_button", show=False),
        Binding("right", "app.focus_next", "Next button", id="dialog.next_button", show=False),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="warning", id="yes")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one(f"#{self.FOCUSED}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


def _origin_text(origin: Origin) -> Text:
    text = Text()
    text.append(f"[{origin.kind}] ", style="bold")
    text.append(origin.source or ORIGIN_MEANING.get(origin.kind, ""))
    return text


class ExplainScreen(Dialog):
    """How a number was computed: formula, values substituted, and every term's origin."""

    def __init__(self, explanation: Explanation) -> None:
        super().__init__()
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        e = self.explanation
        with VerticalScroll(classes="dialog wide", id="explain") as box:
            box.border_title = f"{e.label} = {e.text}"
            box.border_subtitle = "Esc to close"
            yield Static(Text(e.formula), classes="formula", id="explain-formula")
            yield Static(Text(e.substituted), classes="substituted", id="explain-substituted")
            for term in e.terms:
                with Vertical(classes="term"):
                    head = Text()
                    head.append(term.label, style="bold")
                    head.append(f" ({term.name}) = {term.text}")
                    yield Static(head, classes="term-head")
                    yield Static(_origin_text(term.origin), classes="term-source")
            yield Static(Text("Kinds: " + "; ".join(ORIGIN_MEANING.values())), classes="legend")


class InputSourceScreen(Dialog):
    """Where one resolved input came from (for the Assumptions rows)."""

    def __init__(self, name: str, label: str, value: float, origin: Origin) -> None:
        super().__init__()
        self.name_key, self.label, self.value, self.origin = name, label, value, origin

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide", id="source") as box:
            box.border_title = f"{self.label} = {fmt(self.name_key, self.value)}"
            box.border_subtitle = "Esc to close"
            yield Static(Text(f"input {self.name_key}: {ORIGIN_MEANING.get(self.origin.kind, '')}"))
            yield Static(_origin_text(self.origin), classes="term-source")


class PresetPicker(FilterDialog):
    """Pick a preset file: the user's own and the shipped ones, grouped; `/` filters them by
    file or preset name."""

    FILTER_ID = "preset-filter"
    LIST_ID = "preset-list"

    def __init__(self, groups: list[tuple[str, list[tuple[Path, str]]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="picker") as box:
            box.border_title = "Open preset"
            box.border_subtitle = "type to filter · Enter open · Esc clear, cancel"
            yield InOrderInput(placeholder="type to filter by file or preset name", id="preset-filter",
                        select_on_focus=False)
            yield OptionList(*self._options(""), id="preset-list")

    def on_mount(self) -> None:
        self.options.focus()

    def _options(self, text: str) -> list[Option]:
        """Each group's title and its presets whose file or name contains `text` (any case);
        a group with none is left out."""
        query = text.strip().lower()
        options: list[Option] = []
        for title, entries in self.groups:
            shown = [(path, label) for path, label in entries if query in label.lower()]
            if shown or not query:
                options.append(Option(Text(title, style="bold"), disabled=True))
            options.extend(Option(Text(f"  {label}"), id=str(path)) for path, label in shown)
        return options

    def refilter(self, text: str) -> None:
        options = self.options
        options.clear_options()
        options.add_options(self._options(text))
        self.highlight_first()

    def pick(self, option_id: str) -> None:
        self.dismiss(Path(option_id))


class SaveAsScreen(Dialog):
    """Ask for a file name (relative names go to the user's preset folder) and the preset's
    name, which an edited scenario has often outgrown ("... on 16,384 H100" after a switch
    to B200), and its description, which says so too ("... 15.6T tokens ..."). Dismisses
    with (path, name, description) or None. `resolve` (the app's write policy) turns the
    typed name into a path, or says why it may not be written."""

    def __init__(self, suggestion: Path, folder: Path, demo: bool, resolve: Callable[[str], Path | str],
                 name: str = "", description: str = "") -> None:
        super().__init__()
        self.suggestion, self.folder, self.demo, self.resolve = suggestion, folder, demo, resolve
        self.preset_name, self.description = name, description

    def compose(self) -> ComposeResult:
        folder = self.folder
        with Vertical(classes="dialog wide", id="save-as") as box:
            box.border_title = "Save preset as"
            if self.demo:
                yield Static(f"Demo session: files are saved only in this session's temporary folder "
                             f"({folder}) and vanish when you disconnect. Use 'Show TOML' to copy "
                             f"the preset instead.", classes="dialog-note")
            else:
                yield Static(f"A name without a folder is saved in {folder}", classes="dialog-note")
            yield Label("File")
            # All three are selected on focus, like the input fields: typing replaces the
            # suggestion, an arrow key edits it. The name and description were not, and a
            # name typed after Tab was appended to the outgrown one ("... H100Llama ...").
            yield InOrderInput(str(self.suggestion), id="save-path")
            yield Static("", id="save-error", classes="field-error")
            yield Label("Preset name")
            yield InOrderInput(self.preset_name, id="save-name")
            yield Label("Description")
            yield InOrderInput(self.description, id="save-description")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Show TOML", id="show-toml")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    def _submit(self) -> None:
        target = self.resolve(self.query_one("#save-path", Input).value)
        if isinstance(target, str):
            error = self.query_one("#save-error", Static)
            error.update(target)
            error.add_class("-invalid")
            return
        self.dismiss((target, self.query_one("#save-name", Input).value.strip(),
                      self.query_one("#save-description", Input).value.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._submit()
        elif event.button.id == "show-toml":
            await self.app.run_action("show_toml")
        else:
            self.dismiss(None)


class TomlScreen(Dialog):
    """The preset as TOML, selectable, so a visitor can copy it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea  # only needed here; keeps start-up lean

        with Vertical(classes="dialog wide", id="toml") as box:
            box.border_title = "Preset TOML"
            box.border_subtitle = "select + ctrl+c to copy · Esc close"
            yield TextArea(self.text, read_only=True, id="toml-text", show_line_numbers=False)


class DetailsScreen(Dialog):
    """The preset's name, description and source, which an edited scenario often outgrows.
    Dismisses with {"name", "description", "source"} or None."""

    def __init__(self, name: str, description: str, source: str | None) -> None:
        super().__init__()
        self.values = {"name": name, "description": description, "source": source or ""}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="details") as box:
            box.border_title = "Preset details"
            box.border_subtitle = "Enter save · Esc cancel"
            for key, label in (("name", "Name"), ("description", "Description"), ("source", "Source")):
                yield Label(label)
                yield InOrderInput(self.values[key], id=f"details-{key}", select_on_focus=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="details-ok")
                yield Button("Cancel", id="details-cancel")

    def on_mount(self) -> None:
        self.query_one("#details-name", Input).focus()

    def _answer(self) -> dict[str, str | None]:
        values = {key: self.query_one(f"#details-{key}", Input).value.strip() for key in self.values}
        return {**values, "source": values["source"] or None}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._answer())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._answer() if event.button.id == "details-ok" else None)


class RecoverScreen(ConfirmScreen):
    """Unsaved edits left by an app that ended without saving: True restore, False discard,
    None (Escape) decide at the next start. Enter restores: the choice that loses nothing."""

    CANCEL_VALUE = None
    FOCUSED = "yes"

    def __init__(self, label: str) -> None:
        super().__init__(f"Unsaved edits were recovered: {label}.\nRestore them? (Esc: ask again next time)",
                         yes="Restore", no="Discard")


class ErrorScreen(Dialog):
    """An unexpected error: what happened in one line, the traceback behind a key. The app
    keeps running; the unsaved edits are in the recovery file."""

    BINDINGS = [Binding("t", "traceback", "Traceback", id="error.traceback"),
                Binding("enter", "cancel", "Continue", id="error.continue", show=False)]

    def __init__(self, error: BaseException, kept: str) -> None:
        super().__init__()
        import traceback

        self.summary = f"{type(error).__name__}: {error}"[:500]
        self.trace = "".join(traceback.format_exception(error))[-20_000:]
        self.kept = kept

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide", id="error") as box:
            box.border_title = "Something went wrong"
            box.border_subtitle = "t traceback · Esc/Enter continue"
            yield Static(Text(self.summary), classes="dialog-text", id="error-summary")
            yield Static(Text(self.kept), classes="dialog-note")
            trace = Static(Text(self.trace), id="error-trace")
            trace.display = False
            yield trace

    def add(self, error: BaseException) -> None:
        """Another error while this screen is open: shown here, not as a second screen."""
        self.summary += f"\nthen {type(error).__name__}: {error}"[:500]
        self.query_one("#error-summary", Static).update(Text(self.summary))

    def action_traceback(self) -> None:
        trace = self.query_one("#error-trace", Static)
        trace.display = not trace.display
