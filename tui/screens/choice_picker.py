"""Pick one of a field's few values (precision, cooling, region, mode): up/down, Enter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from whatif.tui.screens.dialogs import Dialog

# Option ids are strings; the blank choice (the model's default) needs one of its own.
BLANK_ID = "\0blank"


class ChoicePicker(Dialog):
    """Dismisses with (value,) for a pick, value None being the blank choice, or None when
    cancelled: a pick of the blank must not read as a cancel."""

    def __init__(self, title: str, choices: list[tuple[str | None, str | None]], current: str | None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="choice-picker") as box:
            box.border_title = self.title_text
            box.border_subtitle = "↑↓ move · Enter pick · Esc cancel"
            yield OptionList(*(Option(label or "", id=BLANK_ID if value is None else value)
                               for label, value in self.choices), id="choice-list")

    def on_mount(self) -> None:
        # As wide as the longest entry (a region's price, carbon and proxy note), so none wraps.
        longest = max((len(label or "") for label, _ in self.choices), default=0)
        self.query_one("#choice-picker").styles.width = max(40, min(longest + 6, self.app.size.width - 4))
        options = self.query_one(OptionList)
        current = BLANK_ID if self.current is None else self.current
        options.highlighted = next((i for i, (_, value) in enumerate(self.choices)
                                    if (BLANK_ID if value is None else value) == current), 0)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option.id)

    def _pick(self, picked: str | None) -> None:
        self.dismiss((None if picked == BLANK_ID else picked,))

    def take_key(self, key: str, character: str | None) -> bool:
        options = self.query_one(OptionList)
        if key == "down":
            options.action_cursor_down()
        elif key == "up":
            options.action_cursor_up()
        elif key == "enter" and options.highlighted is not None:
            self._pick(options.get_option_at_index(options.highlighted).id)
        else:
            return False
        return True
