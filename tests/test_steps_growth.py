"""Step dtypes, huge durations, growth past the float range and division by zero, on every backend.

One rule per case, the same on Python ints, NumPy (int64, uint64, float64) and JAX (int32, uint32,
float32; int64 and uint32 with x64). Expected values are written here from the formulas.
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched as L
from lrsched.compat import optax as O
from lrsched.compat import timm as T
from lrsched.compat import torch as TO

I32 = 2**31 - 1
I64 = 2**63 - 1


def _lin(start, end, n, k):
    """A linear ramp at step k, exact in rationals, then rounded once."""
    k = min(Fraction(k), n)
    return float(start + (Fraction(end) - Fraction(start)) * k / n)


def _cos(start, end, n, k):
    t = min(Fraction(k), n) / n
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * float(t)))


def _backends(k):
    """The step ``k`` as every step kind that can carry it."""
    out = {"python": k, "np.int64": np.int64(k) if k <= I64 else None, "np.float64": np.float64(k)}
    out["np.uint64"] = np.uint64(k) if k < 2**64 else None
    out["jax.int32"] = jnp.asarray(k, dtype=jnp.int32) if k <= I32 else None
    out["jax.uint32"] = jnp.asarray(k, dtype=jnp.uint32) if k < 2**32 else None
    if k < 3e38:
        out["jax.float32"] = jnp.asarray(float(k), dtype=jnp.float32)
    return {n: v for n, v in out.items() if v is not None}


def _value(s, k):
    return float(np.asarray(s(k)))


# ============================================================================================
# unsigned steps
# ============================================================================================
SHIFTED = [
    ("shift", L.shift(L.linear(1.0, 0.1, 100), 10), lambda k: _lin(1.0, 0.1, 100, max(k - 10, 0))),
    ("shift_cos", L.shift(L.cosine(2.0, 0.5, 50), 7), lambda k: _cos(2.0, 0.5, 50, max(k - 7, 0))),
    (
        "optax_polynomial_begin",
        O.polynomial_schedule(1.0, 0.0, 1.0, 100, transition_begin=20),
        lambda k: _lin(1.0, 0.0, 100, max(k - 20, 0)),
    ),
    (
        "optax_exponential_begin",
        O.exponential_decay(1.0, 10, 0.5, transition_begin=5),
        lambda k: 0.5 ** (max(k - 5, 0) / 10),
    ),
    (
        "warmup",
        L.warmup(L.constant(1.0), 30),
        lambda k: _lin(0.0, 1.0, 30, k),
    ),
]


@pytest.mark.parametrize("name,s,ref", SHIFTED, ids=[c[0] for c in SHIFTED])
@pytest.mark.parametrize("dtype", [jnp.uint32, jnp.uint16, jnp.uint8, jnp.int8, jnp.int16])
def test_small_and_unsigned_jax_steps_do_not_wrap(name, s, ref, dtype):
    ks = [0, 1, 4, 5, 6, 10, 25, 60, 120]
    got = np.asarray(s(jnp.asarray(ks, dtype=dtype)))
    np.testing.assert_allclose(got, [ref(k) for k in ks], rtol=1e-6, atol=1e-7)
    for k in ks:
        assert _value(s, jnp.asarray(k, dtype=dtype)) == pytest.approx(ref(k), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("name,s,ref", SHIFTED, ids=[c[0] for c in SHIFTED])
@pytest.mark.parametrize("dtype", [np.uint64, np.uint32, np.uint16, np.uint8, np.int8])
def test_unsigned_numpy_steps_do_not_wrap(name, s, ref, dtype):
    ks = [0, 1, 5, 6, 10, 25, 60, 120]
    got = s(np.asarray(ks, dtype=dtype))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [ref(k) for k in ks], rtol=1e-12, atol=1e-15)


FINAL = [  # a schedule and the value it holds after every phase, from its formula
    ("linear", L.linear(1.0, 0.1, 100), 0.1),
    ("cosine", L.cosine(1.0, 0.25, 10**6), 0.25),
    ("exponential", L.exponential(1.0, 0.5, 10), 0.0),
    ("piecewise_constant", L.piecewise_constant(1.0, {10: 0.1, 2**40: 0.5}), 0.05),
    ("join", L.join([L.constant(1.0), L.linear(1.0, 0.2, 50)], [2**35]), 0.2),
    ("warmup_cosine", L.warmup_cosine(1.0, 2**40, 2**33, end=0.01), 0.01),
    ("shift", L.shift(L.linear(1.0, 0.3, 10), 2**50), 0.3),
    ("shift_neg", L.shift(L.linear(1.0, 0.3, 10), -(2**50)), 0.3),
]


@pytest.mark.parametrize("name,s,final", FINAL, ids=[c[0] for c in FINAL])
@pytest.mark.parametrize("k", [2**63, 2**63 + 1, 2**64 - 1])
def test_numpy_uint64_past_int64_holds_the_final_value(name, s, final, k):
    assert s(np.uint64(k)) == final
    np.testing.assert_array_equal(s(np.asarray([k, k], dtype=np.uint64)), [final, final])
    assert s(k) == final  # the Python int agrees


@pytest.mark.parametrize("k", [2**31, 2**32 - 1, 3 * 10**9])
def test_jax_uint32_past_int32(k):
    s = L.linear(1.0, 0.0, 4 * 10**9)
    # 32-bit JAX: the step holds at 2**31 - 1, as int32 steps stop there
    assert _value(s, jnp.asarray(k, dtype=jnp.uint32)) == pytest.approx(_lin(1.0, 0.0, 4 * 10**9, I32), rel=1e-6)
    with jax.enable_x64(True):  # x64: exact in int64
        got = s(jnp.asarray(k, dtype=jnp.uint32))
        assert got.dtype == jnp.float64
        assert float(got) == pytest.approx(_lin(1.0, 0.0, 4 * 10**9, k), rel=1e-12)
        assert float(s(jnp.asarray(k, dtype=jnp.uint64))) == pytest.approx(_lin(1.0, 0.0, 4 * 10**9, k), rel=1e-12)
        assert float(s(jnp.asarray(2**64 - 1, dtype=jnp.uint64))) == 0.0


def test_numpy_steps_meet_32_bit_jax_leaves_without_truncation():
    s = L.linear(jnp.asarray(1.0), 0.0, 100)  # an array leaf: evaluated by JAX
    assert _value(s, np.int64(2**40)) == 0.0  # not wrapped to 0 (which gives 1.0)
    assert _value(s, np.uint64(2**63 + 5)) == 0.0
    assert _value(s, np.int64(50)) == 0.5


# ============================================================================================
# durations past int32 on JAX integer steps
# ============================================================================================
def test_timm_k_decay_longer_than_int32():
    n, lr = 3 * 10**9, 0.1
    s = T.cosine_lr(t_initial=n, k_decay=2.0, lr=lr)
    for k in [0, 1000, 10**6, I32]:
        ref = 0.5 * lr * (1 + math.cos(math.pi * (k / n) ** 2))
        for name, kk in _backends(k).items():
            assert _value(s, kk) == pytest.approx(ref, rel=1e-6), name


@pytest.mark.parametrize(
    "s,k,ref",
    [
        (TO.cosine_annealing_warm_restarts(10, 2), 5, 0.5 * (1 + math.cos(math.pi * 5 / 10))),
        (TO.cosine_annealing_warm_restarts(10, 2), 17, 0.5 * (1 + math.cos(math.pi * 7 / 20))),
        (L.warmup_cosine(1.0, 2**40, 2**33), 5, 5 / 2**33),
        (L.warmup_cosine(1.0, 2**40, 2**33), I32, I32 / 2**33),
        (L.shift(L.linear(1.0, 0.0, 100), -10), 5, 0.85),
        (L.shift(L.linear(1.0, 0.0, 2**40), -(2**32)), 7, _lin(1.0, 0.0, 2**40, I32)),
        (L.inverse_sqrt(1.0, 3 * 10**9), 10**9, math.sqrt(3 / 4)),
    ],
)
def test_long_durations_on_int32_and_uint32_steps(s, k, ref):
    for dtype in (jnp.int32, jnp.uint32):
        assert float(s(jnp.asarray([k], dtype=dtype))[0]) == pytest.approx(ref, rel=1e-6)
        assert float(jax.jit(s)(jnp.asarray(k, dtype=dtype))) == pytest.approx(ref, rel=1e-6)


# ============================================================================================
# the bound on durations
# ============================================================================================
@pytest.mark.parametrize(
    "build,name",
    [
        (lambda v: L.one_cycle(1.0, v), "total_steps"),
        (lambda v: L.linear(1.0, 0.0, v), "steps"),
        (lambda v: L.ramp(1.0, 0.0, v, "cosine"), "steps"),
        (lambda v: L.warmup(L.constant(1.0), v), "steps"),
        (lambda v: L.join([L.constant(1.0)] * 2, [v]), "boundaries[0]"),
        (lambda v: L.shift(L.constant(1.0), v), "steps"),
        (lambda v: L.shift(L.constant(1.0), -v), "steps"),
        (lambda v: L.inverse_sqrt(1.0, v), "timescale"),
        (lambda v: L.exponential(1.0, 0.5, v), "steps"),
        (lambda v: L.piecewise_constant(1.0, {v: 0.5}), "scales["),
        (lambda v: L.warmup_cosine(1.0, v, 10), "total_steps"),
        (lambda v: T.cosine_lr(t_initial=v), "t_initial"),
        (lambda v: TO.cosine_annealing_lr(v), "T_max"),
        (lambda v: O.cosine_decay_schedule(1.0, v), "decay_steps"),
    ],
)
@pytest.mark.parametrize(
    "v",
    [2**63, 2**64, 2**1023, 10**400, 1e300, 10**5000],
    ids=["2**63", "2**64", "2**1023", "1e400", "1e300f", "1e5000"],
)
def test_durations_past_int64_are_refused_naming_the_argument(build, name, v):
    with pytest.raises((TypeError, ValueError) if type(v) is float else ValueError) as info:
        build(v)  # (a float where only ints are taken is a TypeError)
    assert str(info.value).startswith(name), str(info.value)


@pytest.mark.parametrize("field", ["steps", "boundaries"])
@pytest.mark.parametrize("v", [2**63, 2**1023, 2**1024])
def test_from_dict_refuses_the_same_durations(field, v):
    doc = {
        "steps": {"type": "ramp", "start": 1.0, "end": 0.0, "steps": v, "shape": "linear"},
        "boundaries": {"type": "join", "schedules": [{"type": "constant", "value": 1.0}] * 2, "boundaries": [v]},
    }[field]
    with pytest.raises(ValueError, match=field):
        L.from_dict(doc)


@pytest.mark.parametrize(
    "s,ref",
    [
        (L.linear(1.0, 0.0, I64), lambda k: _lin(1.0, 0.0, I64, k)),
        (L.cosine(1.0, 0.0, I64), lambda k: _cos(1.0, 0.0, I64, k)),
        (L.shift(L.linear(1.0, 0.0, 10), I64), lambda k: 1.0),
        (L.inverse_sqrt(1.0, I64), lambda k: math.sqrt(I64 / (k + I64))),
        (L.exponential(1.0, 0.5, I64), lambda k: 0.5 ** (k / I64)),
    ],
)
def test_the_longest_duration_evaluates_on_every_backend(s, ref):
    for k in [0, 12345, I32, 2**62]:
        for name, kk in _backends(k).items():
            rel = 1e-6 if name.startswith("jax") else 1e-12
            assert _value(s, kk) == pytest.approx(ref(k), rel=rel), (name, k)


# ============================================================================================
# non-finite steps
# ============================================================================================
@pytest.mark.parametrize(
    "k", [math.inf, -math.inf, math.nan, 10**400, 2**1024], ids=["inf", "-inf", "nan", "1e400", "2**1024"]
)
@pytest.mark.parametrize("s", [L.linear(1.0, 0.0, 10), L.exponential(1.0, 0.5), L.constant(jnp.asarray(1.0))])
def test_python_steps_must_be_finite(s, k):
    with pytest.raises(ValueError, match=r"^step="):
        s(k)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_numpy_float_steps_must_be_finite(bad):
    s = L.warmup_cosine(1.0, 100, 10)
    for k in (np.float64(bad), np.asarray([1.0, bad, 3.0]), np.asarray([bad], dtype=np.float32)):
        with pytest.raises(ValueError, match=r"^step=.*must be finite"):
            s(k)


@pytest.mark.parametrize("name,s,final", FINAL, ids=[c[0] for c in FINAL])
def test_jax_inf_step_is_the_final_value(name, s, final):
    k = jnp.asarray([jnp.inf, 5.0], dtype=jnp.float32)
    got = np.asarray(s(k))
    assert got[0] == pytest.approx(final, rel=1e-6, abs=1e-30)
    assert float(jax.jit(s)(jnp.asarray(jnp.inf))) == pytest.approx(final, rel=1e-6, abs=1e-30)
    assert np.isnan(np.asarray(s(jnp.asarray(jnp.nan))))  # documented: NaN in, NaN out


# ============================================================================================
# growth past the float range
# ============================================================================================
GROWTH = [  # schedule, step, value from the formula (inf where start * rate ** e passes 2**1024)
    (L.exponential(1.0, 2.0, 10), 10**5, math.inf),
    (L.exponential(1.0, 2.0, 10), 100, 1024.0),
    (L.exponential(-3.0, 2.0, 10), 10**5, -math.inf),
    (L.exponential(0.0, 2.0, 10), 10**5, 0.0),
    (L.exponential(1.0, 10.0, 1, staircase=True), 400, math.inf),
    (L.exponential(1.0, 10.0, 1, staircase=True), 300, 1e300),
    (L.clip(L.exponential(1.0, 2.0, 10), max=5.0), 10**5, 5.0),
    (L.clip(L.exponential(1.0, 2.0, 10), max=5.0), 20, 4.0),
    (L.exponential(1.0, 2.0, 10, end=5.0), 10**5, 5.0),
    (L.exponential(0.01, 2.0, 10, end=1.0), 10**6, 1.0),
    (L.minimum(L.exponential(1.0, 2.0, 1), 3.0), 2000, 3.0),
    (L.inverse_time(1.0, 0.5, 1, power=3.0), 10**200, 0.0),
]


@pytest.mark.parametrize("s,k,ref", GROWTH)
def test_growth_has_one_rule_on_every_backend(s, k, ref):
    backends = _backends(k)
    for name, kk in backends.items():
        got = _value(s, kk)
        if name.startswith("jax") and abs(ref) > 3e38:  # float32 overflows sooner: inf there too
            ref_here = math.copysign(math.inf, ref)
        else:
            ref_here = ref
        assert got == pytest.approx(ref_here, rel=1e-6 if name.startswith("jax") else 1e-12), (name, got)


def test_growth_overflows_where_the_float_range_ends():
    s = L.exponential(1.0, 2.0, 1)
    assert s(1023) == 2.0**1023 and s(np.int64(1023)) == 2.0**1023
    assert s(1024) == math.inf and s(np.int64(1024)) == math.inf
    assert float(s(jnp.asarray(127))) == 2.0**127
    assert float(s(jnp.asarray(128))) == math.inf
    np.testing.assert_array_equal(s(np.asarray([10, 1023, 1024, 5000])), [1024.0, 2.0**1023, np.inf, np.inf])


@pytest.mark.parametrize(
    "make",
    [
        lambda r: L.exponential(0.01, r, 10, end=1.0),
        lambda r: L.clip(L.exponential(0.01, r, 10), max=1.0),
        lambda r: L.minimum(L.exponential(0.01, r, 10), 1.0),
        lambda r: L.exponential(0.01, r, 10, staircase=True, end=1.0),
    ],
)
def test_grad_through_a_growth_ceiling_is_zero(make):
    for k in [10**4, 10**6, I32]:
        g = jax.grad(lambda r, k=k: make(r)(jnp.asarray(k)))(2.0)
        assert float(g) == 0.0, k
        v = make(2.0)(jnp.asarray(k))
        assert float(v) == 1.0
    # below the ceiling the gradient is the formula's: d/dr 0.01 r**(k/10) = 0.01 (k/10) r**(k/10 - 1)
    k = 30
    g = jax.jit(jax.grad(lambda r: make(r)(jnp.asarray(k))))(2.0)
    assert float(g) == pytest.approx(0.01 * 3 * 2.0**2, rel=1e-6)


def test_grad_wrt_start_through_a_clipped_growth_is_zero():
    g = jax.grad(lambda s0: L.clip(L.exponential(s0, 2.0, 10), max=1.0)(jnp.asarray(10**6)))(0.01)
    assert float(g) == 0.0
    g = jax.grad(lambda s0: L.exponential(s0, 2.0, 10, end=1.0)(jnp.asarray(10**6)))(0.01)
    assert float(g) == 0.0


# ============================================================================================
# division by a schedule that reaches zero
# ============================================================================================
DIVISIONS = [  # a / b at step 10, where b is exactly 0 (or -0): IEEE
    (L.constant(1.0) / L.linear(1.0, 0.0, 10), math.inf),
    (L.constant(-2.0) / L.linear(1.0, 0.0, 10), -math.inf),
    (L.constant(1.0) / (-1.0 * L.linear(1.0, 0.0, 10)), -math.inf),
    (L.linear(1.0, 0.0, 10) / L.linear(1.0, 0.0, 10), math.nan),
    (3.0 / L.cosine(1.0, 0.0, 10), math.inf),
    (L.constant(1.0) / L.linear(1.0, 0.0, 20), 2.0),  # not yet zero: plain division
]


@pytest.mark.parametrize("s,ref", DIVISIONS)
def test_division_by_zero_is_ieee_on_every_backend(s, ref):
    for name, k in _backends(10).items():
        got = _value(s, k)
        if math.isnan(ref):
            assert math.isnan(got), name
        else:
            assert got == ref, (name, got)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
@pytest.mark.parametrize(
    "make, at_end",
    [
        (lambda: L.exponential(1.0, 2.0, 10), math.inf),
        (lambda: L.exponential(1.0, 2.0, 10, end=5.0), 5.0),
        (lambda: L.clip(L.exponential(1.0, 2.0, 10), max=5.0), 5.0),
        (lambda: L.exponential(-1.0, 2.0, 10), -math.inf),
    ],
)
def test_dense_growth_follows_the_pointwise_rule(make, at_end, backend):
    # 2 ** (k / 10) passes the float64 range at k = 10240; no warning, the same value as s(k)
    s = make()
    start, n = 10_000, 500
    if backend == "jax" and not jax.config.jax_enable_x64:
        start, n = 1_000, 500  # float32: 2 ** (k / 10) passes the range at k = 1280
    v = np.asarray(L.evaluate(s, n, start=start, backend=backend), dtype=np.float64)
    assert v[-1] == at_end
    steps = np.arange(start, start + n)
    pointwise = s(steps) if backend == "numpy" else np.asarray(jax.jit(s)(jnp.asarray(steps)), dtype=np.float64)
    assert np.isinf(pointwise[-1]) == np.isinf(at_end)
    np.testing.assert_allclose(v, pointwise, rtol=1e-6 if backend == "jax" else 1e-12)
