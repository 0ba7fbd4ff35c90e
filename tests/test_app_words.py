"""Pilot tests: what a person reads on screen is in words, never an internal key
(`workload.params_b`, `training_days`, a warning's code): issue 13 item 6."""

from __future__ import annotations

import re

from textual.widgets import Input, OptionList, Select, Static

from tests.helpers import screen_text
from whatif.engine.inputs import BY_KEY
from whatif.tui.app import WhatifApp
from whatif.tui.screens.choice_picker import ChoicePicker
from whatif.tui.screens.goal_seek import GoalSeekScreen
from whatif.tui.widgets.fields import MoreFields
from whatif.tui.words import field_tooltip, in_words

KEY = re.compile(r"\b(?:workload|cluster|facility|economics|money)\.[a-z_]+")
NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")   # training_days, grid_g_per_kwh


def test_engine_messages_read_in_words():
    assert in_words("cluster.count = 2,848: the smallest whole chip count in 1..1e+07 with "
                    "training_days <= 30.0 days") == ("Chips = 2,848: the smallest whole chip count between 1 "
                                                      "and 10,000,000 with training time <= 30.0 days")
    assert in_words("power needs facility.it_kw_per_chip") == "power needs IT power per chip"
    assert in_words("tp 8 x pp 16 · ZeRO-1") == "tp 8 x pp 16 · ZeRO-1"        # nothing to put in words
    # The missing-price warning read "set rent": the label says what to set.
    assert in_words("no rental price published; set economics.rent_usd_per_chip_hour") == \
        "no rental price published; set rent per chip-hour"


def test_a_number_fields_tooltip_says_what_it_holds_in_words():
    assert field_tooltip(BY_KEY["cluster.count"]) == (
        "Chips: number of accelerators. A whole number, 1 to 100,000,000 chips. Needed: it has no default. "
        "Type 16k for 16,384, 2e4, 32,768.")
    assert field_tooltip(BY_KEY["cluster.mfu"]).startswith("MFU: steady-state model FLOPs utilisation")
    assert "Allowed: more than 0 % and at most 100 %. Empty (ctrl+u): the default shown in grey." \
        in field_tooltip(BY_KEY["cluster.mfu"])
    assert "Used only when owning" in field_tooltip(BY_KEY["economics.chip_capex_usd"])


async def test_no_tooltip_placeholder_or_text_on_the_main_screen_shows_a_key():
    app = WhatifApp()
    async with app.run_test(size=(160, 48)) as pilot:
        for section in app.query(MoreFields):
            await section.expand()
        await pilot.pause()
        fields = list(app.query(Input))
        assert len(fields) > 30
        for field in fields:
            for text in (str(field.tooltip or ""), field.placeholder):
                assert not KEY.search(text) and not NAME.search(text), (field.id, text)
        params = app.query_one(f"#{BY_KEY['workload.params_b'].widget_id}", Input)
        assert str(params.tooltip).startswith("Parameters: total parameters, billions")
        text = screen_text(app, width=160)
        assert not KEY.search(text), KEY.search(text)
        assert "eu-ai-act" not in text and "presumed systemic risk" in text   # the warning, not its code


async def test_goal_seek_speaks_in_labels():
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, GoalSeekScreen)
        answer = str(app.screen.query_one("#goal-answer", Static).content)
        assert answer.startswith("Chips = ") and "training time <=" in answer
        assert not KEY.search(answer) and "training_days" not in answer and ".." not in answer
        outputs = [str(label) for label, _ in app.screen.query_one("#goal-output", Select)._options]
        assert "Training time (days)" in outputs and not any(NAME.search(o) for o in outputs)
        await pilot.press("ctrl+u", *"cap")                       # the default preset has no power cap
        await pilot.pause()
        answer = str(app.screen.query_one("#goal-answer", Static).content)
        assert "needs a power cap" in answer and not KEY.search(answer)


async def test_region_picker_says_which_figure_is_a_proxy_on_one_line_each():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(f"#{BY_KEY['facility.region'].widget_id}")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ChoicePicker)
        options = picker.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        texas = next(label for label in labels if label.startswith("us-texas"))
        assert texas.endswith("(carbon is a proxy)") and "$66/MWh" in texas
        assert not any("grid_g_per_kwh" in label or "usd_per_mwh" in label for label in labels)
        assert options.content_size.width >= max(map(len, labels))     # no entry wraps at 80x24


async def test_cooling_picker_shows_each_types_pue():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(f"#{BY_KEY['facility.cooling'].widget_id}")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        liquid = next(label for label in labels if label.startswith("direct-liquid"))
        assert "PUE 1.15" in liquid and "kW/rack" in liquid


async def test_help_says_what_each_key_does_not_only_its_name():
    app = WhatifApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        assert "Baseline: pin the current result as baseline" in text
        assert "ctrl+y / ctrl+shift+z" in text


async def test_the_status_line_stays_one_line_at_80_columns_with_a_long_chip_name():
    app = WhatifApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.set_input_values({"cluster.chip": "b200", "facility.cooling": "direct-liquid",
                              "facility.region": "us-texas", "cluster.count": 2848})
        await pilot.pause()
        await pilot.pause()
        status = app.query_one("#status", Static)
        assert str(status.render()).startswith("2,848 x NVIDIA B200 · bf16 · direct-liquid · us-texas")
        assert "HGX" not in str(status.render()) and status.size.height == 1


async def test_a_long_name_gives_way_in_the_title_bar_not_the_modified_mark():
    from whatif.engine.presets import shipped_presets_dir
    from whatif.tui.widgets.titlebar import TitleBar

    app = WhatifApp(shipped_presets_dir() / "article-llama31-405b-paper-flops.toml")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#f-cluster-count")
        await pilot.press(*"8192")
        await pilot.pause()
        line = app.query_one(TitleBar).render_line(0).text
        assert line.rstrip().endswith("— article-llama31-405b-paper-flops.toml ● modified")
        assert line.lstrip().startswith("Article: Llama 3.1") and "…" in line


def test_a_figure_the_catalog_lacks_reads_none_published_not_an_estimate():
    """V100 has no published price: its rent hint read 'n/a (estimate)'."""
    from whatif.engine.evaluate import evaluate
    from whatif.engine.presets import load_preset
    from whatif.tui.widgets.fields import FIELDS, hint

    from pathlib import Path

    result = evaluate(load_preset(Path(__file__).parents[1] / "presets" / "published-gpt3-175b.toml"))
    assert hint(FIELDS["economics.rent_usd_per_chip_hour"], result) == "none published"
    assert hint(FIELDS["facility.power_cap_mw"], result) == "none"
