"""The app and the user's config.toml: the theme persists, a keymap rebinds, the user's
catalog entries are labelled as theirs, a bad file is a message and never a crash."""

from __future__ import annotations

import tomllib

from tests.helpers import screen_text
from whatif.engine.paths import config_path
from whatif.tui.app import WhatifApp
from whatif.tui.screens.dialogs import PresetPicker
from whatif.tui.screens.help import HelpScreen

SIZE = (100, 30)


def write_config(text: str) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(text)


def messages(app: WhatifApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_theme_picked_in_the_app_is_there_at_the_next_start():
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# my settings\n[keymap]\n")
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme != "nord"
        app.theme = "nord"                    # what the palette's theme picker does
        await pilot.pause()
    text = path.read_text()
    assert tomllib.loads(text)["theme"] == "nord" and text.startswith("# my settings\n")
    again = WhatifApp()
    async with again.run_test(size=SIZE):
        assert again.theme == "nord"


async def test_a_keymap_entry_rebinds_a_key_and_help_shows_it():
    write_config('[keymap]\n"app.help" = "f3"\n')
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")                # no longer help
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_line = next(line for line in screen_text(app).splitlines() if line.split()[1:] == ["Help"])
        assert help_line.split()[0] == "f3"


async def test_a_bad_config_is_a_message_and_the_app_runs_on_defaults():
    write_config('theme = 3\n[keymap]\n"preset.opne" = "ctrl+w"\n')
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("config.toml: theme: expected text, got 3" in m for m in messages(app)), messages(app)
        await pilot.press("ctrl+o")            # the default keys still work
        await pilot.pause()
        assert isinstance(app.screen, PresetPicker)


async def test_an_unknown_binding_id_is_named_with_a_suggestion():
    write_config('[keymap]\n"preset.opne" = "ctrl+w"\n')
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("unknown binding id 'preset.opne' (did you mean 'preset.open'?)" in m for m in messages(app))


async def test_a_rent_from_the_users_file_is_labelled_theirs():
    write_config("[chips.h100]\nrent_usd_per_chip_hour = 1.9\n")
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        origin = app.session.result.resolved.origins["rent_usd_per_chip_hour"]
        assert origin.kind == "user" and str(config_path()) in origin.source
        assert app.session.result.resolved.values["rent_usd_per_chip_hour"] == 1.9
        detail = app.query_one("#detail")
        assert detail.get_cell("in:rent_usd_per_chip_hour", "note").plain == "your file"
