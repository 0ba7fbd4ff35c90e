"""The top line: the scenario's name and its file, '● modified' once edited.

One widget that renders app.title and app.sub_title; Textual's Header builds four widgets
(and a clock) for the same line.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from whatif.tui.widgets.lean_lines import LeanLines


class TitleBar(LeanLines, Widget):
    COMPONENT_CLASSES = {"titlebar--title", "titlebar--sub-title"}

    def on_mount(self) -> None:
        self.watch(self.app, "title", self._changed, init=False)
        self.watch(self.app, "sub_title", self._changed, init=False)

    def _changed(self, _value: str) -> None:
        self.refresh()

    def render(self) -> Text:
        text = Text(justify="center", no_wrap=True, overflow="ellipsis", end="")
        sub_title = f" — {self.app.sub_title}" if self.app.sub_title else ""
        # A long name gives way, not the file and '● modified' after it (at 80 columns a
        # tour stop's name hid whether the scenario was edited).
        title = self.app.title
        room = self.size.width - len(sub_title)
        if len(title) > room:
            title = title[: max(room - 1, 12)].rstrip() + "…"
        text.append(title, self.get_component_rich_style("titlebar--title"))
        text.append(sub_title, self.get_component_rich_style("titlebar--sub-title"))
        return text
