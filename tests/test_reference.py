"""Every primitive, combinator and recipe against an independent float64 reference.

The references and the table of cases live in :mod:`reference`. Each case is checked on the three
backends:

* Python ``int`` and ``float`` steps -> a Python ``float``;
* NumPy ``int64`` / ``float64`` arrays -> ``float64`` arrays of the same shape;
* JAX arrays -> JAX's default float dtype (float32 here), compared with float32 tolerances.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from reference import CASES, RECIPES, expected, float_steps, int_steps, padded, ref_cycle, ref_ramp

import lrsched as L

# float64 paths: agreement to rounding; JAX (float32): rtol 1e-5, atol 1e-6 of the value scale.
RTOL64, ATOL64 = 1e-10, 1e-12
RTOL32, ATOL32 = 1e-5, 1e-6


def _ids(cases):
    return [c[0] for c in cases]


JAX_INT_LEN, JAX_FLOAT_LEN = 512, 32


def _scale(values):
    return max(1.0, float(np.max(np.abs(values))))


# ============================================================================================
# the tests
# ============================================================================================
@pytest.mark.parametrize("name,build,ref,span", CASES, ids=_ids(CASES))
def test_python_int(name, build, ref, span):
    s = build()
    steps = int_steps(span)
    want = expected(ref, steps)
    got = [s(k) for k in steps]
    assert all(type(v) is float for v in got)
    np.testing.assert_allclose(got, want, rtol=RTOL64, atol=ATOL64 * _scale(want))


@pytest.mark.parametrize("name,build,ref,span", CASES, ids=_ids(CASES))
def test_python_float(name, build, ref, span):
    s = build()
    steps = float_steps(span)
    want = expected(ref, steps)
    got = [s(k) for k in steps]
    assert all(type(v) is float for v in got)
    np.testing.assert_allclose(got, want, rtol=RTOL64, atol=ATOL64 * _scale(want))


@pytest.mark.parametrize("name,build,ref,span", CASES, ids=_ids(CASES))
def test_numpy(name, build, ref, span):
    s = build()
    steps = int_steps(span)
    want = expected(ref, steps)
    got = s(np.asarray(steps, dtype=np.int64))
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (len(steps),)
    np.testing.assert_allclose(got, want, rtol=RTOL64, atol=ATOL64 * _scale(want))

    fsteps = float_steps(span)
    fgot = s(np.asarray(fsteps, dtype=np.float64))
    assert fgot.dtype == np.float64
    np.testing.assert_allclose(fgot, expected(ref, fsteps), rtol=RTOL64, atol=ATOL64 * _scale(want))

    # shape is kept: a 2-D array, a 0-d array and a NumPy scalar
    grid = np.arange(12, dtype=np.int64).reshape(3, 4) * max(1, span // 10)
    g = s(grid)
    assert g.shape == (3, 4) and g.dtype == np.float64
    np.testing.assert_allclose(
        g, expected(ref, grid.ravel().tolist()).reshape(3, 4), rtol=RTOL64, atol=ATOL64 * _scale(want)
    )
    for k in (np.int64(3), np.asarray(3), np.int32(3)):
        v = s(k)
        assert isinstance(v, np.ndarray) and v.shape == () and v.dtype == np.float64
        np.testing.assert_allclose(v, ref(3), rtol=RTOL64, atol=ATOL64 * _scale(want))


@pytest.mark.parametrize("name,build,ref,span", CASES, ids=_ids(CASES))
def test_jax(name, build, ref, span):
    s = build()
    steps = padded(int_steps(span), JAX_INT_LEN)
    want = expected(ref, steps)
    got = s(jnp.asarray(steps, dtype=jnp.int32))
    assert got.dtype == jnp.result_type(float) and got.shape == (len(steps),)
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=RTOL32, atol=ATOL32 * _scale(want))

    fsteps = padded(float_steps(span), JAX_FLOAT_LEN)
    fgot = s(jnp.asarray(fsteps, dtype=jnp.float32))
    assert fgot.dtype == jnp.result_type(float)
    # the reference is taken at the float32-rounded steps the kernel sees
    fwant = expected(ref, np.asarray(fsteps, dtype=np.float32).astype(np.float64).tolist())
    np.testing.assert_allclose(np.asarray(fgot, dtype=np.float64), fwant, rtol=RTOL32, atol=ATOL32 * _scale(want))


@pytest.mark.parametrize("name,build,ref,span", CASES, ids=_ids(CASES))
def test_negative_steps(name, build, ref, span):
    s = build()
    with pytest.raises(ValueError, match=r"step="):
        s(-1)
    with pytest.raises(ValueError, match=r"step="):
        s(-0.5)
    at0 = ref(0)
    neg = s(np.array([-5, -1, 0], dtype=np.int64))
    np.testing.assert_allclose(neg, [at0] * 3, rtol=RTOL64, atol=ATOL64)
    negf = s(np.array([-2.5, -1e-3], dtype=np.float64))
    np.testing.assert_allclose(negf, [at0] * 2, rtol=RTOL64, atol=ATOL64)
    negj = s(jnp.asarray(padded([-5, -1, 0], JAX_INT_LEN), dtype=jnp.int32))
    assert not np.any(np.isnan(np.asarray(negj)))
    np.testing.assert_allclose(np.asarray(negj), [at0] * JAX_INT_LEN, rtol=RTOL32, atol=ATOL32 * max(1.0, abs(at0)))
    negjf = s(jnp.asarray(padded([-2.5, -1e-3], JAX_FLOAT_LEN), dtype=jnp.float32))
    np.testing.assert_allclose(np.asarray(negjf), [at0] * JAX_FLOAT_LEN, rtol=RTOL32, atol=ATOL32 * max(1.0, abs(at0)))


def test_huge_steps():
    # optax's test_with_giant_int_steps idea: int64 steps far past every phase hold the end value
    big = np.array([2**40, 2**62], dtype=np.int64)
    for s, end in [
        (L.warmup_cosine(1.0, 100, 10, end=0.01), 0.01),
        (L.wsd(1.0, 100, 10, 20, end=0.02), 0.02),
        (L.join([L.constant(1.0), L.constant(0.5)], [10]), 0.5),
        (L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=2, limit=3), 0.0),
        (L.tri_stage(1.0, 10, 20, 30), 0.01),
    ]:
        np.testing.assert_allclose(s(big), [end, end], rtol=1e-12, atol=1e-15)
        assert s(2**62) == pytest.approx(end, rel=1e-12, abs=1e-15)
    jbig = jnp.array([2**31 - 1], dtype=jnp.int32)
    np.testing.assert_allclose(np.asarray(L.warmup_cosine(1.0, 100, 10, end=0.01)(jbig)), [0.01], rtol=1e-6)
    # an integer period_mult finds its cycle exactly even far out
    c = L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=2)
    start = 10 * (2**40 - 1)  # cycle 40 starts here
    assert c(start) == 1.0 and c(start - 1) == pytest.approx(ref_cycle(ref_ramp(1.0, 0.0, 10), 10, 2)(start - 1))
    np.testing.assert_array_equal(c(np.array([start], dtype=np.int64)), [1.0])


def test_python_path_does_not_touch_arrays():
    # the Python path returns a plain float, never a NumPy scalar, for every recipe
    for _, build, _, span in RECIPES:
        v = build()(span // 2)
        assert type(v) is float


@pytest.mark.parametrize("recipe", [L.warmup_cosine, L.warmup_linear])
def test_warmup_as_long_as_the_whole_schedule_rises_towards_peak(recipe):
    # no decay phase: the warmup still heads for ``peak`` (k / W of it), and ``end`` holds from W on
    s = recipe(2.0, 10, 10, end=0.1)
    assert [s(k) for k in range(10)] == pytest.approx([2.0 * k / 10 for k in range(10)], rel=1e-12, abs=1e-15)
    assert s(10) == 0.1 and s(50) == 0.1
