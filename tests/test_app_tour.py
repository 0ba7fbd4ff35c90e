"""whatif.engine.tours: loading a tour folder (with or without tour.toml) and its error messages."""

from __future__ import annotations

import pytest

from whatif.engine.errors import WhatifError
from whatif.engine.tours import load_tour


def _presets(folder, *names):
    for name in names:
        (folder / name).write_text("schema = 1\n")


def test_tour_toml_gives_title_stops_and_notes_in_order(tmp_path):
    _presets(tmp_path, "b.toml", "a.toml")
    (tmp_path / "tour.toml").write_text(
        'title = "One GPU to a gigawatt"\n[[stop]]\npreset = "b.toml"\nnote = "look at MW"\n'
        '[[stop]]\npreset = "a.toml"\n')
    tour = load_tour(tmp_path)
    assert tour.title == "One GPU to a gigawatt"
    assert [s.path.name for s in tour.stops] == ["b.toml", "a.toml"]
    assert [s.note for s in tour.stops] == ["look at MW", ""]


def test_without_tour_toml_the_sorted_presets_are_the_stops(tmp_path):
    _presets(tmp_path, "02-big.toml", "01-small.toml")
    (tmp_path / "notes.txt").write_text("ignored")
    tour = load_tour(tmp_path)
    assert tour.title == tmp_path.name
    assert [s.path.name for s in tour.stops] == ["01-small.toml", "02-big.toml"]


@pytest.mark.parametrize("text, expected", [
    ('title = "t"\n', "needs at least one [[stop]]"),
    ('title = "t"\n[[stop]]\npreset = "missing.toml"\n', "preset 'missing.toml' not found"),
    ('titel = "t"\n', "did you mean 'title'"),
    ('[[stop]]\npreset = "a.toml"\nnotes = "x"\n', "unknown key 'notes' (did you mean 'note'?)"),
    ('title = \n', "not valid TOML"),
])
def test_bad_tour_files_say_file_key_and_what_is_allowed(tmp_path, text, expected):
    _presets(tmp_path, "a.toml")
    (tmp_path / "tour.toml").write_text(text)
    with pytest.raises(WhatifError) as info:
        load_tour(tmp_path)
    assert expected in str(info.value)
    assert "tour.toml" in str(info.value)


def test_missing_or_empty_folder_is_an_error(tmp_path):
    with pytest.raises(WhatifError, match="not a folder"):
        load_tour(tmp_path / "nope")
    with pytest.raises(WhatifError, match="no \\*.toml presets"):
        load_tour(tmp_path)


def test_shipped_tours_are_listed_and_a_folder_that_does_not_load_is_left_out(tmp_path, monkeypatch):
    from whatif.engine.tours import shipped_tours

    tours = shipped_tours()
    assert [t.folder.name for t in tours] == ["article"] and len(tours[0].stops) > 3
    (tmp_path / "tours" / "good").mkdir(parents=True)
    _presets(tmp_path / "tours" / "good", "a.toml")
    (tmp_path / "tours" / "empty").mkdir()
    monkeypatch.setenv("WHATIF_PRESETS", str(tmp_path))
    assert [t.title for t in shipped_tours()] == ["good"]
