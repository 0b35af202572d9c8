"""lrsched.boundaries: where phases begin, from the schedule's definition (expected values are
written from the formulas here: join boundaries, warmup ends, cycle starts, warped clocks)."""

from __future__ import annotations

import math

import pytest

import lrsched as L
from lrsched.compat import timm as T
from lrsched.compat import torch as TC


@pytest.mark.parametrize(
    "s, n, want",
    [
        (L.constant(1.0), 100, []),
        (L.linear(1.0, 0.0, 10), 100, [10]),
        (L.warmup_cosine(1.0, 100, 10), 200, [10, 100]),
        (L.join([L.constant(1.0), L.constant(0.5), L.linear(0.5, 0.0, 10)], [30, 60]), 100, [30, 60, 70]),
        (L.sgdr(1.0, 100, period_mult=2), 1000, [100, 300, 700]),
        (L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=1.1), 50, [10, 21, 33.1, 46.41]),
        (L.cycle(L.linear(1.0, 0.0, 10), 10, limit=3), 100, [10, 20, 30]),
        (L.one_cycle(1.0, 101), 101, [0.3 * 101 - 1, 100]),  # torch OneCycleLR's phase ends
        (L.piecewise_constant(1.0, {5: 0.5, 9: 0.5}), 20, [5, 9]),
        (L.exponential(1.0, 0.5, 10, staircase=True), 35, [10, 20, 30]),
        (TC.step_lr(7, 0.5), 30, [7, 14, 21, 28]),
        (L.shift(L.linear(1.0, 0.0, 10), 5), 30, [5, 15]),
        (L.per_epoch(L.piecewise_constant(1.0, {2: 0.1}), 10), 50, [20]),
        (L.wsd(1.0, 100, 10, 20), 101, [10, 80, 100]),
    ],
    ids=repr,
)
def test_boundaries(s, n, want):
    assert L.boundaries(s, n) == want


def test_window_is_open_at_both_ends():
    s = L.join([L.constant(1.0), L.constant(2.0), L.constant(3.0)], [10, 20])
    assert L.boundaries(s, 20, start=0) == [10]  # 20 is the window's end, not inside it
    assert L.boundaries(s, 10, start=10) == []  # (10, 20)
    assert L.boundaries(s, 11, start=10) == [20]  # (10, 21)
    assert L.boundaries(s, 100, start=15) == [20]


def test_k_decay_warp_places_its_childs_phases():
    # k_decay runs the child at n * (t / n) ** k: the child's step x is at t = n * (x / n) ** (1 / k)
    inner = L.join([L.linear(1.0, 0.5, 50), L.linear(0.5, 0.0, 50)], [50])
    s = T.k_decay(inner, 100, 2.0)
    (b, end) = L.boundaries(s, 150)
    assert b == pytest.approx(100 * (50 / 100) ** 0.5, rel=1e-12) and end == 100
    # at that step the child is at its own boundary: the value is the join's, 0.5
    assert s(b) == pytest.approx(0.5, rel=1e-9)


def test_timm_decay_count_staircase():
    # timm StepLRScheduler: decays at t // decay_t, so the k-th decay begins at t = k * decay_t
    got = L.boundaries(T.step_lr(decay_t=2.4, lr=0.1), 13)
    assert got == pytest.approx([2.4 * j for j in range(1, 6)], rel=1e-12)
    s = T.step_lr(decay_t=2.4, lr=0.1, decay_rate=0.5)
    for b in got:  # the value changes at the first integer step at or after each boundary
        k = math.ceil(b)
        assert s(k) < s(k - 1)


def test_many_boundaries_and_bad_arguments():
    s = L.cycle(L.linear(1.0, 0.0, 2), 2)
    assert L.boundaries(s, 200_001) == list(range(2, 200_001, 2))
    with pytest.raises(ValueError, match="num_steps=0"):
        L.boundaries(s, 0)
    with pytest.raises(ValueError, match="start=-1"):
        L.boundaries(s, 10, start=-1)
    with pytest.raises(TypeError, match="schedule="):
        L.boundaries(0.1, 10)
    with pytest.raises(ValueError, match="more than 1,000,000 phase boundaries"):
        L.boundaries(s, 3_000_000)
