"""Plan a site: the best chip, count and cooling under a power cap, a deadline and a budget.

The inverse of evaluation: the planner states limits ("100 MW, 90 days, $200M") and an
objective (fewest days, least cost, CO2, energy or MW) and asks which chip x cooling x
count gives the best run. Goal seek (engine.analysis.solve) moves one number; this chooses.

Method (all on the vectorised engine, engine.model.compute):
1. `prepare`: resolve the scenario for every chip x cooling ("rows": its own inputs once, over
   each one's catalog defaults, engine.resolve.resolve_choice); a chip that lacks the
   preset's precision, a price the objective or the budget needs, a power figure the cap
   needs, or an availability date (`available_by`) is excluded with the reason.
2. One batch over every row x a geometric grid of whole servers (or fixed racks) from one
   unit to `max_chips`; then, per row, small batches that zoom between the neighbours of
   that row's best feasible point down to single units (the optimum of a row lies between
   them: each constraint holds on one stretch of counts and the objectives are unimodal).
   Each batch first screens its options (engine.model.optimistic: power exactly, time,
   energy, CO2 and money at the step model's MFU ceiling, no layout search): one that
   breaks a limit even so, or repeats a count, is not computed. The feasible set, and so
   the plan, is the same; the layout searches are a fraction.
   The layouts make the objectives bumpy between servers, so the zoom can miss a row's
   optimum (at most ~1.3 % measured) and a wider limit can move it off a narrower plan's
   best. `every_count` walks every whole unit instead, in batches: the exact best, in seconds.
3. Feasible means: memory fits (warn_memory), the rack suits the cooling
   (warn_rack_density) and every limit holds. For each chip the best feasible option, the
   constraint that binds it (the one that stops it from getting better by one unit), the
   Pareto front of days against cost over every feasible option, and, when nothing is
   feasible, the constraint that bites first and by how much.

A row's values for the scenario (`Option.values`) are what `eval --set` or
`EditSession.apply_values` need to reproduce it exactly.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from whatif.engine.catalog import Catalog, load_catalog
from whatif.engine.errors import WhatifError, unknown_choice
from whatif.engine.evaluate import stack_inputs
from whatif.engine.inputs import INLINE_PRESET
from whatif.engine.model import MFU_BOUNDED, compute, optimistic
from whatif.engine.resolve import INPUT_FOR_KEY, Resolved, resolve_choice, scenario_inputs
from whatif.engine.scenario import Scenario
from whatif.engine.units import QUANTITIES, fmt

# --minimise NAME -> output.
OBJECTIVES: dict[str, str] = {"days": "training_days", "cost": "cost_usd", "co2": "co2_t",
                              "energy": "energy_mwh", "facility_mw": "facility_mw"}
_VERB = {"training_days": "fewest days", "cost_usd": "least cost", "co2_t": "least CO2",
         "energy_mwh": "least energy", "facility_mw": "least facility power"}
DEFAULT_MAX_CHIPS = 1_000_000
GRID_POINTS = 160          # geometric grid of whole units per row, 1 unit .. max_chips
REFINE_POINTS = 64         # whole units walked between a row's neighbours, per zoom stage
_WALK_MAX = 512            # whole units walked one by one at most, in the last zoom stage
_MAX_STAGES = 8
EVERY_COUNT_BATCH = 1 << 18  # options per batch of the every-count search (tens of MB of figures)
NEAR_LIMIT = 0.05           # an option this close to a limit (5 % to spare) is "near" it
PARETO_MAX = 24            # points of the front kept in the report (ends always kept)
_FIGURES = ("training_days", "cost_usd", "facility_mw", "co2_t", "energy_mwh")   # an option's figures
_KEEP = (*_FIGURES, "states_gb", "usable_hbm_gb", "rack_kw")


@dataclass(frozen=True)
class Limit:
    """One constraint on an output: `output <= target` (or >=). `name` is how reports call it."""

    name: str
    output: str
    op: str
    target: float

    def ok(self, y: np.ndarray) -> np.ndarray:
        return (y <= self.target) if self.op == "<=" else (y >= self.target)

    def excess(self, y: np.ndarray) -> np.ndarray:
        """Relative violation: 0 where met, 0.2 where 20 % past the limit."""
        with np.errstate(all="ignore"):
            r = y / self.target - 1.0 if self.op == "<=" else self.target / y - 1.0
        return np.where(np.isnan(r), np.inf, np.maximum(r, 0.0))

    def text(self) -> str:
        return f"{self.output} {self.op} {fmt(self.output, self.target)}"


def limits_from(power_cap_mw: float | None = None, deadline_days: float | None = None,
                budget_usd: float | None = None) -> list[Limit]:
    """The plan command's named constraints as limits."""
    out = []
    for name, output, value in (("power cap", "facility_mw", power_cap_mw), ("deadline", "training_days", deadline_days),
                                ("budget", "cost_usd", budget_usd)):
        if value is not None:
            if not (math.isfinite(value) and value > 0):
                raise WhatifError(f"{name} must be a number > 0, got {value:g}", key=name.replace(" ", "-"))
            out.append(Limit(name, output, "<=", float(value)))
    return out


class SearchStopped(Exception):
    """An every-count search stopped by its `progress` callback."""


@dataclass
class Row:
    chip: str
    cooling: str            # the resolved cooling key
    cooling_set: str | None  # what the option sets (None: the chip's default, as the scenario has it)
    unit: int               # chips per server, or per fixed rack
    resolved: Resolved


@dataclass
class Prepared:
    """Resolved rows and exclusions: everything that does not depend on the limits."""

    scenario: Scenario
    rows: list[Row]                    # chip by chip, a row per cooling type (the same for every chip)
    excluded: dict[str, str]
    x: dict[str, np.ndarray | float]   # stacked inputs, shape (rows, 1); a float where every row has the same
    chips: list[str]
    home_cooling: str | None = None   # the scenario's own cooling type (resolved)
    bound: frozenset[str] | None = None   # its chip- and cooling-bound inputs (bound_inputs), asked once


@dataclass
class Option:
    chip: str
    cooling: str
    count: int
    values: dict[str, object]        # scenario inputs that reproduce it (eval --set, apply_values)
    figures: dict[str, float]
    why: str = ""
    binding: str = ""

    def as_dict(self) -> dict[str, object]:
        from whatif.engine.evaluate import json_number

        return {"chip": self.chip, "cooling": self.cooling, "count": self.count,
                **{k: json_number(v) for k, v in self.figures.items()}, "why": self.why, "binding": self.binding,
                "set": self.values}


@dataclass
class Plan:
    objective: str
    limits: list[Limit]
    options: list[Option]                  # each chip's best, best first
    pareto: list[Option]                   # days against cost, fastest first
    excluded: dict[str, str]               # chip -> why it is not in the ranking
    message: str = ""                      # when nothing is feasible: what bites first
    binding: str = ""                      # the constraint named in `message`
    evaluated: int = 0                     # options searched: computed, or ruled out by their optimistic figures
    max_chips: int = DEFAULT_MAX_CHIPS
    every_count: bool = False              # every whole-unit count searched, not the grid and its zoom

    @property
    def ok(self) -> bool:
        return bool(self.options)

    @property
    def best(self) -> Option | None:
        return self.options[0] if self.options else None

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "objective": self.objective,
                "constraints": [{"name": l.name, "output": l.output, "op": l.op, "target": l.target}
                                for l in self.limits] + [{"name": "max chips", "output": "count", "op": "<=",
                                                          "target": self.max_chips}],
                "options": [o.as_dict() for o in self.options], "pareto": [o.as_dict() for o in self.pareto],
                "excluded": self.excluded, "message": self.message, "binding": self.binding,
                "evaluated": self.evaluated, "every_count": self.every_count}


# ----------------------------------------------------------------------------- availability
def availability() -> dict[str, dict[str, str]]:
    """engine/data/availability.toml: chip -> {available: 'YYYY-MM', source: ...}."""
    from importlib import resources

    text = resources.files("whatif.engine.data").joinpath("availability.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def parse_month(text: str) -> date:
    try:
        year, month = text.strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise WhatifError(f"{text!r}: expected a month YYYY-MM, e.g. 2025-06", key="available-by") from None


# ----------------------------------------------------------------------------- preparation
def prepare(scenario: Scenario, *, chips: Sequence[str] | None = None, coolings: Sequence[str | None] | None = None,
            objective: str = "training_days", limits: Sequence[Limit] = (), available_by: str | None = None,
            catalog: Catalog | None = None) -> Prepared:
    """Resolve every chip x cooling row (chips: default the whole catalog with the user's
    and the preset's own chips; coolings: default every cooling type, None = the chip's
    own). Raises WhatifError for an unknown chip or cooling key."""
    catalog = (catalog or load_catalog()).with_chips(scenario.chips, origin=INLINE_PRESET)
    chip_keys = list(catalog.chips) if chips is None else list(dict.fromkeys(chips))
    for key in chip_keys:
        if key not in catalog.chips:
            raise WhatifError(unknown_choice("chip", key, catalog.chips), key="chips")
    cool_keys: list[str | None] = list(catalog.cooling) if coolings is None else list(dict.fromkeys(coolings))
    for key in cool_keys:
        if key is not None and key not in catalog.cooling:
            raise WhatifError(unknown_choice("cooling type", key, catalog.cooling), key="cooling")
    excluded: dict[str, str] = {}
    by = parse_month(available_by) if available_by else None
    dates = availability() if by else {}
    needs = {objective, *(l.output for l in limits)}
    inputs = scenario_inputs(scenario)   # the same for every row: resolved once
    try:
        home: str | None = resolve_choice(catalog, inputs, scenario.cluster.chip, scenario.facility.cooling).cooling.key
    except WhatifError:
        home = scenario.facility.cooling
    bound = bound_inputs(scenario)

    def choice(chip: str, cooling: str | None) -> Resolved:
        dropped = dropped_inputs(scenario, chip, cooling, home, bound)
        return resolve_choice(catalog, inputs, chip, cooling, frozenset(INPUT_FOR_KEY[k] for k in dropped))

    rows: list[Row] = []
    for chip in chip_keys:
        if by is not None:
            entry = dates.get(chip)
            if entry is None:
                excluded[chip] = "no sourced availability date (engine/data/availability.toml)"
                continue
            if parse_month(entry["available"]) > by:
                excluded[chip] = f"not shipping by {by:%Y-%m} (available {entry['available']})"
                continue
        try:
            first = choice(chip, cool_keys[0])
        except WhatifError as exc:
            excluded[chip] = exc.detail
            continue
        reason = _missing(first, needs)
        if reason:
            excluded[chip] = reason
            continue
        for cooling in cool_keys:
            r = first if cooling == cool_keys[0] else choice(chip, cooling)
            unit = int(r.values["fixed_rack_chips"]) or int(r.values["chips_per_server"])
            rows.append(Row(chip, r.cooling.key, cooling, max(unit, 1), r))
    return Prepared(scenario, rows, excluded, _columns([r.resolved for r in rows]), chip_keys, home, bound)


def _columns(resolved: list[Resolved]) -> dict[str, np.ndarray | float]:
    """The rows' inputs as columns: (rows, 1), or a float where every row has the same value
    (most of a plan's inputs: the model, the region, the money): each batch then indexes,
    broadcasts and searches only what varies."""
    if not resolved:
        return {}
    names = tuple(resolved[0].values)
    if all(tuple(r.values) == names for r in resolved):   # one table at once (resolve keeps the order)
        table = np.fromiter(itertools.chain.from_iterable(r.values.values() for r in resolved), float,
                            len(resolved) * len(names)).reshape(len(resolved), len(names))
    else:
        table = np.column_stack(list(stack_inputs(resolved).values()))
    first = table[0]
    same = ((table == first) | (np.isnan(table) & np.isnan(first))).all(axis=0)
    return {k: float(first[i]) if same[i] else table[:, i:i + 1].copy() for i, k in enumerate(names)}


def _rows_of(x: dict[str, np.ndarray | float], rows: np.ndarray | tuple[np.ndarray, int]
             ) -> dict[str, np.ndarray | float]:
    """The inputs of some rows: `rows` indices into x's (rows, 1) columns, which stay so;
    (indices, 0) gives flat columns. The columns are gathered as one table (a gather per
    column costs more than the batch's arithmetic on them)."""
    arrays = [k for k, v in x.items() if isinstance(v, np.ndarray)]
    out = dict(x)
    if arrays:
        flat = isinstance(rows, tuple)
        picked = np.stack([x[k].ravel() for k in arrays])[:, rows[0] if flat else rows]
        out.update((k, picked[i] if flat else picked[i][:, None]) for i, k in enumerate(arrays))
    return out


# Inputs that describe the scenario's own chip or cooling type: a preset's figure for its
# H100 (power per chip, rent, price) or its air cooling (PUE, WUE) would be wrong for another
# chip or cooling, so rows with another one take the catalog's figures instead.
CHIP_BOUND: tuple[str, ...] = ("facility.it_kw_per_chip", "economics.rent_usd_per_chip_hour",
                               "economics.chip_capex_usd")
COOLING_BOUND: tuple[str, ...] = ("facility.pue", "facility.wue_l_per_kwh")


def dropped_inputs(scenario: Scenario, chip: str, cooling: str | None, home: str | None,
                   bound: frozenset[str] | None = None) -> dict[str, None]:
    """The chip- and cooling-bound inputs the scenario sets that do not carry to this row
    (`home`: the scenario's own cooling key, resolved): {key: None}, None = the catalog's.
    `bound`: those the scenario sets (bound_inputs), when a caller has them at hand."""
    bound = bound_inputs(scenario) if bound is None else bound
    out: dict[str, None] = {}
    if chip != scenario.cluster.chip:
        out.update((k, None) for k in CHIP_BOUND if k in bound)
    if cooling is not None and cooling != home:
        out.update((k, None) for k in COOLING_BOUND if k in bound)
    return out


def bound_inputs(scenario: Scenario) -> frozenset[str]:
    """The chip- and cooling-bound inputs the scenario sets (prepare asks once, not per row)."""
    return frozenset(k for k in (*CHIP_BOUND, *COOLING_BOUND) if scenario.get(k) is not None)


def _missing(r: Resolved, needs: set[str]) -> str:
    v = r.values
    power = {"facility_mw", "energy_mwh", "co2_t"} | ({"cost_usd"} if r.mode == "own" else set())
    if needs & power and math.isnan(v["it_kw_per_chip"]):
        return f"no power figure published for {r.chip.name} (needed for {', '.join(sorted(needs & power))})"
    if "cost_usd" in needs:
        price = "chip_capex_usd" if r.mode == "own" else "rent_usd_per_chip_hour"
        if math.isnan(v[price]):
            what = "purchase" if r.mode == "own" else "rental"
            return f"no {what} price published for {r.chip.name} (needed for cost)"
    return ""


# ----------------------------------------------------------------------------- the search
def plan(scenario: Scenario, limits: Sequence[Limit] = (), objective: str = "training_days", *,
         chips: Sequence[str] | None = None, coolings: Sequence[str | None] | None = None,
         max_chips: int | None = None, available_by: str | None = None, count_free: bool = True,
         every_count: bool = False, progress: Callable[[float], bool] | None = None,
         catalog: Catalog | None = None, prepared: Prepared | None = None) -> Plan:
    """The best option per chip under `limits`, minimising `objective` (an output name or a
    key of OBJECTIVES). `count_free` False keeps the scenario's chip count (choose a chip or
    cooling only). `every_count` searches every whole-unit count instead of the grid and its
    zoom (_every_count: the exact best, seconds rather than milliseconds); `progress`, if
    given, hears the share searched after each batch and stops the search (SearchStopped)
    by returning False. `prepared` reuses the rows of an earlier call (same scenario, chips,
    coolings, objective needs), e.g. while a front-end edits the limits."""
    objective = OBJECTIVES.get(objective, objective)
    if objective not in QUANTITIES:
        raise WhatifError(unknown_choice("objective", objective, OBJECTIVES), key="minimise")
    max_chips = int(max_chips or DEFAULT_MAX_CHIPS)
    if max_chips < 1:
        raise WhatifError(f"--max-chips must be at least 1, got {max_chips}", key="max-chips")
    limits = list(limits)
    every_count = every_count and count_free   # a fixed count leaves no count to search
    prep = prepared or prepare(scenario, chips=chips, coolings=coolings, objective=objective, limits=limits,
                               available_by=available_by, catalog=catalog)
    excluded = dict(prep.excluded)
    if not prep.rows:
        return _nothing(objective, limits, excluded, max_chips, "no chip left to plan with: " +
                        ("; ".join(f"{k}: {v}" for k, v in excluded.items()) or "none given"))
    x = dict(prep.x)
    cap = next((l.target for l in limits if l.output == "facility_mw" and l.op == "<="), None)
    if cap is not None:
        x["power_cap_mw"] = float(cap)
    units = np.array([r.unit for r in prep.rows], dtype=float)[:, None]
    if count_free:
        top = np.maximum(np.floor(max_chips / units), 1.0)
        t = np.linspace(0.0, 1.0, GRID_POINTS)[None, :]
        counts = units * np.round(top ** t)
    else:
        counts = np.full((len(prep.rows), 1), float(scenario.cluster.count))
    if every_count:
        grid, front, evaluated = _every_count(x, units, top, limits, objective, max_chips, progress)
    else:
        grid = _batch(x, counts, limits, objective, max_chips)
        if count_free:
            grid = _refine(grid, x, units, counts, top, limits, objective, max_chips)
        evaluated = int(np.count_nonzero(grid["fresh"]))   # every option searched: computed or screened out
        front = _front(_points(grid))
    score = np.where(grid["ok"], grid["objective"], np.inf)
    options = []
    picks = []
    infeasible: dict[str, np.ndarray] = {}
    chips = list(dict.fromkeys(r.chip for r in prep.rows))
    per = len(prep.rows) // len(chips)   # a chip's rows: one block, a row per cooling (prepare)
    width = score.shape[1]
    best = _argbest(grid, score, len(chips))
    per_row = score.min(axis=1).reshape(len(chips), per)   # each row's best
    for k, chip in enumerate(chips):
        rows = np.arange(k * per, (k + 1) * per)
        if not np.isfinite(per_row[k]).any():
            infeasible[str(chip)] = rows
            continue
        i, j = k * per + int(best[k]) // width, int(best[k]) % width
        option = _option(prep, i, grid["count"][i, j], {f: float(grid[f][i, j]) for f in _FIGURES}, scenario,
                         count_free)
        option.why = _why(prep, rows, per_row[k], i, objective)
        options.append(option)
        picks.append(i)
    # One last batch: each option's neighbours (what binds it) and, computed again without
    # the screen, every option of the chips that have none (what bites first).
    near = _neighbours(prep, picks, options) if count_free else np.empty((0, 3))
    told = np.concatenate([*infeasible.values()]) if infeasible else np.empty(0, dtype=np.intp)
    told_counts = (counts if every_count else grid["count"])[told]   # every count: the grid's tell why
    near_g, told_g = _last_batch(x, np.array(picks, dtype=np.intp), near, told, told_counts, limits,
                                 objective, max_chips)
    for option, text in zip(options, _binding(near_g, near, options, limits, max_chips, count_free)):
        option.binding = text
    at = 0
    for chip, rows in infeasible.items():
        excluded[chip] = "no feasible option: " + _diagnose(told_g, np.arange(at, at + rows.size), limits, max_chips)[0]
        at += rows.size
    if not options:   # every row told, in order
        text, name = _diagnose(told_g, np.arange(told.size), limits, max_chips)
        return _nothing(objective, limits, excluded, max_chips, "nothing is feasible: " + text, name, evaluated,
                        every_count)
    options.sort(key=lambda o: (o.figures[objective], o.figures["cost_usd"] if math.isfinite(o.figures["cost_usd"])
                                else math.inf, o.figures["training_days"]))
    return Plan(objective, limits, options, _pareto(prep, front, scenario, count_free), excluded,
                evaluated=evaluated, max_chips=max_chips, every_count=every_count)


def _nothing(objective: str, limits: list[Limit], excluded: dict[str, str], max_chips: int, message: str,
             binding: str = "", evaluated: int = 0, every_count: bool = False) -> Plan:
    return Plan(objective, limits, [], [], excluded, message, binding, evaluated, max_chips, every_count)


def _batch(x: dict[str, np.ndarray | float], counts: np.ndarray, limits: Sequence[Limit], objective: str,
           max_chips: int, screen: bool = True) -> dict[str, np.ndarray]:
    """Every row of `x` at its `counts`, and whether each option is feasible. A count that
    repeats the one before it in its row is not computed (NaN, infeasible), nor, with
    `screen`, an option that breaks a limit even at its optimistic figures (_hopeful): the
    same best options and front at a fraction of the layout searches (a 100 MW cap and a
    90-day deadline leave a fifth of the grid)."""
    shape = counts.shape
    names = {*_KEEP, objective}
    fresh = np.ones(shape, dtype=bool)
    fresh[:, 1:] = counts[:, 1:] != counts[:, :-1]
    # The options as flat indices: scattering by them is several times cheaper than by (row, column).
    flat = np.flatnonzero(fresh)
    r, n = flat // shape[1], counts.ravel()[flat]
    if screen and (hopeful := _hopeful(_rows_of(x, (r, 0)), n, limits)) is not None:
        flat, r, n = flat[hopeful], r[hopeful], n[hopeful]
    kept = {k: np.full(shape, np.nan) for k in names}
    memory_ok, rack_ok = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    if n.size:   # else every option screened out
        # The rows' inputs gathered again from the rows' few (not from the screened many).
        out = compute({**_rows_of(x, (r, 0)), "count": n}, (*names, "warn_memory", "warn_rack_density"),
                      step_detail=False)
        for k in names:
            kept[k].ravel()[flat] = out[k]   # views: the arrays are new, contiguous
        memory_ok.ravel()[flat] = ~out["warn_memory"]
        rack_ok.ravel()[flat] = ~out["warn_rack_density"]
    ok = memory_ok & rack_ok & (counts <= max_chips)   # an option not computed: neither ok
    for limit in limits:
        ok &= limit.ok(kept[limit.output])
    ok &= np.isfinite(kept[objective])
    kept.update(count=counts, ok=ok, objective=kept[objective], memory_ok=memory_ok, rack_ok=rack_ok, fresh=fresh)
    return kept


def _hopeful(x: dict[str, np.ndarray | float], counts: np.ndarray, limits: Sequence[Limit]) -> np.ndarray | None:
    """Options that meet every upper limit on an MFU-bounded output at its optimistic
    figure (engine.model.optimistic): the others break one at any layout. None: no limit
    to screen with."""
    upper = [l for l in limits if l.op == "<=" and l.output in MFU_BOUNDED]
    if not upper:
        return None
    bound = optimistic({**x, "count": counts}, {l.output for l in upper})
    hopeful = np.ones(counts.shape, dtype=bool)
    for limit in upper:
        hopeful &= limit.ok(np.broadcast_to(bound[limit.output], counts.shape))
    return hopeful


def _refine(grid: dict[str, np.ndarray], x: dict[str, np.ndarray | float], units: np.ndarray, counts: np.ndarray,
            top: np.ndarray, limits: Sequence[Limit], objective: str, max_chips: int) -> dict[str, np.ndarray]:
    """Zoom on each row's best feasible point (the first grid point for a row without one):
    REFINE_POINTS whole-unit counts between its neighbours, then every whole unit within a
    step of the best of those (up to _WALK_MAX of them: a wider stretch is sampled at that
    many, and zoomed again). Returns every point evaluated."""
    score = np.where(grid["ok"], grid["objective"], np.inf)
    best = np.argmin(score, axis=1)
    n, rows = counts.shape[1], np.arange(counts.shape[0])
    lo = counts[rows, np.maximum(best - 1, 0)] / units[:, 0]
    hi = np.minimum(counts[rows, np.minimum(best + 1, n - 1)] / units[:, 0], top[:, 0])
    width = REFINE_POINTS
    stages = [grid]
    for _ in range(_MAX_STAGES):
        walk = units * np.round(lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, width)[None, :])
        stage = _batch(x, walk, limits, objective, max_chips)
        stages.append(stage)
        step = (hi - lo) / (width - 1)
        if step.max() <= 1.0:
            break
        centre = walk[rows, np.argmin(np.where(stage["ok"], stage["objective"], np.inf), axis=1)] / units[:, 0]
        reach = np.ceil(step)
        lo, hi = np.maximum(centre - reach, 1.0), np.minimum(centre + reach, top[:, 0])
        width = int(min(max((hi - lo).max() + 1, 2), _WALK_MAX))
    # Only what the ranking reads (the stages' flags and memory figures stay behind: the
    # last batch recomputes what _binding and _diagnose need), the objective once.
    out = {k: np.concatenate([g[k] for g in stages], axis=1)
           for k in dict.fromkeys((*_FIGURES, objective, "count", "ok", "fresh"))}
    out["objective"] = out[objective]
    return out


def _every_count(x: dict[str, np.ndarray | float], units: np.ndarray, top: np.ndarray, limits: Sequence[Limit],
                 objective: str, max_chips: int, progress: Callable[[float], bool] | None = None
                 ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """Every row at every whole-unit count from one unit to its `top`, in batches of about
    EVERY_COUNT_BATCH options (a row past its top drops out), reduced as it goes: each row's
    best option (_argbest's order) as a one-column grid, the days-cost front and the number
    of options searched. The best is then exact, so widening a limit never makes it worse."""
    rows = np.arange(units.shape[0])
    names = tuple(dict.fromkeys(("count", "ok", "objective", *_FIGURES)))
    best: dict[str, np.ndarray] = {}
    front: dict[str, np.ndarray] = {}
    evaluated, width = 0, max(EVERY_COUNT_BATCH // rows.size, 1)
    total, done = float(top.sum()), 0.0
    for start in range(1, int(top.max()) + 1, width):
        live = rows[top[:, 0] >= start]
        if progress is not None and not progress(done / total):
            raise SearchStopped("the every-count search was stopped")
        done += float(np.minimum(top[live, 0] - start + 1, width).sum())
        counts = units[live] * np.minimum(np.arange(start, start + width, dtype=float)[None, :], top[live])
        g = _batch(_rows_of(x, live), counts, limits, objective, max_chips)
        evaluated += int(np.count_nonzero(g["fresh"]))
        at = np.arange(live.size)
        j = _argbest(g, np.where(g["ok"], g["objective"], np.inf), live.size)
        pick = {k: g[k][at, j][:, None] for k in names}
        if not best:   # the first batch has every row
            best = pick
        else:
            pair = {k: np.concatenate([best[k][live], pick[k]], axis=1) for k in names}
            keep = _argbest(pair, np.where(pair["ok"], pair["objective"], np.inf), live.size)
            for k in names:
                best[k][live, 0] = pair[k][at, keep]
        points = _points(g)
        points["row"] = live[points["row"]]
        front = _front({k: np.concatenate([front[k], v]) for k, v in points.items()} if front else points)
    return best, front, evaluated


def _argbest(grid: dict[str, np.ndarray], score: np.ndarray, chips: int) -> np.ndarray:
    """Each chip's best option (its rows one block of `score`, in order): the index into its
    block flattened; ties go to the cheaper, then the fewer chips. All chips at once."""
    sub = score.reshape(chips, -1)
    tie = sub == sub.min(axis=1, keepdims=True)
    cost = np.where(tie, np.nan_to_num(grid["cost_usd"].reshape(chips, -1), nan=np.inf), np.inf)
    tie &= cost <= cost.min(axis=1, keepdims=True)
    return np.argmin(np.where(tie, grid["count"].reshape(chips, -1), np.inf), axis=1)


def _option(prep: Prepared, i: int, count: float, figures: dict[str, float], scenario: Scenario,
            count_free: bool) -> Option:
    """Row `i` at `count` chips, with its `figures`."""
    row = prep.rows[i]
    count = int(count)
    values: dict[str, object] = {"cluster.chip": row.chip, "facility.cooling": row.cooling_set or row.cooling}
    if row.cooling_set is None and scenario.facility.cooling is None:
        values["facility.cooling"] = row.cooling   # explicit: the option is this cooling type
    values["cluster.count"] = count
    values.update(dropped_inputs(scenario, row.chip, row.cooling_set, prep.home_cooling, prep.bound))
    return Option(row.chip, row.cooling, count, values, figures)


def _why(prep: Prepared, rows: np.ndarray, per_row: np.ndarray, i: int, objective: str) -> str:
    """`per_row`: the best score of each of the chip's `rows`."""
    feasible = [(float(per_row[k]), prep.rows[rows[k]].cooling) for k in range(len(rows)) if math.isfinite(per_row[k])]
    feasible.sort()
    text = f"{_VERB.get(objective, 'best ' + objective)} of {len(feasible)} feasible cooling type" + \
           ("s" if len(feasible) != 1 else "")
    others = [(v, c) for v, c in feasible if c != prep.rows[i].cooling]
    if others:
        text += f"; next {others[0][1]} at {fmt(objective, others[0][0])}"
    infeasible = [prep.rows[rows[k]].cooling for k in range(len(rows)) if not math.isfinite(per_row[k])]
    if infeasible:
        text += f"; infeasible: {', '.join(infeasible)}"
    return text


def _neighbours(prep: Prepared, picks: list[int], options: list[Option]) -> np.ndarray:
    """(options, 3): one server (or rack) fewer, each option's count, one more."""
    if not options:
        return np.empty((0, 3))
    unit = np.array([prep.rows[i].unit for i in picks], dtype=float)
    count = np.array([o.count for o in options], dtype=float)
    return np.stack([np.maximum(count - unit, unit), count, count + unit], axis=1)


def _last_batch(x: dict[str, np.ndarray | float], picks: np.ndarray, near: np.ndarray, told: np.ndarray,
                told_counts: np.ndarray, limits: Sequence[Limit], objective: str, max_chips: int
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """_batch of the options' neighbours (rows `picks` at `near`) and of rows `told` at
    their counts, unscreened, in one batch (rows padded with their last count, which the
    batch skips as a repeat): the neighbours' values and the told rows'."""
    width = max(near.shape[1], told_counts.shape[1] if told.size else 0)
    if not (near.size or told.size):
        return {}, {}
    counts = np.concatenate([np.pad(a, ((0, 0), (0, width - a.shape[1])), mode="edge") if a.size else
                             np.empty((0, width)) for a in (near, told_counts)])
    g = _batch(_rows_of(x, np.concatenate([picks[:near.shape[0]], told])), counts, limits, objective, max_chips,
               screen=False)
    first = near.shape[0]
    return ({k: v[:first, :near.shape[1]] for k, v in g.items()}, {k: v[first:] for k, v in g.items()})


def _binding(g: dict[str, np.ndarray], near: np.ndarray, options: list[Option], limits: Sequence[Limit],
             max_chips: int, count_free: bool) -> list[str]:
    """For each option, the constraint that stops it from improving by one server (or
    rack): what its neighbour on the better side breaks (`g`: _batch at `near`)."""
    if not count_free:
        return ["chip count fixed by the scenario"] * len(options)
    count, unit = near[:, 1], near[:, 2] - near[:, 1]
    out = []
    for n in range(len(options)):
        y = g["objective"][n]
        text = _headroom(g, n, limits) or "none: a server more or fewer is no better"
        for side, k in (("more", 2), ("fewer", 0)):
            if near[n, k] == count[n] or not (y[k] < y[1]):
                continue
            broken = []
            if near[n, k] > max_chips:
                broken.append(f"max chips ({max_chips:,})")
            if not g["memory_ok"][n, k]:
                broken.append("memory (model states must fit in HBM)")
            if not g["rack_ok"][n, k]:
                broken.append("rack density")
            broken += [f"{l.name} ({l.text()})" for l in limits if not l.ok(g[l.output][n, k])]
            text = (", ".join(broken) + f": {unit[n]:,.0f} {side} chips would break it" if broken else
                    f"none binding: {unit[n]:,.0f} {side} chips would be slightly better (count grid step)")
            break
        out.append(text)
    return out


def _headroom(g: dict[str, np.ndarray], n: int, limits: Sequence[Limit]) -> str:
    """For option `n` of _binding's batch (column 1: the option) that a server more or fewer
    would not improve: the limit it comes closest to, and how close ('near the power cap:
    99.7 MW of 100 MW'), which binds a few servers on; '' without a limit within NEAR_LIMIT
    (TPU v5e at 90 MW of 100 is not held back by the cap: more chips would idle)."""
    near = []
    for limit in limits:
        value = float(g[limit.output][n, 1])
        room = limit.target / value - 1.0 if limit.op == "<=" else value / limit.target - 1.0
        if math.isfinite(room):
            near.append((room, limit, value))
    if not near:
        return ""
    room, limit, value = min(near, key=lambda r: r[0])
    if room > NEAR_LIMIT:
        return ""
    if limit.output == "facility_mw" and limit.op == "<=":   # power is linear in the count
        spare = f"{int(g['count'][n, 1] * room):,} more chips reach it"
    else:
        spare = f"{room:.1%} to spare"
    return (f"near the {limit.name}: {fmt(limit.output, value)} of {fmt(limit.output, limit.target)} ({spare}; "
            "a server more or fewer is no better)")


def _diagnose(grid: dict[str, np.ndarray], rows: np.ndarray, limits: Sequence[Limit],
              max_chips: int) -> tuple[str, str]:
    """Which constraint bites first among `rows` of `grid` (every option computed: the
    plan's screen leaves out those it rules out, so _last_batch computes them again), and
    by how much: the one whose relaxation alone would make an option feasible, needing the
    least relaxation; else the option closest to feasible (least worst relative excess) and
    what it violates."""
    g = {k: v[rows] for k, v in grid.items()}
    checks: list[tuple[str, np.ndarray, Limit | None]] = [
        ("memory", _excess_ratio(g["states_gb"], g["usable_hbm_gb"]), None),
        ("max chips", np.maximum(g["count"] / max_chips - 1.0, 0.0), None),
    ]
    for limit in limits:
        checks.append((limit.name, limit.excess(g[limit.output]), limit))
    finite = np.isfinite(g["objective"])
    rack_ok = g["rack_ok"]
    if not rack_ok.any():
        return "no cooling type handles this chip's rack density", "rack density"
    base = finite & rack_ok
    excess = np.stack([c[1] for c in checks])
    candidates = []
    for k, (name, ex, limit) in enumerate(checks):
        others = np.delete(excess, k, axis=0)
        alone = base & (others <= 0).all(axis=0)
        if alone.any() and limit is not None:
            y = g[limit.output][alone]
            reach = float(y.min() if limit.op == "<=" else y.max())
            over = abs(reach - limit.target)
            rel = over / limit.target
            text = (f"the {name} bites first: the best option within the other constraints reaches "
                    f"{fmt(limit.output, reach)} against {fmt(limit.output, limit.target)} "
                    f"({fmt(limit.output, over)}, {rel:.1%} over)")
            candidates.append((rel, text, name))
        elif alone.any() and name == "memory":
            need = max(float(np.min(g["states_gb"][alone] / g["usable_hbm_gb"][alone]) - 1.0), 0.0)
            candidates.append((need, f"memory bites first: the model states need {need:.1%} more HBM than "
                                     "the largest allowed cluster has", name))
        elif alone.any() and name == "max chips":
            fewest = float(np.min(g["count"][alone]))
            rel = fewest / max_chips - 1.0
            candidates.append((rel, f"the max chips limit bites first: the smallest option within the other "
                                    f"constraints needs {fewest:,.0f} chips against {max_chips:,} ({rel:.1%} over)",
                               name))
    if candidates:
        rel, text, name = min(candidates)
        return text, name
    worst = np.where(base, excess.max(axis=0), np.inf)
    if not np.isfinite(worst).any():
        return "no option has the figures the constraints need", ""
    r, j = np.unravel_index(int(np.argmin(worst)), worst.shape)
    over = [(float(excess[k, r, j]), checks[k][0]) for k in range(len(checks)) if excess[k, r, j] > 0]
    over.sort(reverse=True)
    text = ("no single constraint's relaxation is enough; the closest option misses " +
            ", ".join(f"the {n} by {e:.1%}" for e, n in over))
    return text, over[0][1] if over else ""


def _excess_ratio(need: np.ndarray, have: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        r = need / have - 1.0
    return np.where(np.isnan(r), np.inf, np.maximum(r, 0.0))


def _points(grid: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The feasible options of `grid` that have both days and cost, flat: row, count, figures."""
    ok = grid["ok"] & np.isfinite(grid["cost_usd"]) & np.isfinite(grid["training_days"])
    flat = np.flatnonzero(ok)   # flat indices: gathering by them is cheaper than by (row, column)
    points = {k: grid[k].ravel()[flat] for k in ("count", *_FIGURES)}
    points["row"] = flat // ok.shape[1]
    return points


def _front(points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The points no other is both faster and cheaper than, fastest first."""
    days, cost = points["training_days"], points["cost_usd"]
    order = np.lexsort((cost, days))
    running = np.minimum.accumulate(cost[order])
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = cost[order][1:] < running[:-1]
    return {k: v[order[keep]] for k, v in points.items()}


def _pareto(prep: Prepared, front: dict[str, np.ndarray], scenario: Scenario, count_free: bool) -> list[Option]:
    """The front's options, at most PARETO_MAX spread evenly in log(days), both ends kept."""
    picks = np.arange(front["row"].size)
    if picks.size > PARETO_MAX:
        logd = np.log(np.maximum(front["training_days"], 1e-300))
        marks = np.linspace(logd[0], logd[-1], PARETO_MAX)
        picks = np.unique(np.clip(np.searchsorted(logd, marks), 0, picks.size - 1))
    return [_option(prep, int(front["row"][k]), front["count"][k], {f: float(front[f][k]) for f in _FIGURES},
                    scenario, count_free) for k in picks]


# ----------------------------------------------------------------------------- goal seek across choices
CHOICE_KEYS: tuple[str, ...] = ("cluster.chip", "facility.cooling")
_NOUNS = {"cluster.chip": "chip", "facility.cooling": "cooling type", "cluster.count": "count"}


def choose(scenario: Scenario, keys: Sequence[str], goals: Sequence[tuple[str, str, float]],
           objective: str = "cost_usd", catalog: Catalog | None = None, every_count: bool = False) -> Plan:
    """Goal seek across choices: the chip and/or cooling type (and, with cluster.count among
    `keys`, the count) that meets every goal (output, '<=' or '>=', target) with the best
    `objective`, e.g. the cheapest chip that finishes in 60 days under 150 MW. What is not
    among `keys` stays as the scenario has it. `Plan.message` states the answer.
    `every_count` (with cluster.count among `keys`): search every whole-server count (plan)."""
    keys = list(dict.fromkeys(keys))
    allowed = (*CHOICE_KEYS, "cluster.count")
    for key in keys:
        if key not in allowed:
            raise WhatifError(unknown_choice("input to choose", key, allowed), key="for")
    if not any(k in CHOICE_KEYS for k in keys):
        raise WhatifError("choose a chip or cooling type: --for cluster.chip, facility.cooling or both", key="for")
    if every_count and "cluster.count" not in keys:
        raise WhatifError("needs cluster.count among --for (it searches chip counts)", key="every-count")
    limits = []
    for output, op, target in goals:
        if op not in ("<=", ">="):
            raise WhatifError(f"choosing among options takes goals with <= or >=, not {op!r} "
                              f"(e.g. {output}<={target:g})", key="target")
        limits.append(Limit(f"{output} goal", output, op, float(target)))
    result = plan(scenario, limits, objective, catalog=catalog,
                  chips=None if "cluster.chip" in keys else [scenario.cluster.chip],
                  coolings=None if "facility.cooling" in keys else [scenario.facility.cooling],
                  count_free="cluster.count" in keys, every_count=every_count)
    what = " and ".join(_NOUNS[k] for k in keys)
    goal_text = ", ".join(l.text() for l in limits) or "no goal"
    objective = result.objective
    if not result.ok:
        result.message = f"no {what} meets {goal_text}: " + result.message.removeprefix("nothing is feasible: ")
        return result
    best = result.best
    chosen = ", ".join(f"{k} = {best.values[k]:,}" if k == "cluster.count" else f"{k} = {best.values[k]}"
                       for k in keys)
    figures = ", ".join(fmt(k, best.figures[k]) for k in dict.fromkeys((objective, "training_days", "cost_usd",
                                                                         "facility_mw")))
    if len(result.options) > 1:
        nxt = result.options[1]
        runner = (f"; {len(result.options)} chips qualify, next best: {nxt.chip} ({nxt.cooling}) at "
                  f"{fmt(objective, nxt.figures[objective])}")
    else:
        runner = f"; {best.why}"
    result.message = (f"{chosen}: the {what} with {_VERB.get(objective, 'best ' + objective)} and "
                      f"{goal_text} (gives {figures}){runner}")
    return result
