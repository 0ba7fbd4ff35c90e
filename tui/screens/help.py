"""Help (F1 or ?): every key in words, plus how editing and explaining work.

Binding ids (what a config.toml [keymap] names) are not shown here: docs/keymap.md lists
them, and a test keeps it in step with `every_binding()`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from whatif.tui.screens.dialogs import Dialog

TIPS = (
    ("Edit", "Tab into a field (or click it) and type: its value is replaced, and results recompute on every "
             "keystroke. Shares accept 0.4 or 40%; numbers 16k chips (16,384), 1.5M, 2e4, 1.8T parameters."),
    ("Default", "ctrl+u clears a field: it goes back to the default shown in grey (e.g. 'auto 35.7 %' "
                "for MFU). ctrl+z brings the old value back; F5 reverts every field to the saved preset."),
    ("Invalid", "A bad value marks the field in red with the reason; the results keep the last good "
                "values and say STALE until you fix it (or ctrl+z: the field gets its last good value back)."),
    ("Explain", "Click a row of the results table (or Tab to it, move and press Enter) to see the "
                "formula, the values used and where each default comes from; ctrl+p 'explain' too."),
    ("Undo", "ctrl+z undoes the last change to the scenario (typing into one field is one step), "
             "ctrl+y or ctrl+shift+z redoes it. Opening a preset starts a new history."),
    ("Baseline", "ctrl+b pins the current result; every figure then shows its change against it "
                 "(red = up, green = down in the headline) until ctrl+b again."),
    ("More", "Sections marked ▶ (reliability, grid, owning...) open with Enter or a click."),
    ("Choose", "On a choice (precision, cooling, region, mode) Enter lists the options; left and right "
               "step through them in place."),
    ("Chips", "On the chip field press Enter (or click it) and type to filter the catalog by key, name "
              "or vendor (b2, mi3, tpu, nvidia); Enter picks. Or ctrl+p and type 'chip'."),
    ("Filter", "In the open dialog and the chip picker typing filters the list (from the list too; / goes "
               "to the filter); Esc clears it, Esc again closes."),
    ("Move", "Tab / shift+Tab go through the panels in order; Enter on a collapsed section opens it."),
    ("Tour", "With --tour: PgDn / PgUp go to the next / previous stop (asks first if you edited it)."),
    ("Tabs", "ctrl+o opens a preset in a new tab, ctrl+n the default one, F3 copies this tab; each keeps "
             "its own edits, undo and file (● unsaved). ctrl+PgDn / ctrl+PgUp switch, ctrl+w closes "
             "(asks if unsaved); ctrl+p 'tab' goes to one by number. `whatif a.toml b.toml` opens both."),
    ("Compare", "ctrl+r: a column per tab, deltas against the first or the one pinned with p; left / "
                "right select a tab (more scroll in), Enter edits it, v varies its chip and cooling."),
)


def widget_bindings() -> list[tuple[str, list[Binding]]]:
    """Keys that work on one kind of widget or dialog, with where they work."""
    from whatif.tui.screens.dialogs import FilterDialog
    from whatif.tui.widgets.fields import ChoiceField, FieldInput, MoreFields, PickerField
    from whatif.tui.widgets.result_table import ResultTable

    return [
        ("Number field", list(FieldInput.BINDINGS)),
        ("Chip or choice field", list(PickerField.BINDINGS)),
        ("Choice field", list(ChoiceField.BINDINGS)),
        ("Section ▶", list(MoreFields.BINDINGS)),
        ("Results table", list(ResultTable.BINDINGS)),
        ("Open or chip list", list(FilterDialog.BINDINGS)),
    ]


def every_binding(app_bindings: Iterable[Binding | tuple]) -> list[tuple[str, Binding]]:
    """(class name, binding) for every binding with an id: the app's (`app_bindings`), then
    those of each screen and widget class in tui.screens and tui.widgets (found by importing
    the modules, so a new dialog's keys are never missed)."""
    import importlib
    import pkgutil

    from textual.dom import DOMNode

    from whatif.tui import screens, widgets

    found = [("App", b) for b in app_bindings if isinstance(b, Binding) and b.id]
    for package in (screens, widgets):
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            for value in vars(module).values():
                if (isinstance(value, type) and issubclass(value, DOMNode) and value.__module__ == module.__name__
                        and "BINDINGS" in value.__dict__):
                    found += [(value.__name__, b) for b in value.__dict__["BINDINGS"]
                              if isinstance(b, Binding) and b.id]
    return found


def binding_ids(app_bindings: Iterable[Binding | tuple]) -> list[str]:
    """Every binding id a keymap may name."""
    return sorted({b.id for _where, b in every_binding(app_bindings) if b.id})


class HelpScreen(Dialog):
    """Every key, with the user's keymap applied (`keymap`: binding id -> keys)."""

    def __init__(self, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})

    def _keys(self, binding: Binding) -> str:
        return self.keymap.get(binding.id or "", binding.key).replace("question_mark", "?").replace("slash", "/")

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
        table.add_column("Key", no_wrap=True)
        table.add_column("Action")
        for binding in self.app.BINDINGS:
            if isinstance(binding, Binding) and binding.id:
                # The key bar's word ('Baseline') and, where there is one, what it does.
                what = binding.description
                if binding.tooltip:
                    what += f": {binding.tooltip[0].lower()}{binding.tooltip[1:]}"
                table.add_row(self._keys(binding).replace(",", " / "), what)
        table.add_row("ctrl+p", "Command palette: every action, explain any number, pick a chip")
        for where, bindings in widget_bindings():
            for binding in bindings:
                what = binding.tooltip or binding.description
                table.add_row(self._keys(binding).replace(",", " / "), f"{where}: {what[0].lower()}{what[1:]}")
        table.add_row("escape", "Close a dialog")
        tips = Table(box=None, show_header=False, expand=True, pad_edge=False)
        tips.add_column(style="bold", no_wrap=True)
        tips.add_column()
        for title, text in TIPS:
            tips.add_row(title, Text(text))
        with VerticalScroll(classes="dialog wide", id="help") as box:
            box.border_title = "whatif help"
            box.border_subtitle = "Esc to close"
            yield Static(table)
            yield Static(tips, id="help-tips")
