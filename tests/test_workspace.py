"""Scenario tabs without any user interface: adding, duplicating, opening, closing,
switching and pinning, driven directly as the app drives them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset, shipped_presets_dir
from whatif.engine.units import fmt, fmt_delta
from whatif.tui.session import EditSession
from whatif.tui.workspace import Workspace

B200 = shipped_presets_dir() / "cluster-100k-b200-air.toml"
H100 = shipped_presets_dir() / "cluster-100k-h100-air.toml"


def start(placeholder: bool = True) -> Workspace:
    return Workspace(EditSession.from_file(default_preset_path()), placeholder=placeholder)


def test_opening_replaces_the_untouched_start_tab_and_then_adds_tabs():
    ws = start()
    ws.open(H100)
    assert len(ws) == 1 and ws.active.path == H100
    ws.open(B200)
    assert [s.path for s in ws.sessions] == [H100, B200] and ws.active_index == 1


def test_opening_a_file_a_tab_has_as_saved_goes_to_that_tab_and_beside_an_edited_one_opens_it():
    ws = start()
    ws.open(H100)
    ws.open(B200)
    assert ws.open(H100) is ws.sessions[0] and len(ws) == 2 and ws.active_index == 0   # no twin
    ws.active.edit("cluster.count", 1024)
    again = ws.open(H100)                    # the saved file beside its edited tab
    assert len(ws) == 3 and again.path == H100 and not again.dirty and ws.active is again


def test_a_start_tab_that_was_edited_or_named_by_the_user_is_kept():
    ws = start()
    ws.active.edit("cluster.count", 1024)
    ws.active.undo()  # back to the file's values, but it was touched: not a placeholder any more
    ws.open(H100)
    assert len(ws) == 2
    named = start(placeholder=False)
    named.open(H100)
    assert len(named) == 2


def test_new_tab_is_the_default_preset_and_a_placeholder_itself():
    ws = start(placeholder=False)
    ws.new()
    assert len(ws) == 2 and ws.active.path == default_preset_path()
    ws.open(H100)  # the new, untouched tab gives way
    assert len(ws) == 2 and ws.active.path == H100


def test_a_preset_that_does_not_load_adds_no_tab(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[cluster]\ncount = 'many'\n", encoding="utf-8")
    ws = start(placeholder=False)
    with pytest.raises(WhatifError):
        ws.open(bad)
    assert len(ws) == 1


def test_duplicate_copies_edits_and_stays_unsaved_but_has_its_own_history():
    ws = start(placeholder=False)
    original = ws.active
    original.edit("cluster.count", 4096)
    original.edit("cluster.chip", "b200")
    twin = ws.duplicate()
    assert ws.active is twin and ws.sessions == [original, twin]
    assert twin.scenario == original.scenario and twin.result is original.result  # nothing recomputed
    assert twin.dirty and twin.path is None  # its edits are unsaved; a save asks for a name
    assert not twin.can_undo
    twin.edit("cluster.count", 8192)
    twin.undo()
    assert twin.scenario.cluster.count == 4096
    assert original.scenario.cluster.count == 4096 and original.scenario.cluster.chip == "b200"
    original.undo()
    assert original.scenario.cluster.chip != "b200" and twin.scenario.cluster.chip == "b200"


def test_a_clean_duplicate_is_not_unsaved_and_is_named_a_copy_until_saved(tmp_path):
    ws = start(placeholder=False)
    twin = ws.duplicate()
    assert not twin.dirty and twin.scenario == ws.sessions[0].scenario  # the name is the tab's, not the scenario's
    name = ws.sessions[0].scenario.name
    assert [ws.label(0), ws.label(1)] == [name, f"{name} (copy)"]
    assert ws.short_labels()[1].endswith("(copy)")
    twin.saved_as(tmp_path / "mine.toml")
    assert ws.label(1) == name


def test_close_keeps_the_last_tab_and_moves_the_active_one():
    ws = start(placeholder=False)
    a = ws.active
    b = ws.open(H100)
    c = ws.open(B200)
    assert ws.sessions == [a, b, c]
    assert ws.close(0) and ws.sessions == [b, c] and ws.active is c   # a tab before the active one
    assert ws.close() and ws.sessions == [b] and ws.active is b       # the active, last one
    assert not ws.close() and ws.sessions == [b]


def test_switching_wraps_and_by_number_ignores_a_missing_tab():
    ws = start(placeholder=False)
    ws.open(H100)
    ws.open(B200)
    assert ws.active_index == 2
    assert ws.step(1) and ws.active_index == 0
    assert ws.step(-1) and ws.active_index == 2
    assert ws.activate(1) and ws.active.path == H100
    assert not ws.activate(1) and not ws.activate(7)


def test_subscribers_hear_every_tab_change():
    ws = start(placeholder=False)
    heard: list[int] = []
    added: list[EditSession] = []
    ws.subscribe(lambda: heard.append(len(ws)))
    ws.on_added(added.append)
    ws.open(H100)
    ws.duplicate()
    ws.step(1)
    ws.toggle_pin()
    ws.close()
    assert heard == [2, 3, 3, 3, 2] and len(added) == 2


def test_comparison_measures_against_the_first_tab_or_the_pinned_one():
    ws = start(placeholder=False)
    ws.open(H100)
    ws.open(B200)
    h100, b200 = evaluate(load_preset(H100)), evaluate(load_preset(B200))
    c = ws.comparison()
    assert [col.result for col in c.columns] == [s.result for s in ws.sessions]
    assert c.reference == 0 and c.delta_text(0, "training_days") == ""
    ws.activate(1)
    assert ws.toggle_pin() is ws.sessions[1]
    c = ws.comparison()
    assert c.reference == 1 and c.delta_text(1, "training_days") == ""
    assert c.cell(2, "training_days") == fmt("training_days", b200["training_days"])
    expected = fmt_delta("training_days", b200["training_days"], h100["training_days"])
    assert c.delta_text(2, "training_days") == expected[:-1].replace(" (", ", ")
    assert c.delta(2, "cost_usd") == pytest.approx(b200["cost_usd"] - h100["cost_usd"])
    # Exports measure against their first column: the reference goes first.
    assert c.with_reference_first().columns[0].result is ws.sessions[1].result
    ws.close(1)  # closing the pinned tab unpins it
    assert ws.pinned is None and ws.comparison().reference == 0


def test_tabs_are_named_by_what_tells_them_apart():
    ws = Workspace(EditSession.from_file(shipped_presets_dir() / "shootout-b200.toml"))
    ws.open(shipped_presets_dir() / "shootout-mi355x.toml")
    assert ws.short_labels() == ["NVIDIA B200", "AMD MI355X"]
    assert [col.name for col in ws.comparison().columns] == ["1 NVIDIA B200", "2 AMD MI355X"]


def test_the_workspace_imports_no_textual():
    code = ("import sys, whatif.tui.workspace\n"
            "bad = [m for m in sys.modules if m.split('.')[0] == 'textual']\nassert not bad, bad\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
