"""An empty field's hint (placeholder) and a field's value are drawn by FieldInput itself:
the same cells as Textual's Input draws through a Rich console render."""

from __future__ import annotations

from textual.widgets import Input

from whatif.tui.app import WhatifApp
from whatif.tui.widgets.fields import FieldInput

from tests.helpers import cells

HINTS = ("auto 39.6 %", "", "unused: renting", "x" * 80, "tab\there", "16,384 input")


async def test_a_hint_is_drawn_as_input_draws_it():
    for size in ((80, 24), (160, 48)):
        app = WhatifApp()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            fields = list(app.query(FieldInput))
            assert len(fields) >= 10
            drawn_here = 0
            for field in fields:
                for hint in (field.placeholder, *HINTS):
                    field.placeholder = hint
                    field.refresh()
                    ours, textuals = field.render_line(0), Input.render_line(field, 0)
                    assert (cells([ours]), ours.cell_length) == (cells([textuals]), textuals.cell_length), \
                        (field.id, hint)
                    drawn_here += not field.value and not field.has_focus and hint == "auto 39.6 %"
            assert drawn_here > 5  # the fast path was taken, not only Input's own
