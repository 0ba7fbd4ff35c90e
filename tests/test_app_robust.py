"""The app never loses work: no key sequence crashes it, and unsaved edits survive.

The random-key smoke test presses seeded random keys (every dialog's key, Tab, Enter, Escape,
digits, letters) over the main screen and every dialog; the app must never exit with an
exception and must keep the user's edit. The named sequences are the ones fuzzing found.
"""

from __future__ import annotations

import os
import random

import pytest

from whatif.tui.app import WhatifApp

SIZE = (120, 40)
KEYS = ("ctrl+p", "ctrl+q", "ctrl+o", "ctrl+s", "f2", "ctrl+g", "ctrl+r", "f6", "f1", "ctrl+t", "ctrl+b",
        "ctrl+z", "escape", "escape", "tab", "shift+tab", "enter", "enter", "up", "down", "left", "right",
        "backspace", "space", "question_mark", "pageup", "pagedown", "ctrl+n", "ctrl+w", "f8", "ctrl+pagedown",
        *"0123456789", *"abcdehlmnpqrstvxyz.%-")


async def _edit_params(pilot, app: WhatifApp) -> float:
    """An unsaved edit: the last digit of params_b becomes 1 (typed, like a user)."""
    before = app.session.scenario.workload.params_b
    await pilot.press("end", "backspace", "1")
    await pilot.pause()
    assert app.session.dirty and app.session.scenario.workload.params_b != before
    return app.session.scenario.workload.params_b


def _assert_alive(app: WhatifApp) -> None:
    assert app.is_running and app._exception is None, app._exception
    assert not getattr(app, "unexpected_errors", []), app.unexpected_errors


@pytest.mark.parametrize("keys", [
    ("ctrl+p", "ctrl+q", "ctrl+p"),              # 19 of 22 fuzz runs ended here (DuplicateIds)
    ("ctrl+q", "ctrl+p", "ctrl+q", "ctrl+p"),
    ("ctrl+p", "ctrl+o", "ctrl+p", "ctrl+q", "ctrl+p"),
    ("ctrl+s", "ctrl+q", "ctrl+p", "ctrl+p", "escape", "ctrl+q"),
    ("f1", "ctrl+p", "ctrl+q", "ctrl+p", "f1"),
])
async def test_stacked_palette_and_dialogs_never_crash(keys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an export (F6, Enter) writes into the current folder
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        edited = await _edit_params(pilot, app)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            _assert_alive(app)
        assert app.session.dirty and app.session.scenario.workload.params_b == edited


@pytest.mark.parametrize("seed", range(2))
async def test_random_keys_never_crash_and_keep_the_edit(seed, monkeypatch, tmp_path):
    import tomllib

    import whatif.tui.app as app_module
    from whatif.engine.presets import preset_to_dict

    monkeypatch.chdir(tmp_path)  # an export (F6, Enter) writes into the current folder
    monkeypatch.setattr(app_module, "RECOVERY_DELAY_S", 0.05)
    rng = random.Random(seed)
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_params(pilot, app)
        for _ in range(90):
            key = rng.choice(KEYS)
            if key in ("ctrl+s", "f2") and rng.random() < 0.5:
                continue  # saving is fine, but keep most runs unsaved
            await pilot.press(key)
            _assert_alive(app)
        await pilot.pause(0.3)
        _assert_alive(app)
        # Whatever happened to the edit (typed over, saved, discarded on purpose), unsaved
        # changes of every tab are in the recovery file as they are now.
        dirty = app.workspace.dirty_sessions()
        if dirty:
            [kept] = _recovery_files(app)
            data = tomllib.loads(kept.read_text(encoding="utf-8"))
            assert [tab["preset"] for tab in data["tab"]] == [preset_to_dict(s.scenario) for s in dirty]


# ------------------------------------------------------------------ recovery
def _recovery_files(app: WhatifApp) -> list:
    return sorted(app.recovery.folder.glob("session-*.toml"))


async def test_unsaved_edits_reach_a_recovery_file_and_a_save_removes_it(tmp_path, monkeypatch):
    import whatif.tui.app as app_module

    monkeypatch.setattr(app_module, "RECOVERY_DELAY_S", 0.05)
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        from whatif.engine.paths import state_dir

        assert app.recovery.folder == state_dir() / "recovery"
        edited = await _edit_params(pilot, app)
        await pilot.pause(0.2)
        [kept] = _recovery_files(app)
        assert f"params_b = {edited}" in kept.read_text(encoding="utf-8")
        app.files._write_preset(tmp_path / "saved.toml")
        await pilot.pause(0.2)
        assert not app.session.dirty and _recovery_files(app) == []


async def test_the_next_start_offers_to_restore(monkeypatch):
    import whatif.tui.app as app_module
    from whatif.tui.screens.dialogs import RecoverScreen

    monkeypatch.setattr(app_module, "RECOVERY_DELAY_S", 0.05)
    first = WhatifApp()
    async with first.run_test(size=SIZE) as pilot:
        edited = await _edit_params(pilot, first)
        await pilot.press("end", "x")  # an invalid pending edit is kept too
        await pilot.pause(0.2)
        first.recovery._lock_path.unlink()  # as if the process had died (kill -9 drops the lock)
        os.close(first.recovery._lock_fd)
        first.recovery._lock_fd = None
        kept = _recovery_files(first)
        assert kept
        first.recovery.path = first.recovery.folder / "unused.toml"  # its exit must not touch the file
    second = WhatifApp()
    async with second.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(second.screen, RecoverScreen)
        await pilot.press("enter")  # Restore (the default button)
        await pilot.pause()
        assert second.session.dirty and second.session.scenario.workload.params_b == edited
        assert "workload.params_b" in second.session.pending
        assert not kept[0].exists()


async def test_an_unexpected_error_shows_a_screen_and_keeps_running(monkeypatch):
    from whatif.tui.screens.dialogs import ErrorScreen

    app = WhatifApp()

    def broken() -> None:
        raise RuntimeError("boom")
    async with app.run_test(size=SIZE) as pilot:
        await _edit_params(pilot, app)
        monkeypatch.setattr(app, "action_toggle_baseline", broken)
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert isinstance(app.screen, ErrorScreen) and "RuntimeError: boom" in app.screen.summary
        assert _recovery_files(app)  # written at once
        await pilot.press("t")
        assert app.screen.query_one("#error-trace").display
        await pilot.press("escape")
        assert not isinstance(app.screen, ErrorScreen) and app.is_running and app.session.dirty
        app.call_later(broken)  # a callback: Textual would have ended the app
        await pilot.pause()
        assert isinstance(app.screen, ErrorScreen) and app.is_running and app._exception is None
        app.unexpected_errors.clear()


async def test_save_as_with_a_name_too_long_is_a_message():
    from whatif.tui.screens.dialogs import SaveAsScreen

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await _edit_params(pilot, app)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SaveAsScreen)
        field = app.screen.query_one("Input")
        field.value = "n" * 400
        await pilot.press("enter")
        await pilot.pause()
        _assert_alive(app)
        assert isinstance(app.screen, SaveAsScreen) and app.session.dirty


def test_in_a_demo_session_recovery_lives_in_the_session_folder(monkeypatch, tmp_path):
    from whatif.tui.recovery import recovery_dir

    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path / "session"))
    assert recovery_dir(True) == tmp_path / "session" / ".recovery"


async def test_the_app_removes_stale_temp_files_of_the_preset_folder_at_start():
    import subprocess
    import sys

    from whatif.engine.presets import user_presets_dir

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    folder = user_presets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / f".mine.toml.{child.pid}.abcd1234.tmp"
    stale.write_text("half a preset", encoding="utf-8")
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not stale.exists()
