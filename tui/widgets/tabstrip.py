"""The scenario tabs in one line: each tab's number, name and '●' once it has unsaved
changes; the active tab highlighted, the compare reference marked. A click on a tab
switches to it. Shown only while more than one tab is open.

One widget that renders text (like the title and key bars): a tab switch repaints a line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from whatif.tui.widgets.base import content_width
from whatif.tui.widgets.lean_lines import LeanLines


@dataclass(frozen=True)
class TabItem:
    label: str
    dirty: bool
    active: bool
    reference: bool


HINT_MIN_NAME = 20  # the key hint takes room only while each name keeps this much (tmux: 12 left
# two "Article: 100…" tabs)


def tab_texts(items: list[TabItem], width: int) -> tuple[list[str], int]:
    """Each tab's text, names shortened evenly until the line fits `width` cells; and how
    many characters of a name are kept."""
    def text(i: int, item: TabItem, room: int) -> str:
        name = item.label if len(item.label) <= room else item.label[: max(room - 1, 1)].rstrip() + "…"
        marks = (" ●" if item.dirty else "") + (" ◆" if item.reference else "")
        return f" {i + 1} {name}{marks} "
    room = max((len(i.label) for i in items), default=0)
    while room > 4 and sum(len(text(n, item, room)) + 1 for n, item in enumerate(items)) > width:
        room -= 1
    return [text(n, item, room) for n, item in enumerate(items)], room


class TabStrip(LeanLines, Widget, can_focus=False):
    COMPONENT_CLASSES = {"tabstrip--active", "tabstrip--tab", "tabstrip--hint"}

    class Selected(Message):
        """A tab was clicked: make tab `index` active."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[TabItem] = []
        self.hint = ""
        self._spans: list[tuple[int, int, int]] = []

    def show(self, items: list[TabItem], hint: str = "") -> None:
        """Tabs to show; `hint` (the tab keys) goes at the right end when there is room."""
        if items != self.items or hint != self.hint:
            self.items, self.hint = items, hint
            self.refresh()

    def render(self) -> Text:
        width = content_width(self)
        active = self.get_component_rich_style("tabstrip--active")
        plain = self.get_component_rich_style("tabstrip--tab")
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        self._spans = []
        hint = f" {self.hint}" if self.hint else ""
        texts, room = tab_texts(self.items, width - len(hint))
        if hint and room < min(HINT_MIN_NAME, max(len(i.label) for i in self.items)):
            hint = ""  # the names matter more
            texts, room = tab_texts(self.items, width)
        for index, (item, text) in enumerate(zip(self.items, texts)):
            start = len(line)
            line.append(text, active if item.active else plain)
            self._spans.append((start, len(line), index))
            line.append("│" if index < len(self.items) - 1 else "", plain)
        if hint:
            line.append(" " * max(width - len(line) - len(hint) + 1, 1))
            line.append(hint.strip(), self.get_component_rich_style("tabstrip--hint"))
        return line

    def index_at(self, x: int) -> int | None:
        return next((index for start, end, index in self._spans if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        index = self.index_at(event.x)
        if index is not None:
            self.post_message(self.Selected(index))
