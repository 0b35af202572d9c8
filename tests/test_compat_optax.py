"""``lrsched.compat.optax`` against optax itself.

Every schedule of ``optax.schedules`` is built twice, by optax and by lrsched, from ~20 random
parameter draws each (seeded), and compared at every step of a horizon that crosses all phase
boundaries. optax is evaluated in float64 (``jax.enable_x64``); lrsched on its Python path, its
NumPy path and its JAX path (also in float64). Agreement: relative error <= 1e-6, with an
absolute floor of 1e-12 of the value scale for values that cross zero.
"""

from __future__ import annotations

import inspect
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.schedules
import pytest

import lrsched
from lrsched.compat import optax as ox

RTOL = 1e-6
DRAWS = 20
HORIZON = 640  # steps compared per draw; every draw's phases end before it

# Names in optax.schedules that are not schedules (state types, wrappers, transformations).
NOT_SCHEDULES = {
    "InjectHyperparamsState",
    "InjectStatefulHyperparamsState",
    "Schedule",
    "StatefulSchedule",
    "WrappedSchedule",
    "inject_hyperparams",
    "inject_stateful_hyperparams",
}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def optax_values(f, horizon):
    """optax's schedule ``f`` at steps 0 .. horizon-1, computed in float64."""
    with jax.enable_x64(True):
        k = jnp.arange(horizon, dtype=jnp.int64)
        out = jax.vmap(lambda c: jnp.asarray(f(c), dtype=jnp.float64) + jnp.zeros((), jnp.float64))(k)
        return np.asarray(out, dtype=np.float64)


def assert_close(ours, theirs, what):
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape
    scale = max(float(np.max(np.abs(theirs))), 1e-300)
    err = np.abs(ours - theirs)
    bad = err > RTOL * np.abs(theirs) + 1e-12 * scale
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{what}: step {i}: lrsched {ours[i]!r} != optax {theirs[i]!r} ({int(bad.sum())} steps differ)"
        )


def check(ours, theirs, horizon, what):
    """Compare the three lrsched paths with optax's float64 values over ``HORIZON`` steps.

    Every draw is evaluated over the same number of steps (so JAX compiles each operation once
    for the whole file); ``horizon``, the draw's own span, must fit in it.
    """
    assert horizon <= HORIZON
    horizon = HORIZON
    ref = optax_values(theirs, horizon)
    py = [ours(k) for k in range(horizon)]
    assert all(type(v) is float for v in py)
    assert_close(py, ref, f"{what} (python)")
    assert_close(ours(np.arange(horizon)), ref, f"{what} (numpy)")
    with jax.enable_x64(True):
        out = ours(jnp.arange(horizon, dtype=jnp.int64))
        assert out.dtype == jnp.float64
        assert_close(np.asarray(out), ref, f"{what} (jax x64)")


def rng_for(name):
    return np.random.default_rng([sum(map(ord, name)), len(name)])


def value(rng, lo=0.01, hi=2.0):
    return float(rng.uniform(lo, hi))


def boundaries(rng, n, hi, *, allow_zero=True):
    lo = 0 if allow_zero else 1
    return sorted(int(b) for b in rng.choice(np.arange(lo, hi), size=n, replace=False))


# --------------------------------------------------------------------------------------------
# parameter draws: name -> (draw(rng) -> (args, kwargs, horizon))
# --------------------------------------------------------------------------------------------
def draw_constant(rng):
    return (value(rng, -2, 2),), {}, 20


def draw_polynomial(rng):
    init, end = value(rng), value(rng, 0.0, 1.0)
    power = float(rng.choice([0.5, 1.0, 2.0, rng.uniform(0.2, 3.0)]))
    steps = int(rng.integers(1, 200))
    begin = int(rng.choice([0, rng.integers(0, 60)]))
    return (init, end, power, steps), {"transition_begin": begin}, begin + steps + 20


def draw_linear(rng):
    (init, end, _, steps), kw, h = draw_polynomial(rng)
    return (init, end, steps), kw, h


def draw_piecewise_constant(rng):
    n = int(rng.integers(0, 5))
    bs = boundaries(rng, n, 200)
    scales = {b: float(rng.choice([0.0, rng.uniform(0.0, 2.0)], p=[0.1, 0.9])) for b in bs}
    return (value(rng),), {"boundaries_and_scales": scales if n or rng.random() < 0.5 else None}, 220


def draw_exponential(rng):
    init = value(rng)
    steps = int(rng.integers(1, 50))
    rate = float(rng.uniform(0.3, 0.99) if rng.random() < 0.7 else rng.uniform(1.01, 1.5))
    begin = int(rng.choice([0, rng.integers(0, 40)]))
    staircase = bool(rng.random() < 0.5)
    end = None
    r = rng.random()
    if r < 0.4:  # a bound on the side the decay goes to
        end = init * float(rng.uniform(0.05, 0.9) if rate < 1 else rng.uniform(1.1, 3.0))
    elif r < 0.5:  # a bound on the other side: bounds init_value too
        end = init * float(rng.uniform(1.1, 2.0) if rate < 1 else rng.uniform(0.2, 0.9))
    kw = {"transition_begin": begin, "staircase": staircase, "end_value": end}
    return (init, steps, rate), kw, begin + 4 * steps + 40


def draw_cosine_decay(rng):
    steps = int(rng.integers(1, 200))
    alpha = float(rng.choice([0.0, rng.uniform(0.0, 1.0), rng.uniform(1.0, 2.0)]))
    exponent = float(rng.choice([1.0, rng.uniform(0.3, 3.0)]))
    return (value(rng), steps), {"alpha": alpha, "exponent": exponent}, steps + 20


def draw_piecewise_interpolate(rng):
    n = int(rng.integers(0, 5))
    bs = boundaries(rng, n, 150, allow_zero=rng.random() < 0.3)
    scales = {b: float(rng.uniform(0.0, 2.0)) for b in bs}
    kind = str(rng.choice(["linear", "cosine"]))
    return (kind, value(rng)), {"boundaries_and_scales": scales if n or rng.random() < 0.5 else None}, 170


def draw_linear_onecycle(rng):
    while True:
        t = int(rng.integers(10, 300))
        ps = float(rng.uniform(0.0, 0.6))
        pf = float(rng.uniform(ps, 1.0))
        if len({int(ps * t), int(pf * t), t}) == 3:
            break
    kw = {"pct_start": ps, "pct_final": pf, "div_factor": value(rng, 1.5, 50), "final_div_factor": value(rng, 2, 1e4)}
    return (t, value(rng)), kw, t + 20


def draw_cosine_onecycle(rng):
    t = int(rng.integers(5, 300))
    ps = float(rng.uniform(0.0, 0.95))
    kw = {"pct_start": ps, "div_factor": value(rng, 1.5, 50), "final_div_factor": value(rng, 2, 1e4)}
    return (t, value(rng)), kw, t + 20


def draw_warmup_constant(rng):
    return (value(rng, 0.0, 0.5), value(rng), int(rng.integers(0, 100))), {}, 120


def draw_warmup_cosine(rng):
    w = int(rng.integers(0, 60))
    d = w + int(rng.integers(1, 200))
    peak = float(rng.choice([0.0, value(rng)], p=[0.1, 0.9]))
    kw = {
        "end_value": float(rng.choice([0.0, value(rng, 0.0, 0.5)])),
        "exponent": float(rng.choice([1.0, rng.uniform(0.3, 3)])),
    }
    return (value(rng, 0.0, 0.5), peak, w, d), kw, d + 20


def draw_warmup_exponential(rng):
    (peak, steps, rate), kw, h = draw_exponential(rng)
    w = int(rng.integers(0, 60))
    return (value(rng, 0.0, 0.5), peak, w, steps, rate), kw, w + h


def draw_sgdr(rng):
    kws, total = [], 0
    for _ in range(int(rng.integers(1, 5))):
        w = int(rng.integers(0, 30))
        d = w + int(rng.integers(1, 120))
        peak = float(rng.choice([0.0, value(rng)], p=[0.1, 0.9]))
        kws.append(
            {
                "init_value": value(rng, 0.0, 0.5),
                "peak_value": peak,
                "warmup_steps": w,
                "decay_steps": d,
                "end_value": float(rng.choice([0.0, value(rng, 0.0, 0.5)])),
                "exponent": float(rng.choice([1.0, rng.uniform(0.3, 3)])),
            }
        )
        total += d
    return (kws,), {}, total + 20


CASES = {
    "constant_schedule": draw_constant,
    "polynomial_schedule": draw_polynomial,
    "linear_schedule": draw_linear,
    "piecewise_constant_schedule": draw_piecewise_constant,
    "exponential_decay": draw_exponential,
    "cosine_decay_schedule": draw_cosine_decay,
    "piecewise_interpolate_schedule": draw_piecewise_interpolate,
    "linear_onecycle_schedule": draw_linear_onecycle,
    "cosine_onecycle_schedule": draw_cosine_onecycle,
    "warmup_constant_schedule": draw_warmup_constant,
    "warmup_cosine_decay_schedule": draw_warmup_cosine,
    "warmup_exponential_decay_schedule": draw_warmup_exponential,
    "sgdr_schedule": draw_sgdr,
}


# --------------------------------------------------------------------------------------------
# coverage of optax.schedules and signatures
# --------------------------------------------------------------------------------------------
def test_every_optax_schedule_is_mirrored():
    public = {n for n in dir(optax.schedules) if not n.startswith("_")}
    schedules = public - NOT_SCHEDULES
    assert schedules == set(ox.__all__)
    assert schedules - {"join_schedules"} == set(CASES)


@pytest.mark.parametrize("name", sorted(set(CASES) | {"join_schedules"}))
def test_same_signature(name):
    theirs = inspect.signature(getattr(optax.schedules, name)).parameters
    ours = inspect.signature(getattr(ox, name)).parameters
    assert list(ours) == list(theirs)
    for n in theirs:
        assert ours[n].default == theirs[n].default, n
        assert ours[n].kind == theirs[n].kind, n


# --------------------------------------------------------------------------------------------
# the differential test
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_optax(name):
    rng = rng_for(name)
    for i in range(DRAWS):
        args, kwargs, horizon = CASES[name](rng)
        theirs = getattr(optax.schedules, name)(*args, **kwargs)
        ours = getattr(ox, name)(*args, **kwargs)
        check(ours, theirs, horizon, f"{name} draw {i}: args={args!r} kwargs={kwargs!r}")


def _piece(rng):
    """A random lrsched piece and the same piece built by optax."""
    kind = rng.integers(0, 3)
    if kind == 0:
        v = value(rng)
        return ox.constant_schedule(v), optax.constant_schedule(v)
    if kind == 1:
        a = (value(rng), value(rng), int(rng.integers(1, 50)))
        return ox.linear_schedule(*a), optax.linear_schedule(*a)
    a = (value(rng), int(rng.integers(1, 50)), float(rng.uniform(0, 1)))
    return ox.cosine_decay_schedule(*a), optax.cosine_decay_schedule(*a)


def test_join_schedules_matches_optax():
    rng = rng_for("join_schedules")
    for i in range(DRAWS):
        n = int(rng.integers(1, 5))
        pieces = [_piece(rng) for _ in range(n)]
        # non-decreasing boundaries, equal ones included (the later piece wins, as in optax)
        bounds = sorted(int(b) for b in rng.integers(0, 150, size=n - 1))
        ours = ox.join_schedules([p[0] for p in pieces], bounds)
        theirs = optax.join_schedules([p[1] for p in pieces], bounds)
        check(ours, theirs, 200, f"join_schedules draw {i}: bounds={bounds}")


# --------------------------------------------------------------------------------------------
# documented choices where optax degrades quietly
# --------------------------------------------------------------------------------------------
def test_zero_transition_steps_holds_init_value_as_optax_documents():
    for ours, theirs in [
        (ox.polynomial_schedule(1.0, 0.1, 2.0, 0), optax.polynomial_schedule(1.0, 0.1, 2.0, 0)),
        (ox.linear_schedule(1.0, 0.1, 0, 5), optax.linear_schedule(1.0, 0.1, 0, 5)),
        (ox.warmup_constant_schedule(0.0, 1.0, 0), optax.warmup_constant_schedule(0.0, 1.0, 0)),
    ]:
        assert [ours(k) for k in (0, 5, 1000)] == [float(theirs(k)) for k in (0, 5, 1000)]
        assert ours(1000) == ours(0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ox.polynomial_schedule(1.0, 0.0, 1.0, -1), "transition_steps=-1"),
        (lambda: ox.polynomial_schedule(1.0, 0.0, 1.0, 10, -3), "transition_begin=-3"),
        (lambda: ox.polynomial_schedule(1.0, 0.0, 0.0, 10), "power=0.0"),
        (lambda: ox.linear_schedule(1.0, 0.0, 10, transition_begin=-1), "transition_begin=-1"),
        (lambda: ox.exponential_decay(1.0, 0, 0.5), "transition_steps=0"),
        (lambda: ox.exponential_decay(1.0, 10, 0.0), "decay_rate=0.0"),
        (lambda: ox.exponential_decay(1.0, 10, -0.5), "decay_rate=-0.5"),
        (lambda: ox.exponential_decay(1.0, 10, 0.5, transition_begin=-2), "transition_begin=-2"),
        (lambda: ox.cosine_decay_schedule(1.0, 0), "decay_steps=0"),
        (lambda: ox.cosine_decay_schedule(1.0, 10, exponent=0.0), "exponent=0.0"),
        (lambda: ox.piecewise_constant_schedule(1.0, {10: -0.5}), r"boundaries_and_scales\[10\]=-0.5"),
        (lambda: ox.piecewise_constant_schedule(1.0, {-10: 0.5}), r"boundaries_and_scales\[-10\]=-10"),
        (lambda: ox.piecewise_interpolate_schedule("spline", 1.0), "interpolate_type='spline'"),
        (lambda: ox.piecewise_interpolate_schedule("linear", 1.0, {4: -1.0}), "-1.0"),
        (lambda: ox.linear_onecycle_schedule(0, 1.0), "transition_steps=0"),
        (lambda: ox.linear_onecycle_schedule(1, 1.0), "pct_final=0.85"),
        (lambda: ox.linear_onecycle_schedule(100, 1.0, pct_start=0.9, pct_final=0.5), "pct_final=0.5"),
        (lambda: ox.cosine_onecycle_schedule(100, 1.0, pct_start=1.0), "pct_start=1.0"),
        (lambda: ox.cosine_onecycle_schedule(100, 1.0, div_factor=0.0), "div_factor=0.0"),
        (lambda: ox.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10), "decay_steps=10"),
        (lambda: ox.join_schedules([ox.constant_schedule(1.0)] * 2, [10, 20]), "boundaries"),
        (lambda: ox.join_schedules([ox.constant_schedule(1.0)] * 3, [20, 10]), "non-decreasing"),
        (lambda: ox.join_schedules([ox.constant_schedule(1.0)] * 2, [-5]), "-5"),
        (lambda: ox.sgdr_schedule([]), "at least one"),
        (lambda: ox.sgdr_schedule([{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 0}]), "decay_steps"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_join_schedules_needs_lrsched_pieces():
    with pytest.raises(TypeError, match="schedules"):
        ox.join_schedules([optax.constant_schedule(1.0), ox.constant_schedule(1.0)], [5])


def test_piecewise_interpolate_needs_integer_boundaries():
    with pytest.raises(TypeError, match="2.5"):
        ox.piecewise_interpolate_schedule("linear", 1.0, {2.5: 0.5})


def test_optax_drops_a_coinciding_onecycle_phase():
    # The reason the collision raises: optax's dict keeps one scale for the shared step, and
    # the schedule never reaches its peak.
    s = optax.linear_onecycle_schedule(1, 1.0)
    assert max(float(s(k)) for k in range(3)) < 1.0 / 25.0


# --------------------------------------------------------------------------------------------
# jit, pytree, serialisation, use inside optax
# --------------------------------------------------------------------------------------------
def _examples():
    return [
        ox.polynomial_schedule(1.0, 0.01, 2.0, 100, transition_begin=10),
        ox.exponential_decay(1.0, 10, 0.7, transition_begin=5, staircase=True, end_value=0.1),
        ox.piecewise_constant_schedule(0.5, {10: 0.1, 50: 2.0}),
        ox.cosine_decay_schedule(1.0, 80, alpha=0.1, exponent=2.0),
        ox.piecewise_interpolate_schedule("cosine", 1.0, {0: 0.5, 40: 0.1}),
        ox.linear_onecycle_schedule(120, 1.0),
        ox.cosine_onecycle_schedule(120, 1.0),
        ox.warmup_cosine_decay_schedule(0.0, 1.0, 10, 100, end_value=0.05, exponent=1.5),
        ox.warmup_exponential_decay_schedule(0.0, 1.0, 10, 20, 0.5, end_value=0.3),
        ox.sgdr_schedule([{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 30}] * 3),
        ox.join_schedules([ox.constant_schedule(1.0), ox.linear_schedule(1.0, 0.0, 10)], [7]),
    ]


def test_jit_and_roundtrip():
    k = jnp.arange(130)
    for s in _examples():
        expected = np.array([s(i) for i in range(130)])
        jitted = jax.jit(lambda sched, steps: sched(steps))(s, k)
        np.testing.assert_allclose(np.asarray(jitted), expected, rtol=1e-5, atol=1e-6)
        d = lrsched.to_dict(s)
        back = lrsched.from_dict(json.loads(json.dumps(d)))
        assert back == s
        assert [back(i) for i in range(130)] == list(expected)


def test_works_inside_optax():
    s = ox.warmup_cosine_decay_schedule(0.0, 0.1, 3, 10)
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=s)
    params = jnp.zeros(())
    state = tx.init(params)
    used = []
    for _ in range(12):
        updates, state = tx.update(jnp.ones(()), state, params)
        used.append(-float(updates))  # sgd: the update is -lr * grad, with grad 1
    # update number k uses s(k), optax's count convention
    np.testing.assert_allclose(used, [s(k) for k in range(12)], rtol=1e-6, atol=1e-9)


def test_grad_through_peak_value():
    def lr_at(peak):
        return ox.warmup_cosine_decay_schedule(0.0, peak, 10, 110)(jnp.asarray(60))

    # at the middle of the cosine the value is peak / 2 (end_value 0)
    np.testing.assert_allclose(float(jax.grad(lr_at)(2.0)), 0.5, rtol=1e-5)
