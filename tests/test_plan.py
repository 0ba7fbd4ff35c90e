"""Planning a site (engine/analysis/plan.py, `whatif plan`): the best option reproduces with
`eval --set` and meets its constraints, wider constraints never make it worse, an
infeasible plan names what bites."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import run_cli as run
from whatif.engine.analysis.plan import Limit, limits_from, plan, prepare
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import load_preset

PRESET = "presets/default.toml"


pytestmark = pytest.mark.usefixtures("in_repo_root")  # presets/... paths as a user types them


@pytest.mark.parametrize("argv", [
    ("--power-cap-mw", "100", "--deadline-days", "90"),
    ("--power-cap-mw", "60", "--budget-usd", "1.2e8", "--minimise", "cost"),
    ("--deadline-days", "40", "--minimize", "co2", "--chips", "h100,b200,gb200,mi300x"),
    ("--power-cap-mw", "150", "--max-chips", "30000", "--cooling", "air,direct-liquid", "--minimise", "energy"),
    ("--power-cap-mw", "20", "--deadline-days", "200", "--chips", "h100,b200,mi300x", "--minimise", "cost",
     "--every-count"),
])
def test_top_option_reproduces_with_eval_set_and_meets_every_constraint(capsys, argv):
    code, out, _ = run(capsys, "plan", PRESET, *argv, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["every_count"] == ("--every-count" in argv)
    best = data["options"][0]
    sets = [f"--set={k}={v}" for k, v in best["set"].items()]
    code, out, _ = run(capsys, "eval", PRESET, *sets, "--json")
    assert code == 0
    got = json.loads(out)
    for key in ("training_days", "cost_usd", "facility_mw", "co2_t", "energy_mwh"):
        assert got[key] == pytest.approx(best[key], rel=1e-3), key
    for c in data["constraints"]:
        value = best["count"] if c["output"] == "count" else got[c["output"]]
        assert value <= c["target"] * (1 + 1e-12), c["name"]
    codes = {w["code"] for w in got["warnings"]}
    assert not codes & {"memory-fit", "rack-density", "power-cap"}


def test_each_chip_once_ranked_with_reasons_and_a_pareto_front():
    result = plan(load_preset(PRESET), limits_from(100, 90))
    chips = [o.chip for o in result.options]
    assert len(chips) == len(set(chips)) > 5
    days = [o.figures["training_days"] for o in result.options]
    assert days == sorted(days)
    assert "bf16" in result.excluded["rubin"]                 # lacks the preset's precision
    assert "power" in result.excluded["tpu-v5p"]               # no power figure for the cap
    assert all(o.why and o.binding for o in result.options)
    # The fastest option sits at the cap, or a server more would only add idle chips (a layout
    # uses whole tp x pp replicas): either way the binding is named.
    top = result.options[0]
    assert top.binding.startswith(("power cap", "near the power cap"))
    for o in result.options:   # the headroom named is the option's own, in chips where power binds
        if o.binding.startswith("near the power cap"):
            mw = o.figures["facility_mw"]
            assert f"{int(o.count * (100.0 / mw - 1.0)):,} more chips reach it" in o.binding
    assert top.figures["facility_mw"] > 95.0                   # it uses the power it is given
    # 10 % under the cap, TPU v5e is not held back by it (more chips would idle): "none".
    v5e = next(o for o in result.options if o.chip == "tpu-v5e")
    assert v5e.figures["facility_mw"] < 95.0 and v5e.binding.startswith("none: ")
    front = result.pareto
    assert front and all(a.figures["training_days"] <= b.figures["training_days"] and
                         a.figures["cost_usd"] > b.figures["cost_usd"] for a, b in zip(front, front[1:]))


def test_chips_without_a_price_are_excluded_when_cost_matters():
    result = plan(load_preset(PRESET), limits_from(100, budget_usd=2e8), "cost")
    assert "price" in result.excluded["tpu-v7"]
    assert result.best.figures["cost_usd"] <= 2e8


def test_infeasible_exits_1_and_names_the_binding_constraint(capsys):
    code, out, err = run(capsys, "plan", PRESET, "--power-cap-mw", "5", "--deadline-days", "30")
    assert code == 1
    assert "the deadline bites first" in err and "30.0 days" in err and "% over" in err
    code, out, err = run(capsys, "plan", PRESET, "--power-cap-mw", "5", "--deadline-days", "30", "--chips", "h100,b200",
                         "--every-count")
    assert code == 1 and "the deadline bites first" in err and "every whole-server count" in out
    code, out, err = run(capsys, "plan", PRESET, "--deadline-days", "20", "--budget-usd", "1e6", "--json")
    data = json.loads(out)
    assert code == 1 and not data["ok"] and data["binding"] == "budget" and "budget bites first" in data["message"]
    code, _, err = run(capsys, "plan", PRESET, "--max-chips", "8", "--chips", "gb200")
    assert code == 1 and "max chips limit bites first" in err and "72 chips against 8" in err
    code, _, err = run(capsys, "plan", PRESET, "--max-chips", "8")
    assert code == 1 and "memory bites first" in err and "-" not in err.split("need ")[1][:2]


def test_bad_input_exits_2(capsys):
    assert run(capsys, "plan", PRESET, "--chips", "h1000")[0] == 2
    assert run(capsys, "plan", PRESET, "--cooling", "ice")[0] == 2
    assert run(capsys, "plan", PRESET, "--available-by", "soon")[0] == 2
    assert run(capsys, "plan", PRESET, "--power-cap-mw", "-1")[0] == 2


def test_available_by_excludes_chips_not_shipping_yet():
    result = plan(load_preset(PRESET), limits_from(100), available_by="2023-01")
    chips = {o.chip for o in result.options}
    assert chips <= {"a100", "h100", "v100"} and "h100" in chips
    assert "not shipping by 2023-01" in result.excluded["b200"]
    assert "no sourced availability date" in result.excluded["tpu-v7"]


SEARCH_ACCURACY = 0.02   # how far a plan's best may be from the best of every count (brute force)
_SCENARIO = load_preset(PRESET)
_CHIPS = ("h100", "b200", "gaudi3", "gb200")
_PREPARED = {}
_EVERY_COUNT_MAX_CHIPS = 65_536   # every count of 16 rows: ~100,000 options, ~30-70 ms a plan


def _best(limits, objective, **options):
    key = (objective, tuple(sorted({l.output for l in limits})))
    if key not in _PREPARED:
        _PREPARED[key] = prepare(_SCENARIO, chips=_CHIPS, objective=objective, limits=limits)
    result = plan(_SCENARIO, limits, objective, prepared=_PREPARED[key], **options)
    return result.best.figures[result.objective] if result.ok else float("inf")


_LIMITS = dict(cap=st.floats(1, 400), days=st.floats(5, 400), budget=st.floats(5e6, 1e9),
               widen=st.tuples(st.floats(1, 3), st.floats(1, 3), st.floats(1, 3)),
               objective=st.sampled_from(["training_days", "cost_usd", "co2_t", "facility_mw"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_LIMITS)
@example(cap=6.0, days=144.0, budget=34166870.0, widen=(1.0, 1.03125, 1.0), objective="co2_t")
def test_widening_a_constraint_never_makes_the_every_count_best_worse(cap, days, budget, widen, objective):
    """Searching every whole-server count, the best under wider limits is never
    worse, not by any margin: its options are a superset. Up to 65,536 chips, which the
    deadlines and budgets drawn here bind within (caps above ~100 MW no longer do)."""
    narrow = limits_from(cap, days, budget)
    wide = [Limit(l.name, l.output, l.op, l.target * w) for l, w in zip(narrow, widen)]
    options = {"every_count": True, "max_chips": _EVERY_COUNT_MAX_CHIPS}
    assert _best(wide, objective, **options) <= _best(narrow, objective, **options)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_LIMITS)
@example(cap=6.0, days=144.0, budget=34166870.0, widen=(1.0, 1.03125, 1.0), objective="co2_t")
def test_widening_a_constraint_never_makes_the_grid_best_worse_beyond_its_accuracy(cap, days, budget, widen,
                                                                                   objective):
    """The default search, a grid zoomed on each row's best grid point, is never worse
    beyond SEARCH_ACCURACY (what brute force holds it to below): a wider limit that moves
    that point can miss a narrower plan's option. Hypothesis found one: least CO2 under
    6 MW, $34M and 144 days takes 2,880 GB200 at 5,320 t; with 148.5 days the zoom centres
    on fewer chips and finds 5,334 t (0.25 % worse; e603532's search did the same), where
    the every-count search keeps 2,880 at 5,320 t. None in 282 random pairs."""
    narrow = limits_from(cap, days, budget)
    wide = [Limit(l.name, l.output, l.op, l.target * w) for l, w in zip(narrow, widen)]
    assert _best(wide, objective) <= _best(narrow, objective) * (1 + SEARCH_ACCURACY)


def test_the_exhaustive_search_keeps_the_option_the_grid_misses_after_widening():
    """The example above, by value: the grid's 0.25 % miss, and the every-count best the same
    under both deadlines."""
    narrow = limits_from(6, 144, 34166870)
    wide = limits_from(6, 148.5, 34166870)
    grid = [plan(_SCENARIO, limits, "co2", chips=_CHIPS).best for limits in (narrow, wide)]
    assert [o.count for o in grid] == [2880, 2664]
    assert grid[1].figures["co2_t"] / grid[0].figures["co2_t"] == pytest.approx(1.0026, abs=5e-4)
    every = [plan(_SCENARIO, limits, "co2", chips=_CHIPS, every_count=True) for limits in (narrow, wide)]
    assert [(r.best.chip, r.best.count) for r in every] == [("gb200", 2880)] * 2
    assert every[1].best.figures == every[0].best.figures and every[0].every_count
    assert every[0].best.figures["co2_t"] == pytest.approx(grid[0].figures["co2_t"], rel=1e-12)
    # A larger cluster allowed is a wider limit too.
    days = [plan(_SCENARIO, limits_from(100, 90), chips=_CHIPS, max_chips=n, every_count=True).best
            for n in (20_000, 40_000)]
    assert days[1].figures["training_days"] < days[0].figures["training_days"]
    assert days[0].count <= 20_000 < days[1].count


def test_fixed_count_chooses_among_chips_only():
    s = load_preset(PRESET)
    result = plan(s, [Limit("deadline", "training_days", "<=", 60)], "cost", count_free=False,
                  coolings=[s.facility.cooling])
    assert result.ok and all(o.count == s.cluster.count for o in result.options)
    assert all(o.figures["training_days"] <= 60 for o in result.options)


def test_solve_chooses_the_cheapest_chip_for_60_days_under_150_mw(capsys):
    code, out, _ = run(capsys, "solve", PRESET, "--for", "cluster.chip", "--target", "training_days<=60",
                       "--target", "facility_mw<=150", "--minimise", "cost", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and set(data["value"]) >= {"cluster.chip", "cluster.count"}
    best = data["options"][0]
    assert best["count"] == 16384 and best["training_days"] <= 60 and best["facility_mw"] <= 150
    costs = [o["cost_usd"] for o in data["options"]]
    assert costs == sorted(costs)
    code, out, _ = run(capsys, "solve", PRESET, "--for", "cluster.chip,facility.cooling,cluster.count",
                       "--target", "training_days<=60")
    assert code == 0 and out.startswith("cluster.chip = ") and "cluster.count = " in out
    code, _, err = run(capsys, "solve", PRESET, "--for", "facility.cooling", "--target", "training_days<=5")
    assert code == 1 and "no cooling type meets" in err and "bites first" in err
    assert run(capsys, "solve", PRESET, "--for", "cluster.chip", "--target", "training_days=60")[0] == 2
    assert run(capsys, "solve", PRESET, "--for", "cluster.count", "--target", "training_days=60",
               "--target", "facility_mw<=9")[0] == 2


def test_solve_across_chips_and_counts_can_search_every_count(capsys):
    argv = ("solve", PRESET, "--for", "cluster.chip,cluster.count", "--target", "training_days<=60",
            "--target", "facility_mw<=20", "--json")
    grid = json.loads(run(capsys, *argv)[1])
    code, out, _ = run(capsys, *argv, "--every-count")
    exact = json.loads(out)
    assert code == 0 and exact["every_count"] and not grid["every_count"]
    assert exact["options"][0]["cost_usd"] <= grid["options"][0]["cost_usd"]
    assert exact["options"][0]["training_days"] <= 60 and exact["options"][0]["facility_mw"] <= 20
    code, _, err = run(capsys, "solve", PRESET, "--for", "cluster.chip", "--target", "training_days<=60",
                       "--every-count")
    assert code == 2 and "needs cluster.count among --for" in err
    code, _, err = run(capsys, "solve", PRESET, "--for", "cluster.count", "--target", "training_days=60",
                       "--every-count")
    assert code == 2 and "exact already" in err


def test_chip_and_cooling_bound_inputs_of_the_preset_do_not_carry_to_other_chips():
    # GPT-3 on V100: the preset sets PUE 1.1 and 0.33 kW per chip for its own hardware.
    s = load_preset("presets/published-gpt3-175b.toml")
    result = plan(s, limits_from(50), chips=[s.cluster.chip, "h100"], coolings=["direct-liquid"])
    other = next(o for o in result.options if o.chip == "h100")
    assert other.values["facility.it_kw_per_chip"] is None and other.values["facility.pue"] is None
    again = evaluate(s.with_values(other.values))
    assert again.values["training_days"] == pytest.approx(other.figures["training_days"], rel=1e-9)
    assert again.values["facility_mw"] == pytest.approx(other.figures["facility_mw"], rel=1e-9)


@pytest.mark.parametrize("preset", ["presets/published-gpt3-175b.toml", "presets/chips-article-gaudi4.toml"])
def test_each_row_resolves_as_the_scenario_with_its_chip_and_cooling(preset):
    """prepare resolves the scenario's own inputs once for every row: each row is what
    resolve gives for the scenario with the row's chip and cooling set and its chip- or
    cooling-bound inputs dropped, value by value, origin by origin, in the same order
    (GPT-3 sets its V100's PUE and power; the Gaudi 4 article brings an inline chip)."""
    from whatif.engine.analysis.plan import dropped_inputs
    from whatif.engine.resolve import resolve

    scenario = load_preset(preset)
    prepared = prepare(scenario)
    assert len(prepared.rows) > 20
    for row in prepared.rows:
        changed = {"cluster.chip": row.chip, "facility.cooling": row.cooling_set,
                   **dropped_inputs(scenario, row.chip, row.cooling_set, prepared.home_cooling)}
        want, got = resolve(scenario.with_values(changed)), row.resolved
        assert list(got.values) == list(want.values)
        assert [v if v == v else "nan" for v in got.values.values()] == \
            [v if v == v else "nan" for v in want.values.values()], row
        assert list(got.origins.items()) == list(want.origins.items()), row
        assert (got.chip, got.cooling, got.region, got.mode) == (want.chip, want.cooling, want.region, want.mode)


def test_the_presets_own_and_the_users_chips_are_planned_too(tmp_path, monkeypatch):
    s = load_preset("presets/chips-article-gaudi4.toml")           # inline [chips.article-gaudi4], fp8
    result = plan(s, limits_from(100))
    assert "article-gaudi4" in {o.chip for o in result.options} | set(result.excluded)
    from whatif.engine import paths

    config = paths.config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[chips.my-chip]\nname = "My chip"\nhbm_gb = 96.0\nit_kw_per_chip = 1.0\n'
                      'rent_usd_per_chip_hour = 1.0\n[chips.my-chip.dense_tflops]\nbf16 = 800.0\n')
    result = plan(load_preset(PRESET), limits_from(100, 90))
    assert "my-chip" in {o.chip for o in result.options}


@pytest.mark.parametrize("preset, limits, objective, options", [
    (PRESET, limits_from(100, 90), "days", {}),
    ("presets/cluster-100k-b200-liquid.toml", limits_from(60, None, 1.5e8), "cost", {}),
    ("presets/article-deepseek-v3.toml", [], "co2", {"max_chips": 50_000, "coolings": ["air", "direct-liquid"]}),
])
def test_the_plan_is_the_same_through_the_exhaustive_layout_search(preset, limits, objective, options):
    """The plan's layouts come from the bounded search (engine/step.py _bounded); through the
    exhaustive reference search the best options, the front, the binding constraints and
    every figure are the very same."""
    from whatif.engine.step import exhaustive_search, forget

    scenario = load_preset(preset)
    forget()
    fast = plan(scenario, limits, objective, **options)
    with exhaustive_search():
        reference = plan(scenario, limits, objective, **options)
    assert fast.ok and fast.pareto
    assert fast.as_dict() == reference.as_dict()


@pytest.mark.parametrize("preset, limits, objective", [
    (PRESET, limits_from(100, 90), "days"),
    (PRESET, limits_from(50, 30, 2e8), "co2"),
    (PRESET, limits_from(None, 60), "facility_mw"),
    (PRESET, limits_from(1, 1), "days"),            # nothing feasible: the diagnosis too
    ("presets/article-deepseek-v3.toml", limits_from(30, None, 5e8), "cost"),
])
def test_the_screened_plan_is_the_plan_of_every_option(monkeypatch, preset, limits, objective):
    """The plan skips options whose optimistic figures break a limit and counts a row
    repeats (_batch's screen); computing every option instead gives the very same plan:
    options, front, reasons, binding constraints and the diagnosis."""
    import whatif.engine.analysis.plan as planning

    scenario = load_preset(preset)
    screened = plan(scenario, limits, objective)
    every = planning._batch
    monkeypatch.setattr(planning, "_batch", lambda *a, **k: every(*a, **{**k, "screen": False}))
    assert plan(scenario, limits, objective).as_dict() == screened.as_dict()
    assert screened.ok == (limits[0].target > 1) and (screened.ok or "bites first" in screened.message)


def test_rows_inputs_become_columns_and_shared_ones_floats():
    """prepare's columns: an input every row shares is a float (NaN included), one that
    varies a (rows, 1) column; rows whose inputs come in another order give the same."""
    from types import SimpleNamespace

    from whatif.engine.analysis.plan import _columns

    nan = float("nan")
    rows = [SimpleNamespace(values={"pue": 1.1, "rent": nan, "count": 8.0, "price": nan}),
            SimpleNamespace(values={"pue": 1.4, "rent": nan, "count": 8.0, "price": 2.0})]
    out = _columns(rows)
    assert out["count"] == 8.0 and isinstance(out["count"], float)
    assert isinstance(out["rent"], float) and out["rent"] != out["rent"]
    assert out["pue"].shape == (2, 1) and out["pue"][:, 0].tolist() == [1.1, 1.4]
    assert out["price"][1, 0] == 2.0 and out["price"][0, 0] != out["price"][0, 0]
    swapped = [rows[0], SimpleNamespace(values=dict(reversed(list(rows[1].values.items()))))]
    again = _columns(swapped)
    assert again["pue"][:, 0].tolist() == [1.1, 1.4] and again["count"] == 8.0


@pytest.mark.parametrize("limits, objective", [(limits_from(100, 90), "days"), (limits_from(30, None, 5e8), "cost")])
def test_each_chips_best_is_within_2_percent_of_every_count_searched(limits, objective):
    """The plan searches a geometric grid and zooms on it; searching every whole server up
    to the power cap (or a million chips) for a few chips, here by hand, finds options at
    most SEARCH_ACCURACY better (measured 2026-12-02 over the whole catalog: median 0, worst
    1.3 %), and the very options of the every-count plan."""
    import numpy as np

    from whatif.engine.analysis.plan import OBJECTIVES, _rows_of
    from whatif.engine.model import compute

    scenario = load_preset(PRESET)
    output = OBJECTIVES[objective]
    chips = ["h100", "b200", "mi300x"]
    prep = prepare(scenario, chips=chips, limits=limits, objective=output)
    result = plan(scenario, limits, objective, prepared=prep)
    exact = {o.chip: o for o in plan(scenario, limits, objective, prepared=prep, every_count=True).options}
    cap = next((l.target for l in limits if l.output == "facility_mw"), None)
    assert sorted(o.chip for o in result.options) == sorted(chips)
    for option in result.options:
        best = np.inf
        for i, row in enumerate(prep.rows):
            if row.chip != option.chip:
                continue
            x = {k: v[0, 0] if isinstance(v, np.ndarray) else v for k, v in _rows_of(prep.x, np.array([i])).items()}
            n = np.arange(1.0, 1_000_000 // row.unit + 1) * row.unit
            if cap is not None:
                n = n[n * compute({**x, "count": float(row.unit)})["facility_mw"] / row.unit <= cap * 1.0001]
                x["power_cap_mw"] = cap
            out = compute({**x, "count": n})
            ok = ~out["warn_memory"] & ~out["warn_rack_density"]
            for limit in limits:
                ok &= limit.ok(out[limit.output])
            best = min(best, float(np.where(ok, out[output], np.inf).min()))
        assert best <= option.figures[output] <= best * (1 + SEARCH_ACCURACY), option.chip
        assert exact[option.chip].figures[output] == pytest.approx(best, rel=1e-12), option.chip


def test_the_every_count_search_reports_its_progress_and_stops_when_told():
    from whatif.engine.analysis.plan import EVERY_COUNT_BATCH, SearchStopped

    shares = []
    result = plan(_SCENARIO, limits_from(20), chips=["h100"], every_count=True,
                  progress=lambda share: shares.append(share) or True)
    assert result.ok and result.every_count
    rows = len(prepare(_SCENARIO, chips=["h100"]).rows)
    assert len(shares) == -(-1_000_000 // 8 // (EVERY_COUNT_BATCH // rows)) and shares[0] == 0.0
    assert shares == sorted(shares) and shares[-1] < 1.0
    seen = []
    with pytest.raises(SearchStopped):
        plan(_SCENARIO, limits_from(20), chips=["h100"], every_count=True,
             progress=lambda share: seen.append(share) or len(seen) < 2)   # of 2 batches
    assert len(seen) == 2


def test_plan_every_count_keeps_a_progress_line_on_a_terminal_and_clears_it(capsys, monkeypatch):
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, "plan", PRESET, "--power-cap-mw", "20", "--chips", "h100", "--every-count")
    assert code == 0 and "every whole-server count" in out
    assert err.startswith("\rsearching every whole-server count: 0%") and err.endswith("\r\033[K")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)              # piped: nothing on stderr
    assert run(capsys, "plan", PRESET, "--power-cap-mw", "20", "--chips", "h100", "--every-count")[2] == ""
