"""NumPy evaluation of many steps works in chunks: bounded extra memory, the same values bit for bit
whatever the chunk size, and the values of the formula."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import lrsched
import lrsched._steps as S
import lrsched._tables as D

N = 10**7


def _schedules(n):
    return {
        "warmup_cosine": lrsched.warmup_cosine(1.0, n, n // 20, end=0.01),
        "wsd": lrsched.wsd(2.0, n, n // 50, 0.3),
        "one_cycle": lrsched.one_cycle(1.0, n),
        "sgdr": lrsched.sgdr(1.0, n // 7, period_mult=2),
    }


def _peak_extra(f):
    """Peak bytes NumPy allocated during ``f()`` beyond its result, and the result."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = f()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - out.nbytes, out


_SLACK = 1 << 20  # the interpreter's own allocations while tracing


@pytest.mark.parametrize("name", ["warmup_cosine", "wsd", "one_cycle", "sgdr"])
def test_evaluate_numpy_peak_memory_is_bounded(name):
    s = _schedules(N)[name]
    extra, out = _peak_extra(lambda: lrsched.evaluate(s, N, backend="numpy"))
    assert out.shape == (N,) and out.dtype == np.float64
    assert extra <= 2 * out.nbytes + _SLACK, f"{name}: {extra / out.nbytes:.2f}x the output"


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_evaluate_numpy_dtype_peak_memory_is_bounded(dtype):
    s = _schedules(N)["warmup_cosine"]
    extra, out = _peak_extra(lambda: lrsched.evaluate(s, N, backend="numpy", dtype=dtype))
    assert out.dtype == np.dtype(dtype)
    # the float64 values are never held for the whole window
    assert extra <= 2 * out.nbytes + 64 * S.NUMPY_CHUNK, f"{extra / out.nbytes:.2f}x the output"


@pytest.mark.parametrize("name", ["warmup_cosine", "one_cycle"])
def test_call_on_numpy_array_peak_memory_is_bounded(name):
    s = _schedules(N)[name]
    k = np.arange(N)
    extra, out = _peak_extra(lambda: s(k))
    assert out.shape == (N,)
    assert extra <= 2 * out.nbytes + _SLACK, f"{name}: {extra / out.nbytes:.2f}x the output"


def _bits(x):
    return np.ascontiguousarray(x).view(np.uint8)


@pytest.mark.parametrize("start", [0, 5, 1023, 4096, 77_777])
@pytest.mark.parametrize("chunk", [1000, 1024, 4097, 65_536])
def test_evaluate_numpy_chunks_give_the_whole_window_bit_for_bit(monkeypatch, start, chunk):
    n = 300_000
    schedules = {
        **_schedules(n),
        "exponential": lrsched.exponential(1.0, 0.5, 10_000),
        "exp_ramp": lrsched.ramp(1.0, 1e-3, 123_457, shape="exponential"),
        "join_of_like_ramps": lrsched.join([lrsched.cosine(1.0, 0.1, 3000)] * 40, [3000 * i for i in range(1, 40)]),
    }
    for name, s in schedules.items():
        monkeypatch.setattr(D, "NUMPY_CHUNK", 1 << 40)
        whole = lrsched.evaluate(s, n, start=start, backend="numpy")
        monkeypatch.setattr(D, "NUMPY_CHUNK", chunk)
        got = lrsched.evaluate(s, n, start=start, backend="numpy")
        assert np.array_equal(_bits(got), _bits(whole)), name
        # a window starting inside the first one agrees with it at every step it shares
        sub = lrsched.evaluate(s, 5000, start=start + 3001, backend="numpy")
        assert np.array_equal(_bits(sub), _bits(whole[3001:8001])), name


@pytest.mark.parametrize("start", [0, 1, 999, 2**40 + 3])
def test_evaluate_numpy_cosine_matches_the_formula(monkeypatch, start):
    monkeypatch.setattr(D, "NUMPY_CHUNK", 4096)
    n, steps, peak, end = 20_000, 2**41, 3.0, 0.25
    s = lrsched.cosine(peak, end, steps)
    got = lrsched.evaluate(s, n, start=start, backend="numpy")
    for i in range(0, n, 37):
        k = start + i
        want = end + (peak - end) * math.sin(math.pi / 2 * (steps - k) / steps) ** 2
        assert got[i] == pytest.approx(want, rel=1e-13, abs=0.0), k


@pytest.mark.parametrize("start", [0, 7, 50_000])
def test_evaluate_numpy_geometric_matches_the_formula(monkeypatch, start):
    monkeypatch.setattr(D, "NUMPY_CHUNK", 3000)
    n = 12_000
    for s, f in (
        (lrsched.exponential(2.0, 0.5, 1000), lambda k: 2.0 * 0.5 ** (k / 1000)),
        (lrsched.ramp(1.0, 1e-4, 40_000, shape="exponential"), lambda k: 1e-4 ** (min(k, 40_000) / 40_000)),
    ):
        got = lrsched.evaluate(s, n, start=start, backend="numpy")
        for i in range(0, n, 101):
            assert got[i] == pytest.approx(f(start + i), rel=1e-12, abs=0.0), (s, start + i)


@pytest.mark.parametrize(
    "steps",
    [
        np.arange(10_000).reshape(100, 100),
        np.arange(20_000)[::2],
        np.arange(0, 30_000, dtype=np.uint64),
        np.array([2**64 - 1, 0, 2**63, 5] * 700, dtype=np.uint64),
        np.linspace(-5.0, 40_000.5, 9_001),
        np.arange(9_000, dtype=np.int16).reshape(3, 3000).T,
    ],
)
def test_call_on_numpy_array_chunks_give_one_pass_bit_for_bit(monkeypatch, steps):
    for s in _schedules(30_000).values():
        monkeypatch.setattr(S, "NUMPY_CHUNK", 1 << 40)
        whole = s(steps)
        monkeypatch.setattr(S, "NUMPY_CHUNK", 1000)
        got = s(steps)
        assert got.shape == steps.shape and got.dtype == np.float64
        assert np.array_equal(_bits(got), _bits(whole)), s


def test_call_on_numpy_array_chunked_names_the_whole_shape(monkeypatch):
    monkeypatch.setattr(S, "NUMPY_CHUNK", 100)
    s = lrsched.warmup_cosine(1.0, 1000, 10)
    for bad in (np.nan, np.inf, -np.inf):
        k = np.arange(1000.0).reshape(10, 100)
        k[7, 3] = bad
        with pytest.raises(ValueError, match=r"must be finite \(in a step array of shape \(10, 100\)\)"):
            s(k)
