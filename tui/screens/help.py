"""Help (F1 or ?): every key binding with its id, plus how editing and explaining work."""

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
    ("Edit", "Tab into a field and type: its value is replaced, and results recompute on every "
             "keystroke. ctrl+u empties a field: it goes back to "
             "the default shown in grey (e.g. 'auto 35.7 %' for MFU). Shares accept 0.4 or 40%; numbers "
             "16k chips (16,384), 1.5M, 2e4, 1.8T parameters."),
    ("Invalid", "A bad value marks the field in red with the reason; the results keep the last good "
                "values and say STALE until you fix it."),
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
    ("Move", "Tab / shift+Tab go through the panels in order; Enter on a collapsed section opens it."),
    ("Tour", "With --tour: PgDn / PgUp go to the next / previous stop (asks first if you edited it)."),
    ("Tabs", "ctrl+o opens a preset in a new tab, ctrl+n the default one, F8 copies this tab; each keeps "
             "its own edits, undo and file (● unsaved). ctrl+PgDn / ctrl+PgUp switch, ctrl+w closes "
             "(asks if unsaved); ctrl+p 'tab' goes to one by number. `whatif a.toml b.toml` opens both."),
    ("Compare", "ctrl+r: a column per tab, deltas against the first or the one pinned with p; left / "
                "right select a tab (more scroll in), Enter edits it, v varies its chip and cooling."),
)


def widget_bindings() -> list[tuple[str, list[Binding]]]:
    """Keys that work on one kind of widget, with where they work."""
    from whatif.tui.widgets.fields import ChoiceField, MoreFields, PickerField
    from whatif.tui.widgets.result_table import ResultTable

    return [
        ("Chip or choice field", list(PickerField.BINDINGS)),
        ("Choice field", list(ChoiceField.BINDINGS)),
        ("Section ▶", list(MoreFields.BINDINGS)),
        ("Results table", list(ResultTable.BINDINGS)),
    ]


def binding_ids(app_bindings: Iterable[Binding | tuple]) -> list[str]:
    """Every binding id a keymap may name: the app's, the widgets' and the dialogs'."""
    ids = [b.id for b in app_bindings if isinstance(b, Binding) and b.id]
    ids += [b.id for _where, bindings in widget_bindings() for b in bindings if b.id]
    return sorted({*ids, *(b.id for b in Dialog.BINDINGS if isinstance(b, Binding) and b.id)})


class HelpScreen(Dialog):
    """Every key, with the user's keymap applied (`keymap`: binding id -> keys)."""

    def __init__(self, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})

    def _keys(self, binding: Binding) -> str:
        return self.keymap.get(binding.id or "", binding.key).replace("question_mark", "?")

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
        table.add_column("Key", no_wrap=True)
        table.add_column("Action")
        table.add_column("Binding id", no_wrap=True)
        for binding in self.app.BINDINGS:
            if isinstance(binding, Binding) and binding.id:
                table.add_row(self._keys(binding), binding.description, binding.id)
        table.add_row("ctrl+p", "Command palette: every action, explain any number, pick a chip", "")
        for where, bindings in widget_bindings():
            for binding in bindings:
                table.add_row(self._keys(binding).replace(",", " / "), f"{where}: {binding.description.lower()}",
                              binding.id or "")
        table.add_row("escape", "Close a dialog", "dialog.cancel")
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
