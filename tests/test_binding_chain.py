"""The main screen keeps Textual's binding chain while a field has the focus
(tui.app.MainScreen._binding_chain): it must stay the chain Textual would build, across focus
moves and a keymap changed while a field is focused."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Input

from whatif.tui.app import WhatifApp
from whatif.tui.screens.help import HelpScreen

SIZE = (100, 30)


def described(chain) -> list:
    return [(node, {key: [(b.key, b.action, b.priority, b.id) for b in bindings]
                    for key, bindings in bindings_map.key_to_bindings.items()})
            for node, bindings_map in chain]


def textuals_chain(screen: Screen) -> list:
    return described(Screen._binding_chain.fget(screen))  # type: ignore[attr-defined]


async def test_the_kept_chain_is_textuals_across_focus_moves():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        seen = set()
        for _ in range(10):
            first = screen._binding_chain
            assert described(first) == textuals_chain(screen), app.focused
            if isinstance(app.focused, Input):
                assert screen._binding_chain is first            # kept while the field has the focus
                seen.add(app.focused.id)
            await pilot.press("tab")
            await pilot.pause()
        assert len(seen) >= 5                                    # fields of more than one panel


async def test_a_keymap_changed_while_a_field_is_focused_takes_effect():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press("5")                                   # the chain is built and kept
        app.set_keymap({"app.help": "f3"})
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
