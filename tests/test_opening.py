"""The app's first frame from a cached opening (engine/opening.py): plain copies of the
settings, scenario and result, drawn without pydantic; the real models after the frame."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from whatif.engine.evaluate import evaluate
from whatif.engine.opening import Mirror, load, store
from whatif.engine.presets import default_preset_path, parse_preset, read_preset_text
from whatif.engine.user import load_settings
from whatif.tui.app import WhatifApp

SIZE = (100, 30)


def _keep(path: Path | None = None) -> Path:
    """Open `path` (default: the default preset) the full way and keep its opening, as the
    app does after its first frame."""
    opening, stamp = load(path)
    assert opening is None
    target = path or default_preset_path()
    text = read_preset_text(target)
    scenario = parse_preset(text, str(target))
    settings = load_settings()
    store(stamp, settings, scenario, evaluate(scenario, settings.catalog), Path(target), text, path is None)
    return Path(target)


async def _screen(app: WhatifApp, pilot) -> str:
    """The screen once the P10/P90 strip has its samples (they come after the first frame)
    for the current result: not 'sampling...', nor the last samples dimmed ('P10/P50/P90…')
    while a newer result's are drawn (the opening's warm-up brings one; under load the
    screen was taken then, once in a full run)."""
    for _ in range(100):
        await pilot.pause(0.05)
        strip = str(app.query_one("#uncertainty-strip").render())
        if strip.startswith("P10/P50/P90:") and "sampling" not in strip and app.views_current:
            break
    return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())


def test_an_opening_is_kept_and_found_again_for_the_same_files(tmp_path):
    path = _keep()
    opening, _ = load(None)
    assert opening is not None and opening.path == path
    assert isinstance(opening.scenario, Mirror) and isinstance(opening.result.resolved, Mirror)
    real = parse_preset(read_preset_text(path), str(path))
    assert opening.scenario.get("cluster.count") == real.cluster.count
    assert opening.result.values == evaluate(real).values
    assert not opening.anchor.loaded  # nothing real built for reading plain values
    # A changed preset is a new opening: nothing is found for it.
    changed = tmp_path / "changed.toml"
    changed.write_text(read_preset_text(path).replace("count = ", "count = 1", 1))
    assert load(changed)[0] is None


def test_a_mirror_answers_what_it_does_not_hold_from_the_real_object():
    _keep()
    opening, _ = load(None)
    assert opening is not None
    dumped = opening.scenario.model_dump(exclude_unset=True)  # a pydantic method: from the real one
    assert opening.anchor.loaded and dumped["cluster"]["count"] == opening.scenario.cluster.count


async def test_the_first_frame_from_an_opening_is_the_full_ways_and_an_early_edit_is_kept():
    _keep()
    full = WhatifApp(default_preset_path(), placeholder=True)
    async with full.run_test(size=SIZE) as pilot:
        expected = await _screen(full, pilot)
    opening, _ = load(None)
    assert opening is not None
    app = WhatifApp(opening.path, opening=opening, placeholder=True)
    async with app.run_test(size=SIZE) as pilot:
        assert await _screen(app, pilot) == expected
        assert opening.anchor.loaded  # warmed up after the first frame
        assert not isinstance(app.session.scenario, Mirror) and not app.session.dirty
        app.session.edit("cluster.count", 2048)
        await pilot.pause()
        assert app.session.scenario.cluster.count == 2048 and app.session.dirty
        assert app.unexpected_errors == []


def test_an_edit_before_the_warm_up_builds_the_real_scenario_first():
    from whatif.tui.session import EditSession

    _keep()
    opening, _ = load(None)
    assert opening is not None
    session = EditSession.from_opening(opening)
    assert not session.dirty
    session.edit("cluster.count", 4096)
    assert session.scenario.cluster.count == 4096 and session.result["training_days"] > 0
    assert session.dirty and not isinstance(session.scenario, Mirror)
    assert session.undo() and session.scenario == parse_preset(opening.text, str(opening.path))


def test_the_apps_first_frame_imports_neither_pydantic_nor_numpy(tmp_path):
    """In a process of its own: a kept opening, then the app run headless until its first frame."""
    script = textwrap.dedent("""
        import asyncio, sys
        from textual.screen import Screen
        from whatif.engine.opening import load
        from whatif.tui.app import WhatifApp
        seen = []
        refresh = Screen._compositor_refresh
        def first_frame(screen):
            refresh(screen)
            seen.append("pydantic" in sys.modules or "numpy" in sys.modules)
        Screen._compositor_refresh = first_frame
        opening, _ = load(None)
        assert opening is not None, "no opening kept"
        async def main():
            app = WhatifApp(opening.path, opening=opening, placeholder=True)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
        asyncio.run(main())
        print("pydantic or numpy before the first frame" if seen[0] else "neither before the first frame")
    """)
    _keep()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1:] == ["neither before the first frame"], done.stderr
