"""Calibration against published runs (tests/data/published_runs.toml, copied with sources)."""

from __future__ import annotations

import statistics

import pytest

from bench.calibration import errors, load_runs

ROWS = {row["id"]: row for row in errors(load_runs())}


@pytest.mark.parametrize("run_id", sorted(ROWS))
def test_accelerator_hours_within_2_percent_with_published_utilisation(run_id):
    assert abs(ROWS[run_id]["fitted_hours_error"]) < 0.02


@pytest.mark.parametrize("run_id", ["gpt3-175b", "bloom-176b"])
def test_energy_within_3_percent_with_published_facility(run_id):
    assert abs(ROWS[run_id]["fitted_energy_error"]) < 0.03


def test_defaults_median_error_within_25_percent():
    median = statistics.median(abs(r["default_hours_error"]) for r in ROWS.values())
    assert median < 0.25


def test_defaults_error_per_run_is_reported(capsys):
    from bench.calibration import main
    main()
    printed = capsys.readouterr().out
    assert all(run_id in printed for run_id in ROWS) and "median |error|" in printed
