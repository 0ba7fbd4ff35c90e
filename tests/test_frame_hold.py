"""A typed key and the figures it brings go out in one frame (tui/widgets/frame_hold.py):
no frame shows the new text in the field beside the old figures, and a hold whose edit
never comes ends by itself."""

from __future__ import annotations

import asyncio
import gc

from textual.screen import Screen
from textual.widgets import Input

from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset
from whatif.engine.units import fmt
from whatif.tui.app import WhatifApp
from whatif.tui.widgets.frame_hold import MAX_HOLD_S, FrameHold
from whatif.tui.widgets.results import HeadlineCard

SIZE = (120, 40)


def days_for(count: int) -> str:
    scenario = load_preset(default_preset_path()).with_values({"cluster.count": count})
    return fmt("training_days", evaluate(scenario)["training_days"])


async def focus_count_end(app: WhatifApp, pilot) -> None:
    """The chip count's field focused, the cursor after its last digit."""
    await pilot.pause()
    app.query_one("#f-cluster-count", Input).focus()
    await pilot.press("end")
    await pilot.pause()


async def test_no_frame_shows_a_typed_count_beside_the_old_training_time(monkeypatch):
    frames: list[tuple[str, str]] = []  # (count field, Training time card) as each frame drew them
    app = WhatifApp()
    draw = Screen._compositor_refresh

    def recording(screen: Screen) -> None:
        if screen is app.screen_stack[0]:
            field = screen.query_one("#f-cluster-count", Input)
            card = screen.query_one("#card-training_days", HeadlineCard)
            frames.append((field.value, card.text))
        draw(screen)

    monkeypatch.setattr(Screen, "_compositor_refresh", recording)
    async with app.run_test(size=SIZE) as pilot:
        await focus_count_end(app, pilot)
        frames.clear()
        for key in ("backspace", "2", "backspace", "7"):
            await pilot.press(key)
            await pilot.pause(0.05)
        assert app.query_one("#f-cluster-count", Input).value == "16387"
    shown = {value for value, _ in frames}
    assert {"1638", "16382", "16387"} <= shown                   # each edit had frames of its own
    expected = {value: days_for(int(value)) for value in shown}
    assert [(v, t) for v, t in frames if t != expected[v]] == []   # and never the last figure beside it


async def test_a_hold_whose_edit_never_comes_ends_by_itself():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        hold = FrameHold(app)
        hold.hold()
        assert hold.held and app._batch_count == 1              # frames wait
        await asyncio.sleep(MAX_HOLD_S + 0.1)
        assert not hold.held and app._batch_count == 0          # and go on without the release
        hold.release()                                           # a late release does nothing
        assert app._batch_count == 0


async def test_values_the_app_puts_in_hold_no_frame(monkeypatch):
    holds: list[int] = []
    monkeypatch.setattr(FrameHold, "hold", lambda self: holds.append(1))
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.set_input_values({"cluster.count": 2048})           # goal seek, undo, a load: no edit message
        await pilot.pause()
        app.action_undo()
        await pilot.pause()
        assert holds == [] and app.query_one("#f-cluster-count", Input).value == "16384"
        app.query_one("#f-cluster-count", Input).focus()
        await pilot.press("end", "backspace")                   # typing holds, once per change
        await pilot.pause()
        assert holds == [1]


async def test_the_collector_waits_while_held_and_resumes_after_the_frame():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        hold = FrameHold(app)
        hold.hold()
        assert not gc.isenabled()                              # no collection inside a keystroke
        hold.release()
        await pilot.pause()
        assert gc.isenabled()                                  # back once the frame is out
        gc.disable()                                           # as before the first frame (tui.launch)
        try:
            hold.hold()
            hold.release()
            await pilot.pause()
            assert not gc.isenabled()                          # a hold does not turn it on
        finally:
            gc.enable()


async def test_an_app_closing_while_held_leaves_the_collector_on():
    """A hold's frame that never comes (the app exits first) does not leave the process
    without its garbage collector."""
    assert gc.isenabled()
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.frame_hold.hold()
        assert not gc.isenabled()
        app.exit()
    assert gc.isenabled()


class _FrozenTimer:
    """A screen update timer that never ticks: only frames drawn without it happen."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None: ...


async def test_a_typed_key_is_drawn_at_once_not_at_the_frame_timers_tick(monkeypatch):
    """After a key the frame timer waits for its next tick (up to a period, and ~25 ms when
    a key came just after a frame); the edit's frames are drawn as soon as the screen is
    idle instead. With a timer that never ticks, both still come: the headline's and the
    views' that follow it."""
    frames: list[tuple[str, str]] = []  # (Training time card, detail table's row) per frame
    app = WhatifApp()
    draw = Screen._compositor_refresh

    def recording(screen: Screen) -> None:
        if screen is app.screen_stack[0]:
            card = screen.query_one("#card-training_days", HeadlineCard)
            table = screen.query_one("#detail")
            frames.append((card.text, table.rows[table.get_row_index("training_days")].cells["value"].plain))
        draw(screen)

    async with app.run_test(size=SIZE) as pilot:
        await focus_count_end(app, pilot)
        main = app.screen_stack[0]
        monkeypatch.setattr(Screen, "_compositor_refresh", recording)
        main._Screen__update_timer = _FrozenTimer()
        await pilot.press("backspace")
        for _ in range(20):
            await asyncio.sleep(0.01)
    days = days_for(1638)
    assert frames and frames[0][0] == days                 # the headline, drawn without a tick
    assert any(row == days for _, row in frames)           # and the views that follow it


async def test_the_typed_characters_frame_draws_the_figures_it_brings(monkeypatch):
    """The frame that draws the typed character also draws the headline figures: their
    repaints are taken at once (MainScreen.draw_when_idle), not when their messages reach
    the screen, which could come after the frame that the released hold let through."""
    frames: list[set[str]] = []  # the widgets each frame of the main screen drew
    app = WhatifApp()
    draw = Screen._compositor_refresh

    def recording(screen: Screen) -> None:
        if screen is app.screen_stack[0]:
            frames.append({widget.id or "" for widget in screen._dirty_widgets})
        draw(screen)

    async with app.run_test(size=SIZE) as pilot:
        await focus_count_end(app, pilot)
        monkeypatch.setattr(Screen, "_compositor_refresh", recording)
        for key in ("backspace", "2", "backspace", "7"):
            await pilot.press(key)
            await pilot.pause(0.05)
    typed = [frame for frame in frames if "f-cluster-count" in frame]
    assert len(typed) >= 4
    assert all("card-training_days" in frame and "card-cost_usd" in frame for frame in typed)
