"""Pilot tests: the keys a planner reaches for without reading the help. `/` filters the
open dialog and the chip picker, ctrl+u clears a field (said in the key bar and the help),
the Save-as file field is replaced by typing, and PageDown twice asks once."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList

from tests.helpers import screen_text
from whatif.engine.presets import default_preset_path, load_preset, save_preset
from whatif.engine.tours import load_tour
from whatif.tui.app import WhatifApp
from whatif.tui.screens.chip_picker import ChipPicker
from whatif.tui.screens.dialogs import ConfirmScreen, PresetPicker, SaveAsScreen
from whatif.tui.screens.help import HelpScreen
from whatif.tui.widgets.keybar import KeyBar

SIZE = (100, 30)


def option_ids(screen, list_id: str) -> list[str]:
    return [o.id for o in screen.query_one(f"#{list_id}", OptionList).options if o.id]


async def test_slash_filters_the_open_dialog_escape_clears_then_closes_enter_opens(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    save_preset(load_preset(default_preset_path()).with_values({"cluster.count": 2048}).model_copy(
        update={"name": "Mine on TWO thousand"}), tmp_path / "mine.toml")
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PresetPicker)
        everything = option_ids(picker, "preset-list")
        assert len(everything) > 30                                   # shipped and mine
        await pilot.press("slash", *"two thou")                      # the preset's name, any case
        await pilot.pause()
        assert picker.query_one("#preset-filter", Input).value == "two thou"
        assert option_ids(picker, "preset-list") == [str(tmp_path / "mine.toml")]
        await pilot.press("escape")                                   # clears the filter, stays open
        await pilot.pause()
        assert app.screen is picker and option_ids(picker, "preset-list") == everything
        await pilot.press(*"mine.t")                                  # the file name, still in the filter
        await pilot.pause()
        assert option_ids(picker, "preset-list") == [str(tmp_path / "mine.toml")]
        await pilot.press("enter")                                    # the highlighted one
        await pilot.pause()
        assert app.session.path == tmp_path / "mine.toml" and app.session.scenario.cluster.count == 2048


async def test_escape_on_an_empty_filter_closes_the_open_dialog():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, PresetPicker)


async def test_chip_picker_slash_comes_back_to_the_filter_escape_clears_then_cancels():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#f-cluster-chip")
        await pilot.press(*"NVIDIA B")                                # vendor and name, any case
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ChipPicker)
        ids = option_ids(picker, "chip-list")
        assert ids and "b200" in ids and "mi300x" not in ids
        await pilot.press("tab")                                      # into the list
        assert isinstance(app.focused, OptionList)
        await pilot.press("slash", "backspace", "backspace")          # '/' back to the filter: "NVIDIA "
        await pilot.pause()
        search = picker.query_one("#chip-search", Input)
        assert app.focused is search and search.value == "NVIDIA"
        await pilot.press("escape")                                   # clears, stays open
        await pilot.pause()
        assert app.screen is picker and search.value == "" and len(option_ids(picker, "chip-list")) > len(ids)
        await pilot.press(*"hgx/dgx b2")                              # typed in the filter, '/' is text
        await pilot.pause()
        assert search.value == "hgx/dgx b2" and option_ids(picker, "chip-list") == ["b200"]
        await pilot.press("escape", *"/b20")                          # first, '/' is the filter key
        await pilot.pause()
        assert search.value == "b20" and "b200" in option_ids(picker, "chip-list")
        await pilot.press("escape", *"b200", "enter")
        await pilot.pause()
        assert app.session.scenario.cluster.chip == "b200"
        await pilot.click("#f-cluster-chip")
        await pilot.press("escape")                                   # empty filter: cancels
        await pilot.pause()
        assert not isinstance(app.screen, ChipPicker) and app.session.scenario.cluster.chip == "b200"


async def test_ctrl_u_clears_a_field_to_its_default_and_the_key_bar_and_help_say_so():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#f-cluster-mfu")
        await pilot.press(*"45%")
        await pilot.pause()
        assert app.session.scenario.cluster.mfu == 0.45
        bar = app.query_one(KeyBar)
        shown = [item.display + " " + item.description for item in bar.fit(bar.items(), 80)]
        assert "^u Clear" in shown                                   # kept even at 80 columns
        await pilot.press("left", "left", "ctrl+u")                   # wherever the cursor is
        await pilot.pause()
        field = app.query_one("#f-cluster-mfu", Input)
        assert field.value == "" and app.session.scenario.cluster.mfu is None
        assert field.placeholder.startswith("auto ")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "ctrl+u" in text and "default shown in grey" in text
        assert "field.reset" not in text and "Binding id" not in text  # words, not ids


async def test_save_as_file_field_is_replaced_by_typing(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SaveAsScreen)
        await pilot.press(*"mine", "enter")
        await pilot.pause()
        assert (tmp_path / "mine.toml").exists() and app.session.path == tmp_path / "mine.toml"


async def test_pagedown_twice_with_unsaved_changes_shows_one_dialog(tmp_path):
    for name, count in (("a", 1024), ("b", 2048), ("c", 4096)):
        save_preset(load_preset(default_preset_path()).with_values({"cluster.count": count}), tmp_path / f"{name}.toml")
    (tmp_path / "tour.toml").write_text('title = "T"\n' + "".join(
        f'[[stop]]\npreset = "{name}.toml"\n' for name in "abc"))
    app = WhatifApp(tour=load_tour(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#f-cluster-count")
        await pilot.press("ctrl+u", *"512")
        await pilot.pause()
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert [type(s) for s in app.screen_stack].count(ConfirmScreen) == 1
        await pilot.press("escape")                                   # one Escape: back, edit kept
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.session.stop_index == 0 and app.session.scenario.cluster.count == 512


async def burst(pilot, *keys: str) -> None:
    """Keys as a fast typist or tmux sends them: all delivered before the app handles one
    (pilot.press waits for each)."""
    from textual import events

    for key in keys:
        character = key if len(key) == 1 else None
        pilot.app.post_message(events.Key(key, character))
    await pilot.pause()
    await pilot.pause()


async def test_slash_and_a_filter_typed_in_one_burst_all_reach_the_filter():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        await burst(pilot, "slash", *"gpt4")
        assert picker.query_one("#preset-filter", Input).value == "gpt4"
        assert [Path(p).name for p in option_ids(picker, "preset-list")] == ["article-gpt4.toml",
                                                                           "published-gpt4-estimate.toml"]
        await burst(pilot, "enter")
        assert app.session.path is not None and app.session.path.name == "article-gpt4.toml"


async def test_typing_in_the_open_dialogs_list_filters_it():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        assert isinstance(app.focused, OptionList)
        await burst(pilot, *"deepseek")
        assert picker.query_one("#preset-filter", Input).value == "deepseek"
        assert [Path(p).name for p in option_ids(picker, "preset-list")] == ["article-deepseek-v3.toml",
                                                                           "published-deepseek-v3.toml"]


async def test_details_typed_in_one_burst_keep_their_order(tmp_path, monkeypatch):
    """ctrl+u then a new name, Tab, ctrl+u, a description, Enter, as tmux or a fast typist
    sends them: the clear came after the typing and the name was lost."""
    from whatif.tui.screens.dialogs import DetailsScreen

    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        await burst(pilot, "ctrl+u", *"My run", "tab", "ctrl+u", *"Texas site", "enter")
        await pilot.pause()
        assert app.session.scenario.name == "My run" and app.session.scenario.description == "Texas site"
        await pilot.press("f2")
        await pilot.pause()
        await burst(pilot, "ctrl+u", *"mine", "enter")
        assert load_preset(tmp_path / "mine.toml").name == "My run"


async def test_tab_and_a_value_typed_in_one_burst_edit_the_next_field():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#f-workload-params-b")
        await burst(pilot, *"70", "tab", *"2")
        assert app.session.scenario.workload.params_b == 70
        assert app.session.scenario.workload.tokens_t == 2                  # not params 702
        assert app.focused is app.query_one("#f-workload-tokens-t", Input)
        await burst(pilot, "shift+tab", "ctrl+u", *"8")
        assert app.session.scenario.workload.params_b == 8


async def test_tabs_over_choice_fields_and_a_value_in_one_burst_reach_the_chips_field():
    """From Params, five Tabs (Tokens, Precision, More workload, Chip, Chips) and a count,
    as tmux sends them: the count was lost on the choice fields on the way."""
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#f-workload-params-b")
        await burst(pilot, *"70", *["tab"] * 5, *"2048")
        await pilot.pause()
        assert app.session.scenario.workload.params_b == 70
        assert app.session.scenario.cluster.count == 2048


async def test_keys_typed_with_the_one_that_opens_a_picker_reach_the_picker():
    """Enter on the chip field then 'gb3' in one burst: the picker opened empty, the three
    characters went to the field left behind. Typed on the chip field itself, a character
    opens the picker with it as the start of the filter."""
    from whatif.tui.screens.chip_picker import ChipPicker
    from whatif.tui.screens.choice_picker import ChoicePicker

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#f-cluster-chip").focus()
        await pilot.pause()
        await burst(pilot, "enter", *"gb3")
        picker = app.screen
        assert isinstance(picker, ChipPicker) and picker.query_one("#chip-search", Input).value == "gb3"
        assert option_ids(picker, "chip-list") == ["gb300"]
        await burst(pilot, "enter")
        assert app.session.scenario.cluster.chip == "gb300"
        await burst(pilot, *"mi3", "enter")  # typed on the field: the picker opens filtered
        assert app.session.scenario.cluster.chip == "mi300x"
        app.query_one("#f-economics-mode").focus()
        await pilot.pause()
        before = app.session.scenario.economics.mode
        await burst(pilot, "enter", "down", "enter")
        assert not isinstance(app.screen, ChoicePicker) and app.session.scenario.economics.mode != before


async def test_a_picker_closed_without_an_answer_gives_the_field_its_keys_back():
    from whatif.tui.screens.choice_picker import ChoicePicker

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#f-economics-mode").focus()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)
        app.pop_screen()  # closed without its callback (as the palette's guard may)
        await pilot.pause()
        before = app.session.scenario.economics.mode
        await pilot.press("right")  # the field steps to the next mode, not into a dead picker
        await pilot.pause()
        assert app.session.scenario.economics.mode != before
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)
