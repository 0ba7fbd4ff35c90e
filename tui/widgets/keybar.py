"""The key bar: the active key bindings in one line at the bottom of a screen.

Textual's Footer builds one widget per key and rebuilds them all whenever focus moves;
here the whole bar is one widget that re-renders its text (a tenth of the start-up cost,
nothing to restyle on focus changes). When the line is too short for every key, the
least important keys go first and Help and the command palette always stay, so a new
user can always find the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

from whatif.tui.widgets.base import content_width
from whatif.tui.widgets.lean_lines import LeanLines

# Binding ids that stay on the bar however narrow the terminal is: help, quit, in a field
# how to clear it back to its default (a new user does not guess ctrl+u), and
# follow.branch, shown only when following a presenter, which is then how to edit at all.
PINNED_IDS = frozenset({"app.help", "app.quit", "field.reset", "follow.branch"})


@dataclass(frozen=True)
class KeyItem:
    key: str          # what simulate_key needs, e.g. "ctrl+b"
    display: str      # what the user sees, e.g. "^b"
    description: str
    tooltip: str
    enabled: bool
    pinned: bool


class KeyBar(LeanLines, Widget, can_focus=False):
    """Renders `screen.active_bindings` (those with show=True) plus the palette key; a
    click on a key presses it."""

    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, KeyItem]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def items(self) -> list[KeyItem]:
        """Every key the bar would show given room, in binding order, palette last."""
        app = self.app
        items: list[KeyItem] = []
        # A view's own keys first (the compare view's Back, Edit, Pin: at 80 columns the app's
        # give way to them); the focused widget's keys after the app's, which stay put.
        own: list[KeyItem] = []
        local: list[KeyItem] = []
        seen_actions: set[str] = set()
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        palette: KeyItem | None = None
        for key, (node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == palette_key:
                palette = self._item(binding, enabled, tooltip, pinned=True)
            elif binding.show and binding.action not in seen_actions:
                seen_actions.add(binding.action)
                (items if node is app else own if node is self.screen else local).append(
                    self._item(binding, enabled, tooltip, pinned=binding.id in PINNED_IDS))
        return own + items + local + ([palette] if palette else [])

    def _item(self, binding: Binding, enabled: bool, tooltip: str, *, pinned: bool) -> KeyItem:
        return KeyItem(binding.key, self.app.get_key_display(binding), binding.description,
                       tooltip or binding.tooltip or binding.description, enabled, pinned)

    @staticmethod
    def fit(items: list[KeyItem], width: int) -> list[KeyItem]:
        """Drop unpinned keys from the end until the line fits `width` cells."""
        shown = list(items)

        def length(chosen: list[KeyItem]) -> int:
            return sum(len(i.display) + len(i.description) + 3 for i in chosen)

        while length(shown) > width:
            droppable = [n for n, item in enumerate(shown) if not item.pinned]
            if not droppable:
                break
            del shown[droppable[-1]]
        return shown

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        description_style = self.get_component_rich_style("keybar--description")
        disabled_style = self.get_component_rich_style("keybar--disabled")
        text = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for item in self.fit(self.items(), content_width(self)):
            start = len(text)
            text.append(f" {item.display} ", disabled_style if not item.enabled else key_style)
            text.append(f"{item.description} ", disabled_style if not item.enabled else description_style)
            self._spans.append((start, len(text), item))
        return text

    def item_at(self, x: int) -> KeyItem | None:
        return next((item for start, end, item in self._spans if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        item = self.item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self.item_at(event.x)
        self.tooltip = item.tooltip if item else None
