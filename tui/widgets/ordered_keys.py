"""Keys in the order they were typed, also when they come in one burst.

Textual delivers every key of a burst (fast typing over SSH, tmux, a paste of keys) to the
focused widget before any binding runs: a binding that moves the focus (Tab, `/`) or edits
(ctrl+u) acts after the keys behind it were already handled (textual issue #6605). The
widgets here act on those keys at once, in order.
"""

from __future__ import annotations

import functools

from textual import events
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input


def keep_key_order(widget: Widget, event: events.Key) -> bool:
    """Tab / shift+Tab move the focus at once, and a key that reaches `widget` after the
    focus moved on (keys of one burst are all delivered before a binding runs: textual
    #6605) goes on to the widget that has the focus. True if the key was handled so."""
    focused = widget.screen.focused
    if focused is not None and focused is not widget:
        event.stop()
        event.prevent_default()
        focused._forward_event(events.Key(event.key, event.character))
        return True
    if event.key in ("tab", "shift+tab"):
        event.stop()
        event.prevent_default()
        (widget.screen.focus_next if event.key == "tab" else widget.screen.focus_previous)()
        return True
    return False


class InOrderInput(Input):
    """An Input whose editing keys (backspace, ctrl+u, End...) act in order with the
    characters around them. Textual runs a widget's key bindings only once the key has
    bubbled up to the app, while characters are inserted at once: in one burst (fast typing
    over SSH, tmux, a paste of keys) 'ctrl+u 5 0' inserted 50 first and then cleared the
    field (textual issue #6605). Input's own handler (next in the MRO) takes the rest.

    Tab and shift+Tab move the focus here, in order too, and a key that arrives after the
    focus has moved on goes on to the widget that has it: 'Tab 7' typed fast put the 7 in
    the field being left."""

    async def _on_key(self, event: events.Key) -> None:
        if keep_key_order(self, event):
            return
        action = _edit_actions(type(self)).get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)


@functools.cache
def _edit_actions(cls: type[Input]) -> dict[str, str]:
    """An Input class's editing bindings by key ('home,ctrl+a' gives two), a subclass's own
    in place of Input's for the same key; Enter keeps its normal path."""
    # Input's and its subclasses' only: Input does not inherit ScrollView's (ctrl+PgUp scrolls there).
    bindings = [binding for klass in reversed(cls.__mro__) if issubclass(klass, Input)
                for binding in klass.__dict__.get("BINDINGS", ())]
    return {binding.key: binding.action for binding in Binding.make_bindings(bindings)
            if binding.action != "submit"}
