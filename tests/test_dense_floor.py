"""Dense evaluation of the common recipes near the cost of writing the output: values against the
float64 formula over long windows (some starting mid-phase or mid-cycle), and the shape of the
compiled per-step program (no per-step search, no sine where a table serves)."""

from __future__ import annotations

import math
import re

import jax
import numpy as np
import pytest

import lrsched
from lrsched import _tables as T
from lrsched._backend import JX

N = 1_000_000


def _compiled(build, start, n):
    """The compiled text of the dense program of ``build(peak, end)``; peak and end are arguments,
    so the values are computed when the program runs, not folded into a constant when it compiles."""
    return jax.jit(lambda peak, end: T.dense(build(peak, end), start, n, JX)).lower(1.0, 1e-3).compile().as_text()


def _entry_ops(build, start, n):
    """The op names of the entry computation of the dense program of ``build(peak, end)``."""
    text = _compiled(build, start, n)
    entry = text[text.index("\nENTRY") :]
    return re.findall(r"= \S+ (\w[\w-]*)\(", entry)


def _wsd64(peak, total, warm, decay, end, k):
    k = k.astype(np.float64)
    stable_end = total - decay
    up = peak * np.minimum(k, warm) / warm
    t = np.clip((k - stable_end) / decay, 0.0, 1.0)
    down = peak * (1.0 - np.sqrt(t)) + end * np.sqrt(t)
    return np.where(k < warm, up, np.where(k < stable_end, peak, down))


WSD = [  # (total, warmup, decay, end, window start, window length)
    (N, N // 100, N // 10, 1e-3, 0, N),
    (2 * N, 5_000, N // 2, 0.0, 12_345, N),
    (3 * N, 1, 2 * N, 0.1, N + 7, N),
    (N + 17, 999, N // 3, 1e-4, 500, N),
]


@pytest.mark.parametrize(("total", "warm", "decay", "end", "start", "n"), WSD)
def test_wsd_dense_matches_the_float64_formula(total, warm, decay, end, start, n):
    s = lrsched.wsd(1.0, total, warm, decay, end=end)
    got = np.asarray(lrsched.evaluate(s, n, start=start), dtype=np.float64)
    want = _wsd64(1.0, total, warm, decay, end, np.arange(start, start + n))
    assert np.max(np.abs(got - want)) <= 1e-6


@pytest.mark.parametrize(("total", "warm", "decay", "end", "start", "n"), WSD)
def test_wsd_dense_is_one_loop_with_no_search(total, warm, decay, end, start, n):
    # a few pieces: one elementwise select chain, not a per-step search over the boundaries
    ops = _entry_ops(lambda peak, end: lrsched.wsd(peak, total, warm, decay, end=end), start, n)
    assert "while" not in ops
    assert ops.count("fusion") == 1
    # the 1 - sqrt decay takes a square root and no division per step (a vector divide cost
    # 40% of this loop)
    body = _root_fusion(lambda peak, end: lrsched.wsd(peak, total, warm, decay, end=end), start, n)
    assert " sqrt(" in body and " divide(" not in body


@pytest.mark.parametrize("n", [7, 1000, 123_457, 5_000_000, 2**31 - 1])
def test_sqrt_decay_keeps_its_relative_accuracy_near_the_end(n):
    # 1 - sqrt(done) near done = 1 is a few ulp of itself (not of 1) on every path: 1 - s alone
    # would be off by the rounding of s, 3e-8 in float32 against values down to 1e-10 here
    s = lrsched.ramp(1.0, 0.0, n, "sqrt")
    k = np.unique(np.concatenate([n - np.arange(1, min(n, 400)), np.linspace(0, n, 200).astype(np.int64)]))
    k = k[(k >= 0) & (k < n)]
    # 1 - sqrt(x) == (1 - x) / (1 + sqrt(x)): a few roundings in float64, none of them cancelling
    want = np.array([((n - int(i)) / n) / (1.0 + math.sqrt(int(i) / n)) for i in k])
    # float64 paths: the Python step and NumPy
    py = np.array([s(int(i)) for i in k])
    np.testing.assert_allclose(py, want, rtol=4e-16 * 4, atol=0)
    np.testing.assert_allclose(s(k), want, rtol=4e-16 * 4, atol=0)
    # float32 under jit: a few float32 ulp of the value itself
    got = np.asarray(jax.jit(s)(k.astype(np.int32)), dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=4e-7, atol=0)
    if n <= 5_000_000:  # and in the dense loop
        dense = np.asarray(lrsched.evaluate(s, n), dtype=np.float64)[k]
        np.testing.assert_allclose(dense, want, rtol=4e-7, atol=0)


def _root_fusion(build, start, n):
    """The fused computation that writes the output of the dense program of ``build(peak, end)``."""
    text = _compiled(build, start, n)
    root = re.search(r"ROOT .*? fusion\(.*?calls=(%[\w.-]+)", text[text.index("\nENTRY") :])
    assert root is not None
    body = text[text.index("\n" + root.group(1) + " ") :]
    return body[: body.index("\n}\n")]


def _sgdr64(peak, period, end, decay, k):
    c, local = np.divmod(k, period)
    return decay ** c.astype(np.float64) * (end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * local / period)))


SGDR = [  # (period, decay, end, window start, window length)
    (N // 10, 1.0, 1e-3, 0, N),
    (1024 * 37, 0.9, 0.0, 12_345, N),
    (997, 0.99, 1e-4, 5 * 997 + 300, N),
    (7, 1.0, 0.1, 3, N),
    (3 * N, 0.5, 1e-3, N + 11, N),  # the whole window inside one cycle
    (N // 3, 0.7, 0.0, 2 * N - 1, N),  # starts one step before a restart
]


@pytest.mark.parametrize(("period", "decay", "end", "start", "n"), SGDR)
def test_sgdr_dense_matches_the_float64_formula(period, decay, end, start, n):
    s = lrsched.sgdr(1.0, period, end=end, decay=decay)
    want = _sgdr64(1.0, period, end, decay, np.arange(start, start + n))
    got = np.asarray(lrsched.evaluate(s, n, start=start), dtype=np.float64)
    assert np.max(np.abs(got - want)) <= 1e-6
    np.testing.assert_allclose(lrsched.evaluate(s, n, start=start, backend="numpy"), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("period", "decay"), [(1024 * 37, 1.0), (1024 * 5, 0.9), (997, 1.0), (31, 0.8)])
@pytest.mark.parametrize("start", [0, 12_345])
def test_sgdr_per_step_program_has_no_sine(period, decay, start):
    # one cycle is evaluated once (a blocked table, or its own small program) and repeated: the loop
    # that writes the output multiplies and selects, it computes no sine or cosine
    body = _root_fusion(lambda peak, end: lrsched.sgdr(peak, period, end=end, decay=decay), start, N)
    assert " sine(" not in body
    assert " cosine(" not in body


def _sgdr_grown64(peak, period, mult, end, decay, warm, k):
    """SGDR with T_mult (the paper's eq. 5, torch's CosineAnnealingWarmRestarts): cycle ``c``
    starts at ``period * (mult**c - 1) / (mult - 1)`` and lasts ``period * mult**c`` steps, after
    a linear warmup of ``warm`` steps from 0; each cycle's values are scaled by ``decay**c``."""
    k = k.astype(np.int64)
    t = np.maximum(k - warm, 0)
    c = np.zeros_like(t)
    while True:  # the cycle each step is in, by the exact integer starts
        nxt = period * (mult ** (c + 1) - 1) // (mult - 1)
        more = t >= nxt
        if not more.any():
            break
        c = c + more
    begin = period * (mult**c - 1) // (mult - 1)
    length = (period * mult**c).astype(np.float64)
    v = end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * (t - begin) / length))
    v = v * decay ** c.astype(np.float64)
    return np.where(k < warm, peak * k / max(warm, 1), v)  # the warmup rises to the first value


GROWN = [  # (period, period_mult, decay, warmup, window start, window length)
    (N // 15, 2, 1.0, 0, 0, N),
    (N // 15, 2, 0.8, 0, 12_345, N),
    (N // 40, 3, 1.0, 0, N // 40 + 7, N),
    (1024 * 37, 2, 0.9, 5_000, 0, N),
]


@pytest.mark.parametrize(("period", "mult", "decay", "warm", "start", "n"), GROWN)
def test_sgdr_with_growing_cycles_dense_matches_the_float64_formula(period, mult, decay, warm, start, n):
    s = lrsched.sgdr(1.0, period, period_mult=mult, decay=decay, warmup_steps=warm, end=1e-3)
    want = _sgdr_grown64(1.0, period, mult, 1e-3, decay, warm, np.arange(start, start + n))
    got = np.asarray(lrsched.evaluate(s, n, start=start), dtype=np.float64)
    assert np.max(np.abs(got - want)) <= 1e-6


@pytest.mark.parametrize(("period", "mult", "decay", "warm", "start", "n"), GROWN[:3])
def test_sgdr_with_growing_cycles_dense_is_one_loop(period, mult, decay, warm, start, n):
    # a few cycles of growing length: each step's cycle selected among them in the loop that
    # writes the output, with the cosine's polynomial; no search, no sine, no concatenation
    build = lambda peak, end: lrsched.sgdr(peak, period, period_mult=mult, decay=decay, end=end)  # noqa: E731
    ops = _entry_ops(build, start, n)
    assert ops.count("fusion") == 1 and "while" not in ops, ops
    body = _root_fusion(build, start, n)
    for op in (" sine(", " cosine(", " gather(", " concatenate(", " divide("):
        assert op not in body, op


@pytest.mark.parametrize(
    ("period", "decay", "warm", "start"),
    [(N // 10 + 333, 1.0, 0, 0), (N // 10, 1.0, 0, 12_345), (N // 7, 0.9, 0, 0), (N // 10, 0.8, N // 100, 0)],
)
def test_sgdr_partial_cycles_and_warmup_are_one_loop(period, decay, warm, start):
    # a window with a partial first or last cycle, or a warmup before the cycles, is one
    # elementwise loop: the cycle and the step in it without an integer division, no concatenation
    # of the parts (XLA's CPU compiler computed those a step at a time); values as the formula's
    build = lambda peak, end: lrsched.sgdr(peak, period, decay=decay, warmup_steps=warm, end=end)  # noqa: E731
    ops = _entry_ops(build, start, N)
    assert ops.count("fusion") == 1 and "while" not in ops, ops
    body = _root_fusion(build, start, N)
    assert " concatenate(" not in body and " sine(" not in body
    assert not re.search(r"s(32|64)\[\d+\]\{0\} divide\(", body)
    s = build(1.0, 1e-3)
    k = np.arange(start, start + N)
    t = np.maximum(k - warm, 0)
    cosine = 1e-3 + (1.0 - 1e-3) * 0.5 * (1.0 + np.cos(np.pi * (t % period) / period))
    want = decay ** (t // period).astype(np.float64) * cosine
    if warm:
        want = np.where(k < warm, k / warm, want)
    got = np.asarray(lrsched.evaluate(s, N, start=start), dtype=np.float64)
    assert np.max(np.abs(got - want)) <= 1e-6


def _one_cycle64(total, pct, three_phase, anneal, k):
    """torch's OneCycleLR in float64 (peak 1, div_factor 25, final_div_factor 1e4): phase ends at
    ``pct * total - 1`` (and ``2 * pct * total - 2``) and ``total - 1``, each phase annealing from
    its start value to its end value over its own steps."""
    lo, floor_ = 1.0 / 25, 1.0 / 25 / 1e4
    if three_phase:
        ends, values = [pct * total - 1, 2 * pct * total - 2, total - 1], [lo, 1.0, lo, floor_]
    else:
        ends, values = [pct * total - 1, total - 1], [lo, 1.0, floor_]
    k = k.astype(np.float64)
    out = np.full(k.shape, values[-1])
    begin = 0.0
    for i in reversed(range(len(ends))):
        begin = ends[i - 1] if i else 0.0
        t = np.clip((k - begin) / (ends[i] - begin), 0.0, 1.0)
        w = 0.5 * (1.0 + np.cos(np.pi * t)) if anneal == "cosine" else 1.0 - t
        v = values[i + 1] + (values[i] - values[i + 1]) * w
        out = np.where((k >= begin) & (k <= ends[i] if i == len(ends) - 1 else k < ends[i]), v, out)
    return out


ONE_CYCLE = [  # (total, pct_start, three_phase, anneal, window start, window length)
    (N, 0.3, False, "cosine", 0, N),
    (2 * N, 0.25, False, "cosine", 123_457, N),
    (N, 0.3, True, "cosine", 0, N),
    (3 * N, 0.2, True, "cosine", N - 3, N),
    (N, 0.3, False, "linear", 5, N - 5),
    (2 * N, 0.4, True, "linear", N // 2, N),
]


@pytest.mark.parametrize(("total", "pct", "three", "anneal", "start", "n"), ONE_CYCLE)
def test_one_cycle_dense_matches_the_float64_formula(total, pct, three, anneal, start, n):
    s = lrsched.one_cycle(1.0, total, pct_start=pct, three_phase=three, anneal=anneal)
    want = _one_cycle64(total, pct, three, anneal, np.arange(start, start + n))
    got = np.asarray(lrsched.evaluate(s, n, start=start), dtype=np.float64)
    assert np.max(np.abs(got - want)) <= 1e-6
    np.testing.assert_allclose(lrsched.evaluate(s, n, start=start, backend="numpy"), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("total", "pct", "three", "anneal", "start", "n"), ONE_CYCLE)
def test_one_cycle_dense_is_one_loop(total, pct, three, anneal, start, n):
    # the phases are one ramp formula with per-phase constants: one fused loop writes the output,
    # with no concatenation of parts and, for the cosine, no general sine
    ops = _entry_ops(
        lambda peak, end: lrsched.one_cycle(peak, total, pct_start=pct, three_phase=three, anneal=anneal), start, n
    )
    assert ops.count("fusion") == 1
    body = _root_fusion(
        lambda peak, end: lrsched.one_cycle(peak, total, pct_start=pct, three_phase=three, anneal=anneal), start, n
    )
    assert "concatenate(" not in body
    assert " sine(" not in body and " cosine(" not in body
    if anneal == "cosine":  # the phases' reciprocals are constants: no division per step
        assert " divide(" not in body


def _evaluate_program_text(s, n, start=0):
    """The compiled text of the program ``lrsched.evaluate(s, n, start=start)`` runs."""
    from lrsched import _evaluate as E

    E._PROGRAMS._programs.clear()
    lrsched.evaluate(s, n, start=start)
    (prog,) = E._PROGRAMS._programs.values()
    _, arg = E._packed(s)
    assert prog.needs_tables is False
    text = prog.inner[0].lower(arg, np.asarray(start, np.int32)).compile().as_text()
    entry = text[text.index("\nENTRY") :]
    # one loop writes the output (scalar fusions may compute its constants)
    assert len(re.findall(rf"= f32\[{n}\]\{{0\}} fusion\(", entry)) == 1, entry
    assert "while" not in entry
    return text


def _power64(peak, end, n, p, k, cosine=False):
    left = np.clip((n - k) / n, 0.0, 1.0)
    w = (np.sin(np.pi / 2 * left) ** 2) ** p if cosine else left**p
    return end + (peak - end) * w


@pytest.mark.parametrize(("shape", "p"), [("polynomial", 2.0), ("polynomial", 0.5), ("cosine", 2.0), ("cosine", 3.0)])
def test_a_shape_parameter_is_compiled_in(shape, p):
    """A polynomial's power and a cosine's exponent are constants of the dense program (their
    plain values are part of its key): a power of 2 or 3 is products, 0.5 a square root, and a
    cosine with an exponent is the one loop with the polynomial sine; no general power per step.
    A new peak is an argument of the same program, a new power a new program."""
    from lrsched import _evaluate as E

    s = lrsched.ramp(1.0, 1e-3, N, shape, **{"power" if shape == "polynomial" else "exponent": p})
    text = _evaluate_program_text(s, N)
    assert " power(" not in text and " sine(" not in text
    k = np.arange(N + 10)
    got = np.asarray(lrsched.evaluate(s, N + 10), dtype=np.float64)
    want = _power64(1.0, 1e-3, N, p, k, cosine=shape == "cosine")
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    named = "power" if shape == "polynomial" else "exponent"
    before = E._PROGRAMS.traces
    lrsched.evaluate(lrsched.ramp(2.0, 1e-3, N, shape, **{named: p}), N + 10)
    assert E._PROGRAMS.traces == before  # a new peak: the same program
    lrsched.evaluate(lrsched.ramp(2.0, 1e-3, N, shape, **{named: p + 0.25}), N + 10)
    assert E._PROGRAMS.traces == before + 1  # a new power: a new program


@pytest.mark.parametrize(
    ("rate", "steps", "end", "start"), [(0.5, N // 10, None, 0), (0.1, N // 3, 1e-3, 12_345), (1.5, N // 8, 20.0, N)]
)
def test_a_staircase_over_a_few_levels_selects_among_them(rate, steps, end, start):
    # each level computed once (a scalar power), a step selecting among them: no power, no
    # gather per step; values as start * rate ** (k // steps), bounded by end
    s = lrsched.exponential(2.0, rate, steps, staircase=True, end=end)
    text = _evaluate_program_text(s, N, start)
    root = text[text.index("ROOT") :]
    assert "f32[1000000]{0} power(" not in text and " gather(" not in text, root
    k = np.arange(start, start + N)
    want = 2.0 * rate ** (k // steps).astype(np.float64)
    if end is not None:
        want = np.maximum(want, end) if rate < 1 else np.minimum(want, end)
    np.testing.assert_allclose(np.asarray(lrsched.evaluate(s, N, start=start), np.float64), want, rtol=1e-6)


def test_a_piecewise_constant_of_a_few_boundaries_is_one_loop_of_selects():
    s = lrsched.piecewise_constant(1.0, {N // 3: 0.5, N // 2 + 0.5: 0.2, 2 * N // 3: 0.1})
    text = _evaluate_program_text(s, N)
    assert " gather(" not in text
    k = np.arange(N)
    want = np.where(k >= 2 * N // 3, 0.01, np.where(k >= N // 2 + 1, 0.1, np.where(k >= N // 3, 0.5, 1.0)))
    np.testing.assert_allclose(np.asarray(lrsched.evaluate(s, N), np.float64), want, rtol=1e-7)


def test_a_shift_of_a_flat_schedule_is_one_loop():
    # optax's transition_begin: the step clamped, then the schedule's formula, in the loop that
    # writes the output (a constant first part beside the schedule's was a pad, a second pass)
    s = lrsched.shift(lrsched.ramp(1.0, 0.0, N, "polynomial", power=2.0), N // 10)
    text = _evaluate_program_text(s, N)
    assert " pad(" not in text and " concatenate(" not in text and " power(" not in text
    k = np.arange(N)
    want = (1.0 - np.minimum(np.maximum(k - N // 10, 0), N) / N) ** 2
    np.testing.assert_allclose(np.asarray(lrsched.evaluate(s, N), np.float64), want, rtol=2e-6, atol=1e-7)


PER_EPOCH = [  # (steps per epoch, window start, window length): whole epochs between, a boundary
    # crossed once (an epoch longer than the window), a window inside one epoch
    (N // 100, 0, N),
    (N // 100 + 7, 12_345, N),
    (3 * N, 3 * N - 10, N),
    (2 * N, 5, N),
]


@pytest.mark.parametrize(("epoch", "start", "n"), PER_EPOCH)
def test_per_epoch_dense_writes_each_epochs_value_with_no_division_per_step(epoch, start, n):
    # the schedule once per epoch the window touches, each value written over its epoch's steps:
    # no integer division per step (XLA's CPU loops do not vectorise one; it cost 10-16x the write)
    s = lrsched.per_epoch(lrsched.cosine(1.0, 0.01, 100), epoch)
    text = _evaluate_program_text(s, n, start)
    assert not re.search(r"s(32|64)\[\d{4,}\]\{0\} divide\(", text)
    assert not re.search(r"f32\[\d{4,}\]\{0\} cosine\(", text)
    e = np.arange(start, start + n) // epoch
    want = 0.01 + 0.99 * 0.5 * (1.0 + np.cos(np.pi * np.minimum(e, 100) / 100))
    np.testing.assert_allclose(np.asarray(lrsched.evaluate(s, n, start=start), np.float64), want, rtol=1e-6)
    np.testing.assert_allclose(lrsched.evaluate(s, n, start=start, backend="numpy"), want, rtol=1e-13)


def test_per_epoch_windows_of_one_layout_share_a_program():
    # the window's offset into its first epoch is an argument: windows that touch as many epochs
    # share one program, each with its own values
    from lrsched import _evaluate as E

    s = lrsched.per_epoch(lrsched.exponential(1.0, 0.5), 1000)
    E._PROGRAMS._programs.clear()
    for start in (0, 250, 400, 1000, 4321, 999):  # 3500 steps: four epochs touched, then five
        got = np.asarray(lrsched.evaluate(s, 3500, start=start), np.float64)
        np.testing.assert_array_equal(got, 0.5 ** (np.arange(start, start + 3500) // 1000))
        if start == 4321:  # a window at step 0 has its own (a static start)
            assert len(E._PROGRAMS) == 2
    assert len(E._PROGRAMS) == 3
