"""The training-step model: MFU from the chip, the model's shape and the parallel layout.

docs/model.md §16. For every candidate layout (tensor, pipeline, data and expert parallel
sizes, micro-batch, activation recompute, ZeRO stage) it computes the memory per chip and
the time of one optimizer step as a sum of named parts - matmuls at an efficiency set by
their sizes and the chip's FLOP/byte ratio, attention, memory-bound ops at HBM bandwidth,
per-layer overhead, TP collectives over the scale-up domain, expert all-to-all, recompute,
pipeline-stage imbalance, pipeline bubble and point-to-point, and the exposed part of the
data-parallel gradient reduction - and keeps the fastest layout that fits in HBM. MFU =
model FLOPs (6 x active params x tokens) / (step time x chips x peak).

Written once for floats and numpy arrays: the scenario's inputs (shape S, scalars for one
scenario) get two trailing axes, candidates (C, 1) and (recompute, ZeRO) combinations (K,),
so one call searches the layouts of every row of a batch at once.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike  # numpy.typing costs ~3 ms to import: types only

# Names of the model's parts and layout: in engine.inputs, which the app reads before numpy is imported.
from whatif.engine.inputs import LAYOUT_KEYS, PART_LABELS, PARTS, RECOMPUTE  # noqa: E402,F401

_PP = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 32, 40, 48, 50, 64, 80, 96, 100, 128)
_MB = (1, 2, 4)
_MB_TOKENS = 8192.0
_ZERO = (1, 3)
_STATE_BYTES = (2.0, 2.0, 12.0)  # bf16 weights, bf16 grads, fp32 master + Adam m, v (ZeRO paper)
_BIG = 1e30
# isinstance() against a tuple: `float | int` builds a union object at every call, and the
# search asks ~270 times per scenario.
_SCALARS = (float, int)
_FLAGS = (bool, np.bool_)


def _pins(x: Mapping[str, ArrayLike], name: str) -> list[float]:
    v = x[name]
    if isinstance(v, _SCALARS):
        return [float(v)] if v == v else []
    v = np.asarray(v, dtype=float)
    return sorted({float(p) for p in np.unique(v[np.isfinite(v)])})


def _max(v: ArrayLike) -> float:
    return float(v) if isinstance(v, _SCALARS) else float(np.nanmax(np.asarray(v, dtype=float)))


@functools.lru_cache(maxsize=64)
def _candidates(tp: tuple[float, ...], pp: tuple[float, ...], mb: tuple[float, ...], ep: tuple[float, ...]
                ) -> tuple[np.ndarray, ...]:
    grid = np.meshgrid(np.array(tp), np.array(pp), np.array(mb), np.array(ep), indexing="ij")
    return tuple(g.reshape(-1, 1) for g in grid)


def candidates(x: Mapping[str, ArrayLike]) -> tuple[np.ndarray, ...]:
    """(tp, pp, mb, ep) columns of shape (C, 1): powers of two up to the largest scale-up
    domain (TP), a set of pipeline depths that divide common chip counts, micro-batches 1-4,
    expert-parallel powers of two up to the expert count; pinned values are added."""
    values = tuple(x[k] for k in _CANDIDATE_INPUTS)
    if all(isinstance(v, _SCALARS) for v in values):  # one scenario (or a sweep of the count)
        return _scalar_candidates(*(None if v != v else float(v) for v in values))
    return _candidates_of(x)


_CANDIDATE_INPUTS = ("scaleup_domain", "tp_in", "pp_in", "seq_len", "micro_batch_in", "experts", "ep_in")


@functools.lru_cache(maxsize=64)
def _scalar_candidates(*values: float | None) -> tuple[np.ndarray, ...]:
    """candidates() of scalar inputs, remembered; NaN ("auto") is keyed as None (NaN != NaN)."""
    return _candidates_of({k: math.nan if v is None else v for k, v in zip(_CANDIDATE_INPUTS, values)})


def _candidates_of(x: Mapping[str, ArrayLike]) -> tuple[np.ndarray, ...]:
    domain = _max(x["scaleup_domain"])
    tp_max = min(64.0, max(1.0, domain))
    tp = {2.0 ** i for i in range(7) if 2.0 ** i <= tp_max} | set(_pins(x, "tp_in"))
    pp = set(map(float, _PP)) | set(_pins(x, "pp_in"))
    # Micro-batches beyond ~8k tokens do not make matmuls faster, only activations bigger.
    seq = max(1.0, min(_pins(x, "seq_len") or [1.0]))
    mb = {float(m) for m in _MB if m == 1 or m * seq <= _MB_TOKENS} | set(_pins(x, "micro_batch_in"))
    experts = _max(x["experts"])
    ep = {2.0 ** i for i in range(9) if 2.0 ** i <= experts} | set(_pins(x, "ep_in")) if experts > 1 else {1.0}
    ep |= set(_pins(x, "ep_in"))
    return _candidates(tuple(sorted(tp)), tuple(sorted(pp)), tuple(sorted(mb)), tuple(sorted(ep)))


def where(cond, a, b):
    """np.where, but one scenario's flag (MoE, fused attention, an estimated MFU) picks without
    building arrays: np.where makes a 0-d array, and each operation on one costs ~5x a float's."""
    if isinstance(cond, _FLAGS):
        return a if cond else b
    return np.where(cond, a, b)


def _any(flags) -> bool:
    """np.any, but one scenario's flag is read as it is (np.any of a bool costs ~5 us)."""
    return bool(flags) if isinstance(flags, _FLAGS) else bool(flags.any())


def _gemm_seconds_per_flop(m, k, n, peak, bw, nbytes, eff_max):
    """Time per FLOP of an M x K x N matmul: compute at eff_max of peak plus its operand and
    result traffic at HBM bandwidth (a roofline sum; docs/model.md §16.2)."""
    flops = 2.0 * m * k * n
    return 1.0 / (peak * eff_max) + nbytes * (m * k + k * n + m * n) / (bw * flops)


def mfu_ceiling(x: Mapping[str, ArrayLike]) -> ArrayLike:
    """An upper bound of mfu_step under any layout, without searching one: a step is its
    matmuls' time plus parts that only add to it (attention, memory passes, overhead,
    recompute, imbalance, bubble, communication), the matmuls' model FLOPs run at most at
    step_gemm_efficiency of peak (_gemm_seconds_per_flop adds their traffic on top), and
    idle chips only lower it. A plan skips the counts that fail a limit even at this MFU."""
    return x["step_gemm_efficiency"]


_CHUNK_ROWS = 2048  # rows searched densely at once: bounds the (rows x candidates) arrays to some MB


def step_model(x: Mapping[str, ArrayLike], lean: bool = False) -> dict[str, np.ndarray]:
    """The chosen layout, its memory per chip and its step-time parts, per scenario row.
    Rows that repeat (a Monte Carlo over prices, a sweep of PUE) are searched once; a big
    batch of distinct rows is searched in chunks where every candidate of each is scored
    (_dense_search), at once where a bound rules most out (_bounded). `lean`: only
    LEAN_OUTPUTS (what the time and the feasibility flags read: a plan's batches), searched
    and remembered apart from the full outputs."""
    with np.errstate(all="ignore"):
        # The count last: deduplicated rows then come sorted by scenario, then count, and a
        # chunk of them holds few distinct scenarios (the fast search handles each at once).
        arrays = {k: np.asarray(v, dtype=float) for k in _COUNT_LAST
                  if not isinstance(v := x[k], _SCALARS) and np.ndim(v)}
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
        # A column that holds one value (a plan's stacked catalog constants) is a scalar: the
        # table to dedupe, key and search is then only as wide as what varies.
        x = dict(x)
        for k in [k for k, a in arrays.items() if a.size and _constant(a)]:
            x[k] = float(arrays.pop(k).flat[0])
        if not arrays:
            out = _cached(tuple([None if v != v else float(v) for v in map(x.__getitem__, _STEP_INPUTS)]))
            if lean:
                out = {k: out[k] for k in LEAN_OUTPUTS}
            return out if not shape else {k: np.broadcast_to(v, shape).copy() for k, v in out.items()}
        table = np.stack([np.broadcast_to(a, shape).ravel() for a in arrays.values()], axis=1)
        scalars = tuple(None if k in arrays else float(x[k]) for k in _STEP_INPUTS)
        # The batch keyed by its names, scalars, shape and a weighted sum of each column (hashing
        # the whole table's bytes costs more than the lookup saves); a hit is checked exactly.
        weights = _TABLE_WEIGHTS[:table.shape[0]] if table.shape[0] <= _TABLE_WEIGHTS.size else \
            np.resize(_TABLE_WEIGHTS, table.shape[0])
        table_key = repr((lean, tuple(arrays), scalars, table.shape)).encode() + (np.nan_to_num(table, nan=-1.0).T @ weights
                                                                         ).tobytes()
        known = _TABLE_MEMORY.get(table_key)
        if known is not None and np.array_equal(known[2], table, equal_nan=True):  # the same batch again
            out, inverse = known[:2]
        else:
            if table.shape[0] > 64:
                rows, inverse = _distinct_rows(arrays, shape, table)
            else:
                rows, inverse = table, None
            base = {k: x[k] for k in _STEP_INPUTS}
            out = _rows_by_row(rows, list(arrays), base, repr((lean, tuple(arrays), scalars)).encode(), lean)
            if len(_TABLE_MEMORY) >= 8:
                _TABLE_MEMORY.pop(next(iter(_TABLE_MEMORY)))
            _TABLE_MEMORY[table_key] = out, inverse, table   # the distinct rows' outputs: expanded on the way out
        # Fresh arrays for the caller (the remembered ones stay as they are).
        return {k: (v[inverse] if inverse is not None else v.copy()).reshape(shape) for k, v in out.items()}


def _distinct_rows(arrays: dict[str, np.ndarray], shape: tuple[int, ...], table: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """_unique_rows(table, by_last=True) for step_model's table (the count last): where the
    count varies over more of the batch than the scenario does (a plan: (rows, 1) scenarios
    x (rows, counts) counts; a sweep), the scenarios are deduplicated at their own shape and
    the (scenario, count) pairs by a sort of two keys, rather than hashing every row."""
    scenario = {k: a for k, a in arrays.items() if k != "count"}
    own = np.broadcast_shapes(*(a.shape for a in scenario.values())) if scenario else ()
    if "count" not in arrays or math.prod(own) * 2 > table.shape[0]:
        return _unique_rows(table, by_last=True)
    if scenario:
        kinds, kind = _unique_rows(np.stack([np.broadcast_to(a, own).ravel() for a in scenario.values()], axis=1))
        ids = np.broadcast_to(kind.reshape(own), shape).ravel()
    else:
        kinds, ids = np.empty((1, 0)), np.zeros(table.shape[0], dtype=np.intp)
    counts = table[:, -1]
    order = np.lexsort((counts, ids))
    ids_sorted, counts_sorted = ids[order], counts[order]
    new = np.r_[True, (ids_sorted[1:] != ids_sorted[:-1]) | (counts_sorted[1:] != counts_sorted[:-1])]
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return np.column_stack([kinds[ids_sorted[new]], counts_sorted[new]]), inverse


# Searched rows kept between calls, per batch prefix (names and scalar inputs): a plan re-run
# for a new power cap or deadline, or a sweep moved back and forth, searches no layout twice.
# A prefix keeps a few chunks (one per batch that searched rows), each sorted by a hash of
# its rows (a dot product with fixed weights), with the rows themselves (a hit is checked
# exactly) and their outputs: a batch is looked up with a few vectorised operations per
# chunk instead of a dict access per row, and storing a batch copies only its own rows.
_ROW_MEMORY: dict[bytes, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
_ROW_MEMORY_LIMIT = 50_000
_ROW_MEMORY_CHUNKS = 16
_OUTPUT_NAMES: list[str] = []
LEAN_OUTPUTS: tuple[str, ...] = ("mfu_step", "fits", "layout_valid")
_LEAN_NAMES: list[str] = []


# Whole batches, re-run (a re-plan for another cap): outputs of the distinct rows, the inverse, the table.
_TABLE_MEMORY: dict[bytes, tuple[dict[str, np.ndarray], np.ndarray | None, np.ndarray]] = {}
_TABLE_WEIGHTS = np.random.default_rng(1).uniform(1.0, 2.0, 65_536)


def _rows_by_row(rows: np.ndarray, names: list[str], base: dict, prefix: bytes, lean: bool = False
                 ) -> dict[str, np.ndarray]:
    output_names = _LEAN_NAMES if lean else _OUTPUT_NAMES   # the prefix keeps the two apart
    key = np.where(np.isnan(rows), -1.0, rows) @ _HASH_WEIGHTS[:rows.shape[1]]
    found = np.zeros(rows.shape[0], dtype=bool)
    chunks = _ROW_MEMORY.get(prefix, [])
    stacked = None
    for keys, kept, outputs in chunks:
        at = np.minimum(np.searchsorted(keys, key), keys.size - 1)
        hit = ~found & (keys[at] == key)
        hit[hit] = ((kept[at[hit]] == rows[hit]) | (np.isnan(kept[at[hit]]) & np.isnan(rows[hit]))).all(axis=1)
        if hit.any():
            if stacked is None:
                stacked = np.empty((outputs.shape[0], rows.shape[0]))
            stacked[:, hit] = outputs[:, at[hit]]
            found |= hit
    missing = np.flatnonzero(~found)
    if missing.size:
        todo = rows[missing]
        parts = []
        step = _CHUNK_ROWS if _dense_search(todo, names, base) else todo.shape[0]
        for start in range(0, todo.shape[0], step):
            chunk = todo[start:start + step]
            parts.append(_step_model({**base, **{k: chunk[:, i] for i, k in enumerate(names)}}, lean=lean))
        computed = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        if not output_names:
            output_names.extend(computed)
        matrix = np.stack([computed[k] for k in output_names])   # (outputs, rows): whole rows copied
        if stacked is None:   # all searched now (a cold batch)
            stacked = matrix
        else:
            stacked[:, missing] = matrix
        if sum(c[0].size for kept_chunks in _ROW_MEMORY.values() for c in kept_chunks) + missing.size \
                > _ROW_MEMORY_LIMIT:   # the limit holds for every prefix together, as it did per row
            _ROW_MEMORY.clear()
            chunks = []
        elif len(chunks) >= _ROW_MEMORY_CHUNKS:
            chunks = []
        order = np.argsort(key[missing])
        _ROW_MEMORY[prefix] = [*chunks, (key[missing][order], todo[order], matrix[:, order])]
    if stacked is None:
        stacked = np.empty((len(output_names), 0))
    return {k: stacked[j] for j, k in enumerate(output_names)}   # views of a fresh matrix (step_model copies out)


def _dense_search(todo: np.ndarray, names: list[str], base: dict) -> bool:
    """Whether these rows' search scores every (row, candidate) pair at once, so wants
    chunks: the reference (pins, or exhaustive_search), or few counts per scenario. The
    bounded search of many counts per scenario keeps only survivors: one batch, which then
    meets each scenario's constants once."""
    if _EXHAUSTIVE[0] or not _unpinned({**base, **{k: todo[:1, i] for i, k in enumerate(names)}}):
        return True
    scenarios = [i for i, k in enumerate(names) if k != "count"]
    if not scenarios:
        return todo.shape[0] < _PRUNE_ROWS
    return todo.shape[0] < _BOUNDED_PER_SCENARIO * int(np.count_nonzero(_runs(todo[:, scenarios])))


def _runs(table: np.ndarray) -> np.ndarray:
    """Where a row differs from the one before (NaN equal to NaN): step_model hands the
    search its rows sorted by scenario, so these start its distinct scenarios (rows that
    come unsorted only split a scenario into runs, each searched as its own, the same)."""
    same = (table[1:] == table[:-1]) | (np.isnan(table[1:]) & np.isnan(table[:-1]))
    return np.r_[True, ~same.all(axis=1)]


_HASH_WEIGHTS = np.random.default_rng(0).uniform(1.0, 2.0, 64)  # >= the step inputs (44)


def _unique_rows(table: np.ndarray, by_last: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(table, axis=0, return_inverse=True) up to the order of the rows, ~10x
    cheaper: rows are keyed by a dot product with fixed weights (one float to sort instead of
    numpy's row-by-row comparison) and the result checked exactly against the table (a hash
    collision falls back to np.unique). `by_last`: the last column (the chip count) kept out
    of the key and sorted within each group of equal other columns."""
    width = table.shape[1] - (1 if by_last else 0)
    filled = np.where(np.isnan(table), -1.0, table)
    key = filled[:, :width] @ _HASH_WEIGHTS[:width] if width else np.zeros(table.shape[0])
    order = np.lexsort((table[:, -1], key)) if by_last else np.argsort(key, kind="stable")
    key, ordered = key[order], table[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = key[1:] != key[:-1]
    if by_last:
        new[1:] |= ordered[1:, -1] != ordered[:-1, -1]
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    rows = ordered[new]
    if not np.array_equal(rows[inverse], table, equal_nan=True):
        rows, inverse = np.unique(table, axis=0, return_inverse=True)
        return rows, inverse.ravel()
    return rows, inverse


def forget() -> None:
    """Drop every remembered search (benches time the search itself with this)."""
    _TABLE_MEMORY.clear()
    _ROW_MEMORY.clear()
    _CONSTANTS_MEMORY.clear()
    _GROUP_CONSTANTS.clear()
    _DERIVED.clear()
    _cached_outputs.cache_clear()


def _constant(a: np.ndarray) -> bool:
    first = a.flat[0]
    return bool(np.all(a == first)) if first == first else bool(np.all(np.isnan(a)))


@functools.lru_cache(maxsize=1024)
def _cached_outputs(key: tuple[float | None, ...]) -> dict[str, np.ndarray]:
    return _step_model({k: math.nan if v is None else v for k, v in zip(_STEP_INPUTS, key)})


def _cached(key: tuple[float | None, ...]) -> dict[str, np.ndarray]:
    """One scenario's search, memoised on its step inputs (NaN, "auto", keyed as None): a
    keystroke that changes the PUE, a price or the region reuses the layout."""
    return dict(_cached_outputs(key))  # numpy scalars: immutable, no copy needed


def _columns(x: Mapping[str, ArrayLike]):
    def col(name: str) -> float | np.ndarray:
        """A scalar stays a Python float (fast); an array gets the two candidate axes."""
        v = x[name]
        if isinstance(v, _SCALARS):
            return float(v)
        a = np.asarray(v, dtype=float)
        return a.reshape(a.shape + (1, 1)) if a.ndim else float(a)
    return col


@contextlib.contextmanager
def exhaustive_search():
    """Within it, every search is the exhaustive reference (benches time the fast search
    beside it in the same run)."""
    _EXHAUSTIVE[0] = True
    forget()
    try:
        yield
    finally:
        _EXHAUSTIVE[0] = False
        forget()


_EXHAUSTIVE = [False]


def step_model_exhaustive(x: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """step_model through the exhaustive reference search only, uncached (what tests hold
    the fast search to)."""
    with np.errstate(all="ignore"):
        return _step_model(x, exhaustive=True)


def _step_model(x: Mapping[str, ArrayLike], exhaustive: bool = False, lean: bool = False) -> dict[str, np.ndarray]:
    tp, pp, mb, ep = candidates(x)
    arrays = [k for k in _STEP_INPUTS if not isinstance(x[k], _SCALARS)]
    shape = np.broadcast_shapes(*(np.shape(x[k]) for k in arrays)) if arrays else ()

    col = _columns(x)
    rc_all, zero_all = _pairs(tuple(sorted(set(_ZERO) | set(_pins(x, "zero_stage_in")))))
    exhaustive = exhaustive or _EXHAUSTIVE[0]
    choice = _fast_choice(x, tp, pp, mb, ep, shape) if _unpinned(x) and not exhaustive else None
    if choice is not None and choice[2].any():
        if not shape:
            choice = None
        else:  # near ties: the reference's choice on those rows
            ci, ki, redo = choice[:3]
            rows = np.flatnonzero(redo)
            sub = {k: v if isinstance(v, _SCALARS) else np.asarray(v)[rows] for k, v in x.items()}
            _, _, _, _, ci[rows], ki[rows] = _reference_choice(_columns(sub), tp, pp, mb, ep, rows.shape, rc_all,
                                                               zero_all, prune=False)
    constants = None
    if choice is None:
        tp, pp, mb, ep, ci, ki = _reference_choice(col, tp, pp, mb, ep, shape, rc_all, zero_all)
    else:
        ci, ki, _, constants = choice
    return _outputs(col, tp, pp, mb, ep, ci, ki, rc_all, zero_all, shape, constants, lean)


@functools.lru_cache(maxsize=16)
def _pairs(zero_opts: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(recompute, ZeRO) pairs, recompute major: the K axis of the search."""
    combos = [(r, z) for r in (0.0, 1.0, 2.0) for z in zero_opts]
    pairs = np.array([r for r, _ in combos]), np.array([z for _, z in combos])
    for a in pairs:
        a.flags.writeable = False  # shared by every search
    return pairs


def _constants(col, tp, pp, mb, ep) -> dict:
    """What a candidate layout (tp, pp, mb, ep) costs per unit of work, independent of the chip
    count (docs/model.md §16.2): the per-layer terms per token of batch / used chips (`*_u`)
    or per layer x micro-batch visit (`*_v`), the point-to-point per micro-batch, memory
    terms. The chip count enters only through dp (_terms); the fast search computes these
    once per distinct scenario and reuses them at every count of a sweep or a plan."""
    big_n, active = col("params_b") * 1e9, col("active_params_b") * 1e9
    layers, h, heads, kv = col("layers"), col("hidden"), col("heads"), col("kv_heads")
    f, vocab, seq, experts, top_k = col("ffn"), col("vocab"), col("seq_len"), col("experts"), col("top_k")
    gated = col("gated")
    peak = col("peak_tflops") * 1e12
    hbm_bw = col("hbm_bw_tbps") * 1e12
    domain = col("scaleup_domain")
    up_bw = col("scaleup_bw_gbps") * 1e9 / 2.0  # catalog: bidirectional aggregate; one direction
    out_bw = col("scaleout_bw_gbps") * 1e9
    up_bw = where(np.isfinite(up_bw), up_bw, out_bw)
    nbytes = col("gemm_bytes")
    eff_max, attn_eff = col("step_gemm_efficiency"), col("step_attention_efficiency")
    coll_eff, overlap = col("step_collective_efficiency"), col("step_comm_overlap")
    elem_passes, layer_us = col("step_memory_passes"), col("step_layer_overhead_us")
    latency = col("step_collective_latency_us") * 1e-6
    vmax = col("step_max_virtual_stages")

    stage_layers = np.ceil(layers / pp)
    imbalance = stage_layers * pp / layers
    moe = experts > 1.0
    law = col("batch_law_coefficient") * col("flops") ** col("batch_law_exponent")
    # np.rint is np.round to 0 decimals (half to even), without its Python-level wrapper.
    batch_law = np.rint(np.maximum(np.minimum(law, col("batch_tokens_max")), 1.0) / seq) * seq
    valid = (pp <= layers) & ((tp <= np.maximum(domain, 1.0)) | ~np.isnan(col("tp_in")))
    valid = valid & where(moe, np.mod(experts, ep) == 0, ep == 1) & (np.mod(heads, tp) == 0)

    # Parameters: MoE experts from total vs active (inactive = (E - k) / E of the experts).
    dense = moe is False or isinstance(moe, np.bool_) and not moe  # one dense scenario: no expert terms
    expert_params = 0.0 if dense else where(
        moe, np.clip((big_n - active) * experts / np.maximum(experts - top_k, 1.0), 0.0, big_n), 0.0)
    expert_active = expert_params * top_k / np.maximum(experts, 1.0)
    tpp = tp * pp
    shared = (big_n - expert_params) / tpp
    local_params = (shared if dense else shared + expert_params / (ep * tp * pp)) * imbalance  # dense: + 0 exactly
    f_expert = expert_params / np.maximum(layers * experts * (gated + 2.0) * h, 1.0)

    # Time per model FLOP of the matmuls, by class (attention projections, dense MLP, experts).
    tokens_mb = mb * seq
    head_dim = h / heads
    up_mats = gated + 1.0
    spf_proj = 0.5 * (_gemm_seconds_per_flop(tokens_mb, h, (h + 2 * kv * head_dim) / tp, peak, hbm_bw, nbytes, eff_max)
                      + _gemm_seconds_per_flop(tokens_mb, h / tp, h, peak, hbm_bw, nbytes, eff_max))
    spf_mlp = 0.5 * (_gemm_seconds_per_flop(tokens_mb, h, up_mats * f / tp, peak, hbm_bw, nbytes, eff_max)
                     + _gemm_seconds_per_flop(tokens_mb, f / tp, h, peak, hbm_bw, nbytes, eff_max))
    spf_exp = 0.0
    if not dense:
        tokens_expert = tokens_mb * top_k * ep / np.maximum(experts, 1.0)
        spf_exp = 0.5 * (
            _gemm_seconds_per_flop(tokens_expert, h, up_mats * f_expert / tp, peak, hbm_bw, nbytes, eff_max)
            + _gemm_seconds_per_flop(tokens_expert, f_expert / tp, h, peak, hbm_bw, nbytes, eff_max))
    share_proj = np.minimum(layers * (2 * h * h + 2 * h * kv * head_dim) / active, 1.0)
    share_exp = np.minimum(expert_active / active, 1.0 - share_proj)
    spf = share_proj * spf_proj + share_exp * where(moe, spf_exp, 0.0) + (1 - share_proj - share_exp) * spf_mlp

    # Seconds per token of batch / used chips of the per-layer terms (before recompute and imbalance).
    flash = col("flash_attention") > 0.5
    causal = where(flash, col("step_attention_causal"), 1.0)  # unfused kernels compute the whole score matrix
    scores = where(flash, 0.0, col("step_score_passes") * heads * seq)  # materialised scores, elements
    # Seconds per layer x micro-batch visit: launch overhead, TP collectives, expert all-to-all.
    act_bytes = tokens_mb * h * 2.0
    tp_bw = np.where(tp <= domain, up_bw, out_bw) * coll_eff
    tp_v = np.where(tp > 1, 8.0 * ((tp - 1) / tp * act_bytes / tp_bw + latency), 0.0)
    # Expert all-to-all: each token goes to top_k experts spread over the ep group. Inside
    # one scale-up domain at its bandwidth; across domains a token crosses the scale-out
    # network once per distinct remote domain it is routed to (expected over uniform routing).
    # Dispatch in the matmul precision, combine in bf16; forward and backward.
    if dense:
        a2a_v = 0.0
    else:
        token_bytes = tokens_mb * h * (nbytes + 2.0) / 2.0 / tp
        domains = np.maximum(ep * tp / domain, 1.0)
        remote = np.where(domains > 1, domains * (1 - (1 - 1 / domains) ** top_k) * (domains - 1) / domains, 0.0)
        local = np.where(domains > 1, top_k / domains, top_k * (ep - 1) / ep)
        a2a_v = where(moe & (ep > 1), 4.0 * (remote * token_bytes / (out_bw * coll_eff)
                                                + local * token_bytes / (up_bw * coll_eff) + latency), 0.0)
    v = np.where(pp > 1, np.minimum(stage_layers, vmax), 1.0)
    pp_bw = np.where(tpp <= domain, up_bw, out_bw) * coll_eff
    # Point-to-point sends overlap with the next micro-batch's compute, as the DP reduce does.
    p2p_m = np.where(pp > 1, 2.0 * v * (act_bytes / tp / pp_bw + latency), 0.0) * (1.0 - overlap)
    return dict(
        ideal_u=6.0 * active / peak, matmul_u=6.0 * active * spf, attention_u=12.0 * layers * seq * h * causal /
        (peak * attn_eff), memory_u=(elem_passes * h + scores) * 2.0 * layers / hbm_bw,
        scores_u=scores * 2.0 * layers / hbm_bw, overhead_v=layer_us * 1e-6, tp_v=tp_v, a2a_v=a2a_v, p2p_m=p2p_m,
        imbalance=imbalance, pp=pp, v=v, local_params=local_params, hbm_bw=hbm_bw, overlap=overlap,
        sbh=tokens_mb * h, tp=tp, stage_layers=stage_layers, heads=heads, seq=seq, h=h, vocab=vocab,
        tokens_mb=tokens_mb, flash=flash, usable=col("hbm_usable_share") * col("hbm_gb") * 1e9, ep=ep, mb=mb,
        moe=moe, batch_law=batch_law, valid=valid, domain=domain, up_bw=up_bw, out_bw=out_bw, coll_eff=coll_eff,
    )


def _terms(col, tp, pp, mb, ep, constants: dict | None = None) -> dict:
    """Every quantity of candidate layouts (tp, pp, mb, ep) that does not depend on recompute
    or ZeRO, on the scenario's inputs `col` (docs/model.md §16.2); `constants`: theirs from
    _constants when already at hand."""
    c = dict(constants) if constants is not None else _constants(col, tp, pp, mb, ep)
    n, seq = col("count"), c["seq"]
    # A layout uses whole replicas of tp x pp chips: dp = floor(count / (tp x pp)), and the
    # chips left over (16,385 on a tp 8 x pp 16 layout leaves one) idle, paid for but doing
    # nothing, as a real job would leave them.
    dp = np.floor(n / (tp * pp) + 1e-9)
    used = tp * pp * dp  # chips doing steps; n - used idle
    batch_in = col("global_batch_tokens_in")
    batch = where(batch_in != batch_in, np.maximum(c["batch_law"], dp * mb * seq), batch_in)  # NaN: the batch law
    micro = batch / (seq * dp * mb)  # micro-batches per replica per step
    valid = c["valid"] & (dp >= 1) & (micro >= 1.0 - 1e-9) & where(c["moe"], np.mod(dp, ep) == 0, True)
    pinned = True  # candidates agreeing with every pin, whether or not they are valid
    for name, cand in (("tp_in", tp), ("pp_in", pp), ("micro_batch_in", mb), ("ep_in", ep), ("dp_in", dp)):
        pin = col(name)
        pinned = pinned & ((pin != pin) | (abs(cand - pin) < 1e-9))  # NaN: not pinned (np.isnan, cheaper on floats)
    per_chip = batch / used  # tokens of the batch per chip doing steps
    steps_ml = c["stage_layers"] * micro  # layer x micro-batch visits per step on one chip
    dp_bw = where(used <= c["domain"], c["up_bw"], c["out_bw"]) * c["coll_eff"]
    c.update(ideal=c["ideal_u"] * per_chip, matmul=c["matmul_u"] * per_chip, attention=c["attention_u"] * per_chip,
             memory=c["memory_u"] * per_chip, scores_time=c["scores_u"] * per_chip,
             overhead=c["overhead_v"] * steps_ml, tp_comm=c["tp_v"] * steps_ml, a2a=c["a2a_v"] * steps_ml,
             p2p=c["p2p_m"] * micro, micro=micro, dp=dp, batch=batch, busy=used / n,
             dp_base=where(dp > 1, 2.0 * (dp - 1) / dp * 2.0 * c["local_params"] / dp_bw, 0.0),
             valid=valid & pinned, pinned=pinned)
    return c


_PINS: tuple[str, ...] = ("tp_in", "pp_in", "dp_in", "ep_in", "micro_batch_in", "global_batch_tokens_in",
                          "recompute_in", "zero_stage_in")
_PER_LAYER_FULL, _PER_LAYER_SELECTIVE = 2.0, (18.0, 34.0)  # activations x sbh / tp (Korthikanti et al.)


def _unpinned(x: Mapping[str, ArrayLike]) -> bool:
    """No part of the layout pinned anywhere in the batch: the fast search applies."""
    return all(isinstance(v := x[k], _SCALARS) and v != v for k in _PINS)


def _fast_choice(x: Mapping[str, ArrayLike], tp: np.ndarray, pp: np.ndarray, mb: np.ndarray, ep: np.ndarray,
                 shape: tuple[int, ...]) -> tuple | None:
    """The exhaustive search's choice, computed in closed form: every quantity of a candidate
    that the chip count leaves alone (_constants, _candidate_terms) is computed once per
    distinct scenario of the batch (a sweep of the count has one, a plan one per chip), then
    each (row, candidate, recompute, ZeRO) costs a few multiply-adds in dp = floor(count /
    (tp pp)). The step time is the same sum as _combo's, regrouped by what scales with
    batch / dp: compute = Q A_rc with Q = batch / dp, the bubble (pp - 1) / v x mb seq x A_rc
    and the DP window do not depend on dp at all. Same scores, same tie order (lowest
    candidate, then pair), so the same layout up to float rounding (tests/test_step.py
    checks it against the reference). One scenario at one count (evaluate()) is scored by
    _one_choice; scenarios met at many counts (a sweep, a plan's chips) go to _bounded,
    which scores only the candidates a cheap bound cannot rule out. None when a row needs
    the reference's fallbacks (no valid layout, a NaN input)."""
    if not shape:
        return _one_choice(x, tp, pp, mb, ep)
    varying = [k for k in _STEP_INPUTS if k != "count" and not isinstance(x[k], _SCALARS)]
    rows = int(np.prod(shape))
    if varying:
        table = np.stack([np.broadcast_to(np.asarray(x[k], dtype=float), shape).ravel() for k in varying], axis=1)
        new = _runs(table)
        groups, gid = table[new], np.cumsum(new) - 1
        g = {**x, **{k: groups[:, i] for i, k in enumerate(varying)}}
    else:
        groups, gid, g = None, None, x
    many = rows >= (_BOUNDED_PER_SCENARIO * groups.shape[0] if groups is not None else _PRUNE_ROWS)

    def gcol(name: str) -> float | np.ndarray:
        v = g[name]
        return float(v) if isinstance(v, _SCALARS) else np.asarray(v, dtype=float).reshape(-1, 1)

    if gid is None:  # one scenario: its constants outlive a count change
        c = _scenario_constants(x, tp, pp, mb, ep)
    else:
        c, groups, gid = _group_constants(gcol, x, varying, groups, gid, tp, pp, mb, ep)
    tp, pp, mb, ep = (a[:, 0] for a in (tp, pp, mb, ep))
    cand = _searched(c, tp, pp, mb, ep, 1 if groups is None else groups.shape[0])
    n = np.broadcast_to(np.asarray(x["count"], dtype=float), shape).ravel()
    if many:
        found = _bounded(n, np.zeros(n.size, dtype=np.intp) if gid is None else gid, tp * pp, cand)
        return None if found is None else (*(a.reshape(shape) for a in found), None)
    width = tp.shape[0]
    scores = np.moveaxis(_scores_at(n[:, None], (0 if gid is None else gid[:, None] * width) + np.arange(width),
                                    cand), 0, -1)
    score = scores.reshape(n.size, -1)
    best = np.argmin(score, axis=1)
    low = score[np.arange(best.size), best]
    if np.isnan(score).any() or not np.isfinite(low).all():
        return None
    # Step times here are rounded differently from _combo's: where another candidate comes
    # within 1e-12 of the best, the reference decides (the pairs of one candidate tie only
    # exactly, as in _combo: ZeRO 1 and 3 with the reduce hidden).
    per_candidate = scores.min(axis=2)
    near = np.count_nonzero(per_candidate <= (low * (1.0 + _NEAR_TIE))[:, None], axis=1) > 1
    ci, ki = np.divmod(best, scores.shape[2])
    return ci.reshape(shape), ki.reshape(shape), (near & (low < _BIG)).reshape(shape), c


def _one_choice(x: Mapping[str, ArrayLike], tp: np.ndarray, pp: np.ndarray, mb: np.ndarray, ep: np.ndarray
                ) -> tuple | None:
    """_fast_choice of one scenario at one count (every input a scalar: evaluate()). The
    count is a float, so every array is one row of candidates, (C,) against (C,) or (3, C)
    with the recompute settings stacked, numpy's cheapest case; the terms are read straight
    from the scenario's remembered _candidate_terms (no packed table, no gathers)."""
    c, terms = _scenario_constants(x, tp, pp, mb, ep, with_terms=True)
    score = _pair_scores(float(x["count"]), terms.__getitem__)   # (pair, candidate)
    # The fastest candidate first (the lowest index of equal ones), then its fastest pair:
    # the order of an argmin over (candidate, pair), as _combo's search.
    per_candidate = score.min(axis=0)
    ci = per_candidate.argmin()  # the methods: np.argmin and .sum() wrap them in Python
    low = per_candidate[ci]
    if not np.isfinite(low):  # argmin finds a NaN first: NaN scores end here too
        return None
    ki = score[:, ci].argmin()
    near = np.add.reduce(per_candidate <= low * (1.0 + _NEAR_TIE)) > 1   # near ties: see _fast_choice
    return ci, ki, near & (low < _BIG), c


def _stacked(*a: np.ndarray) -> np.ndarray:
    """The recompute settings' arrays on a first axis (broadcast first where a batch's
    scenarios make one wider than another)."""
    return np.array(a if all(v.shape == a[0].shape for v in a) else np.broadcast_arrays(*a))


_STACKED = ("per_token", "fixed", "window", "act")   # _candidate_terms' (setting, ...) arrays


def _candidate_terms(c: dict, tp: np.ndarray, pp: np.ndarray, mb: np.ndarray, ep: np.ndarray) -> dict:
    """What a candidate's score takes besides dp (_pair_scores), from the candidates'
    _constants `c`: the step per token of Q = batch / dp (compute and p2p), the fixed bubble,
    the DP window hiding the reduce and the activations per stage, per recompute setting
    (none, selective, full: stacked on a first axis, _STACKED), and the memory, link and
    validity terms. The one table both searches score with: one scenario's as it is
    (_one_choice), a batch's packed by _searched."""
    tpp, smb = tp * pp, c["seq"] * mb
    u_none = (c["matmul_u"] + c["attention_u"] + c["memory_u"]) / tpp \
        + (c["overhead_v"] + c["tp_v"] + c["a2a_v"]) * c["stage_layers"] / smb
    extra_sel = where(c["flash"], c["memory_u"], c["attention_u"] + c["scores_u"]) / (3.0 * tpp)
    # The three recompute settings stacked: one numpy call does all three.
    a_rc = _stacked(u_none, u_none + extra_sel, u_none * (4.0 / 3.0)) * c["imbalance"]
    bubble = (pp - 1) / c["v"] * smb
    # Memory in _combo's exact operations and order: where nothing fits, the least memory
    # wins, and layouts that tie in exact arithmetic (pp 1 x dp 30 and pp 5 x dp 6 under
    # ZeRO 3 and full recompute) must break the tie the same way.
    unfused = where(c["flash"], 0.0, 5.0 * c["heads"] * c["seq"] / c["h"])
    act = _stacked((34.0 + unfused) * c["sbh"] / tp * c["stage_layers"],
                   where(c["flash"], *_PER_LAYER_SELECTIVE) * c["sbh"] / tp * c["stage_layers"],
                   _PER_LAYER_FULL * c["sbh"] / tp * c["stage_layers"])
    local = c["local_params"]
    return dict(tpp=tpp, smb=smb, mb=mb, pp=pp, ep=ep, local=local, w=_STATE_BYTES[0] * local,
                o=_STATE_BYTES[2] * local, optimizer=28.0 * local / c["hbm_bw"], valid=c["valid"], moe=c["moe"],
                batch_law=c["batch_law"], seq=c["seq"], domain=c["domain"], usable=c["usable"],
                vocab_act=4.0 * c["tokens_mb"] * c["vocab"] / tp,
                # used <= domain needs tp pp <= it
                dp_link=c["coll_eff"] * np.where(tpp <= c["domain"], c["up_bw"], c["out_bw"]),
                dp_link_out=c["coll_eff"] * c["out_bw"],
                per_token=a_rc + c["p2p_m"] / smb,                       # x Q: compute and p2p
                fixed=bubble * a_rc,                                     # the bubble
                window=c["overlap"] * (2.0 / 3.0) * smb * a_rc,          # DP reduce hidden behind it
                act=act)


def _pair_scores(n: float | np.ndarray, g) -> np.ndarray:
    """(pair, ...) scores at counts `n` of the candidates whose _candidate_terms `g(name)`
    gives, pairs in _combo's order (recompute major, as _pairs), invalid ones infinite.
    The same operations in the same order wherever they run (one scenario's row, a batch
    densely, a bound's survivors), so the very same floats."""
    tpp, smb, mb, local = g("tpp"), g("smb"), g("mb"), g("local")
    dp = np.floor(n / tpp + 1e-9)
    tokens = np.maximum(g("batch_law"), dp * smb)
    q = tokens / dp
    micro = tokens / (g("seq") * dp * mb)  # as _terms rounds it
    inv_dp = 1.0 / dp
    used_in = tpp * dp <= g("domain")
    dp_base = np.where(dp > 1, 4.0 * (dp - 1) * inv_dp * local / np.where(used_in, g("dp_link"), g("dp_link_out")),
                       0.0)
    valid = (g("valid") > 0.5) & (dp >= 1) & (micro >= 1.0 - 1e-9)
    moe = g("moe")
    if _any(moe):
        valid = valid & np.where(moe > 0.5, np.mod(dp, g("ep")) == 0, True)
    w, o = g("w"), g("o")
    w_dp, o_dp = w / dp, o / dp
    states = (w + w + o_dp, w_dp + w_dp + o_dp)   # ZeRO 1, 3: weights + grads + optimizer states
    stages = np.minimum(g("pp"), micro)

    def by_setting(name: str) -> np.ndarray:
        """A (setting, ...) term, its first axis ahead of the counts' (n wider than the candidates)."""
        a = g(name)
        return a if a.ndim > q.ndim else a.reshape(a.shape[:1] + (1,) * (q.ndim + 1 - a.ndim) + a.shape[1:])
    # In place where a batch's (setting, cell) temporaries would be fresh large arrays (the
    # same operations, so the same floats).
    base = q * by_setting("per_token")   # (setting, ...)
    base += by_setting("fixed")
    base += g("optimizer") * inv_dp
    activations = by_setting("act") * stages
    activations += g("vocab_act")
    window, usable = by_setting("window"), g("usable")
    out = np.empty((3, 2) + base.shape[1:])
    memory, big = np.empty_like(base), np.empty_like(base)
    for z, states_z in enumerate(states):   # ZeRO 1, 3: the exposed reduce x 1.0 (exact), x 1.5
        score = out[:, z]
        np.subtract(dp_base * 1.5 if z else dp_base, window, out=score)
        np.maximum(0.0, score, out=score)
        np.add(base, score, out=score)
        np.add(states_z, activations, out=memory)
        np.divide(memory, 1e9, out=big)
        big += 1.0
        big *= _BIG
        np.copyto(score, big, where=~(memory <= usable))
    out = out.reshape((6,) + base.shape[1:])
    out[:, ~valid] = np.inf
    return out


_PRUNE_ROWS = 16  # fewer rows (one scenario): the dense search is fewer numpy calls
_BOUNDED_PER_SCENARIO = 2  # counts per scenario (several scenarios) from which _bounded searches
_NEAR_TIE = 1e-12  # relative gap under which the exhaustive search decides (rounding differs)


_DERIVED: dict[int, tuple[dict, dict]] = {}   # id(constants) -> (constants, their _searched terms)


def _searched(c: dict, tp: np.ndarray, pp: np.ndarray, mb: np.ndarray, ep: np.ndarray, scenarios: int) -> dict:
    """_candidate_terms as (scenarios, candidates) arrays ((setting, scenarios, candidates)
    for _STACKED, also as `per_token0`... for the bounds), packed into one matrix for
    _scores_at's gathers ("packed", "rows": a row, or three rows' slice), with _bounded's
    tables; remembered with the constants (the zoom stages of a plan search the same chips)."""
    entry = _DERIVED.get(id(c))
    if entry is not None and entry[0] is c:
        return entry[1]
    width = (scenarios, tp.shape[0])
    cand = {k: v if not isinstance(v, np.ndarray) else np.broadcast_to(v, width) if k not in _STACKED
            else np.broadcast_to(v if v.ndim == 3 else v[:, None], (3, *width))
            for k, v in _candidate_terms(c, tp, pp, mb, ep).items()}
    rows: list[np.ndarray] = []
    cand["rows"] = {}
    for k in [k for k, v in cand.items() if isinstance(v, np.ndarray)]:
        a = cand[k].astype(float)
        cand["rows"][k] = slice(len(rows), len(rows) + 3) if k in _STACKED else len(rows)
        rows.extend(a.reshape(3, -1) if k in _STACKED else [a.ravel()])
    cand["packed"] = np.stack(rows)
    for k in _STACKED:
        cand.update({f"{k}{i}": cand[k][i] for i in range(3)})
    cand["nan"] = bool(np.isnan(cand["packed"]).any()) or any(isinstance(v, float) and v != v for v in cand.values())
    if not cand["nan"]:
        cand["fit"] = np.stack(_fit_counts(cand)).reshape(3, -1)
        cand["table"] = _bound_table(cand)
    if len(_DERIVED) >= 16:   # a plan's batches share one or two; a plan's are ~1.5 MB
        _DERIVED.clear()
    _DERIVED[id(c)] = (c, cand)
    return cand


def _scores_at(n: np.ndarray, cell: np.ndarray, cand: dict) -> np.ndarray:
    """(6, ...) _pair_scores of the candidates at `cell` (scenario x candidates + candidate,
    into _searched's (scenarios, candidates) arrays) at counts `n`."""
    gathered = cand["packed"][:, cell]
    index = cand["rows"]
    return _pair_scores(n, lambda name: gathered[index[name]] if name in index else cand[name])


_SLACK = 1e-8  # relative: the bounds' own rounding (~1e-15) and dp's 1e-9 nudge, many times over


def _fit_counts(cand: dict) -> list[np.ndarray]:
    """Per candidate and recompute setting, a chip count below which its least-memory layout
    (ZeRO 3) cannot fit: memory = A / dp + act min(pp, max(Bq / dp, 1)) + vocab with
    A = 16 local params bytes, Bq = batch / (seq mb), falls with dp, and is at least
    A / dp + act (so dp >= A / (U - act)) and at least min(A / dp + act pp, (A + act Bq) / dp)
    (so dp >= the lesser of those roots); the larger of the two limits is the exact root in
    each of the three stretches of micro-batches. Memory is loosened by _SLACK first, and
    dp <= count / (tp pp). Nested: a count past fit[k] may fit setting k or an earlier one."""
    usable = cand["usable"] * (1.0 + _SLACK) - cand["vocab_act"]
    a = 16.0 * cand["local"]
    bq = cand["batch_law"] / cand["smb"]

    def root(numerator, denominator):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.inf)
    out = []
    for k in range(3):
        act = cand[f"act{k}"]
        dp_min = np.maximum(root(a, usable - act), np.minimum(root(a, usable - act * cand["pp"]),
                                                              root(a + act * bq, usable)))
        out.append(cand["tpp"] * (dp_min * (1.0 - _SLACK) - _SLACK))
    out[1] = np.minimum(out[1], out[0])
    out[2] = np.minimum(out[2], out[1])
    return out


def _settings(cand: dict) -> tuple[list, list, list]:
    """Per candidate and first setting k0 that may fit, (P, F, W) such that every setting
    k >= k0 steps at least q P + F + optimizer / dp + max(0, dp_base - W). More recompute
    costs q dP + dF and hides at most dW more of the reduce; where dP, dF >= 0 and
    dW <= seq mb dP (q >= seq mb), setting k0's own terms bound the later ones (the model's
    settings are so: recompute adds time, the window is 2/3 overlap <= 1 of it); else
    the least P and F and the largest W from k0 on."""
    pt = [cand[f"per_token{k}"] for k in range(3)]
    fx = [cand[f"fixed{k}"] for k in range(3)]
    wd = [cand[f"window{k}"] for k in range(3)]
    p, f, w = [], [], []
    for k0 in range(3):
        later = range(k0, 3)
        ordered = np.logical_and.reduce([(pt[k] >= pt[k0]) & (fx[k] >= fx[k0])
                                         & (wd[k] - wd[k0] <= cand["smb"] * (pt[k] - pt[k0])) for k in later])
        p.append(np.where(ordered, pt[k0], np.minimum.reduce([pt[k] for k in later])))
        f.append(np.where(ordered, fx[k0], np.minimum.reduce([fx[k] for k in later])))
        w.append(np.where(ordered, wd[k0], np.maximum.reduce([wd[k] for k in later])))
    return p, f, w


_CHUNK_PAIRS = 16_384  # (block, candidate) pairs bounded at once
_BLOCK_ROWS = 16  # at most so many sorted counts of one scenario share a bound's coefficients (_bounded),
_BLOCK_SPAN = 0.25  # within about 25 % of each other: wider blocks bound looser, narrower cost more
_TINY_COEFFICIENT = 1e-300  # instead of 0 where dp = 0 gives an infinite factor (0 x inf is NaN)


def _bounded(n: np.ndarray, gid: np.ndarray, tpp: np.ndarray, cand: dict
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """_fast_choice's choice for scenarios `gid` (rows into cand's (scenarios, candidates)
    arrays) at counts `n`, scoring few candidates exactly. A lower bound of a candidate's
    best score at a count, in a dozen operations:
    step >= max(batch / dp, seq mb) P + F + optimizer / dp + max(0, (1 - 1 / dp) R - W),
    dp = floor(count / (tp pp)) as the search has it, (P, F, W) those of the first
    recompute setting that may fit (_fit_counts, _settings) and R the DP reduce at its link
    (_block_coefficients); where no setting may fit, the BIG score of the least memory.
    Each scenario's sorted counts fall into blocks of at most _BLOCK_ROWS within _BLOCK_SPAN
    of each other; per (block, candidate) the bound at the block's largest dp (and least dp
    for the reduce, which grows with dp) is below the bound at every count of the block.
    The block's candidate with the lowest one, scored exactly at each count, is an upper
    bound of each count's best: only the (block, candidate) pairs whose bound does not
    exceed the block's largest such upper bound get the bound per count; the count's own
    lowest-bound candidate, scored exactly, tightens its upper bound; and only the (count,
    candidate) pairs whose bound does not exceed it (within _NEAR_TIE and _SLACK) are
    scored exactly. Every candidate that could be a count's best or a near tie is among
    them, with the dense search's very floats, so the choice, its tie order and the near
    ties are the dense search's."""
    if cand["nan"]:
        return None
    rows, width = n.size, tpp.shape[0]
    order = np.lexsort((n, gid))
    counts, group = n[order], gid[order]
    # Blocks: a new one where the scenario or the count's span bucket changes, and every
    # _BLOCK_ROWS counts within one.
    bucket = np.floor(np.log(np.maximum(counts, 1.0)) / math.log1p(_BLOCK_SPAN))
    new = np.r_[True, (group[1:] != group[:-1]) | (bucket[1:] != bucket[:-1])]
    run_start = np.maximum.accumulate(np.where(new, np.arange(rows), 0))
    new |= (np.arange(rows) - run_start) % _BLOCK_ROWS == 0
    start = np.flatnonzero(new)
    size = np.diff(np.r_[start, rows])
    block_of = np.cumsum(new) - 1
    low, high = counts[start], counts[start + size - 1]
    # The (block, candidate) pairs that may be valid somewhere in the block, by block then
    # candidate: the rest score infinity at every count of it.
    blocks = start.size
    cell = group[start][:, None] * width + np.arange(width)
    bi, ci = np.nonzero((np.take(cand["packed"][cand["rows"]["valid"]], cell) > 0.5)
                        & (np.floor(high[:, None] / tpp + 1e-9) >= 1))
    if not np.bincount(bi, minlength=blocks).all():   # a block without a valid candidate: the reference decides
        return None
    # In chunks of pairs whose temporaries stay in cache (fresh large arrays cost their page
    # faults on this kind of machine).
    coefficients, block_bound = np.empty((6, bi.size)), np.empty(bi.size)
    usable_low = np.empty(bi.size, dtype=bool)
    for a in range(0, bi.size, _CHUNK_PAIRS):
        part = slice(a, a + _CHUNK_PAIRS)
        b_, c_ = bi[part], ci[part]
        coefficients[:, part] = _block_coefficients(cand, group[start][b_] * width + c_, low[b_], high[b_])
        block_bound[part] = _bound(high[b_], tpp[c_], coefficients[:, part], least=low[b_])
        usable_low[part] = low[b_] >= tpp[c_]       # dp >= 1 at the block's least count
    if np.isnan(block_bound).any():
        return None
    # The guess: the lowest bound among candidates with dp >= 1 at the block's least count
    # (any candidate of the block where none is).
    segments = np.searchsorted(bi, np.arange(blocks))
    score = np.where(usable_low, block_bound, np.inf)
    score = np.where(np.isinf(np.minimum.reduceat(score, segments))[bi], block_bound, score)
    pick = np.minimum.reduceat(np.where(score == np.minimum.reduceat(score, segments)[bi], np.arange(bi.size),
                                        bi.size), segments)
    guess = ci[np.where(pick < bi.size, pick, segments)]
    known_at = guess[block_of]                 # each count's candidate scored so far, and its scores
    known = _scores_at(counts, group * width + known_at, cand)
    ceiling = known.min(axis=0)
    if np.isnan(ceiling).any():
        return None
    margin = (1.0 + _NEAR_TIE) * (1.0 + _SLACK) / (1.0 - _SLACK)
    threshold = ceiling * margin
    kept = np.flatnonzero(block_bound <= np.maximum.reduceat(threshold, start)[bi])
    b = bi[kept]
    # Each surviving (block, candidate) at each count of the block, then by count.
    offset = np.arange(int(size[b].sum())) - np.repeat(np.cumsum(size[b]) - size[b], size[b])
    row = np.repeat(start[b], size[b]) + offset
    pairs = np.argsort(row, kind="stable")   # by count, then candidate (they come by block, candidate)
    row, at = row[pairs], np.repeat(kept, size[b])[pairs]
    j = ci[at]
    per_row = _bound(counts[row], tpp[j], np.take(coefficients, at, axis=1))
    keep = per_row <= threshold[row]
    if np.count_nonzero(keep) > 2 * rows:
        # The block's guess is far off at some counts: score each count's own lowest-bound
        # candidate too, and keep the better upper bound.
        first = np.searchsorted(row, np.arange(rows))
        lowest = np.minimum.reduceat(per_row, first)
        own = j[np.minimum.reduceat(np.where(per_row == lowest[row], np.arange(row.size), row.size), first)]
        second = _scores_at(counts, group * width + own, cand)
        if np.isnan(second).any():
            return None
        better = second.min(axis=0) < ceiling
        known_at, known[:, better] = np.where(better, own, known_at), second[:, better]
        threshold = np.minimum(threshold, second.min(axis=0) * margin)
        keep = per_row <= threshold[row]
    r, j = row[keep], j[keep]
    if np.bincount(r, minlength=rows).min() == 0:   # a count left without a candidate (a NaN bound)
        return None
    # Pairs already scored (each count's guess) are not scored again: the same floats.
    scored = j == known_at[r]
    scores = np.empty((known.shape[0], r.size))
    scores[:, scored] = known[:, r[scored]]
    scores[:, ~scored] = _scores_at(counts[r[~scored]], group[r[~scored]] * width + j[~scored], cand)
    if np.isnan(scores).any():
        return None
    per_candidate = scores.min(axis=0)
    starts = np.searchsorted(r, np.arange(rows))
    low = np.minimum.reduceat(per_candidate, starts)
    if not np.isfinite(low).all():
        return None
    best = np.minimum.reduceat(np.where(per_candidate == low[r], np.arange(r.size), r.size), starts)
    # Near ties (see _fast_choice): only survivors can be within _NEAR_TIE of the best.
    near = np.add.reduceat((per_candidate <= low[r] * (1.0 + _NEAR_TIE)).astype(np.intp), starts) > 1
    ci, ki, near_tie = np.empty(rows, dtype=np.intp), np.empty(rows, dtype=np.intp), np.empty(rows, dtype=bool)
    ci[order], ki[order], near_tie[order] = j[best], np.argmin(scores[:, best], axis=0), near & (low < _BIG)
    return ci, ki, near_tie


def _bound(counts: np.ndarray, tpp: np.ndarray, coefficients: np.ndarray, least: np.ndarray | None = None
           ) -> np.ndarray:
    """_bounded's bound at `counts` from _block_coefficients' stacked (batch P, seq mb P, F,
    optimizer, R, W); the reduce's dp from `least` counts where given (it grows with dp)."""
    big_p, small_p, f, o, r_, w = coefficients
    inv = 1.0 / np.floor(counts / tpp + 1e-9)
    inv_least = inv if least is None else 1.0 / np.floor(least / tpp + 1e-9)
    return np.maximum(big_p * inv, small_p) + f + o * inv + np.maximum(0.0, (1.0 - inv_least) * r_ - w)


def _bound_table(cand: dict) -> np.ndarray:
    """_bounded's coefficients per (coefficient, first setting that may fit x scenario x
    candidate): rows (batch P, seq mb P, F, optimizer, R at the scale-out link, W, R at the
    faster link, tp pp + domain), the fourth setting standing for "none may fit" (the BIG
    score of the least memory: BIG (1 + (16 local / dp + least activations + vocab) / 1e9)).
    An invalid candidate's F is infinite."""
    p, f, w = _settings(cand)
    tiny = _TINY_COEFFICIENT
    local = cand["local"]
    least = np.minimum.reduce([cand[f"act{k}"] for k in range(3)])
    r_out = 4.0 * local / cand["dp_link_out"]
    r_fast = 4.0 * local / np.maximum(cand["dp_link"], cand["dp_link_out"])
    link_from = cand["tpp"] + cand["domain"]   # used > count - tp pp: past it, the scale-out link
    table = np.empty((4, 8) + local.shape)
    for k0 in range(3):
        table[k0] = np.broadcast_arrays(cand["batch_law"] * p[k0], cand["smb"] * p[k0], f[k0], cand["optimizer"],
                                        r_out, w[k0], r_fast, link_from)
    table[3] = np.broadcast_arrays(cand["batch_law"] * tiny, cand["smb"] * tiny,
                                   _BIG * (1.0 + (least + cand["vocab_act"]) / 1e9), _BIG * 16.0 * local / 1e9,
                                   tiny, 0.0, tiny, link_from)
    table[:, 2] = np.where(cand["valid"], table[:, 2], np.inf)
    return table.reshape(4, 8, -1).transpose(1, 0, 2).reshape(8, -1)


def _block_coefficients(cand: dict, cell: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """_bounded's stacked (batch P, seq mb P, F, optimizer, R, W) per (block, candidate)
    pair, at `cell` (scenario x candidates + candidate) for the blocks' least and largest
    counts: the first setting that may fit at the largest count (_fit_counts are nested:
    count how many may fit), R at the scale-out link once the least count leaves the
    scale-up domain."""
    fit = np.take(cand["fit"], cell, axis=1)
    k0 = 3 - ((high >= fit[0]).astype(np.intp) + (high >= fit[1]) + (high >= fit[2]))
    table = np.take(cand["table"], k0 * cand["local"].size + cell, axis=1)
    np.copyto(table[4], table[6], where=low < table[7])
    return table[:6]


_CONSTANTS_MEMORY: dict[bytes, list] = {}  # one scenario's [_constants, _candidate_terms] on all candidates
_GROUP_CONSTANTS: dict[bytes, tuple[np.ndarray, dict]] = {}  # per batch kind: (scenarios, their _constants)


def _scenario_constants(x: Mapping[str, ArrayLike], tp, pp, mb, ep, with_terms: bool = False):
    """_constants of one scenario (scalar inputs but the count) on the (C, 1) candidates,
    remembered: a sweep meets the scenario again at other counts. `with_terms`:
    (constants, their _candidate_terms), both remembered (a count change in the app)."""
    key = np.array([x[k] for k in _STEP_INPUTS[1:]], dtype=float).tobytes() + tp.tobytes() + pp.tobytes() \
        + mb.tobytes() + ep.tobytes()
    if key not in _CONSTANTS_MEMORY:
        if len(_CONSTANTS_MEMORY) >= 512:
            _CONSTANTS_MEMORY.clear()
        _CONSTANTS_MEMORY[key] = [_constants(_columns(x), tp[:, 0], pp[:, 0], mb[:, 0], ep[:, 0]), None]
    entry = _CONSTANTS_MEMORY[key]
    if not with_terms:
        return entry[0]
    if entry[1] is None:
        entry[1] = _candidate_terms(entry[0], tp[:, 0], pp[:, 0], mb[:, 0], ep[:, 0])
    return entry[0], entry[1]


def _group_constants(gcol, x: Mapping[str, ArrayLike], varying: list[str], groups: np.ndarray, gid: np.ndarray,
                     tp, pp, mb, ep) -> tuple[dict, np.ndarray, np.ndarray]:
    """_constants of the distinct scenarios `groups` (a plan's chips) at once, (scenarios,
    candidates), with the groups and each row's group they are for: remembered per batch
    kind (names, scalar inputs, candidates), and reused while a batch's scenarios are among
    the remembered ones (a plan's zoom stages meet the same chips, or some of them)."""
    key = repr([(k, x[k]) for k in _STEP_INPUTS[1:] if k not in varying] + varying).encode() \
        + tp.tobytes() + pp.tobytes() + mb.tobytes() + ep.tobytes()
    known = _GROUP_CONSTANTS.get(key)
    if known is not None and known[0].shape[1] == groups.shape[1]:
        seen = known[0]
        same = (groups[:, None, :] == seen[None, :, :]) | (np.isnan(groups[:, None, :]) & np.isnan(seen[None, :, :]))
        match = same.all(axis=2)
        if match.any(axis=1).all():
            return known[1], seen, np.argmax(match, axis=1)[gid]
    if len(_GROUP_CONSTANTS) >= 16:
        _GROUP_CONSTANTS.clear()
    _GROUP_CONSTANTS[key] = groups, _constants(gcol, tp[:, 0], pp[:, 0], mb[:, 0], ep[:, 0])
    return _GROUP_CONSTANTS[key][1], groups, gid


def _reference_choice(col, tp, pp, mb, ep, shape, rc_all, zero_all, prune: bool = True):
    """The exhaustive search: every candidate x (recompute, ZeRO) pair scored, the fastest
    that fits wins (with the fallbacks for pins no valid layout keeps). Returns the
    candidates it searched and the chosen (candidate, pair) indices per row."""
    n, layers, heads = col("count"), col("layers"), col("heads")
    # A layout uses whole replicas of tp x pp chips: dp = floor(count / (tp x pp)), and the
    # chips left over (16,385 on a tp 8 x pp 16 layout leaves one) idle, paid for but doing
    # nothing, as a real job would leave them. Drop candidates no row can use (deeper than
    # the model, heads not divisible, a pin excludes them): the search then runs on fewer.
    dp = np.floor(n / (tp * pp) + 1e-9)
    keep = (dp >= 1) & (pp <= layers) & (np.mod(heads, tp) == 0)
    for name, cand in (("tp_in", tp), ("pp_in", pp), ("micro_batch_in", mb), ("ep_in", ep)):
        pin = col(name)
        keep = keep & (np.isnan(pin) | (np.abs(cand - pin) < 1e-9))
    keep = np.broadcast_to(keep, np.broadcast_shapes(keep.shape, shape + (tp.shape[0], 1)))
    used = np.any(keep.reshape(-1, tp.shape[0]), axis=0)
    if prune and used.any() and not used.all():
        tp, pp, mb, ep = tp[used], pp[used], mb[used], ep[used]

    c = _terms(col, tp, pp, mb, ep)
    valid, pinned = c["valid"], c["pinned"]
    # Search: every (recompute, ZeRO) pair on the candidates; the fastest that fits wins.
    pin_rc, pin_zero = col("recompute_in"), col("zero_stage_in")
    if not shape:
        # One scenario: all pairs at once on a (C, K) grid (fewest numpy calls).
        t = _combo(c, rc_all, zero_all, parts=False)
        ok = valid & (np.isnan(pin_rc) | (pin_rc == rc_all)) & (np.isnan(pin_zero) | (pin_zero == zero_all))
        score = np.where(t["fits"], t["step"], _BIG * (1.0 + t["memory_bytes"] / 1e9))  # none fits: least memory
        pin_ok = pinned & (np.isnan(pin_rc) | (pin_rc == rc_all)) & (np.isnan(pin_zero) | (pin_zero == zero_all))
        score = np.where(ok, score, np.where(pin_ok, -score, -_BIG * _BIG))  # invalid: negative, below
    else:
        # A batch: pair by pair on (rows, C, 1) arrays, so no array is rows x C x K.
        scores = []
        for r, z in zip(rc_all.tolist(), zero_all.tolist()):
            t = _combo(c, r, z, parts=False)
            ok = valid & (np.isnan(pin_rc) | (pin_rc == r)) & (np.isnan(pin_zero) | (pin_zero == z))
            score = np.where(t["fits"], t["step"], _BIG * (1.0 + t["memory_bytes"] / 1e9))
            pin_ok = pinned & (np.isnan(pin_rc) | (pin_rc == r)) & (np.isnan(pin_zero) | (pin_zero == z))
            scores.append(np.where(ok, score, np.where(pin_ok, -score, -_BIG * _BIG)))
        score = np.stack(np.broadcast_arrays(*scores), axis=-1)[..., 0, :]  # (..., C, K)
    score = np.broadcast_to(score, np.broadcast_shapes(score.shape, shape + (1, 1)))
    valid_any = np.any(score >= 0, axis=(-2, -1), keepdims=True)
    # No valid layout at all (pins that contradict the chip count): the least bad, flagged.
    # Pins that no valid layout satisfies: the fastest layout that keeps the pins, flagged
    # layout-invalid (a pin is never silently dropped); without any pinned candidate, any.
    pinned_any = np.any(score > -_BIG * _BIG, axis=(-2, -1), keepdims=True)
    fallback = np.where(score > -_BIG * _BIG, 1e10 * -score, np.where(pinned_any, np.inf, 1e10 * _BIG))
    score = np.where(score >= 0, score, np.where(valid_any, np.inf, fallback))
    best = np.argmin(score.reshape(shape + (-1,)), axis=-1)
    ci, ki = np.divmod(best, score.shape[-1])
    return tp, pp, mb, ep, ci, ki


def _outputs(col, tp, pp, mb, ep, ci, ki, rc_all, zero_all, shape, constants: dict | None = None,
             lean: bool = False) -> dict[str, np.ndarray]:
    """Outputs of the chosen candidate `ci` and (recompute, ZeRO) pair `ki` of each row
    (`constants`: the fast search's, per candidate, reused for one scenario; `lean`: only
    LEAN_OUTPUTS, the same floats)."""
    n = col("count")
    if shape:
        chosen = _terms(col, *(a[ci, 0].reshape(shape + (1, 1)) for a in (tp, pp, mb, ep)))
    else:
        i = int(ci)
        if constants is not None:
            per_candidate = tp.shape[:1]
            constants = {k: v[i] if type(v) is np.ndarray and v.shape == per_candidate else v
                         for k, v in constants.items()}
        chosen = _terms(col, *(float(a[i, 0]) for a in (tp, pp, mb, ep)), constants=constants)

    def pick(a: ArrayLike) -> np.ndarray | float:
        """A quantity of the chosen candidate, per row."""
        return a[..., 0, 0] if isinstance(a, np.ndarray) and a.ndim >= 2 else a

    pin_rc, pin_zero = col("recompute_in"), col("zero_stage_in")
    valid = chosen["valid"]
    if shape:  # one scenario's values are scalars already
        chosen = {k: pick(val) for k, val in chosen.items()}
    rc_sel, zero_sel = rc_all[ki], zero_all[ki]
    t = _combo(chosen, rc_sel, zero_sel, parts=not lean)
    pin_rc, pin_zero = pick(pin_rc), pick(pin_zero)
    ok = pick(valid) & ((np.isnan(pin_rc) | (pin_rc == rc_sel)) & (np.isnan(pin_zero) | (pin_zero == zero_sel)))
    step_s = t["step"]
    if lean:
        lean_out = {"mfu_step": chosen["ideal"] / step_s * chosen["busy"], "fits": t["fits"], "layout_valid": ok}
        if not shape:
            return {k: np.float64(val) for k, val in lean_out.items()}
        return {k: np.broadcast_to(np.asarray(val, dtype=float), shape) for k, val in lean_out.items()}
    out = {
        # MFU over every chip paid for: the idle ones count against it.
        "step_time_s": step_s, "mfu_step": chosen["ideal"] / step_s * chosen["busy"],
        "idle_chips": np.rint(pick(n) * (1.0 - chosen["busy"])),
        "layout_tp": chosen["tp"], "layout_pp": chosen["pp"], "layout_dp": chosen["dp"], "layout_ep": chosen["ep"],
        "layout_micro_batch": chosen["mb"], "layout_global_batch_tokens": chosen["batch"],
        "layout_recompute": rc_sel, "layout_zero_stage": zero_sel, "layout_valid": ok,
        "micro_batches": chosen["micro"], "memory_gb_per_chip": t["memory_bytes"] / 1e9, "fits": t["fits"],
        "memory_weights_gb": t["weights"] / 1e9, "memory_grads_gb": t["grads"] / 1e9,
        "memory_optimizer_gb": t["optimizer_states"] / 1e9, "memory_activations_gb": t["activations"] / 1e9,
        "usable_hbm_gb_per_chip": chosen["usable"] / 1e9,
    }
    for name in PARTS[:-1]:  # shares of the chips' time: the busy ones' step, then the idle ones
        out["part_" + name] = t["part_" + name] / step_s * chosen["busy"]
    out["part_idle_chips"] = 1.0 - chosen["busy"]
    if not shape:  # numpy scalars, not 0-d arrays: what follows computes on them (engine.model)
        return {k: np.float64(val) for k, val in out.items()}
    # Read-only views where a value is narrower than the batch: _rows_by_row copies every
    # output into its one fresh matrix (no copy here as well).
    return {k: np.broadcast_to(np.asarray(val, dtype=float), shape) for k, val in out.items()}


def _combo(c: dict, rc: ArrayLike, zero: ArrayLike, parts: bool = True) -> dict:
    """Step time, its parts and memory of layouts `c` under recompute `rc` (0 none, 1
    selective, 2 full) and ZeRO stage `zero`: candidates during the search, the chosen
    layout afterwards (docs/model.md §16.2-16.3)."""
    full, sel = rc == 2, rc == 1
    flash = c["flash"]
    # Selective: fused attention - keep the matmul inputs, re-run norms and activation functions
    # (memory-bound); unfused - Korthikanti et al.'s selective, re-run the attention core.
    per_layer_work = c["matmul"] + c["attention"] + c["memory"] + c["overhead"] + c["tp_comm"] + c["a2a"]
    rc_extra = (where(full, per_layer_work / 3.0, 0.0)
                + where(sel, where(flash, c["memory"] / 3.0, (c["attention"] + c["scores_time"]) / 3.0), 0.0))
    layer_sum = per_layer_work + rc_extra
    compute = layer_sum * c["imbalance"]
    bubble = (c["pp"] - 1) / (c["v"] * c["micro"]) * compute
    window = compute / c["micro"] * (2.0 / 3.0)  # the last micro-batch's backward
    dp_exposed = np.maximum(0.0, c["dp_base"] * where(zero == 3, 1.5, 1.0) - c["overlap"] * window)
    optimizer = 28.0 * c["local_params"] / where(zero >= 1, c["dp"], 1.0) / c["hbm_bw"]
    step = compute + bubble + c["p2p"] + dp_exposed + optimizer

    # Memory per chip (Korthikanti et al. 2022 activations; ZeRO sharding of the states).
    w, g, o = (b * c["local_params"] for b in _STATE_BYTES)
    dp = c["dp"]
    weights, grads, states_o = where(zero >= 3, w / dp, w), where(zero >= 2, g / dp, g), \
        where(zero >= 1, o / dp, o)
    sbh, tp = c["sbh"], c["tp"]
    unfused = where(flash, 0.0, 5.0 * c["heads"] * c["seq"] / c["h"])
    per_layer = where(full, 2.0, where(sel, where(flash, 18.0, 34.0), 34.0 + unfused)) * sbh / tp
    activations = per_layer * c["stage_layers"] * np.minimum(c["pp"], c["micro"]) + 4.0 * c["tokens_mb"] * c["vocab"] / tp
    memory_bytes = weights + grads + states_o + activations
    if not parts:
        return {"step": step, "memory_bytes": memory_bytes, "fits": memory_bytes <= c["usable"]}
    return {
        "step": step, "memory_bytes": memory_bytes, "fits": memory_bytes <= c["usable"], "weights": weights,
        "grads": grads, "optimizer_states": states_o, "activations": activations,
        "part_model_flops": c["ideal"], "part_matmul": c["matmul"] - c["ideal"], "part_attention": c["attention"],
        "part_memory_bound": c["memory"] + optimizer, "part_overhead": c["overhead"], "part_tp_comm": c["tp_comm"],
        "part_expert_a2a": c["a2a"], "part_recompute": rc_extra,
        "part_stage_imbalance": (c["imbalance"] - 1.0) * layer_sum, "part_pp_bubble": bubble, "part_pp_p2p": c["p2p"],
        "part_dp_comm": dp_exposed,
    }


# Resolved inputs the step model reads (engine.resolve provides them all).
_STEP_INPUTS: tuple[str, ...] = (
    "count", "params_b", "active_params_b", "flops", "layers", "hidden", "heads", "kv_heads", "ffn", "vocab",
    "seq_len", "experts", "top_k", "gated", "peak_tflops", "hbm_bw_tbps", "hbm_gb", "scaleup_domain",
    "scaleup_bw_gbps", "scaleout_bw_gbps", "gemm_bytes", "tp_in", "pp_in", "dp_in", "ep_in", "micro_batch_in",
    "global_batch_tokens_in", "recompute_in", "zero_stage_in", "hbm_usable_share", "step_gemm_efficiency",
    "flash_attention", "step_score_passes", "step_attention_efficiency", "step_collective_efficiency", "step_comm_overlap", "step_memory_passes",
    "step_layer_overhead_us", "step_collective_latency_us", "step_max_virtual_stages", "step_attention_causal",
    "batch_law_coefficient", "batch_law_exponent", "batch_tokens_max",
)
STEP_INPUTS = _STEP_INPUTS
_COUNT_LAST = (*_STEP_INPUTS[1:], "count")
