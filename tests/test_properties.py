"""Properties over random arguments (hypothesis): continuity where pieces meet, monotone warmups and
decays, values inside the range of their parameters, and the three backends agreeing."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from reference import ref_cycle, ref_ramp, ref_warmup_decay

import lrsched as L

SHAPES = ["linear", "cosine", "exponential", "polynomial", "sqrt", "rex", "tanh"]
# shapes that reach their end continuously (tanh stops short of it and then holds it, as timm)
CONTINUOUS = [s for s in SHAPES if s != "tanh"]

values = st.floats(min_value=1e-4, max_value=10.0, allow_nan=False, allow_infinity=False)
small_steps = st.integers(min_value=1, max_value=300)
EPS = 1e-9


def shape_params(draw, shape, *, continuous=False):
    if shape == "cosine":
        return {"exponent": draw(st.floats(0.25, 4.0))}
    if shape == "polynomial":
        # a power below 1 has an infinite slope at the end: its left limit converges too slowly to test
        return {"power": draw(st.floats(1.0 if continuous else 0.25, 4.0))}
    if shape == "rex":
        return {"alpha": draw(st.floats(0.0, 0.95))}
    if shape == "tanh":
        lower = draw(st.floats(-8.0, 0.0))
        return {"lower": lower, "upper": draw(st.floats(lower + 0.5, 8.0))}
    return {}


def left_limit_close(s, b, scale, n):
    """``s`` is continuous from the left at ``b``: the value just before equals the value at ``b``."""
    before, at = s(b - EPS), s(b)
    tol = 1e-6 * scale / max(n, 1) + 1e-12 * scale
    assert abs(before - at) <= tol, (b, before, at)


def assert_monotone(v, direction, scale):
    d = np.diff(v) * direction
    assert np.all(d >= -1e-13 * scale), (direction, np.min(d))


# --------------------------------------------------------------------------------------------
# continuity where pieces meet
# --------------------------------------------------------------------------------------------
@given(peak=values, start=values, end=values, total=st.integers(2, 5000), data=st.data())
def test_warmup_cosine_is_continuous(peak, start, end, total, data):
    warm = data.draw(st.integers(1, total - 1))
    s = L.warmup_cosine(peak, total, warm, start=start, end=end)
    scale = max(peak, start, end)
    left_limit_close(s, warm, scale, warm)
    left_limit_close(s, total, scale, total - warm)
    assert s(warm) == peak
    assert s(total) == end and s(total + 1) == end
    assert s(0) == start


@given(peak=values, end=values, total=st.integers(3, 5000), shape=st.sampled_from(CONTINUOUS), data=st.data())
def test_wsd_is_continuous(peak, end, total, shape, data):
    warm = data.draw(st.integers(1, total - 2))
    decay = data.draw(st.integers(1, total - warm))
    s = L.wsd(peak, total, warm, decay, end=end, decay_shape=shape)
    scale = max(peak, end)
    for b in (warm, total - decay, total):
        left_limit_close(s, b, scale, min(warm, decay))
    assert s(warm) == peak and s(total - decay) == peak
    assert s(total) == end


@given(
    steps=st.lists(st.integers(0, 10_000), min_size=2, max_size=8, unique=True),
    data=st.data(),
    shape=st.sampled_from(CONTINUOUS),
)
def test_piecewise_linear_is_continuous_and_hits_its_points(steps, data, shape):
    steps = sorted(steps)
    vals = data.draw(st.lists(values, min_size=len(steps), max_size=len(steps)))
    points = dict(zip(steps, vals))
    s = L.piecewise_linear(points, shape=shape)
    scale = max(vals)
    gap = min(b - a for a, b in zip(steps, steps[1:]))
    for b, v in points.items():
        assert abs(s(b) - v) <= 1e-12 * scale
        if b > 0:
            left_limit_close(s, b, scale, gap)
    assert s(steps[-1] + 10**6) == vals[-1]
    assert s(0) == vals[0] or steps[0] == 0


@given(peak=values, period=st.integers(2, 500), mult=st.sampled_from([1, 2, 3, 1.5, 1.25]), end=values)
def test_sgdr_restarts_at_peak_and_is_continuous_within_a_cycle(peak, period, mult, end):
    assume(end < peak)
    s = L.sgdr(peak, period, period_mult=mult, end=end)
    begin, length = 0.0, float(period)
    for _ in range(5):
        assert abs(s(begin) - peak) <= 1e-12 * peak  # each cycle restarts at peak
        mid = begin + length / 3
        left_limit_close(s, mid, peak, length)
        # just before a restart the cosine is at its end
        assert abs(s(begin + length - EPS) - end) <= 1e-6 * peak
        begin += length
        length *= mult


# --------------------------------------------------------------------------------------------
# monotone warmups and decays
# --------------------------------------------------------------------------------------------
@given(hi=values, lo=values, n=small_steps, shape=st.sampled_from(SHAPES), data=st.data())
def test_ramps_are_monotone_and_within_their_ends(hi, lo, n, shape, data):
    lo, hi = min(lo, hi), max(lo, hi)
    p = shape_params(data.draw, shape)
    ks = np.arange(0, n + 5)
    for a, b, direction in ((hi, lo, -1), (lo, hi, 1)):
        v = L.ramp(a, b, n, shape, **p)(ks)
        assert_monotone(v, direction, hi)
        assert np.all(v >= lo * (1 - 1e-15)) and np.all(v <= hi * (1 + 1e-15))
        assert v[-1] == b  # holds its end exactly
        if shape != "tanh":
            assert v[0] == a


@given(target=values, start=values, n=small_steps, shape=st.sampled_from(SHAPES))
def test_warmups_are_monotone(target, start, n, shape):
    lo, hi = min(start, target), max(start, target)
    s = L.warmup(L.constant(target), n, start=start, shape=shape)
    v = s(np.arange(0, n + 3))
    assert_monotone(v, 1 if target >= start else -1, hi)
    assert np.all(v >= lo * (1 - 1e-15)) and np.all(v <= hi * (1 + 1e-15))
    assert v[n] == target


@given(
    start=values,
    rate=st.floats(0.01, 0.999),
    steps=st.integers(1, 100),
    staircase=st.booleans(),
    end=st.none() | st.floats(0.0, 1e-3),
)
def test_exponential_decay_is_monotone_and_bounded(start, rate, steps, staircase, end):
    s = L.exponential(start, rate, steps, staircase=staircase, end=end)
    v = s(np.arange(0, 2000, 7))
    assert_monotone(v, -1, start)
    assert np.all(v <= max(start, end or 0.0)) and np.all(v >= (end or 0.0))


@given(start=values, rate=st.floats(1.001, 3.0), end=values)
def test_exponential_growth_never_passes_its_ceiling(start, rate, end):
    s = L.exponential(start, rate, end=end)
    ks = [0, 1, 10, 1000, 10**6, 10**12]
    v = [s(k) for k in ks]
    assert all(x <= max(end, start) if end >= start else x == end for x in v)
    assert v[-1] == end  # reached and held
    np.testing.assert_allclose(s(np.asarray(ks)), v, rtol=1e-14)


@given(start=values, rate=st.floats(0.0, 10.0), ts=st.integers(1, 1000), staircase=st.booleans())
def test_inverse_decays_are_monotone(start, rate, ts, staircase):
    ks = np.arange(0, 3000, 11)
    assert_monotone(L.inverse_time(start, rate, ts, staircase=staircase)(ks), -1, start)
    assert_monotone(L.inverse_sqrt(start, ts)(ks), -1, start)


@given(
    peak=values,
    total=st.integers(2, 3000),
    start_frac=st.floats(0.0, 1.0),
    end_frac=st.floats(0.0, 1.0),
    data=st.data(),
)
def test_warmup_recipes_rise_then_fall(peak, total, start_frac, end_frac, data):
    warm = data.draw(st.integers(1, total - 1))
    start, end = peak * start_frac, peak * end_frac
    for build in (L.warmup_cosine, L.warmup_linear):
        v = build(peak, total, warm, start=start, end=end)(np.arange(0, total + 5))
        assert_monotone(v[: warm + 1], 1, peak)
        assert_monotone(v[warm:], -1, peak)
        assert abs(v.max() - peak) <= 4e-16 * peak  # start * w1 + end * w2 may round one ulp off
        assert np.all(v >= min(start, end) * (1 - 1e-15))


@given(
    peak=values,
    total=st.integers(20, 3000),
    pct=st.floats(0.05, 0.45),
    div=st.floats(1.5, 100.0),
    final_div=st.floats(1.0, 1e4),
    anneal=st.sampled_from(["cosine", "linear"]),
    three=st.booleans(),
)
def test_one_cycle_stays_between_its_ends(peak, total, pct, div, final_div, anneal, three):
    s = L.one_cycle(
        peak, total, pct_start=pct, div_factor=div, final_div_factor=final_div, anneal=anneal, three_phase=three
    )
    v = s(np.arange(0, total + 3))
    low = peak / div / final_div
    assert np.all(v <= peak * (1 + 1e-12)) and np.all(v >= low * (1 - 1e-12))
    top = int(np.argmax(v))
    if pct * total >= 2:  # the peak is where torch puts it (before step 1 no integer step sees it)
        assert abs(top - (pct * total - 1)) <= 1
    if not three:
        assert_monotone(v[: top + 1], 1, peak)
        assert_monotone(v[top:], -1, peak)
    assert abs(v[total - 1] - low) <= 1e-12 * peak


@given(
    low=values,
    high=values,
    up=st.integers(1, 50),
    down=st.integers(1, 50),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
)
def test_cyclic_stays_between_low_and_high(low, high, up, down, mode, gamma):
    lo, hi = min(low, high), max(low, high)
    v = L.cyclic(lo, hi, up, down, mode=mode, gamma=gamma)(np.arange(0, 5 * (up + down)))
    assert np.all(v >= lo * (1 - 1e-12)) and np.all(v <= hi * (1 + 1e-12))
    assert (
        abs(v[0] - lo) <= 1e-12 * hi
        and abs(v[up] - (lo + (hi - lo) * (gamma**up if mode == "exp_range" else 1.0))) <= 1e-9 * hi
    )


@given(
    peak=values,
    warm=st.integers(0, 50),
    hold=st.integers(0, 50),
    decay=st.integers(0, 50),
    init=st.floats(0.0, 1.0),
    final=st.floats(1e-3, 1.0),
)
def test_tri_stage_rises_holds_decays(peak, warm, hold, decay, init, final):
    s = L.tri_stage(peak, warm, hold, decay, init_scale=init, final_scale=final)
    v = s(np.arange(0, warm + hold + decay + 5))
    # the rise reaches the peak at step `warm` only where a hold or a decay follows; with neither,
    # step `warm` is already past them, at the final value (fairseq's tri-stage does the same)
    assert_monotone(v[: warm + 1] if hold + decay else v[:warm], 1, peak)
    assert_monotone(v[warm:], -1, peak)
    if warm and not hold + decay:
        assert v[warm] == peak * final
    assert abs(v[-1] - peak * final) <= 1e-12 * peak
    assert np.all(v <= peak * (1 + 1e-15)) and np.all(v >= peak * min(init, final) * (1 - 1e-12))


# --------------------------------------------------------------------------------------------
# combinators over random arguments
# --------------------------------------------------------------------------------------------
@given(
    period=st.integers(1, 40),
    mult=st.sampled_from([1, 2, 3, 1.5, 2.5]),
    decay=st.floats(0.1, 1.0),
    limit=st.none() | st.integers(1, 6),
    ks=st.lists(st.integers(0, 5000), min_size=1, max_size=20),
)
def test_cycle_matches_its_definition(period, mult, decay, limit, ks):
    inner = L.cosine(1.0, 0.1, period)
    s = L.cycle(inner, period, period_mult=mult, decay=decay, limit=limit)
    ref = ref_cycle(ref_ramp(1.0, 0.1, period, "cosine"), period, mult, decay, limit)
    want = [ref(k) for k in ks]
    np.testing.assert_allclose([s(k) for k in ks], want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s(np.asarray(ks)), want, rtol=1e-9, atol=1e-12)


@given(d=st.integers(-100, 100), ks=st.lists(st.integers(0, 300), min_size=1, max_size=20))
def test_shift_is_a_delay(d, ks):
    base = L.warmup_cosine(1.0, 150, 15)
    s = L.shift(base, d)
    for k in ks:
        assert s(k) == base(max(k - d, 0))


@given(
    bounds=st.lists(st.integers(0, 100), min_size=1, max_size=5),
    ks=st.lists(st.integers(0, 200), min_size=1, max_size=20),
)
def test_join_picks_the_last_started_piece(bounds, ks):
    bounds = sorted(bounds)
    pieces = [L.linear(float(i), float(i) + 0.5, 7) for i in range(len(bounds) + 1)]
    s = L.join(pieces, bounds)
    arr = s(np.asarray(ks))
    for k, a in zip(ks, arr):
        i = sum(1 for b in bounds if k >= b)
        want = pieces[i](k - (bounds[i - 1] if i else 0))
        assert s(k) == want and a == want


# --------------------------------------------------------------------------------------------
# the three backends agree
# --------------------------------------------------------------------------------------------
def _recipe(draw):
    kind = draw(st.sampled_from(["warmup_cosine", "wsd", "one_cycle", "sgdr", "cyclic", "noam", "tri_stage", "cycle"]))
    peak = draw(values)
    total = draw(st.integers(10, 2000))
    warm = draw(st.integers(0, total // 2))
    if kind == "warmup_cosine":
        return L.warmup_cosine(peak, total, warm, start=draw(values), end=draw(values))
    if kind == "wsd":
        return L.wsd(
            peak,
            total,
            warm,
            draw(st.integers(0, total - warm)),
            end=draw(values),
            decay_shape=draw(st.sampled_from(SHAPES)),
        )
    if kind == "one_cycle":
        return L.one_cycle(
            peak,
            total,
            pct_start=draw(st.floats(0.1, 0.4)),
            anneal=draw(st.sampled_from(["cosine", "linear"])),
            three_phase=draw(st.booleans()),
        )
    if kind == "sgdr":
        return L.sgdr(
            peak,
            draw(st.integers(1, 200)),
            period_mult=draw(st.sampled_from([1, 2, 1.5])),
            decay=draw(st.floats(0.5, 1.0)),
            warmup_steps=warm,
        )
    if kind == "cyclic":
        return L.cyclic(
            peak / 10,
            peak,
            draw(st.integers(1, 100)),
            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
            gamma=draw(st.floats(0.99, 1.0)),
        )
    if kind == "noam":
        return L.noam(peak, max(warm, 1))
    if kind == "tri_stage":
        return L.tri_stage(peak, warm, draw(st.integers(0, 100)), draw(st.integers(0, 100)))
    shape = draw(st.sampled_from(SHAPES))
    inner = L.ramp(peak, peak / 100, draw(st.integers(1, 100)), shape, **shape_params(draw, shape))
    return L.cycle(
        inner,
        draw(st.integers(1, 100)),
        period_mult=draw(st.sampled_from([1, 2, 3, 1.5])),
        limit=draw(st.none() | st.integers(1, 5)),
    )


@given(
    data=st.data(),
    ks=st.lists(st.integers(0, 10**5), min_size=1, max_size=30),
    fks=st.lists(st.floats(0.0, 5000.0), min_size=1, max_size=10),
)
def test_python_and_numpy_agree(data, ks, fks):
    s = _recipe(data.draw)
    py = [s(k) for k in ks]
    np.testing.assert_allclose(s(np.asarray(ks, dtype=np.int64)), py, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s(np.asarray(ks, dtype=np.int32)), py, rtol=1e-12, atol=1e-15)
    pyf = [s(k) for k in fks]
    np.testing.assert_allclose(s(np.asarray(fks, dtype=np.float64)), pyf, rtol=1e-12, atol=1e-15)


_jit_call = jax.jit(lambda s, k: s(k))  # one trace per structure; hypothesis varies the values


@given(
    peak=values,
    start=st.floats(0.0, 1.0),
    end=st.floats(0.0, 1.0),
    ks=st.lists(st.integers(0, 1100), min_size=16, max_size=16),
)
def test_jax_agrees_with_python_for_random_values(peak, start, end, ks):
    # fixed durations (one compile for the whole test), random values and steps
    scheds = [
        (
            L.warmup_cosine(peak, 1000, 100, start=start * peak, end=end * peak),
            ref_warmup_decay("cosine", peak, 1000, 100, start * peak, end * peak),
        ),
        (L.cycle(L.cosine(peak, end * peak, 50), 50, period_mult=2, decay=0.5 + start / 2), None),
        (L.wsd(peak, 1000, 100, 300, end=end * peak + 1e-3), None),
        (L.one_cycle(peak, 1000, div_factor=2.0 + 20 * start), None),
    ]
    karr = jnp.asarray(ks, dtype=jnp.int32)
    for s, ref in scheds:
        py = np.array([s(k) for k in ks])
        if ref is not None:
            np.testing.assert_allclose(py, [ref(k) for k in ks], rtol=1e-10, atol=1e-12 * peak)
        got = np.asarray(_jit_call(s, karr), dtype=np.float64)
        np.testing.assert_allclose(got, py, rtol=1e-5, atol=1e-6 * peak)
