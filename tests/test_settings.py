"""The user's config file: paths, validation, catalog entries explained with their file,
the theme line written in place, `whatif config` and the default preset."""

from __future__ import annotations

import json
import os
import stat

import pytest

from whatif.cli.main import main as cli_main
from whatif.engine import paths, settings, user
from whatif.engine.catalog import load_catalog, shipped_catalog
from whatif.engine.errors import WhatifError
from whatif.engine.evaluate import evaluate
from whatif.engine.explain import explain
from whatif.engine.presets import default_preset_path, shipped_presets_dir, user_presets_dir
from tests.helpers import make_scenario


def term(result, output, name):
    return {t.name: t for t in explain(result, output).terms}[name]


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write the config file that WHATIF_CONFIG points to."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("WHATIF_CONFIG", str(path))

    def write(text: str):
        path.write_text(text, encoding="utf-8")
        return path
    return write


# ------------------------------------------------------------------ paths

def test_paths_follow_xdg_and_the_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "st"))
    monkeypatch.delenv("WHATIF_USER_PRESETS")
    assert paths.config_path() == tmp_path / "cfg" / "whatif" / "config.toml"
    assert paths.user_chips_path() == tmp_path / "cfg" / "whatif" / "chips.toml"
    assert user_presets_dir() == tmp_path / "cfg" / "whatif" / "presets"
    assert paths.state_dir() == tmp_path / "st" / "whatif"
    monkeypatch.setenv("WHATIF_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert paths.config_path() == tmp_path / "elsewhere.toml"


def test_host_key_path_is_the_ssh_servers_default():
    from whatif.serve.ssh.server import default_host_key_path

    assert paths.host_key_path() == default_host_key_path()


# ------------------------------------------------------- origins of user values

def test_config_chip_override_is_explained_with_the_config_file(config):
    path = config('theme = "nord"\n\n[chips.h100]\nrent_usd_per_chip_hour = 1.9\n')
    r = evaluate(make_scenario())
    rent = term(r, "rent_cost_usd", "rent_usd_per_chip_hour")
    assert rent.value == 1.9
    assert rent.origin.kind == "user"
    assert rent.origin.source == f"{path} [chips.h100] rent_usd_per_chip_hour"
    # the fields the user did not set keep the shipped catalog and its source
    peak = term(r, "peak_pflops", "peak_tflops")
    assert peak.value == 989.4 and peak.origin.kind == "catalog" and "NVIDIA" in peak.origin.source


def test_old_chips_file_is_still_read_and_named(tmp_path, monkeypatch):
    path = tmp_path / "chips.toml"
    path.write_text('[chips.h100]\nrent_usd_per_chip_hour = 1.5\nrent_basis = "our contract, 2025"\n')
    monkeypatch.setenv("WHATIF_CHIPS", str(path))
    rent = term(evaluate(make_scenario()), "rent_cost_usd", "rent_usd_per_chip_hour")
    assert rent.value == 1.5 and rent.origin.kind == "user"
    assert rent.origin.source == f"{path} [chips.h100] rent_usd_per_chip_hour: our contract, 2025"


def test_config_toml_is_merged_after_chips_toml_field_by_field(tmp_path, monkeypatch, config):
    chips = tmp_path / "chips.toml"
    chips.write_text("[chips.h100]\nrent_usd_per_chip_hour = 1.5\ncapex_usd = 20000.0\n")
    monkeypatch.setenv("WHATIF_CHIPS", str(chips))
    cfg = config("[chips.h100]\nrent_usd_per_chip_hour = 2.5\n")
    h100 = load_catalog().chip("h100")
    assert h100.rent_usd_per_chip_hour == 2.5 and h100.capex_usd == 20000
    assert h100.field_origins == {"rent_usd_per_chip_hour": str(cfg), "capex_usd": str(chips)}
    r = evaluate(make_scenario(economics={"mode": "own"}))
    assert term(r, "it_capex_usd", "chip_capex_usd").origin.source == f"{chips} [chips.h100] capex_usd"


def test_a_shipped_rent_estimate_becomes_the_users_figure(config):
    # the B200's shipped rent is an estimate from its price; the user's rent is their own
    path = config("[chips.b200]\nrent_usd_per_chip_hour = 3.1\n")
    rent = term(evaluate(make_scenario(cluster={"chip": "b200"})), "rent_cost_usd", "rent_usd_per_chip_hour")
    assert (rent.value, rent.origin.kind) == (3.1, "user")
    assert str(path) in rent.origin.source


def test_user_region_and_cooling_are_explained_with_the_file(config):
    path = config('[regions.ireland]\ngrid_g_per_kwh = 120.0\n\n[cooling.air]\npue = 1.25\n\n'
                  '[regions.my-site]\nname = "Our site"\nusd_per_mwh = 40.0\ngrid_g_per_kwh = 30.0\n'
                  'sources = "our PPA"\n')
    r = evaluate(make_scenario(facility={"region": "ireland"}))
    grid = term(r, "co2_t", "grid_g_per_kwh")
    assert (grid.value, grid.origin.kind) == (120, "user")
    assert grid.origin.source == f"{path} [regions.ireland] grid_g_per_kwh"
    price = term(r, "energy_cost_usd", "electricity_usd_per_mwh")  # not overridden: shipped EUR price
    assert price.origin.kind == "catalog" and price.value == pytest.approx(277.0944)
    pue = term(r, "facility_mw", "pue")
    assert (pue.value, pue.origin.kind, pue.origin.source) == (1.25, "user", f"{path} [cooling.air] pue")
    assert term(r, "water_m3", "wue_l_per_kwh").origin.kind == "catalog"
    mine = evaluate(make_scenario(facility={"region": "my-site"}))
    price = term(mine, "energy_cost_usd", "electricity_usd_per_mwh")
    assert (price.value, price.origin.source) == (40, f"{path} [regions.my-site] usd_per_mwh")
    # a value set in the scenario still wins over the user's catalog
    own = evaluate(make_scenario(facility={"region": "ireland", "grid_g_per_kwh": 50.0}))
    assert term(own, "co2_t", "grid_g_per_kwh").origin.kind == "input"


def test_new_user_chip_estimates_stay_estimates_and_name_the_file(config):
    path = config('[chips.mychip]\nname = "My chip"\ndense_tflops = { bf16 = 500.0 }\ntdp_w = 500.0\n')
    r = evaluate(make_scenario(cluster={"chip": "mychip"}))
    peak = term(r, "peak_pflops", "peak_tflops")
    assert (peak.value, peak.origin.kind) == (500, "user")
    assert peak.origin.source == f"{path} [chips.mychip] dense_tflops.bf16"
    kw = term(r, "it_mw", "it_kw_per_chip")
    assert kw.value == pytest.approx(0.8) and kw.origin.kind == "estimate"
    assert f"{path} [chips.mychip] tdp_w" in kw.origin.source and "server overhead" in kw.origin.source


def test_inline_preset_chip_is_an_input_of_the_preset(config):
    config("[chips.h100]\nrent_usd_per_chip_hour = 1.9\n")
    s = make_scenario().model_copy(update={"chips": {"h100": {"rent_usd_per_chip_hour": 1.2}}})
    r = evaluate(s)
    rent = term(r, "rent_cost_usd", "rent_usd_per_chip_hour")
    assert (rent.value, rent.origin.kind) == (1.2, "input")
    assert rent.origin.source == "preset [chips.h100] rent_usd_per_chip_hour"


def test_shipped_entries_carry_no_user_origins():
    cat = shipped_catalog()
    assert not any(e.field_origins for t in (cat.chips, cat.cooling, cat.regions) for e in t.values())


def test_explain_output_shows_the_user_kind_and_file(config, capsys):
    path = config("[chips.h100]\nrent_usd_per_chip_hour = 1.9\n")
    assert cli_main(["eval", str(shipped_presets_dir() / "default.toml"), "--explain", "rent_cost_usd"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "USD/chip-h" in ln and "[" in ln)
    assert line.endswith(f"1.90 USD/chip-h  [user] {path} [chips.h100] rent_usd_per_chip_hour")


# ------------------------------------------------------------- bad files

@pytest.mark.parametrize("text, message", [
    ("theme = 3\n", "theme: expected text, got 3"),
    ('them = "nord"\n', "them: unknown key (did you mean 'theme'?); allowed: chips, cooling, default_preset, "
                        "keymap, regions, theme"),
    ('[keymap]\n"preset.save" = 3\n', "keymap.preset.save: expected text, got 3"),
    ("keymap = 3\n", "keymap: expected a table, got 3"),
    ("[chips.h100]\nrent_usd_per_chip_hour = -1.0\n", "chips.h100.rent_usd_per_chip_hour: -1.0 is out of range; "
                                                      "must be at least 0"),
    ("[chips.h100]\nrent_usd_per_chiphour = 1.0\n", "chips.h100.rent_usd_per_chiphour: unknown key (did you mean "
                                                  "'rent_usd_per_chip_hour'?); allowed: capex_basis"),
    ("[cooling.air]\npue = 0.5\n", "cooling.air.pue: 0.5 is out of range; must be at least 1"),
    ("[regions.x]\nname = 'X'\n", "regions.x: a new region needs grid_g_per_kwh, sources (missing)"),
    ("theme = \n", "not valid TOML"),
])
def test_bad_config_names_file_key_and_what_is_allowed(config, text, message):
    path = config(text)
    with pytest.raises(WhatifError) as err:
        user.read_settings()
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_bad_config_fails_cli_commands_with_one_line_and_exit_2(config, capsys):
    path = config("theme = 3\n")
    assert cli_main(["eval", str(shipped_presets_dir() / "default.toml")]) == 2
    err = capsys.readouterr().err
    assert err == f"whatif: {path}: theme: expected text, got 3\n"
    assert cli_main(["config"]) == 2


def test_bad_config_at_app_start_gives_defaults_and_the_problem(config):
    path = config('theme = "nord"\ndefault_preset = "article-gpt4"\n[chips.h100]\nrent_usd_per_chip_hour = "x"\n')
    s = user.load_settings()
    assert s.problem == f"{path}: chips.h100.rent_usd_per_chip_hour: expected a number, got 'x'"
    assert s.theme is None and s.keymap == {} and s.default_preset_path is None
    assert s.catalog is shipped_catalog()
    assert default_preset_path() == shipped_presets_dir() / "default.toml"


def test_good_config_gives_theme_keymap_and_catalog(config):
    path = config('theme = "nord"\n[keymap]\n"preset.save" = "ctrl+w"\n"app.quit" = "ctrl+q,f10"\n'
                  '[chips.h100]\nrent_usd_per_chip_hour = 1.9\n')
    s = user.load_settings()
    assert s.problem is None and s.path == path and s.exists
    assert s.theme == "nord" and s.keymap == {"preset.save": "ctrl+w", "app.quit": "ctrl+q,f10"}
    assert s.catalog.chip("h100").rent_usd_per_chip_hour == 1.9


def test_no_config_file_is_the_defaults():
    s = user.load_settings()
    assert s.problem is None and not s.exists and s.theme is None and s.keymap == {}
    assert s.catalog is shipped_catalog()


def test_edited_config_is_read_again(config):
    path = config('theme = "nord"\n')
    assert user.load_settings().theme == "nord"
    path.write_text('theme = "dracula"\n')
    os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock
    assert user.load_settings().theme == "dracula"


# ---------------------------------------------------------- default preset

def test_default_preset_by_name_path_or_relative_path(config, tmp_path):
    config('default_preset = "article-gpt4"\n')
    assert default_preset_path() == shipped_presets_dir() / "article-gpt4.toml"
    mine = tmp_path / "mine" / "x.toml"
    mine.parent.mkdir()
    mine.write_text((shipped_presets_dir() / "default.toml").read_text())
    config('default_preset = "mine/x.toml"\n')  # relative to the config file's folder
    assert default_preset_path() == mine
    config(f'default_preset = "{mine}"\n')
    assert default_preset_path() == mine
    user = user_presets_dir()
    user.mkdir(parents=True)
    (user / "ours.toml").write_text(mine.read_text())
    config('default_preset = "ours"\n')
    assert default_preset_path() == user / "ours.toml"


def test_default_preset_that_names_nothing(config):
    path = config('default_preset = "article-gpt5"\n')
    assert default_preset_path() == shipped_presets_dir() / "default.toml"
    with pytest.raises(WhatifError) as err:
        user.read_settings()
    assert str(err.value).startswith(f"{path}: default_preset: no preset file")
    assert "(did you mean 'article-gpt4'?)" in str(err.value)


# ------------------------------------------------------------- save_theme

def test_save_theme_replaces_only_the_theme_value(config):
    text = ('# my whatif settings\ntheme = "nord"  # dark\ndefault_preset = "article-gpt4"\n\n'
            '# our contract\n[chips.h100]\nrent_usd_per_chip_hour = 1.9\n')
    path = config(text)
    os.chmod(path, 0o640)
    settings.save_theme("dracula")
    assert path.read_text() == text.replace('"nord"', '"dracula"')
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert user.load_settings().theme == "dracula"


def test_save_theme_inserts_before_the_first_table_and_its_comments(config):
    path = config('default_preset = "article-gpt4"\n\n# our contract\n[chips.h100]\nrent_usd_per_chip_hour = 1.9')
    settings.save_theme("textual-light")
    assert path.read_text() == ('default_preset = "article-gpt4"\n\ntheme = "textual-light"\n\n'
                                '# our contract\n[chips.h100]\nrent_usd_per_chip_hour = 1.9')
    path.write_text("# header\n[keymap]\n")
    settings.save_theme('a "quoted" name')
    assert path.read_text() == '# header\ntheme = "a \\"quoted\\" name"\n\n[keymap]\n'
    assert settings.read_config().theme == 'a "quoted" name'


def test_save_theme_creates_the_file_and_folders(tmp_path, monkeypatch):
    path = tmp_path / "new" / "folder" / "config.toml"
    monkeypatch.setenv("WHATIF_CONFIG", str(path))
    assert settings.save_theme("nord") == path
    assert path.read_text() == 'theme = "nord"\n'
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_save_theme_writes_through_a_symlink(tmp_path, monkeypatch):
    real = tmp_path / "dotfiles" / "whatif.toml"
    real.parent.mkdir()
    real.write_text("[keymap]\n")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    monkeypatch.setenv("WHATIF_CONFIG", str(link))
    settings.save_theme("nord")
    assert link.is_symlink() and real.read_text() == 'theme = "nord"\n\n[keymap]\n'


def test_save_theme_leaves_a_broken_file_alone(config):
    path = config("theme = \n[chips\n")
    with pytest.raises(WhatifError, match="not valid TOML"):
        settings.save_theme("nord")
    assert path.read_text() == "theme = \n[chips\n"


# ---------------------------------------------------------------- whatif config

def test_config_command_json(config, tmp_path, monkeypatch, capsys):
    path = config('theme = "nord"\ndefault_preset = "article-gpt4"\n[keymap]\n"preset.save" = "ctrl+w"\n'
                  '[chips.h100]\nrent_usd_per_chip_hour = 1.9\n[cooling.my-loop]\nname = "Our loop"\npue = 1.1\n'
                  'max_rack_kw = 130.0\nwue_l_per_kwh = 0.2\nbuild_factor = 1.2\nfan_share = 0.1\nsources = "ours"\n')
    assert cli_main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["paths"]["config"] == {"path": str(path), "exists": True}
    assert data["paths"]["chips"]["exists"] is False
    assert data["paths"]["state"]["path"] == os.path.join(os.environ["XDG_STATE_HOME"], "whatif")
    assert data["settings"] == {"theme": "nord", "default_preset": "article-gpt4",
                                "default_preset_path": str(shipped_presets_dir() / "article-gpt4.toml"),
                                "keymap": {"preset.save": "ctrl+w"}}
    assert data["catalog"]["chips"] == {"h100": {"new": False, "fields": {"rent_usd_per_chip_hour": str(path)}}}
    assert data["catalog"]["cooling"]["my-loop"]["new"] is True
    assert set(data["catalog"]["cooling"]["my-loop"]["fields"]) == {
        "name", "pue", "max_rack_kw", "wue_l_per_kwh", "build_factor", "fan_share", "sources"}


def test_config_command_text(config, capsys):
    path = config('[chips.h100]\nrent_usd_per_chip_hour = 1.9\n')
    assert cli_main(["config"]) == 0
    out = capsys.readouterr().out
    assert f"config file          {path}\n" in out
    assert "theme                (the app default)" in out
    assert f"[chips.h100] rent_usd_per_chip_hour from {path}" in out


def test_users_default_cooling_for_a_chip_is_named(config):
    path = config('[chips.h100]\ndefault_cooling = "direct-liquid"\n')
    r = evaluate(make_scenario())
    assert r.resolved.cooling.key == "direct-liquid"
    assert r.resolved.origins["cooling"].kind == "user"
    assert r.resolved.origins["cooling"].source.endswith(f": {path} [chips.h100] default_cooling")
    chosen = evaluate(make_scenario(facility={"cooling": "air"}))
    assert chosen.resolved.origins["cooling"].kind == "input"
