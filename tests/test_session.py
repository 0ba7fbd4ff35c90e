"""The editing session without any user interface: edits, errors, stale, dirty, baseline,
undo and files, driven directly as the app drives it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate
from whatif.engine.inputs import BY_KEY
from whatif.engine.presets import default_preset_path, load_preset, save_preset
from whatif.tui.session import Change, EditSession
from tests.helpers import make_scenario

SCENARIO = make_scenario(workload={"params_b": 405.0, "tokens_t": 15.6}, cluster={"chip": "h100", "count": 16384})


def session_with_log() -> tuple[EditSession, list[Change]]:
    session = EditSession(SCENARIO)
    changes: list[Change] = []
    session.subscribe(changes.append)
    return session, changes


def test_an_accepted_edit_recomputes_and_marks_the_session_dirty():
    session, changes = session_with_log()
    assert not session.dirty and not session.stale
    session.edit("cluster.count", 32768)
    assert session.scenario.cluster.count == 32768
    expected = evaluate(SCENARIO.with_values({"cluster.count": 32768}))
    assert session.result["training_days"] == pytest.approx(expected["training_days"])
    # Twice the chips: more than half the days. The 16M-token batch over dp 256 leaves 8 micro-batches
    # per pipeline (bubble up: MFU 39.9 % -> 34.5 %) and goodput falls 0.885 -> 0.834:
    # (0.39897 / 0.34490) x (0.88485 / 0.83429) / 2 = 0.6134.
    assert 0.6 < session.result["training_days"] / evaluate(SCENARIO)["training_days"] < 0.62
    assert session.dirty and not session.stale
    assert changes[-1] == Change(result=True, errors=False, title=True)


def test_a_bad_value_is_kept_pending_with_its_reason_and_the_last_good_result_stays():
    session, changes = session_with_log()
    good = session.result
    session.edit("cluster.count", "12x")
    assert session.stale and session.result is good
    assert session.pending == {"cluster.count": "12x"}
    assert session.errors["cluster.count"] == "expected a whole number, got '12x'"
    assert changes[-1].errors and not changes[-1].result
    session.edit("facility.pue", 0.9)                   # a second bad field: both are listed
    assert set(session.errors) == {"cluster.count", "facility.pue"}
    assert session.errors["facility.pue"] == "0.9 is out of range; must be at least 1"
    session.edit("cluster.count", 1024)                 # fixing one applies it, the other stays
    assert session.scenario.cluster.count == 1024 and set(session.errors) == {"facility.pue"}
    session.edit("facility.pue", None)                  # back to the default clears the last
    assert not session.stale and session.scenario.facility.pue is None


def test_a_required_field_left_empty_is_an_error_not_a_default():
    session, _ = session_with_log()
    session.edit("workload.params_b", None)
    assert session.errors == {"workload.params_b": "required: type a number"}
    assert session.scenario.workload.params_b == 405.0


def test_typing_back_the_current_value_clears_the_edit_and_is_not_dirty():
    session, changes = session_with_log()
    session.edit("cluster.count", "1x")
    assert session.dirty
    session.edit("cluster.count", 16384)
    assert not session.pending and not session.errors and not session.dirty
    count = len(changes)
    session.edit("cluster.count", 16384)                # an echo: nothing happens at all
    assert len(changes) == count


def test_baseline_pins_the_result_and_follows_nothing_after():
    session, changes = session_with_log()
    session.toggle_baseline()
    pinned = session.result
    assert session.baseline is pinned and changes[-1].baseline
    session.edit("cluster.chip", "b200")
    assert session.baseline is pinned and session.result is not pinned
    assert session.result["training_days"] < pinned["training_days"]
    session.toggle_baseline()
    assert session.baseline is None


def test_apply_values_is_all_or_nothing():
    session, changes = session_with_log()
    session.apply_values({"cluster.count": 8192, "facility.cooling": "direct-liquid"})
    assert session.scenario.cluster.count == 8192 and changes[-1].fields
    with pytest.raises(WhatifError, match="cluster.count"):
        session.apply_values({"cluster.count": 0, "facility.pue": 1.3})
    assert session.scenario.cluster.count == 8192 and session.scenario.facility.pue is None


def test_undo_and_redo_walk_accepted_changes_and_typing_is_one_step():
    session, _ = session_with_log()
    for text in ("3", "32", "327", "3276", "32768"):     # typed one key at a time
        session.edit("cluster.count", int(text))
    session.edit("cluster.chip", "b200")
    assert session.undo() and session.scenario.cluster.chip == "h100"
    assert session.scenario.cluster.count == 32768
    assert session.undo() and session.scenario.cluster.count == 16384
    assert not session.can_undo and not session.undo()
    assert session.redo() and session.scenario.cluster.count == 32768
    assert session.result["training_days"] == pytest.approx(
        evaluate(SCENARIO.with_values({"cluster.count": 32768}))["training_days"])
    session.edit("facility.pue", 1.2)                    # a new change forgets the redo branch
    assert not session.can_redo


def test_undo_takes_back_edits_not_accepted_first_then_the_accepted_ones():
    session, _ = session_with_log()
    session.edit("cluster.count", -5)                    # typed over 16384: not accepted
    assert session.errors and session.can_undo
    assert session.undo() and not session.pending and not session.errors
    assert session.scenario == SCENARIO and not session.dirty and not session.can_undo
    session.edit("cluster.count", 8192)
    session.edit("facility.pue", "x")
    assert session.undo() and session.scenario.cluster.count == 8192 and not session.errors
    assert session.undo() and session.scenario.cluster.count == 16384
    assert not session.undo()


def test_files_load_save_and_dirty(tmp_path):
    session = EditSession.from_file(default_preset_path())
    assert session.path == default_preset_path() and not session.dirty
    session.edit("cluster.count", 4096)
    assert session.dirty
    target = tmp_path / "mine.toml"
    save_preset(session.scenario, target)
    session.saved_as(target)
    assert session.path == target and not session.dirty
    other = tmp_path / "other.toml"
    save_preset(SCENARIO, other)
    session.open(other)
    assert session.scenario == load_preset(other) and not session.dirty and not session.can_undo
    (tmp_path / "bad.toml").write_text("schema = 1\n[cluster]\ncount = 'x'\n")
    with pytest.raises(WhatifError, match="bad.toml"):
        session.open(tmp_path / "bad.toml")
    assert session.path == other                         # nothing changed


def test_new_details_are_saved_with_the_scenario_and_undo_in_one_step():
    session, _ = session_with_log()
    session.set_details(name="Mine", description="On fewer chips")
    assert session.scenario.name == "Mine" and session.result.scenario.name == "Mine" and session.dirty
    assert session.scenario.description == "On fewer chips"
    assert session.undo() and session.scenario.name == "" and session.scenario.description == ""


def test_the_session_imports_no_textual():
    code = "import sys, whatif.tui.session; print(sorted(m for m in sys.modules if m.startswith('textual')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_number_being_typed_is_neither_applied_nor_an_error():
    session, changes = session_with_log()
    spec = BY_KEY["cluster.count"]
    for text in ("1", "1e", "1e4"):
        session.edit("cluster.count", spec.parse(text))
        if text == "1e":
            assert not session.stale and session.scenario.cluster.count == 1   # nothing alarming
    assert session.scenario.cluster.count == 10_000 and not session.pending
    session.edit("cluster.count", spec.parse("16k"))
    assert session.scenario.cluster.count == 16_384


def test_typed_magnitudes_are_read_in_the_fields_unit():
    assert BY_KEY["workload.params_b"].parse("1.8T") == pytest.approx(1800)
    assert BY_KEY["workload.tokens_t"].parse("500B") == pytest.approx(0.5)
    assert BY_KEY["economics.facility_capex_usd_per_mw"].parse("11.5M") == 11.5e6
    assert BY_KEY["cluster.mfu"].parse("40 %") == pytest.approx(0.4)
    assert BY_KEY["cluster.mfu"].parse("45") == pytest.approx(0.45)   # above 1: a percentage
    assert BY_KEY["cluster.mfu"].parse("0.45") == 0.45 and BY_KEY["cluster.mfu"].parse("1") == 1.0
    assert BY_KEY["cluster.mfu"].parse("450") == 450.0                 # validation says why
    assert BY_KEY["cluster.count"].parse("2e4") == 20_000 and BY_KEY["cluster.count"].parse("1.5k") == 1536
    assert BY_KEY["cluster.count"].parse("16x") == "16x"                  # validation says why
    assert repr(BY_KEY["facility.pue"].parse("-")) == "INCOMPLETE"


def test_revert_goes_back_to_the_saved_scenario_and_undo_brings_the_edits_back():
    session, _ = session_with_log()
    session.edit("cluster.count", 4096)
    session.edit("facility.pue", "x")
    assert session.revert() and session.scenario == SCENARIO and not session.dirty and not session.errors
    assert not session.revert()
    assert session.undo() and session.scenario.cluster.count == 4096


def test_mirror_shows_another_scenario_with_its_baseline_not_unsaved_and_rejects_a_bad_one():
    session, changes = session_with_log()
    theirs = SCENARIO.with_values({"cluster.count": 4096})
    pinned = SCENARIO.with_values({"cluster.count": 8192})
    session.edit("cluster.count", 1000)  # the follower's own edit is dropped by mirroring
    session.mirror(theirs, baseline=pinned)
    assert session.scenario == theirs and not session.dirty and not session.can_undo
    assert session.result["training_days"] == pytest.approx(evaluate(theirs)["training_days"])
    assert session.baseline is not None and session.baseline.scenario == pinned
    kept_baseline = session.baseline
    changes.clear()
    session.mirror(theirs, baseline=pinned)  # nothing new: nothing recomputed or repainted
    assert changes == [] and session.baseline is kept_baseline
    session.mirror(theirs)  # the presenter unpinned
    assert session.baseline is None and changes[-1].baseline

    unknown_chip = SCENARIO.model_copy(update={"cluster": SCENARIO.cluster.model_copy(update={"chip": "nope"})})
    with pytest.raises(WhatifError):
        session.mirror(unknown_chip, baseline=pinned)
    assert session.scenario == theirs and session.baseline is None
