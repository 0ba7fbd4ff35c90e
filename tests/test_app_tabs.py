"""Scenario tabs and the compare view built from them, driven as a user would: open two
presets and compare them, undo in one tab only, close and quit ask when unsaved, and a
crash keeps every tab's unsaved edits."""

from __future__ import annotations

import os

import pytest
from textual.widgets import Input, Static

from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset, save_preset, shipped_presets_dir
from whatif.engine.units import fmt, fmt_delta
from whatif.tui.app import WhatifApp
from whatif.tui.screens.compare_tabs import TabsCompareScreen
from whatif.tui.screens.dialogs import ConfirmScreen, PresetPicker
from tests.helpers import make_scenario

H100 = shipped_presets_dir() / "cluster-100k-h100-air.toml"
B200 = shipped_presets_dir() / "cluster-100k-b200-liquid.toml"
MI355X = shipped_presets_dir() / "chips-mi355x.toml"
SCENARIO = make_scenario(workload={"params_b": 70.0, "tokens_t": 15.0}, cluster={"chip": "h100", "count": 1024})


def _three_tabs() -> WhatifApp:
    return WhatifApp(H100, more=[B200, MI355X])


async def type_into(pilot, widget_id: str, text: str) -> None:
    await pilot.click(f"#{widget_id}")
    await pilot.press("home", "ctrl+k", *text)
    await pilot.pause()


async def open_preset(pilot, path) -> None:
    """ctrl+o and pick `path` in the preset list."""
    await pilot.press("ctrl+o")
    await pilot.pause()
    picker = pilot.app.screen
    assert isinstance(picker, PresetPicker)
    listed = picker.query_one("#preset-list")
    listed.highlighted = next(i for i, o in enumerate(listed.options) if o.id == str(path))
    listed.focus()
    await pilot.press("enter")
    await pilot.pause()


def rows_text(screen: TabsCompareScreen) -> dict[str, str]:
    """The compare view's rows as shown: label -> the rest of the line."""
    text = str(screen.query_one("#tabs-compare-rows", Static).render())
    rows = {}
    for line in text.splitlines():
        label = line[: screen.grid.label_width].strip()
        if label:
            rows[label] = line[screen.grid.label_width:]
    return rows


def relative(name: str, new: float, old: float) -> str:
    """The relative part of the engine's delta ('-36.7 %'), as the view shows it at 80 columns."""
    return fmt_delta(name, new, old).rpartition("(")[2].rstrip(")")


async def test_two_opens_and_one_key_compare_two_presets_with_engine_values():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_preset(pilot, H100)
        await open_preset(pilot, B200)
        # The untouched default tab gave way to the first preset: two tabs, not three.
        assert [s.path for s in app.workspace.sessions] == [H100, B200]
        assert app.query_one("#tab-strip").display
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TabsCompareScreen)
        h100, b200 = evaluate(load_preset(H100)).values, evaluate(load_preset(B200)).values
        rows = rows_text(screen)
        for name, label in (("training_days", "Training time"), ("energy_mwh", "Energy"), ("co2_t", "CO2")):
            line = rows[label]
            assert line.split()[:len(fmt(name, h100[name]).split())] == fmt(name, h100[name]).split()
            assert fmt(name, b200[name]) in line and line.rstrip().endswith(relative(name, b200[name], h100[name]))
        assert "direct-liquid" in rows["Cooling"] and "air" in rows["Cooling"]
        # Pin the B200 tab: the H100's deltas are now measured against it.
        await pilot.press("right")
        assert screen.selected == 1
        await pilot.press("p")
        await pilot.pause()
        assert app.workspace.pinned is app.workspace.sessions[1] and screen.comparison.reference == 1
        line = rows_text(screen)["Training time"]
        assert line.rstrip().endswith(relative("training_days", h100["training_days"], b200["training_days"]))
        # It stays: closed and opened again, both tabs are still its columns.
        await pilot.press("escape")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert len(app.screen.comparison.columns) == 2 and app.screen.comparison.reference == 1


async def test_compare_at_80_columns_scrolls_whole_columns_and_keeps_labels_and_reference():
    app = _three_tabs()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        assert screen.grid.order == [0, 1] and screen.grid.hidden_right == 1
        await pilot.press("right", "right")
        await pilot.pause()
        assert screen.selected == 2 and screen.grid.order == [0, 2] and screen.grid.hidden_left == 1
        mi = evaluate(load_preset(MI355X)).values
        line = rows_text(screen)["Training time"]
        assert fmt("training_days", mi["training_days"]) in line
        width = screen.query_one("#tabs-compare-rows", Static).content_region.width
        text = str(screen.query_one("#tabs-compare-rows", Static).render())
        assert all(len(row.rstrip()) <= width for row in text.splitlines())   # nothing runs off the edge
        await pilot.press("enter")  # edit the selected tab
        await pilot.pause()
        assert not isinstance(app.screen, TabsCompareScreen) and app.session.path == MI355X


async def test_wide_compare_shows_every_tab_with_full_deltas():
    app = _three_tabs()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        assert screen.grid.order == [0, 1, 2] and not screen.grid.compact
        h100, b200 = evaluate(load_preset(H100)).values, evaluate(load_preset(B200)).values
        full = fmt_delta("cost_usd", b200["cost_usd"], h100["cost_usd"])
        assert full[:-1].replace(" (", ", ") in rows_text(screen)["Cost"]


async def test_compare_follows_an_undo_and_exports_with_the_reference_first(tmp_path):
    from whatif.tui.screens.compare import ExportScreen

    app = WhatifApp(H100, more=[B200])
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "f-cluster-count", "50000")
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = app.screen
        assert "50,000" in rows_text(screen)["Chips"]
        await pilot.press("ctrl+z")  # undo in the shown tab, from the compare view
        await pilot.pause()
        assert "50,000" not in rows_text(screen)["Chips"] and "100,000" in rows_text(screen)["Chips"]
        await pilot.press("right", "p", "e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one(Input).value = str(tmp_path / "tabs.csv")
        await pilot.press("enter")
        await pilot.pause()
        header = (tmp_path / "tabs.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.index("2 B200") < header.index("1 H100")  # the pinned tab first


async def test_the_palette_offers_the_tab_actions_and_each_tab():
    app = WhatifApp(H100, more=[B200])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        offered = {b.id for b in app.palette_bindings()}
        assert {"tabs.new", "tabs.duplicate", "tabs.close", "tabs.next", "tabs.previous"} <= offered
        await pilot.press(*"tab 2")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.path == B200 and app.workspace.active_index == 1


async def test_undo_in_one_tab_leaves_the_other_alone():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "f-cluster-count", "2000")
        first = app.session
        await pilot.press("ctrl+n")
        await pilot.pause()
        second = app.session
        assert second is not first and second.path == default_preset_path()
        default_count = second.scenario.cluster.count
        assert app.query_one("#f-cluster-count", Input).value == f"{default_count}"
        await type_into(pilot, "f-cluster-count", "4096")
        assert second.scenario.cluster.count == 4096
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert second.scenario.cluster.count == default_count and not second.can_undo
        assert first.scenario.cluster.count == 2000 and first.can_undo
        await pilot.press("ctrl+pageup")
        await pilot.pause()
        assert app.session is first and app.query_one("#f-cluster-count", Input).value == "2000"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert first.scenario.cluster.count == 1024 and second.scenario.cluster.count == default_count


async def test_switching_tabs_recomputes_nothing_and_keeps_a_half_typed_value(monkeypatch):
    import whatif.tui.session as session_module

    app = WhatifApp(H100, more=[B200])
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "f-cluster-count", "12x")
        assert "cluster.count" in app.session.errors
        calls = []
        monkeypatch.setattr(session_module, "evaluate", lambda *a, **k: calls.append(a))
        await pilot.press("ctrl+pagedown")
        await pilot.pause()
        field = app.query_one("#f-cluster-count", Input)
        assert app.session.path == B200 and field.value == f"{app.session.scenario.cluster.count}"
        assert (field.selection.start, field.selection.end) == (0, len(field.value))  # typing replaces it
        assert not app.screen.query_one("#stale-banner").display
        await pilot.press("ctrl+pagedown")  # wraps around to the first tab
        await pilot.pause()
        assert app.session.path == H100 and field.value == "12x" and app.screen.query_one("#stale-banner").display
        assert calls == []


async def test_duplicate_tab_carries_the_edits_and_close_asks_only_when_unsaved():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "f-cluster-count", "2000")
        await pilot.press("f3")
        await pilot.pause()
        first, copy = app.workspace.sessions
        assert app.session is copy and copy.scenario.cluster.count == 2000 and copy.dirty
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert len(app.workspace) == 2
        await pilot.press("ctrl+w")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert app.workspace.sessions == [first] and not app.query_one("#tab-strip").display
        await pilot.press("ctrl+n", "ctrl+w")  # a clean tab closes at once
        await pilot.pause()
        assert app.workspace.sessions == [first] and not isinstance(app.screen, ConfirmScreen)
        # One tab left: ctrl+w is the field's again (delete the word before the cursor).
        await pilot.click("#f-cluster-count")
        await pilot.press("end", "ctrl+w")
        await pilot.pause()
        assert app.query_one("#f-cluster-count", Input).value == "" and len(app.workspace) == 1


async def test_saving_a_file_another_tab_has_open_asks_and_leaves_that_tab_unsaved(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    target = tmp_path / "plan.toml"
    save_preset(SCENARIO, target)
    app = WhatifApp(target)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "f-cluster-count", "2000")
        await open_preset(pilot, target)  # the saved file beside its edited tab
        first, second = app.workspace.sessions
        assert app.session is second and second.scenario.cluster.count == 1024
        await type_into(pilot, "f-cluster-count", "4096")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "also open in tab 1." in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert load_preset(target).cluster.count == 1024  # untouched
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
        assert load_preset(target).cluster.count == 4096 and not second.dirty
        # The first tab keeps its own edit, and it is unsaved against the file as it now is.
        assert first.scenario.cluster.count == 2000 and first.dirty
        app.workspace.activate(0)
        await pilot.pause()
        assert first.revert() and first.scenario.cluster.count == 4096


async def test_quit_asks_when_a_tab_that_is_not_shown_is_unsaved():
    app = WhatifApp(scenario=SCENARIO)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "f-cluster-count", "2000")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not app.session.dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "1 tab" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_crash_keeps_the_unsaved_edits_of_every_tab(monkeypatch):
    import whatif.tui.app as app_module
    from whatif.tui.screens.dialogs import RecoverScreen

    monkeypatch.setattr(app_module, "RECOVERY_DELAY_S", 0.05)
    first = WhatifApp(H100, more=[B200])
    async with first.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, "f-cluster-count", "50000")
        await pilot.press("ctrl+pagedown")
        await pilot.pause()
        await type_into(pilot, "f-cluster-count", "60000")
        await pilot.press("ctrl+n")  # a clean third tab: nothing to keep
        await pilot.pause(0.3)
        first.recovery._lock_path.unlink()  # as if the process had died (kill -9 drops the lock)
        os.close(first.recovery._lock_fd)
        first.recovery._lock_fd = None
        first.recovery.path = first.recovery.folder / "unused.toml"  # its exit must not touch the file
    second = WhatifApp()
    async with second.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(second.screen, RecoverScreen)
        await pilot.press("enter")  # Restore
        await pilot.pause()
        restored = second.workspace.sessions
        assert [(s.path, s.scenario.cluster.count, s.dirty) for s in restored] == [(H100, 50000, True),
                                                                                  (B200, 60000, True)]
        assert second.query_one("#f-cluster-count", Input).value == "50000"


def test_the_command_line_opens_each_preset_in_a_tab(monkeypatch):
    from whatif.tui import launch

    opened = {}

    class Recorder:
        def __init__(self, path, **options):
            opened.update(path=path, **options)
            raise SystemExit(0)
    monkeypatch.setattr(launch, "not_a_terminal", lambda: [])
    monkeypatch.setattr("whatif.tui.app.WhatifApp", Recorder)
    with pytest.raises(SystemExit):
        launch.launch([str(H100), str(B200)])
    assert opened["path"] == str(H100) and opened["more"] == [str(B200)] and opened["placeholder"] is False


# ------------------------------------------------------------------ snapshots
async def _compare(pilot) -> None:
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.press("ctrl+r")
    await pilot.pause()


def test_compare_view_80x24(snap_compare):
    """Labels, the reference and one more tab whole; relative deltas; '1▶' says where the third is."""
    assert snap_compare(_three_tabs(), terminal_size=(80, 24), run_before=_compare)


def test_compare_view_160x48(snap_compare):
    """Every tab, full deltas."""
    assert snap_compare(_three_tabs(), terminal_size=(160, 48), run_before=_compare)


def test_tab_strip_80x24(snap_compare):
    async def edited(pilot) -> None:
        for field in pilot.app.query(Input):
            field.cursor_blink = False
        await pilot.click("#f-cluster-count")
        await pilot.press("end", "0")
        await pilot.pause()
    assert snap_compare(_three_tabs(), terminal_size=(80, 24), run_before=edited)


def test_a_recovery_file_from_before_tabs_still_reads(tmp_path):
    import tomli_w

    from whatif.engine.presets import preset_to_dict
    from whatif.tui import recovery

    old = tmp_path / "session-1-2.toml"
    old.write_text(tomli_w.dumps({"recovery": {"saved_at": "2026-11-30 10:00:00", "source": str(H100),
                                               "pending": {"cluster.count": "12x"}},
                                  "preset": preset_to_dict(SCENARIO)}), encoding="utf-8")
    [found] = recovery.read(old)
    assert found.scenario == SCENARIO and found.source == H100 and found.pending == {"cluster.count": "12x"}
    assert found.label == f"{H100.name} (2026-11-30 10:00:00)"


async def test_a_tour_keeps_its_band_and_page_keys_in_its_own_tab():
    from pathlib import Path

    from whatif.engine.tours import load_tour

    tour = load_tour(Path(__file__).resolve().parent.parent / "presets" / "tours" / "article")
    app = WhatifApp(tour=tour)
    async with app.run_test(size=(120, 40)) as pilot:
        band = app.query_one("#tour-band")
        assert band.display
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not band.display and app.session.tour is None
        assert app.check_action("tour_next", ()) is False  # PgDn scrolls again in a tab without a tour
        await pilot.press("ctrl+pageup")
        await pilot.pause()
        assert band.display and app.session.tour is tour
        await pilot.press("pagedown")
        await pilot.pause()
        assert app.session.stop_index == 1 and app.workspace.sessions[1].tour is None


def test_tab_names_shorten_evenly_and_keep_their_marks():
    from whatif.tui.widgets.tabstrip import TabItem, tab_texts

    items = [TabItem("NVIDIA B200", True, True, False), TabItem("AMD MI355X", False, False, True)]
    assert tab_texts(items, 80) == ([" 1 NVIDIA B200 ● ", " 2 AMD MI355X ◆ "], 11)
    texts, room = tab_texts(items, 30)
    assert texts == [" 1 NVIDIA… ● ", " 2 AMD MI3… ◆ "] and sum(len(t) + 1 for t in texts) <= 30
