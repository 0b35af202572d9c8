"""Dense evaluation of the common recipes near the cost of writing the output: values against the
float64 formula over long windows (some starting mid-phase or mid-cycle), and the shape of the
compiled per-step program (no per-step search, no sine where a table serves)."""

from __future__ import annotations

import re

import jax
import numpy as np
import pytest

import lrsched
from lrsched import _tables as T
from lrsched._backend import JX

N = 1_000_000


def _entry_ops(s, start, n):
    """The op names of the entry computation of the dense program of ``s``."""
    text = jax.jit(lambda: T.dense(s, start, n, JX)).lower().compile().as_text()
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
    ops = _entry_ops(lrsched.wsd(1.0, total, warm, decay, end=end), start, n)
    assert "while" not in ops
    assert ops.count("fusion") == 1
