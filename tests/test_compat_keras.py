"""``lrsched.compat.keras`` against Keras 3 itself (JAX backend).

Each Keras schedule class is built twice, by Keras and by lrsched, from ~20 random parameter
draws (seeded), and compared at every step of a horizon that crosses all phase boundaries
and several restarts. Keras computes in float64 here (float64 parameters under
``jax.enable_x64``), except for the cosine itself: ``keras.ops.cos`` casts a float64 argument
to float32, so the two cosine schedules are compared at that precision and, separately, against
an independent float64 reference written from Keras' documented formulas. lrsched is checked on
its Python, NumPy and JAX paths. Agreement: relative error <= 1e-6, with an absolute floor of
1e-12 of the value scale (2e-7 for Keras' float32 cosine).
"""

from __future__ import annotations

import inspect
import json
import math
import os

os.environ["KERAS_BACKEND"] = "jax"

import jax
import jax.numpy as jnp
import numpy as np
import pytest

keras = pytest.importorskip("keras")

import lrsched
from lrsched.compat import keras as kc

if keras.backend.backend() != "jax":  # pragma: no cover - another test imported keras first
    pytest.skip("keras was imported with another backend", allow_module_level=True)

KS = keras.optimizers.schedules
RTOL = 1e-6
DRAWS = 20
HORIZON = 640  # steps compared per draw (the same for all, so JAX compiles each op once)

CLASSES = {
    "exponential_decay": "ExponentialDecay",
    "piecewise_constant_decay": "PiecewiseConstantDecay",
    "polynomial_decay": "PolynomialDecay",
    "inverse_time_decay": "InverseTimeDecay",
    "cosine_decay": "CosineDecay",
    "cosine_decay_restarts": "CosineDecayRestarts",
}


def f64(x):
    return None if x is None else np.float64(x)


def keras_values(obj):
    with jax.enable_x64(True):
        k = jnp.arange(HORIZON, dtype=jnp.int64)
        out = jax.vmap(obj)(k)
        assert out.dtype == jnp.float64
        return np.asarray(out)


# keras.ops.cos computes in float32 even for float64 input: an absolute error of a few float32
# ulps of the cosine term, i.e. of the schedule's scale.
ATOL = {"cosine_decay": 2e-7, "cosine_decay_restarts": 2e-7}


def assert_close(ours, theirs, what, *, atol=1e-12, rtol=RTOL):
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    scale = max(float(np.max(np.abs(theirs))), 1e-300)
    bad = np.abs(ours - theirs) > rtol * np.abs(theirs) + atol * scale
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{what}: step {i}: lrsched {ours[i]!r} != keras {theirs[i]!r} ({int(bad.sum())} steps differ)"
        )


def check(ours, theirs, what, *, atol=1e-12):
    ref = keras_values(theirs)
    py = [ours(k) for k in range(HORIZON)]
    assert all(type(v) is float for v in py)
    assert_close(py, ref, f"{what} (python)", atol=atol)
    assert_close(ours(np.arange(HORIZON)), ref, f"{what} (numpy)", atol=atol)
    with jax.enable_x64(True):
        out = np.asarray(ours(jnp.arange(HORIZON, dtype=jnp.int64)))
        assert_close(out, ref, f"{what} (jax x64)", atol=atol)


def rng_for(name):
    return np.random.default_rng([sum(map(ord, name)), len(name), 3])


def value(rng, lo=0.01, hi=2.0):
    return float(rng.uniform(lo, hi))


# --------------------------------------------------------------------------------------------
# draws: (args, kwargs) in Keras' own terms
# --------------------------------------------------------------------------------------------
def draw_exponential(rng):
    rate = float(rng.uniform(0.3, 0.99) if rng.random() < 0.7 else rng.uniform(1.001, 1.01))
    return (value(rng), int(rng.integers(1, 60)), rate), {"staircase": bool(rng.random() < 0.5)}


def draw_piecewise(rng):
    n = int(rng.integers(1, 6))
    bounds = sorted(int(b) for b in rng.integers(0, 300, size=n))  # duplicates allowed
    values = [value(rng) for _ in range(n + 1)]
    return (bounds, values), {}


def draw_polynomial(rng):
    kw = {
        "end_learning_rate": float(rng.choice([0.0001, value(rng, 0.0, 0.5)])),
        "power": float(rng.choice([1.0, 0.5, 2.0, rng.uniform(0.2, 3.0)])),
        "cycle": bool(rng.random() < 0.5),
    }
    return (value(rng, 0.5, 2.0), int(rng.integers(1, 120))), kw


def draw_inverse_time(rng):
    return (value(rng), int(rng.integers(1, 60)), value(rng, 0.0, 2.0)), {"staircase": bool(rng.random() < 0.5)}


def draw_cosine(rng):
    kw = {"alpha": float(rng.choice([0.0, rng.uniform(0.0, 1.0), rng.uniform(1.0, 2.0)]))}
    if rng.random() < 0.7:
        kw["warmup_target"] = value(rng)
        kw["warmup_steps"] = int(rng.integers(0, 150))
    return (value(rng, 0.0, 1.0), int(rng.integers(1, 300))), kw


def draw_restarts(rng):
    t_mul = float(rng.choice([1.0, 2.0, 3.0, rng.uniform(1.0, 2.5)]))
    kw = {"t_mul": t_mul, "m_mul": value(rng, 0.3, 1.2), "alpha": float(rng.choice([0.0, value(rng, 0.0, 0.5)]))}
    return (value(rng), int(rng.integers(1, 60))), kw


DRAW = {
    "exponential_decay": draw_exponential,
    "piecewise_constant_decay": draw_piecewise,
    "polynomial_decay": draw_polynomial,
    "inverse_time_decay": draw_inverse_time,
    "cosine_decay": draw_cosine,
    "cosine_decay_restarts": draw_restarts,
}


def build_keras(name, args, kwargs):
    cls = getattr(KS, CLASSES[name])
    if name == "piecewise_constant_decay":
        bounds, values = args
        return cls(bounds, [f64(v) for v in values])
    args = (f64(args[0]),) + tuple(args[1:])
    kwargs = {k: (f64(v) if isinstance(v, float) else v) for k, v in kwargs.items()}
    return cls(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_same_signature(name):
    theirs = dict(inspect.signature(getattr(KS, CLASSES[name]).__init__).parameters)
    del theirs["self"]
    ours = inspect.signature(getattr(kc, name)).parameters
    assert list(ours) == list(theirs)
    for n, param in theirs.items():
        assert ours[n].default == param.default, n


def _restart_starts(first, t_mul):
    """Steps that begin a cosine_decay_restarts cycle, exactly (integer t_mul only)."""
    out, s, p = set(), 0, first
    while s < HORIZON:
        out.add(s)
        s, p = s + p, p * int(t_mul)
    return out


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_matches_keras(name):
    rng = rng_for(name)
    for i in range(DRAWS):
        args, kwargs = DRAW[name](rng)
        ours = getattr(kc, name)(*args, **kwargs)
        theirs = build_keras(name, args, kwargs)
        check(ours, theirs, f"{name} draw {i}: args={args!r} kwargs={kwargs!r}", atol=ATOL.get(name, 1e-12))


# Independent float64 references, from the formulas in Keras' docstrings.
def ref_cosine(initial, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    def f(k):
        if warmup_target is None:
            top = initial
        else:
            if k < warmup_steps:
                return initial + (warmup_target - initial) * k / warmup_steps
            k, top = k - warmup_steps, warmup_target
        k = min(k, decay_steps)
        return top * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * k / decay_steps)) + alpha)

    return f


def ref_restarts(initial, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    def f(k):
        start, length, i = 0.0, float(first), 0
        while k >= start + length:
            start, length, i = start + length, length * t_mul, i + 1
        done = (k - start) / length
        return initial * (alpha + (1 - alpha) * m_mul**i * 0.5 * (1 + math.cos(math.pi * done)))

    return f


@pytest.mark.parametrize("name, ref", [("cosine_decay", ref_cosine), ("cosine_decay_restarts", ref_restarts)])
def test_cosine_schedules_in_float64(name, ref):
    rng = rng_for(name + " float64")
    for i in range(DRAWS):
        args, kwargs = DRAW[name](rng)
        ours = getattr(kc, name)(*args, **kwargs)
        f = ref(*args, **kwargs)
        expected = [f(k) for k in range(HORIZON)]
        assert_close([ours(k) for k in range(HORIZON)], expected, f"{name} draw {i}: {args} {kwargs}", rtol=1e-9)


def test_restart_steps_are_exact():
    # At every step that starts a cycle the value is I * (alpha + (1 - alpha) * m_mul**i): the
    # top of cycle i, from the formula in Keras' docstring with f = 0 (cos 0 = 1).
    for first, t_mul, m_mul, alpha in [(10, 2.0, 0.5, 0.1), (7, 3.0, 0.9, 0.0), (1, 2.0, 1.0, 0.2)]:
        s = kc.cosine_decay_restarts(2.0, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
        for i, start in enumerate(sorted(_restart_starts(first, t_mul))):
            expected = 2.0 * (alpha + (1 - alpha) * m_mul**i)
            assert math.isclose(s(start), expected, rel_tol=1e-12), (first, t_mul, i)


def test_keras_float32_can_put_a_restart_in_the_previous_cycle():
    # 8191 = 2**13 - 1 starts cycle 13 of CosineDecayRestarts(1.0, 1, t_mul=2). In Keras' default
    # float32, floor(log(1 + 8191) / log(2)) rounds down to 12 and Keras gives the end of cycle
    # 12 (the floor, 0) there; lrsched gives the top of cycle 13, as the formula does.
    theirs = KS.CosineDecayRestarts(1.0, 1, t_mul=2.0)
    assert float(theirs(jnp.asarray(8191, dtype=jnp.int32))) == 0.0
    assert kc.cosine_decay_restarts(1.0, 1, t_mul=2.0)(8191) == 1.0
    assert kc.cosine_decay_restarts(1.0, 1, t_mul=2.0)(np.int64(8191)) == 1.0


def test_piecewise_switches_after_the_boundary():
    s = kc.piecewise_constant_decay([0, 10], [1.0, 0.5, 0.1])
    ref = keras_values(KS.PiecewiseConstantDecay([0, 10], [f64(1.0), f64(0.5), f64(0.1)]))
    assert [s(k) for k in (0, 1, 10, 11)] == [1.0, 0.5, 0.5, 0.1] == [float(ref[k]) for k in (0, 1, 10, 11)]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: kc.exponential_decay(1.0, 0, 0.5), ValueError, "decay_steps=0"),
        (lambda: kc.exponential_decay(1.0, 10, -0.5), ValueError, "decay_rate=-0.5"),
        (lambda: kc.exponential_decay(1.0, 10, 0.0), ValueError, "decay_rate=0.0"),
        (lambda: kc.exponential_decay(1.0, 10, 0.5, staircase=1), TypeError, "staircase=1"),
        (lambda: kc.piecewise_constant_decay([10], [1.0]), ValueError, "boundaries"),
        (lambda: kc.piecewise_constant_decay([20, 10], [1.0, 0.5, 0.1]), ValueError, "non-decreasing"),
        (lambda: kc.piecewise_constant_decay([-5], [1.0, 0.5]), ValueError, "-5"),
        (lambda: kc.piecewise_constant_decay([2.5], [1.0, 0.5]), TypeError, "2.5"),
        (lambda: kc.polynomial_decay(1.0, 0), ValueError, "decay_steps=0"),
        (lambda: kc.polynomial_decay(1.0, 10, power=-1.0), ValueError, "power=-1.0"),
        (lambda: kc.polynomial_decay(1.0, 10, power=0.0, cycle=True), ValueError, "power=0.0"),
        (lambda: kc.inverse_time_decay(1.0, 10, -0.1), ValueError, "decay_rate=-0.1"),
        (lambda: kc.cosine_decay(1.0, 0), ValueError, "decay_steps=0"),
        (lambda: kc.cosine_decay(1.0, 10, warmup_target=1.0, warmup_steps=-1), ValueError, "warmup_steps=-1"),
        (lambda: kc.cosine_decay_restarts(1.0, 0), ValueError, "first_decay_steps=0"),
        (lambda: kc.cosine_decay_restarts(1.0, 10, t_mul=0.5), ValueError, "t_mul=0.5"),
        (lambda: kc.cosine_decay(1.0, 10, name=3), TypeError, "name=3"),
    ],
)
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _examples():
    return [
        kc.exponential_decay(1.0, 10, 0.8, staircase=True),
        kc.piecewise_constant_decay([10, 50], [1.0, 0.5, 0.1]),
        kc.polynomial_decay(1.0, 30, 0.01, power=2.0),
        kc.polynomial_decay(1.0, 30, 0.01, power=2.0, cycle=True),
        kc.inverse_time_decay(1.0, 10, 0.5, staircase=True),
        kc.cosine_decay(0.1, 80, alpha=0.1, warmup_target=1.0, warmup_steps=20),
        kc.cosine_decay_restarts(1.0, 10, t_mul=2.0, m_mul=0.7, alpha=0.1),
        kc.cosine_decay_restarts(1.0, 10, t_mul=1.5),
    ]


def test_jit_and_roundtrip():
    k = jnp.arange(200)
    for s in _examples():
        expected = np.array([s(i) for i in range(200)])
        jitted = jax.jit(lambda sched, steps: sched(steps))(s, k)
        np.testing.assert_allclose(np.asarray(jitted), expected, rtol=1e-5, atol=1e-6)
        back = lrsched.from_dict(json.loads(json.dumps(lrsched.to_dict(s))))
        assert back == s
        assert [back(i) for i in range(200)] == list(expected)
