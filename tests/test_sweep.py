"""A sweep: ``evaluate`` of a batch whose members differ in values the schedule is linear in
computes the weights of the shared structure once and each member as a product of its values
with them. Each row is the member's own evaluation and the float64 formula; the program does
not grow with the number of members, and its cost per member and step is one multiply-add."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

import lrsched as L
from lrsched import _evaluate as E
from lrsched import _sweep

N = 300


def warmup_cosine_ref(peak, n, w, start=0.0, end=0.0):
    """warmup_cosine in float64: linear from ``start`` to ``peak`` over ``w`` steps, then a
    half cosine from ``peak`` to ``end`` over ``n - w`` steps, then ``end``."""

    def f(k):
        if k < w:
            return start + (peak - start) * k / w
        t = min(k - w, n - w) / (n - w)
        return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * t))

    return f


def piecewise_ref(a, b, c):
    """join([linear(a, b, 50), constant(c), cosine(c, 0, 90)], [50, 120]) in float64."""

    def f(k):
        if k < 50:
            return a + (b - a) * k / 50
        if k < 120:
            return c
        t = min(k - 120, 90) / 90
        return c * 0.5 * (1 + math.cos(math.pi * t))

    return f


def shifted_sum_ref(a, c):
    """shift(linear(a, 0, 30), 10) + constant(c) in float64."""
    return lambda k: a * (30 - min(max(k - 10, 0), 30)) / 30 + c


def polynomial_ref(a, b, power):
    """ramp(a, b, 60, "polynomial", power=power) in float64."""
    return lambda k: b + (a - b) * ((60 - min(k, 60)) / 60) ** power


PEAKS = [1e-4 * 1.37**i for i in range(12)]
CASES = {
    # name: (members, float64 formulas, the leaves that vary)
    "peaks": (
        [L.warmup_cosine(p, N, 20) for p in PEAKS],
        [warmup_cosine_ref(p, N, 20) for p in PEAKS],
        1,
    ),
    "peaks and ends": (
        [L.warmup_cosine(p, N, 20, end=p / 10) for p in PEAKS],
        [warmup_cosine_ref(p, N, 20, end=p / 10) for p in PEAKS],
        2,
    ),
    "start, peak and end": (
        [L.warmup_cosine(p, N, 7, start=p / 3, end=0.5 * p) for p in PEAKS],
        [warmup_cosine_ref(p, N, 7, start=p / 3, end=0.5 * p) for p in PEAKS],
        3,
    ),
    "a shared floor": (
        [L.warmup_cosine(p, N, 20, end=1e-5) for p in PEAKS],
        [warmup_cosine_ref(p, N, 20, end=1e-5) for p in PEAKS],
        1,
    ),
    "a join": (
        [L.join([L.linear(p, 2 * p, 50), L.constant(3 * p), L.cosine(3 * p, 0.0, 90)], [50, 120]) for p in PEAKS],
        [piecewise_ref(p, 2 * p, 3 * p) for p in PEAKS],
        4,
    ),
    "a shift plus a constant": (
        [L.shift(L.linear(p, 0.0, 30), 10) + L.constant(0.5 * p) for p in PEAKS],
        [shifted_sum_ref(p, 0.5 * p) for p in PEAKS],
        2,
    ),
    "a shared shape parameter": (
        [L.ramp(p, p / 7, 60, "polynomial", power=2.5) for p in PEAKS],
        [polynomial_ref(p, p / 7, 2.5) for p in PEAKS],
        2,
    ),
}


def rows_of(members, n, start=0):
    return np.stack([np.asarray(L.evaluate(m, n, start=start)) for m in members])


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("start", [0, 7, 55])
def test_rows_are_the_members_and_the_formula(name, start):
    members, refs, varying = CASES[name]
    b = L.stack(members)
    assert _sweep.plan(b) is not None and len(_sweep.plan(b)) == varying
    v = np.asarray(L.evaluate(b, N, start=start))
    assert v.shape == (len(members), N) and v.dtype == np.float32
    np.testing.assert_allclose(v, rows_of(members, N, start), rtol=5e-7, atol=0)
    for row, f in zip(v, refs):
        want = np.array([f(k) for k in range(start, start + N)])
        np.testing.assert_allclose(row, want, rtol=1e-6, atol=1e-7 * np.abs(want).max())


@pytest.mark.parametrize("name", ["peaks", "start, peak and end", "a join", "a shared shape parameter"])
def test_rows_under_x64_are_the_float64_formula(name):
    members, refs, _ = CASES[name]
    with jax.enable_x64(True):
        b = L.stack(members)
        v = np.asarray(L.evaluate(b, N, start=3))
        assert v.dtype == np.float64
        np.testing.assert_allclose(v, rows_of(members, N, 3), rtol=1e-14, atol=0)
    for row, f in zip(v, refs):
        want = np.array([f(k) for k in range(3, 3 + N)])
        np.testing.assert_allclose(row, want, rtol=1e-12, atol=1e-15 * np.abs(want).max())


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_output_dtype_is_the_rounded_float32_rows(dtype):
    members, _, _ = CASES["peaks"]
    v = L.evaluate(L.stack(members), N, dtype=dtype)
    rows = rows_of(members, N).astype(v.dtype)
    assert v.dtype == rows.dtype
    np.testing.assert_array_equal(np.asarray(v, np.float64), np.asarray(rows, np.float64))


@pytest.mark.parametrize(
    "members",
    [
        [L.ramp(1.0, 0.1, 60, "polynomial", power=q) for q in (1.5, 2.0, 3.0)],  # a varying shape parameter
        [L.exponential(p, 0.5, 40) for p in (1.0, 2.0, 3.0)],  # geometric
        [L.warmup_cosine(p, N, 20) * L.constant(2.0) for p in (1.0, 2.0, 3.0)],  # a product
        [L.clip(L.linear(p, 0.0, 50), max=0.5) for p in (1.0, 2.0, 3.0)],  # a clip
        [L.warmup_cosine(p, N, 20, end=p) for p in (1.0, 2.0)],  # more varying values than members
    ],
)
def test_batches_outside_the_linear_case_are_evaluated_member_by_member(members):
    b = L.stack(members)
    assert _sweep.plan(b) is None
    np.testing.assert_allclose(np.asarray(L.evaluate(b, N)), rows_of(members, N), rtol=5e-7, atol=0)


def test_a_batch_of_identical_members_is_one_row_repeated():
    members = [L.warmup_cosine(0.3, N, 20)] * 5
    b = L.stack(members)
    assert _sweep.plan(b) == ()
    np.testing.assert_array_equal(np.asarray(L.evaluate(b, N)), rows_of(members, N))


def _program(b, n):
    """The value program ``evaluate(b, n)`` ran, lowered, and the arguments it ran with."""
    L.evaluate(b, n)
    prog = next(reversed(E._PROGRAMS._programs.values()))
    start = np.asarray(0, np.int32)
    items = prog.tables(b, start) if prog.needs_tables else []
    return prog.run.lower(b, items, start)


def _sweep_of(size, n, scale=1.0):
    return L.stack([L.warmup_cosine(scale * 1e-3 * (1 + i / size), n, 10) for i in range(size)])


def _ops(text):
    return sum(1 for line in text.splitlines() if " = " in line)


def test_one_trace_per_member_count_and_none_for_new_values():
    n = 1234  # a length no other test uses: new programs
    before = E._PROGRAMS.traces
    L.evaluate(_sweep_of(8, n), n)
    assert E._PROGRAMS.traces == before + 1
    L.evaluate(_sweep_of(1024, n), n)
    assert E._PROGRAMS.traces == before + 2
    L.evaluate(_sweep_of(1024, n, scale=3.0), n)  # new peaks: the same program
    L.evaluate(_sweep_of(8, n, scale=3.0), n)
    assert E._PROGRAMS.traces == before + 2


def test_the_program_does_not_grow_with_the_member_count():
    n = 1000
    small, large = _program(_sweep_of(8, n), n), _program(_sweep_of(1024, n), n)
    assert _ops(small.as_text()) == _ops(large.as_text())
    jitted = jax.jit(lambda b: L.evaluate(b, n))  # traced values: every value varies
    assert _ops(jitted.lower(_sweep_of(8, n)).as_text()) == _ops(jitted.lower(_sweep_of(1024, n)).as_text())


def _flops(lowered):
    cost = lowered.compile().cost_analysis()
    return (cost[0] if isinstance(cost, list) else cost)["flops"]


@pytest.mark.parametrize("n", [1000, 20000])
def test_each_member_costs_one_multiply_add_per_step(n):
    # the weights of the shared structure are computed once: what a member adds is its peak times
    # the weight row plus the shared row, not the schedule's formula again
    extra = _flops(_program(_sweep_of(1024, n), n)) - _flops(_program(_sweep_of(8, n), n))
    assert extra <= 2 * 1016 * n
