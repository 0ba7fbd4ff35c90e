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


_CHUNK_ROWS = 2048  # rows searched at once: bounds the (rows x candidates) arrays to some MB


def step_model(x: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """The chosen layout, its memory per chip and its step-time parts, per scenario row.
    Rows that repeat (a Monte Carlo over prices, a sweep of PUE) are searched once; a big
    batch of distinct rows is searched in chunks."""
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
            return out if not shape else {k: np.broadcast_to(v, shape).copy() for k, v in out.items()}
        table = np.stack([np.broadcast_to(a, shape).ravel() for a in arrays.values()], axis=1)
        scalars = tuple(None if k in arrays else float(x[k]) for k in _STEP_INPUTS)
        table_key = repr((tuple(arrays), scalars)).encode() + table.tobytes()
        if table_key in _TABLE_MEMORY:  # the same batch again (a re-plan for another cap)
            return {k: v.reshape(shape).copy() for k, v in _TABLE_MEMORY[table_key].items()}
        if table.shape[0] > 64:
            rows, inverse = _unique_rows(table, by_last=True)
        else:
            rows, inverse = table, None
        base = {k: x[k] for k in _STEP_INPUTS}
        out = _rows_by_row(rows, list(arrays), base, repr((tuple(arrays), scalars)).encode())
        if inverse is not None:
            out = {k: v[inverse] for k, v in out.items()}
        if len(_TABLE_MEMORY) >= 8:
            _TABLE_MEMORY.pop(next(iter(_TABLE_MEMORY)))
        _TABLE_MEMORY[table_key] = out
        return {k: v.reshape(shape).copy() for k, v in out.items()}


# Searched rows kept between calls (row key -> outputs): a plan re-run for a new power cap or
# deadline, or a sweep moved back and forth, searches no layout twice.
_ROW_MEMORY: dict[bytes, np.ndarray] = {}
_ROW_MEMORY_LIMIT = 50_000
_OUTPUT_NAMES: list[str] = []


_TABLE_MEMORY: dict[bytes, dict[str, np.ndarray]] = {}  # whole batches: the same grid, re-run


def _rows_by_row(rows: np.ndarray, names: list[str], base: dict, prefix: bytes) -> dict[str, np.ndarray]:
    keys = [prefix + row.tobytes() for row in rows]
    found = [_ROW_MEMORY.get(key) for key in keys]
    missing = [i for i, row in enumerate(found) if row is None]
    if missing:
        todo = rows[missing]
        parts = []
        for start in range(0, todo.shape[0], _CHUNK_ROWS):
            chunk = todo[start:start + _CHUNK_ROWS]
            parts.append(_step_model({**base, **{k: chunk[:, i] for i, k in enumerate(names)}}))
        computed = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        if not _OUTPUT_NAMES:
            _OUTPUT_NAMES.extend(computed)
        if len(_ROW_MEMORY) + len(missing) > _ROW_MEMORY_LIMIT:
            _ROW_MEMORY.clear()
        matrix = np.stack([computed[k] for k in _OUTPUT_NAMES], axis=1)
        for j, i in enumerate(missing):
            _ROW_MEMORY[keys[i]] = matrix[j]
    if len(missing) == len(keys):  # all searched now (a cold batch): no row-by-row stacking
        stacked = matrix if keys else np.empty((0, len(_OUTPUT_NAMES)))
    else:
        stacked = np.empty((len(keys), len(_OUTPUT_NAMES)))
        present = [i for i, row in enumerate(found) if row is not None]
        stacked[present] = np.stack([found[i] for i in present])
        if missing:
            stacked[missing] = matrix
    return {k: stacked[:, j].copy() for j, k in enumerate(_OUTPUT_NAMES)}


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


def _step_model(x: Mapping[str, ArrayLike], exhaustive: bool = False) -> dict[str, np.ndarray]:
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
    return _outputs(col, tp, pp, mb, ep, ci, ki, rc_all, zero_all, shape, constants)


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
                 shape: tuple[int, ...], constants: dict | None = None) -> tuple | None:
    """The exhaustive search's choice, computed in closed form: every quantity of a candidate
    that the chip count leaves alone (_constants) is computed once per distinct scenario of
    the batch (a sweep of the count has one, a plan one per chip), then each (row, candidate,
    recompute, ZeRO) costs a few multiply-adds in dp = floor(count / (tp pp)). The step time
    is the same sum as _combo's, regrouped by what scales with batch / dp: compute =
    Q A_rc with Q = batch / dp, the bubble (pp - 1) / v x mb seq x A_rc and the DP window do
    not depend on dp at all. Same scores, same tie order (lowest candidate, then pair), so the
    same layout up to float rounding (tests/test_step.py checks it against the reference).
    None when a row needs the reference's fallbacks (no valid layout, a NaN input)."""
    varying = [k for k in _STEP_INPUTS if k != "count" and not isinstance(x[k], _SCALARS)] if shape else []
    if varying:
        table = np.stack([np.broadcast_to(np.asarray(x[k], dtype=float), shape).ravel() for k in varying], axis=1)
        groups, gid = _unique_rows(table)
        if gid.size >= 8 * groups.shape[0]:
            return _by_scenario(x, tp, pp, mb, ep, shape, varying, groups, gid)
        g = {**x, **{k: groups[:, i] for i, k in enumerate(varying)}}
    else:
        gid, g = None, x

    def gcol(name: str) -> float | np.ndarray:
        v = g[name]
        return float(v) if isinstance(v, _SCALARS) else np.asarray(v, dtype=float).reshape(-1, 1)

    terms = None
    if constants is None and gid is None:  # one scenario: its constants outlive a count change
        constants, terms = _scenario_constants(x, tp, pp, mb, ep, with_terms=True)
    tp, pp, mb, ep = (a[:, 0] for a in (tp, pp, mb, ep))
    c = constants if constants is not None else _constants(gcol, tp, pp, mb, ep)
    tpp, smb, per_token, fixed, window, act, vocab_act, dp_link, dp_link_out, optimizer = \
        terms or _search_terms(c, tp, pp, mb)
    local, usable = c["local_params"], c["usable"]
    ep_div = c["moe"]

    def at(a):
        """Per-scenario constants to rows (the sweep's single scenario broadcasts as is)."""
        return a[gid] if gid is not None and isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[0] > 1 else a

    def at_rc(a):
        """at() of the recompute-stacked constants: (3, C) or (3, scenarios, C) to (3, rows, C)."""
        if a.ndim == 3:
            return a[:, gid] if gid is not None and a.shape[1] > 1 else a
        return a[:, None] if shape else a

    # One scenario: the count is a float, so every array below is one row of candidates, (C,)
    # against (C,), numpy's cheapest case; a batch: (rows, 1) against (C,).
    n = float(x["count"]) if not shape else np.broadcast_to(np.asarray(x["count"], dtype=float), shape).reshape(-1, 1)
    rows = 1 if not shape else n.shape[0]
    dp = np.floor(n / tpp + 1e-9)
    batch = np.maximum(at(c["batch_law"]), dp * at(smb))
    q = batch / dp
    micro = batch / (at(c["seq"]) * dp * mb)  # as _terms rounds it
    inv_dp = 1.0 / dp
    local_r = at(local)
    used_in = tpp * dp <= at(c["domain"])
    dp_base = np.where(dp > 1, 4.0 * (dp - 1) * inv_dp * local_r / np.where(used_in, at(dp_link), at(dp_link_out)),
                       0.0)
    valid = at(c["valid"]) & (dp >= 1) & (micro >= 1.0 - 1e-9)
    if _any(ep_div):
        valid = valid & np.where(at(ep_div), np.mod(dp, ep) == 0, True)
    w, o = at(_STATE_BYTES[0] * local), at(_STATE_BYTES[2] * local)
    w_dp, o_dp = w / dp, o / dp
    states = (w + w + o_dp, w_dp + w_dp + o_dp)   # ZeRO 1, 3: weights + grads + optimizer states
    stages = np.minimum(pp, micro)
    usable_r, opt = at(usable), at(optimizer) * inv_dp
    if gid is None and rows >= _PRUNE_ROWS:
        found = _pruned(q, opt, dp_base, stages, states, valid, per_token, fixed, window, act, vocab_act, usable,
                        shape)
        return None if found is None else (*found, c)
    dp_z = (dp_base, dp_base * 1.5)  # the exposed reduce under ZeRO 1 and 3 (x 1.0 is exact)
    base = q * at_rc(per_token) + at_rc(fixed) + opt
    activations = np.array([at(a) * stages + at(vocab_act) for a in act])
    hidden = at_rc(window)
    scores = []
    for reduce_z, states_z in zip(dp_z, states):
        step = base + np.maximum(0.0, reduce_z - hidden)
        memory = states_z + activations
        scores.append(np.where(memory <= usable_r, step, _BIG * (1.0 + memory / 1e9)))
    # (pair, row, candidate). The fastest candidate first (the lowest index of equal ones),
    # then its fastest pair: the order of an argmin over (candidate, pair), as _combo's search.
    score = np.array(scores).swapaxes(0, 1).reshape(6, rows, -1)  # pairs recompute major, as _pairs
    per_candidate = np.where(valid, score.min(axis=0), np.inf)
    ci = per_candidate.argmin(axis=1)  # the methods: np.argmin and .sum() wrap them in Python
    every = np.arange(rows)
    low = per_candidate[every, ci]
    if not np.isfinite(low).all():  # argmin finds a NaN first: NaN scores end here too
        return None
    ki = score[:, every, ci].argmin(axis=0)
    # Step times here are rounded differently from _combo's: where another candidate comes
    # within 1e-12 of the best, the reference decides (the pairs of one candidate tie only
    # exactly, as in _combo: ZeRO 1 and 3 with the reduce hidden).
    near = np.add.reduce(per_candidate <= (low * (1.0 + _NEAR_TIE))[:, None], axis=1) > 1
    return ci.reshape(shape), ki.reshape(shape), (near & (low < _BIG)).reshape(shape), c


def _search_terms(c: dict, tp: np.ndarray, pp: np.ndarray, mb: np.ndarray) -> tuple:
    """What _fast_choice scores candidates with that the chip count leaves alone, from their
    _constants `c`: step time per token and bubble and hidden DP window per recompute setting
    (stacked on a first axis), activations per setting, links, optimizer step."""
    tpp, smb = tp * pp, c["seq"] * mb
    u_none = (c["matmul_u"] + c["attention_u"] + c["memory_u"]) / tpp \
        + (c["overhead_v"] + c["tp_v"] + c["a2a_v"]) * c["stage_layers"] / smb
    extra_sel = where(c["flash"], c["memory_u"], c["attention_u"] + c["scores_u"]) / (3.0 * tpp)
    # The three recompute settings stacked on a first axis: one numpy call does all three.
    a_rc = np.array([u_none, u_none + extra_sel, u_none * (4.0 / 3.0)]) * c["imbalance"]
    bubble = (pp - 1) / c["v"] * smb
    per_token = a_rc + c["p2p_m"] / smb                        # x Q: compute and p2p
    fixed = bubble * a_rc                                      # the bubble
    window = c["overlap"] * (2.0 / 3.0) * smb * a_rc           # DP reduce hidden behind it
    # Memory in _combo's exact operations and order: where nothing fits, the least memory
    # wins, and layouts that tie in exact arithmetic (pp 1 x dp 30 and pp 5 x dp 6 under
    # ZeRO 3 and full recompute) must break the tie the same way.
    unfused = where(c["flash"], 0.0, 5.0 * c["heads"] * c["seq"] / c["h"])
    act = [(34.0 + unfused) * c["sbh"] / tp * c["stage_layers"],
           where(c["flash"], *_PER_LAYER_SELECTIVE) * c["sbh"] / tp * c["stage_layers"],
           _PER_LAYER_FULL * c["sbh"] / tp * c["stage_layers"]]
    vocab_act = 4.0 * c["tokens_mb"] * c["vocab"] / tp
    dp_link = c["coll_eff"] * np.where(tpp <= c["domain"], c["up_bw"], c["out_bw"])  # used <= domain needs tp pp <= it
    dp_link_out = c["coll_eff"] * c["out_bw"]
    optimizer = 28.0 * c["local_params"] / c["hbm_bw"]
    return tpp, smb, per_token, fixed, window, act, vocab_act, dp_link, dp_link_out, optimizer


_PRUNE_ROWS = 16  # fewer rows (one scenario): the dense search is fewer numpy calls
_NEAR_TIE = 1e-12  # relative gap under which the exhaustive search decides (rounding differs)


def _pruned(q, opt, dp_base, stages, states, valid, per_token, fixed, window, act, vocab_act, usable, shape):
    """_fast_choice's argmin for one scenario at many counts, with exact pruning: per (row,
    candidate) a lower bound of its best score - for each recompute setting, the step with
    ZeRO 1's (the smaller) exposed DP reduce if its least-memory ZeRO stage fits; if none fits,
    the exact least-memory score - then the exact scores of the one candidate with the
    lowest bound (an upper bound of the row's best), and the exact scores only of the
    candidates whose bound does not exceed it. Every operation on a candidate is the dense
    one (same values, same rounding), so the choice and the tie order are the dense search's."""
    rows = q.shape[0]
    bound = np.inf
    for k in range(3):
        memory = states[1] + (act[k] * stages + vocab_act)      # ZeRO 3: the least memory of this setting
        step = q * per_token[k] + fixed[k] + opt + np.maximum(0.0, dp_base - window[k])  # ZeRO 1's reduce
        bound = np.minimum(bound, np.where(memory <= usable, step, np.inf))
    bound = np.where(np.isfinite(bound), bound, _BIG * (1.0 + memory / 1e9))   # full recompute, ZeRO 3
    bound = np.where(valid, bound, np.inf)
    if np.isnan(bound).any():
        return None

    def exact(r: np.ndarray, j: np.ndarray) -> np.ndarray:
        """(len(r), 6) scores of candidates j on rows r, pairs in _combo's order."""
        def cand(a):
            return a[j] if isinstance(a, np.ndarray) else a
        q_, opt_, base_dp, stages_, s1, s3 = (a[r, j] for a in (q, opt, dp_base, stages, *states))
        out = []
        for k in range(3):
            base = q_ * cand(per_token[k]) + cand(fixed[k]) + opt_
            activations = cand(act[k]) * stages_ + cand(vocab_act)
            w = cand(window[k])
            for z, states_z in zip((1.0, 1.5), (s1, s3)):
                step = base + np.maximum(0.0, base_dp * z - w)
                memory = states_z + activations
                out.append(np.where(memory <= usable, step, _BIG * (1.0 + memory / 1e9)))
        return np.where(valid[r, j][:, None], np.stack(out, axis=1), np.inf)

    every = np.arange(rows)
    first_guess = np.argmin(bound, axis=1)
    ceiling = exact(every, first_guess).min(axis=1)
    r, j = np.nonzero(bound <= (ceiling * (1.0 + _NEAR_TIE))[:, None])
    scores = exact(r, j)
    if np.isnan(scores).any():
        return None
    per_candidate = scores.min(axis=1)
    starts = np.searchsorted(r, every)
    low = np.minimum.reduceat(per_candidate, starts)
    if not np.isfinite(low).all():
        return None
    best = np.minimum.reduceat(np.where(per_candidate == low[r], np.arange(r.size), r.size), starts)
    # Near ties (see _fast_choice): only survivors can be within _NEAR_TIE of the best.
    near = np.add.reduceat((per_candidate <= low[r] * (1.0 + _NEAR_TIE)).astype(np.intp), starts) > 1
    ci, ki = j[best], np.argmin(scores[best], axis=1)
    return ci.reshape(shape), ki.reshape(shape), (near & (low < _BIG)).reshape(shape)


_CONSTANTS_MEMORY: dict[bytes, list] = {}  # one scenario's [_constants, _search_terms] on all candidates


def _scenario_constants(x: Mapping[str, ArrayLike], tp, pp, mb, ep, with_terms: bool = False):
    """_constants of one scenario (scalar inputs but the count) on the (C, 1) candidates,
    remembered: a plan meets each chip again in every zoom stage and chunk. `with_terms`:
    (constants, their _search_terms), both remembered (a count change in the app)."""
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
        entry[1] = _search_terms(entry[0], tp[:, 0], pp[:, 0], mb[:, 0])
    return entry[0], entry[1]


def _by_scenario(x, tp, pp, mb, ep, shape, varying, groups, gid):
    """_fast_choice one distinct scenario at a time (a plan's chip at its many counts): its
    constants are then scalars, and candidates it can never use (beyond its scale-up domain,
    deeper than its model or than its largest count) are left out."""
    counts = np.broadcast_to(np.asarray(x["count"], dtype=float), shape).ravel()
    ci, ki = np.empty(counts.size, dtype=np.intp), np.empty(counts.size, dtype=np.intp)
    near = np.zeros(counts.size, dtype=bool)
    for g in range(groups.shape[0]):
        rows = np.flatnonzero(gid == g)
        xg = {**x, **{k: float(groups[g, i]) for i, k in enumerate(varying)}, "count": counts[rows]}
        moe = xg["experts"] > 1.0
        keep = ((pp <= xg["layers"]) & (tp <= max(xg["scaleup_domain"], 1.0)) & (np.mod(xg["heads"], tp) == 0)
                & (np.mod(xg["experts"], ep) == 0 if moe else ep == 1)
                & (np.floor(counts[rows].max() / (tp * pp) + 1e-9) >= 1))   # dp >= 1 somewhere
        index = np.flatnonzero(keep[:, 0])
        if index.size == 0:
            return None
        constants = {k: v[index] if isinstance(v, np.ndarray) and v.shape == tp.shape[:1] else v
                     for k, v in _scenario_constants(xg, tp, pp, mb, ep).items()}
        found = _fast_choice(xg, tp[index], pp[index], mb[index], ep[index], rows.shape, constants)
        if found is None:
            return None
        ci[rows], ki[rows], near[rows] = index[found[0]], found[1], found[2]
    return ci.reshape(shape), ki.reshape(shape), near.reshape(shape), None


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


def _outputs(col, tp, pp, mb, ep, ci, ki, rc_all, zero_all, shape, constants: dict | None = None
             ) -> dict[str, np.ndarray]:
    """Outputs of the chosen candidate `ci` and (recompute, ZeRO) pair `ki` of each row
    (`constants`: the fast search's, per candidate, reused for one scenario)."""
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
    t = _combo(chosen, rc_sel, zero_sel)
    pin_rc, pin_zero = pick(pin_rc), pick(pin_zero)
    ok = pick(valid) & ((np.isnan(pin_rc) | (pin_rc == rc_sel)) & (np.isnan(pin_zero) | (pin_zero == zero_sel)))
    step_s = t["step"]
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
    return {k: np.array(np.broadcast_to(np.asarray(val, dtype=float), shape)) for k, val in out.items()}


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
