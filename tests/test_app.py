"""Pilot tests: drive the app like a user and compare what it shows with the engine."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.widgets import Input, Static, TabbedContent

from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset, save_preset, shipped_presets_dir
from whatif.engine.units import fmt, fmt_delta
from whatif.tui.app import WhatifApp
from whatif.tui.commands import WhatifCommands
from whatif.tui.screens.dialogs import ConfirmScreen, ExplainScreen, PresetPicker, SaveAsScreen, TomlScreen
from whatif.tui.screens.choice_picker import ChoicePicker
from whatif.tui.screens.help import HelpScreen, widget_bindings
from whatif.tui.widgets.base import ResultView
from whatif.tui.widgets.fields import ChoiceField, FieldRow, MoreFields
from whatif.tui.widgets.results import DetailTable, HeadlineCard
from tests.helpers import views_caught_up

SIZE = (120, 40)


def card_text(app: WhatifApp, name: str) -> str:
    return app.query_one(f"#card-{name}", HeadlineCard).text


def card_delta(app: WhatifApp, name: str) -> str:
    return app.query_one(f"#card-{name}", HeadlineCard).delta


def cell(app: WhatifApp, row: str, column: str) -> str:
    return app.query_one("#detail", DetailTable).get_cell(row, column).plain


async def type_into(pilot, widget_id: str, text: str) -> None:
    """Click a field, clear it with the keyboard and type `text` key by key."""
    await pilot.click(f"#{widget_id}")
    await pilot.press("home", "ctrl+k")
    if text:
        await pilot.press(*text)
    await pilot.pause()


async def test_typing_a_count_recomputes_days_and_cost_to_engine_values():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        before = card_text(app, "training_days")
        await type_into(pilot, "f-cluster-count", "32768")
        expected = evaluate(load_preset(default_preset_path()).with_values({"cluster.count": 32768}))
        assert app.session.scenario.cluster.count == 32768
        assert card_text(app, "training_days") == fmt("training_days", expected["training_days"])
        assert card_text(app, "training_days") != before
        assert card_text(app, "cost_usd") == fmt("cost_usd", expected["cost_usd"])
        await views_caught_up(pilot)
        assert cell(app, "chip_hours", "value") == fmt("chip_hours", expected["chip_hours"])
        assert app.session.result.values["cost_usd"] == pytest.approx(expected["cost_usd"])
        assert "modified" in app.sub_title


async def test_chip_picker_type_to_search_and_cooling_change_megawatts():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        mw_h100 = app.session.result["facility_mw"]
        await pilot.click("#f-cluster-chip")
        await pilot.press(*"b200", "enter")
        await pilot.pause()
        assert app.session.scenario.cluster.chip == "b200"
        b200 = evaluate(load_preset(default_preset_path()).with_values({"cluster.chip": "b200"}))
        assert card_text(app, "facility_mw") == fmt("facility_mw", b200["facility_mw"])
        assert app.session.result["facility_mw"] != mw_h100

        await pilot.click("#f-facility-cooling")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)
        await pilot.press("down", "down", "down", "enter")  # from "by chip": air, rear-door, direct-liquid
        await pilot.pause()
        assert app.session.scenario.facility.cooling == "direct-liquid"
        liquid = evaluate(load_preset(default_preset_path()).with_values(
            {"cluster.chip": "b200", "facility.cooling": "direct-liquid"}))
        assert liquid["facility_mw"] < b200["facility_mw"]
        assert card_text(app, "facility_mw") == fmt("facility_mw", liquid["facility_mw"])


async def test_invalid_value_marks_field_keeps_last_result_and_shows_stale():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-cluster-count", "12")
        days = card_text(app, "training_days")
        await pilot.press("x")
        await pilot.pause()
        field = app.query_one("#f-cluster-count", Input)
        assert field.has_class("-invalid")
        row = next(a for a in field.ancestors if isinstance(a, FieldRow))
        error = str(row.query_one(".field-error", Static).render())
        assert "whole number" in error and "12x" in error
        assert app.query_one("#results").has_class("-stale")
        assert app.query_one("#stale-banner").display
        assert "Chips: expected a whole number" in str(app.query_one("#status", Static).render())
        assert card_text(app, "training_days") == days  # last good result kept
        assert app.session.scenario.cluster.count == 12

        await pilot.press("backspace", "8")  # "128": valid again
        await pilot.pause()
        assert not field.has_class("-invalid")
        assert not app.query_one("#results").has_class("-stale")
        assert app.session.scenario.cluster.count == 128


async def test_out_of_range_and_empty_required_field_name_what_is_allowed():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-facility-pue", "0.5")
        assert "must be at least 1" in app.session.errors["facility.pue"]
        await type_into(pilot, "f-workload-params-b", "")
        assert app.session.errors["workload.params_b"].startswith("required")
        assert app.session.stale
        # The emptied field does not show the last good value as if it still held it.
        assert app.query_one("#f-workload-params-b", Input).placeholder == "required"


async def test_mfu_shows_auto_until_overridden_and_clearing_returns_to_auto():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        field = app.query_one("#f-cluster-mfu", Input)
        assert field.value == ""
        assert field.placeholder == f"auto {fmt('mfu', app.session.result['mfu_auto'])}"
        await type_into(pilot, "f-cluster-mfu", "45%")
        assert app.session.scenario.cluster.mfu == pytest.approx(0.45)
        await views_caught_up(pilot)
        assert cell(app, "mfu", "note") == "yours"
        await type_into(pilot, "f-cluster-mfu", "")
        assert app.session.scenario.cluster.mfu is None
        await views_caught_up(pilot)
        assert cell(app, "mfu", "note") == "auto"


async def test_a_share_the_preset_sets_reads_as_a_percentage_and_parses_back_the_same():
    from whatif.engine.inputs import BY_KEY
    from whatif.tui.widgets.fields import format_value

    app = WhatifApp(shipped_presets_dir() / "published-bloom-176b.toml")  # mfu = 0.3182, goodput = 1.0
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.query_one("#f-cluster-mfu", Input).value == "31.82 %"
        assert app.query_one("#f-cluster-goodput", Input).value == "100 %"
        await pilot.click("#f-cluster-mfu")
        await pilot.press("tab")
        await pilot.pause()
        assert not app.session.dirty and app.session.scenario.cluster.mfu == 0.3182
    for share in [spec for spec in BY_KEY.values() if spec.kind == "share"]:
        for value in (0.3182, 1.0, 0.000123, 0.5 + 1e-9):
            assert share.parse(format_value(value, share)) == pytest.approx(value, rel=1e-9, abs=0)


async def test_pinned_baseline_shows_deltas_until_unpinned():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        old = app.session.result
        await pilot.press("ctrl+b")
        assert app.session.baseline is old
        await type_into(pilot, "f-cluster-count", "8192")
        new = app.session.result
        assert card_delta(app, "training_days") == fmt_delta("training_days", new["training_days"],
                                                             old["training_days"])
        assert card_delta(app, "training_days").startswith("+")
        absolute, percent = fmt_delta("cost_usd", new["cost_usd"], old["cost_usd"]).rstrip(")").split(" (")
        await views_caught_up(pilot)
        assert cell(app, "cost_usd", "delta") == f"{percent} {absolute}"  # the table puts % first
        assert app.query_one("#card-training_days", HeadlineCard).direction == 1  # longer: worse
        assert app.query_one("#card-facility_mw", HeadlineCard).direction == -1  # fewer MW: better
        await pilot.press("ctrl+b")
        assert app.session.baseline is None
        await views_caught_up(pilot)
        assert cell(app, "cost_usd", "delta") == ""
        assert card_delta(app, "training_days") == ""


async def test_save_as_then_reopen_gives_the_same_scenario(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path / "mine"))
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-cluster-count", "4096")
        await type_into(pilot, "f-facility-pue", "1.2")
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SaveAsScreen)
        path_input = app.screen.query_one("#save-path", Input)
        path_input.value = "small-run"
        name_input = app.screen.query_one("#save-name", Input)
        assert name_input.value == "Llama 3.1 405B class on 16,384 H100"
        description_input = app.screen.query_one("#save-description", Input)
        assert description_input.value.startswith("A modern frontier pre-training run: 405B")
        # Typed after Tab, a name or description replaces the outgrown one.
        path_input.focus()
        await pilot.press("tab", *"Llama 3.1 405B class on 4,096 H100 at PUE 1.2")
        await pilot.press("tab", *"The 405B run on a quarter of the chips")
        await pilot.pause()
        assert app.focused is description_input
        path_input.focus()
        await pilot.press("enter")
        await pilot.pause()
        saved = tmp_path / "mine" / "small-run.toml"
        assert saved.is_file()
        assert app.session.path == saved
        assert "modified" not in app.sub_title
        assert app.title == "Llama 3.1 405B class on 4,096 H100 at PUE 1.2"
        scenario = app.session.scenario
        assert scenario.name == "Llama 3.1 405B class on 4,096 H100 at PUE 1.2"
        assert scenario.description == "The 405B run on a quarter of the chips"

    reopened = WhatifApp(saved)
    async with reopened.run_test(size=SIZE) as pilot:
        assert reopened.session.scenario.model_dump() == scenario.model_dump()
        assert reopened.query_one("#f-cluster-count", Input).value == "4096"
        assert reopened.query_one("#f-facility-pue", Input).value == "1.2"


async def test_open_preset_from_picker_lists_shipped_and_user_presets(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    mine = load_preset(default_preset_path()).with_values({"cluster.count": 1024})
    save_preset(mine, tmp_path / "mine.toml")
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, PresetPicker)
        ids = [o.id for o in app.screen.query_one("#preset-list").options if o.id]
        assert str(default_preset_path()) in ids and str(tmp_path / "mine.toml") in ids
        app.screen.dismiss(tmp_path / "mine.toml")
        await pilot.pause()
        assert app.session.scenario.cluster.count == 1024
        assert app.session.path == tmp_path / "mine.toml"


def test_the_open_dialogs_preset_names_line_up_after_the_longest_file_name(tmp_path, monkeypatch):
    from whatif.tui.files import FILE_COLUMN_MAX, preset_groups

    def name_columns() -> dict[str, int]:
        return {path.name: label.index(scenario.name, len(path.name))
                for _, entries in preset_groups() for path, label in entries if label.endswith(scenario.name)}

    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    scenario = load_preset(default_preset_path())
    save_preset(scenario, tmp_path / "a-long-name-for-my-run-29.toml")   # 30 characters, the cap
    assert FILE_COLUMN_MAX == 30 and set(name_columns().values()) == {31}
    save_preset(scenario, tmp_path / ("x" * 60 + ".toml"))               # past the cap
    columns = name_columns()
    assert columns.pop("x" * 60 + ".toml") == 66                         # shifts its own line only
    assert set(columns.values()) == {31} and "default.toml" in columns


async def test_quit_with_unsaved_changes_asks_first():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-cluster-count", "1000")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # keep editing
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#yes")
        await pilot.pause()
    assert app.return_code == 0


async def test_open_with_unsaved_changes_opens_a_new_tab_and_keeps_them():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-cluster-count", "1000")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, PresetPicker)  # nothing to discard: no question
        app.screen.dismiss(default_preset_path())
        await pilot.pause()
        first, opened = app.workspace.sessions
        assert app.session is opened and not opened.dirty
        assert first.dirty and first.scenario.cluster.count == 1000


async def test_save_asks_before_overwriting_an_existing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    target = tmp_path / "run.toml"
    save_preset(load_preset(default_preset_path()), target)
    app = WhatifApp(target)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-cluster-count", "2048")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert load_preset(target).cluster.count == 16384  # untouched
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("left", "enter")  # the arrow goes to the button on its left: Overwrite
        await pilot.pause()
        assert load_preset(target).cluster.count == 2048
        await type_into(pilot, "f-cluster-count", "2049")
        await pilot.press("ctrl+s")  # confirmed once for this file: saves straight away
        await pilot.pause()
        assert load_preset(target).cluster.count == 2049


async def test_save_never_writes_into_shipped_presets(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path))
    app = WhatifApp()
    before = default_preset_path().read_text()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-cluster-count", "2048")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveAsScreen)
        assert app.screen.query_one("#save-path", Input).value == str(tmp_path / "default.toml")
    assert default_preset_path().read_text() == before


async def test_demo_mode_only_writes_in_the_session_folder_and_shows_toml(tmp_path, monkeypatch):
    monkeypatch.setenv("WHATIF_DEMO", "1")
    monkeypatch.setenv("WHATIF_USER_PRESETS", str(tmp_path / "session"))
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SaveAsScreen)
        assert "Demo session" in str(dialog.query_one(".dialog-note", Static).render())
        dialog.query_one("#save-path", Input).value = str(tmp_path / "elsewhere.toml")
        await pilot.press("enter")
        await pilot.pause()
        assert "only files inside" in str(dialog.query_one("#save-error", Static).render())
        assert not (tmp_path / "elsewhere.toml").exists()
        await pilot.click("#show-toml")
        await pilot.pause()
        assert isinstance(app.screen, TomlScreen)
        assert 'chip = "h100"' in app.screen.query_one("#toml-text").text


async def test_explain_facility_mw_shows_pue_and_its_source():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#detail", DetailTable)
        table.focus()
        table.move_cursor(table.get_row_index("facility_mw"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        shown = "\n".join(str(s.render()) for s in app.screen.query(Static))
        assert "facility_mw = it_mw × pue" in shown
        assert "PUE (pue) = 1.50" in shown
        pue_source = app.session.result.resolved.origins["pue"].source
        assert "Uptime Institute" in pue_source and pue_source in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExplainScreen)


async def test_help_and_palette_list_every_binding():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, file=io.StringIO(), record=True)
        for widget in app.screen.query(Static):
            console.print(widget.content)
        shown = console.export_text()
        for where, bindings in widget_bindings():  # widget keys are listed in words, never by id
            for binding in bindings:
                assert f"{where}: " in shown and binding.id and binding.id not in shown, binding.key
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        titles += [text for text, _run, _help in WhatifCommands(app.screen).commands()]
        for expected in ("Baseline", "Open", "Save", "Save as", "TOML", "Help", "Quit",
                         "Explain Facility power", "Chip: NVIDIA B200"):
            assert any(t == expected or t.startswith(expected) for t in titles), expected
        assert "Next stop" not in titles  # no tour
    ids = [b.id for b in WhatifApp.BINDINGS]
    assert all(ids) and len(ids) == len(set(ids))


async def test_apply_values_and_result_views_added_later():
    class Spy(ResultView, Static):
        seen: list = []

        def update_result(self, result, baseline):
            self.seen.append((result["training_days"], baseline))

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        spy = Spy()
        await app.query_one("#tab-results").mount(spy)
        await pilot.pause()
        assert Spy.seen[-1][0] == app.session.result["training_days"]  # up to date on mount
        result = app.session.apply_values({"cluster.count": 32768})
        assert app.query_one("#f-cluster-count", Input).value == "32768"
        assert Spy.seen[-1][0] == result["training_days"]
        with pytest.raises(Exception) as info:
            app.session.apply_values({"cluster.count": 0})
        assert "cluster.count" in str(info.value)
        assert app.session.scenario.cluster.count == 32768


def _write_preset(path: Path, count: int, name: str) -> None:
    save_preset(load_preset(default_preset_path()).with_values({"cluster.count": count}).model_copy(
        update={"name": name, "description": f"{count} chips"}), path)


async def test_tour_steps_through_stops_and_asks_before_leaving_an_edited_stop(tmp_path):
    from whatif.engine.tours import load_tour

    _write_preset(tmp_path / "a.toml", 1024, "Small")
    _write_preset(tmp_path / "b.toml", 2048, "Bigger")
    (tmp_path / "tour.toml").write_text('title = "Scaling"\n[[stop]]\npreset = "a.toml"\nnote = "start here"\n'
                                        '[[stop]]\npreset = "b.toml"\n')
    app = WhatifApp(tour=load_tour(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        band = lambda: str(app.query_one("#tour-band", Static).render())  # noqa: E731
        assert "Scaling" in band() and "stop 1/2" in band() and "start here" in band() and app.title == "Small"
        assert len(band().splitlines()) == 2                             # closed: the stop, its note
        await pilot.press("f9")
        assert "Small" in band() and "F9 closes" in band()              # open: everything
        await pilot.press("f9")
        await pilot.click("#f-cluster-count")
        await pilot.press("pagedown")
        await pilot.pause()
        assert app.session.scenario.cluster.count == 2048 and "stop 2/2" in band() and "2048 chips" in band()
        await type_into(pilot, "f-cluster-count", "4096")
        await pilot.press("pageup")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#yes")
        await pilot.pause()
        assert app.session.scenario.cluster.count == 1024 and "stop 1/2" in band()


async def test_the_palette_opens_a_shipped_tour_in_a_new_tab_and_the_edited_tab_keeps_its_edits():
    from textual.command import CommandPalette

    from whatif.engine.tours import shipped_tours

    article = next(t for t in shipped_tours() if t.folder.name == "article")
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "f-cluster-count", "4096")
        await pilot.press("ctrl+p", *"Tour: ")
        await pilot.pause(0.3)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await pilot.press("enter")
        await pilot.pause()
        band = str(app.query_one("#tour-band", Static).render())
        assert len(app.workspace) == 2 and app.session.tour is not None
        assert f"stop 1/{len(article.stops)}" in band and article.title in band
        assert app.session.path == article.stops[0].path
        await pilot.press("pagedown")
        await pilot.pause()
        assert app.session.path == article.stops[1].path and "stop 2/" in str(app.query_one("#tour-band").render())
        app.workspace.activate(0)
        await pilot.pause()
        assert app.session.scenario.cluster.count == 4096 and app.session.dirty
        assert not app.query_one("#tour-band").display


async def test_views_may_skip_updates_while_their_tab_is_hidden():
    from textual.widgets import TabbedContent, TabPane

    class Lazy(ResultView, Static):
        update_when_hidden = False
        days: float | None = None

        def update_result(self, result, baseline):
            self.days = result["training_days"]

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        lazy = Lazy()
        tabs = app.query_one("#tabs", TabbedContent)
        await tabs.add_pane(TabPane("Lazy", lazy, id="tab-lazy"))
        await pilot.pause()
        first = lazy.days
        app.session.apply_values({"cluster.count": 8192})
        assert lazy.days == first  # hidden: skipped
        tabs.active = "tab-lazy"
        await pilot.pause()
        assert lazy.days == app.session.result["training_days"]


def test_chip_search_ranks_key_prefix_then_name_and_vendor():
    from whatif.engine.catalog import load_catalog
    from whatif.tui.screens.chip_picker import chip_matches

    catalog = load_catalog()
    assert chip_matches(catalog, "b2")[0] == "b200"
    assert chip_matches(catalog, "mi3") == ["mi300x", "mi325x", "mi355x"]
    assert set(chip_matches(catalog, "AMD")) == {k for k, c in catalog.chips.items() if c.vendor == "AMD"}
    assert len(chip_matches(catalog, "")) == len(catalog.chips)
    assert chip_matches(catalog, "zzz") == []


async def test_chip_picker_filters_and_escape_keeps_the_chip():
    from whatif.tui.screens.chip_picker import ChipPicker

    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#f-cluster-chip")
        await pilot.press(*"tpu")
        picker = app.screen
        assert isinstance(picker, ChipPicker)
        ids = [o.id for o in picker.query_one("#chip-list").options]
        assert ids and all(i.startswith("tpu") for i in ids)
        await pilot.press("escape")
        await pilot.pause()
        assert app.session.scenario.cluster.chip == "h100" and not app.session.dirty


async def test_chip_picker_at_80x24_gives_each_chip_one_line_with_its_figures_whole():
    from whatif.tui.screens.chip_picker import ChipPicker

    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#f-cluster-chip")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ChipPicker)
        chips = picker.query_one("#chip-list")
        lines = [chips.render_line(y).text for y in range(chips.size.height)]
        catalog = app.session.catalog
        assert [line.split()[0] for line in lines] == [o.id for o in chips.options][:len(lines)]
        h100 = next(line for line in lines if line.split()[0] == "h100")
        assert "989 TF ·  80 GB ·  700 W" in h100 and "NVIDIA H100" in h100
        estimated = next(line for line in lines if catalog.chips[line.split()[0]].estimate)
        assert " est. " in estimated


async def test_one_click_on_a_result_row_explains_it():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#detail", DetailTable)
        await pilot.pause()  # let the layout settle before aiming at a row
        await pilot.click("#detail", offset=(5, 1 + table.get_row_index("training_days")))
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen)
        assert app.screen.explanation.name == "training_days"


async def test_collapsed_sections_build_their_fields_when_opened():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query("#f-cluster-mtti-chip-hours")  # not built before the first frame
        await pilot.click("#more-reliability")
        await pilot.pause()
        field = app.query_one("#f-cluster-mtti-chip-hours", Input)
        assert field.placeholder == "50,000 default"
        await type_into(pilot, "f-cluster-mtti-chip-hours", "10000")
        assert app.session.scenario.cluster.mtti_chip_hours == 10000
        assert app.session.result["goodput"] < evaluate(load_preset(default_preset_path()))["goodput"]


async def test_palette_go_to_field_opens_its_section():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await app.panels.focus_field("facility.load_factor")
        await pilot.pause()
        assert app.focused is app.query_one("#f-facility-load-factor", Input)
        assert app.focused.placeholder == "80.0 % default"


async def test_theme_change_recolours_the_table():
    from textual.color import Color

    def accent_ok(app) -> bool:
        note = app.query_one("#detail", DetailTable).get_cell("mfu", "note")
        return note.plain == "auto" and note.style.color == Color.parse(app.theme_variables["accent"]).rich_color

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        assert accent_ok(app)
        old = app.theme_variables["accent"]
        app.theme = "nord"
        await pilot.pause()
        assert app.theme_variables["accent"] != old
        assert accent_ok(app)


async def test_choice_fields_step_with_arrow_keys_and_show_the_default_when_blank():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        mode = app.query_one("#f-economics-mode", ChoiceField)
        mode.focus()
        await pilot.press("right")
        await pilot.pause()
        assert app.session.scenario.economics.mode == "own"
        own = evaluate(load_preset(default_preset_path()).with_values({"economics.mode": "own"}))
        assert card_text(app, "cost_usd") == fmt("cost_usd", own["cost_usd"])
        cooling = app.query_one("#f-facility-cooling", ChoiceField)
        assert cooling.value is None and cooling.label() == "air by chip"  # the H100's default
        cooling.focus()
        await pilot.press("left")  # from the blank choice back round to the last option
        await pilot.pause()
        assert app.session.scenario.facility.cooling == "immersion"
        await pilot.press("right")  # and forward again to 'by chip'
        await pilot.pause()
        assert app.session.scenario.facility.cooling is None


async def test_a_section_closes_again_and_keeps_its_fields():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#more-owning")
        await pilot.pause()
        field = app.query_one("#f-economics-depreciation-years", Input)
        assert field.display
        await pilot.click("#more-owning")
        await pilot.pause()
        assert not app.query_one("#f-economics-depreciation-years").parent.display
        assert app.query_one("#more-owning", MoreFields).collapsed


async def test_editing_keys_in_a_burst_apply_in_the_order_typed():
    """ctrl+u then digits arriving together (fast typing over SSH) must clear, then type."""
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        field = app.query_one("#f-cluster-count", Input)
        field.focus()
        await pilot.pause()
        for key, character in (("ctrl+u", None), ("5", "5"), ("0", "0"), ("backspace", None), ("1", "1")):
            app.post_message(events.Key(key, character))  # all queued before any is handled
        await pilot.pause()
        assert field.value == "51"
        assert app.session.scenario.cluster.count == 51


async def test_after_first_frame_runs_once_the_app_is_on_screen():
    calls: list[bool] = []
    app = WhatifApp()
    app.after_first_frame = lambda: calls.append(app.query_one("#detail", DetailTable).rows != [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert calls == [True]  # called once, with the results already built


def test_launch_with_a_bad_preset_says_so_and_leaves_garbage_collection_on(tmp_path, capsys):
    import gc

    from whatif.tui.launch import launch

    bad = tmp_path / "bad.toml"
    bad.write_text("schema = 1\\n[cluster]\\ncount = 'many'\\n")
    assert launch([str(bad)]) == 2
    assert "bad.toml" in capsys.readouterr().err
    assert gc.isenabled()


async def test_undo_three_edits_and_redo_one():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        count = app.query_one("#f-cluster-count", Input)
        pue = app.query_one("#f-facility-pue", Input)
        for field, text in ((count, "8192"), (pue, "1.2"), (count, "4096")):
            field.focus()
            field.value = text
            await pilot.pause()
        assert app.session.scenario.cluster.count == 4096 and app.session.scenario.facility.pue == 1.2
        for _ in range(3):
            await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.session.scenario.cluster.count == 16384 and app.session.scenario.facility.pue is None
        assert count.value == "16384" and pue.value == ""          # the fields follow
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.session.scenario.cluster.count == 8192 and count.value == "8192"
        assert app.session.result["training_days"] == evaluate(
            load_preset(default_preset_path()).with_values({"cluster.count": 8192}))["training_days"]


async def test_undo_after_a_bad_value_gives_the_field_its_value_back():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        count = app.query_one("#f-cluster-count", Input)
        count.focus()
        await pilot.pause()
        await pilot.press("-", "5")                # typed over the selected 16384
        await pilot.pause()
        assert count.value == "-5" and "cluster.count" in app.session.errors
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert count.value == "16384" and not app.session.errors and not app.session.dirty
        assert not app.query_one("#stale-banner").display      # the STALE line goes


async def test_typing_into_a_focused_field_replaces_its_value():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")                   # params -> tokens, its value selected
        await pilot.press("2", "0")
        await pilot.pause()
        assert app.query_one("#f-workload-tokens-t", Input).value == "20"
        assert app.session.scenario.workload.tokens_t == 20.0


async def test_renters_see_chip_hours_where_owners_see_capex():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one("#card-capex_usd")
        assert card.title == "Chip-hours" and card.text == fmt("chip_hours", app.session.result["chip_hours"])
        app.session.apply_values({"economics.mode": "own"})
        await pilot.pause()
        assert card.title == "Up-front capex" and card.text == fmt("capex_usd", app.session.result["capex_usd"])


async def test_inputs_say_when_the_mode_ignores_them_and_regions_show_what_they_change():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        price = app.query_one("#f-economics-chip-capex-usd", Input)
        assert price.placeholder == "unused: renting"
        app.session.apply_values({"economics.mode": "own"})
        await pilot.pause()
        assert price.placeholder == "29,000 catalog"
        region = app.query_one("#f-facility-region", ChoiceField)
        texas = next(label for label, value in region.choices() if value == "us-texas")
        assert "/MWh" in texas and "g/kWh" in texas and "proxy" in texas      # Texas uses US-average carbon
        assert region.label() == "us-average" or region.label() == "us-average (default)"


async def test_a_hotkey_opens_each_view_and_focuses_it():
    from whatif.tui.widgets.chart import SweepChart

    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("alt+3")
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "tab-chart"
        chart = app.query_one(SweepChart)
        assert app.focused is chart
        await pilot.press("x")                                   # the chart's own key, at once
        assert chart.data.spec.key == "cluster.mfu"
        await pilot.press("alt+1")
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "tab-results"
        await pilot.press("alt+0")
        await pilot.pause()
        assert app.focused is app.query_one("#f-workload-params-b", Input)
        titles = [text for text, _run, _help in WhatifCommands(app.screen).commands()]
        assert {"Chart view", "Sensitivity view", "P10/P90 view", "Inputs"} <= set(titles)


async def test_edit_the_description_save_and_reopen(tmp_path):
    from whatif.tui.screens.dialogs import DetailsScreen

    target = tmp_path / "mine.toml"
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        app.screen.query_one("#details-description", Input).value = "Our 16k H100 plan"
        app.screen.query_one("#details-source", Input).value = "planning meeting"
        await pilot.click("#details-ok")
        await pilot.pause()
        assert app.session.scenario.description == "Our 16k H100 plan" and app.session.dirty
        save_preset(app.session.scenario, target)
    reopened = load_preset(target)
    assert reopened.description == "Our 16k H100 plan" and reopened.source == "planning meeting"


async def test_copy_puts_a_value_or_the_table_on_the_clipboard():
    app = WhatifApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#detail")
        table.focus()
        table.move_cursor(table.get_row_index("training_days"))
        await pilot.press("c")
        days = fmt("training_days", app.session.result["training_days"])
        assert app.clipboard.startswith("Training time\t" + days)
        await pilot.press("C")
        assert app.clipboard.splitlines()[0].startswith("Quantity\tValue") and days in app.clipboard
        assert len(app.clipboard.splitlines()) == len(table.rows) + 1


async def test_a_terminal_below_80x24_is_told_so():
    app = WhatifApp()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        notice = app.query_one("#too-small", Static)
        assert notice.display and "60x20" in str(notice.render()) and "80x24" in str(notice.render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not notice.display


async def test_a_default_choice_too_long_for_its_field_shows_the_value_whole():
    app = WhatifApp(shipped_presets_dir() / "article-gpt4.toml")  # sets no region
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        region = app.query_one("#f-facility-region", ChoiceField)
        assert region.value is None and region.prompt == "us-average (default)"
        assert region.render().plain.split() == ["us-average", "▼"]
    app = WhatifApp(shipped_presets_dir() / "article-gpt4.toml")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert app.query_one("#f-facility-region", ChoiceField).render().plain.split() == [
            "us-average", "(default)", "▼"]
