"""Schedules under JAX transformations (jit, vmap over steps and over schedules, grad, lax.scan),
one compile serving many steps and many schedules, and schedules as optax learning rates."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from reference import (
    CASES,
    ref_cycle,
    ref_exponential,
    ref_inverse_sqrt,
    ref_noam,
    ref_one_cycle,
    ref_ramp,
    ref_sgdr,
    ref_tri_stage,
    ref_warmup_decay,
    ref_wsd,
)

import lrsched as L

RTOL32, ATOL32 = 1e-5, 1e-6

# one case of each node type and each recipe: enough to see every _eval under each transform
TRANSFORM_IDS = [
    "constant",
    "ramp-down-tanh",
    "ramp-down-rex-alpha0.9",
    "cosine-exponent",
    "exponential-staircase-end",
    "inverse_time-staircase",
    "inverse_sqrt",
    "piecewise_constant",
    "piecewise_linear",
    "fn",
    "warmup-shape-cosine",
    "join-equal-boundaries",
    "chain",
    "clip",
    "cycle-mult2-decay",
    "cycle-mult1.5-limit",
    "shift-negative",
    "per_epoch",
    "div",
    "minimum",
    "warmup_cosine-start-end",
    "wsd-sqrt",
    "one_cycle-three-phase",
    "sgdr-mult2",
    "cyclic-exp_range",
    "noam",
    "tri_stage-scales",
]
_BY_ID = {c[0]: c for c in CASES}
TRANSFORM_CASES = [_BY_ID[i] for i in TRANSFORM_IDS]


def _steps(span):
    return np.array(sorted(set(range(0, span + 1, max(1, span // 40))) | {span, span + 3}), dtype=np.int32)


def _close(got, want):
    want = np.asarray(want, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(want))))
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=RTOL32, atol=ATOL32 * scale)


# --------------------------------------------------------------------------------------------
# jit, vmap over steps, lax.scan
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,build,ref,span", TRANSFORM_CASES, ids=TRANSFORM_IDS)
def test_jit_vmap_scan(name, build, ref, span):
    s = build()
    ks = _steps(span)
    want = [ref(int(k)) for k in ks]

    @jax.jit
    def run(sched, ks):
        by_array = sched(ks)
        by_vmap = jax.vmap(sched)(ks)

        def body(k, _):
            return k + 1, sched(k)

        _, by_scan = jax.lax.scan(body, jnp.int32(0), None, length=span + 4)
        return by_array, by_vmap, by_scan

    by_array, by_vmap, by_scan = run(s, jnp.asarray(ks))
    for got in (by_array, by_vmap):
        assert got.dtype == jnp.result_type(float) and got.shape == ks.shape
        _close(got, want)
    _close(by_scan, [ref(k) for k in range(span + 4)])


def test_jit_with_python_int_and_scalar_step():
    s = L.warmup_cosine(1.0, 100, 10)
    f = jax.jit(lambda k: s(k))
    ref = ref_warmup_decay("cosine", 1.0, 100, 10)
    for k in (0, 5, 10, 60, 150):
        v = f(k)
        assert v.shape == () and v.dtype == jnp.result_type(float)
        _close(v, ref(k))


# --------------------------------------------------------------------------------------------
# vmap over a batch of schedules
# --------------------------------------------------------------------------------------------
PEAKS = np.array([0.5, 1.0, 3.0e-4, 2.0], dtype=np.float32)

BATCHED = [
    (
        "warmup_cosine",
        lambda p: L.warmup_cosine(p, 100, 10, end=0.01),
        lambda p: ref_warmup_decay("cosine", p, 100, 10, 0.0, 0.01),
    ),
    ("warmup_linear", lambda p: L.warmup_linear(p, 50, 5), lambda p: ref_warmup_decay("linear", p, 50, 5)),
    ("wsd", lambda p: L.wsd(p, 100, 10, 0.2, decay_shape="cosine"), lambda p: ref_wsd(p, 100, 10, 20, shape="cosine")),
    ("one_cycle", lambda p: L.one_cycle(p, 100), lambda p: ref_one_cycle(p, 100)),
    ("sgdr", lambda p: L.sgdr(p, 10, period_mult=2, decay=0.5), lambda p: ref_sgdr(p, 10, 2, 0.0, 0.5)),
    ("noam", lambda p: L.noam(p, 20), lambda p: ref_noam(p, 20)),
    ("tri_stage", lambda p: L.tri_stage(p, 10, 10, 20), lambda p: ref_tri_stage(p, 10, 10, 20)),
    ("exponential", lambda p: L.exponential(p, 0.9, 5, end=p * 0.1), lambda p: ref_exponential(p, 0.9, 5, end=p * 0.1)),
]


@pytest.mark.parametrize("name,build,ref", BATCHED, ids=[b[0] for b in BATCHED])
def test_vmap_builds_a_batch_of_schedules(name, build, ref):
    ks = np.arange(0, 130, 3, dtype=np.int32)
    got = jax.jit(jax.vmap(lambda p: build(p)(jnp.asarray(ks))))(jnp.asarray(PEAKS))
    assert got.shape == (len(PEAKS), len(ks))
    want = [[ref(float(p))(int(k)) for k in ks] for p in PEAKS]
    _close(got, want)


def test_vmap_over_stacked_schedule_pytrees():
    peaks, ends = [1.0, 0.5, 2.0], [0.0, 0.05, 0.1]
    scheds = [L.warmup_cosine(p, 60, 6, end=e) for p, e in zip(peaks, ends)]
    batch = jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *scheds)
    assert isinstance(batch, L.Schedule)
    ks = jnp.arange(70)
    got = jax.jit(jax.vmap(lambda s: s(ks)))(batch)
    want = [[ref_warmup_decay("cosine", p, 60, 6, 0.0, e)(k) for k in range(70)] for p, e in zip(peaks, ends)]
    _close(got, want)
    # vmap over both the schedules and the steps (one step per schedule)
    got2 = jax.jit(jax.vmap(lambda s, k: s(k)))(batch, jnp.array([0, 30, 65]))
    _close(got2, [want[0][0], want[1][30], want[2][65]])


def test_schedule_leaves_are_its_values():
    s = L.warmup(L.exponential(1.0, 0.9, 5, end=0.1), 10, start=0.01)
    leaves = jax.tree.leaves(s)
    assert sorted(leaves) == sorted([0.01, 1.0, 0.9, 0.1])
    doubled = jax.tree.map(lambda x: 2 * x, L.linear(1.0, 0.5, 10))
    assert doubled == L.linear(2.0, 1.0, 10)


# --------------------------------------------------------------------------------------------
# grad with respect to a value leaf
# --------------------------------------------------------------------------------------------
def test_grad_warmup_cosine_peak_is_analytic():
    total, warm = 100, 10

    def d_dpeak(k):  # start = end = 0: the value is peak times the shape
        if k < warm:
            return k / warm
        if k >= total:
            return 0.0
        return 0.5 * (1 + math.cos(math.pi * (k - warm) / (total - warm)))

    g = jax.jit(jax.vmap(jax.grad(lambda p, k: L.warmup_cosine(p, total, warm)(k)), in_axes=(None, 0)))
    ks = np.arange(0, 110, dtype=np.int32)
    _close(g(jnp.float32(0.7), jnp.asarray(ks)), [d_dpeak(int(k)) for k in ks])


GRADS = [
    # (id, builder of a one-parameter schedule, its float64 reference, parameter value, steps)
    (
        "warmup_cosine-peak",
        lambda p: L.warmup_cosine(p, 50, 5, end=0.01),
        lambda p: ref_warmup_decay("cosine", p, 50, 5, 0.0, 0.01),
        1.0,
        60,
    ),
    ("exponential-rate", lambda r: L.exponential(1.0, r, 4), lambda r: ref_exponential(1.0, r, 4), 0.9, 40),
    (
        "cosine-exponent",
        lambda e: L.cosine(1.0, 0.1, 30, exponent=e),
        lambda e: ref_ramp(1.0, 0.1, 30, "cosine", exponent=e),
        2.0,
        35,
    ),
    (
        "ramp-rex-alpha",
        lambda a: L.ramp(1.0, 0.0, 30, "rex", alpha=a),
        lambda a: ref_ramp(1.0, 0.0, 30, "rex", alpha=a),
        0.3,
        35,
    ),
    (
        "ramp-poly-end",
        lambda e: L.ramp(1.0, e, 30, "polynomial", power=2.0),
        lambda e: ref_ramp(1.0, e, 30, "polynomial", power=2.0),
        0.2,
        35,
    ),
    ("inverse_sqrt-start", lambda s: L.inverse_sqrt(s, 10), lambda s: ref_inverse_sqrt(s, 10), 0.5, 40),
    (
        "cycle-decay",
        lambda d: L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=2, decay=d),
        lambda d: ref_cycle(ref_ramp(1.0, 0.0, 10), 10, 2, d),
        0.7,
        80,
    ),
    ("one_cycle-peak", lambda p: L.one_cycle(p, 40), lambda p: ref_one_cycle(p, 40), 0.1, 45),
    (
        "tri_stage-final_scale",
        lambda f: L.tri_stage(1.0, 5, 5, 20, final_scale=f),
        lambda f: ref_tri_stage(1.0, 5, 5, 20, 0.01, f),
        0.05,
        40,
    ),
]


@pytest.mark.parametrize("name,build,ref,x,span", GRADS, ids=[g[0] for g in GRADS])
def test_grad_matches_finite_difference_of_reference(name, build, ref, x, span):
    ks = np.arange(span, dtype=np.int32)
    g = jax.jit(jax.vmap(jax.grad(lambda p, k: build(p)(k)), in_axes=(None, 0)))(jnp.float32(x), jnp.asarray(ks))
    h = 1e-6 * max(1.0, abs(x))
    fd = [(ref(x + h)(int(k)) - ref(x - h)(int(k))) / (2 * h) for k in ks]
    scale = max(1.0, max(abs(v) for v in fd))
    np.testing.assert_allclose(np.asarray(g, dtype=np.float64), fd, rtol=1e-4, atol=1e-5 * scale)


def test_grad_of_the_schedule_pytree():
    s = L.warmup(L.exponential(1.0, 0.9, 5), 10, start=0.1)
    k = 25
    g = jax.jit(jax.grad(lambda sched: sched(jnp.asarray(k))))(s)
    assert isinstance(g, L.Schedule)
    # value at 25 = start_e * rate ** ((25 - 10) / 5); the warmup start does not matter here
    e = (k - 10) / 5
    np.testing.assert_allclose(float(g.start), 0.0, atol=1e-7)
    np.testing.assert_allclose(float(g.schedule.start), 0.9**e, rtol=1e-5)
    np.testing.assert_allclose(float(g.schedule.rate), e * 0.9 ** (e - 1), rtol=1e-5)


# --------------------------------------------------------------------------------------------
# retracing: one compile for many steps and for many schedules of one structure
# --------------------------------------------------------------------------------------------
def test_one_trace_serves_many_steps_and_values():
    traces = []

    @jax.jit
    def value(sched, k):
        traces.append(1)  # runs only while tracing
        return sched(k)

    for k in range(0, 200, 7):
        value(L.warmup_cosine(1.0, 100, 10), jnp.int32(k))
    assert len(traces) == 1

    rng = np.random.default_rng(0)
    for peak, start, end in rng.uniform(0.01, 1.0, size=(20, 3)):
        v = value(L.warmup_cosine(float(peak), 100, 10, start=float(start), end=float(end)), jnp.int32(50))
        _close(v, ref_warmup_decay("cosine", peak, 100, 10, start, end)(50))
    assert len(traces) == 1

    # another structure (different durations) is another trace, once
    value(L.warmup_cosine(1.0, 200, 10), jnp.int32(3))
    value(L.warmup_cosine(0.5, 200, 10), jnp.int32(4))
    assert len(traces) == 2


def test_one_trace_serves_many_recipes_values():
    traces = []

    @jax.jit
    def values(sched, ks):
        traces.append(1)
        return sched(ks)

    ks = jnp.arange(0, 120, dtype=jnp.int32)
    for peak in (1.0, 0.3, 2e-3):
        for div in (25.0, 10.0):
            got = values(L.one_cycle(peak, 100, div_factor=div), ks)
            _close(got, [ref_one_cycle(peak, 100, div=div)(k) for k in range(120)])
    assert len(traces) == 1


# --------------------------------------------------------------------------------------------
# optax
# --------------------------------------------------------------------------------------------
OPTAX_SCHEDULES = [
    ("warmup_cosine", L.warmup_cosine(1e-2, 20, 4), ref_warmup_decay("cosine", 1e-2, 20, 4)),
    ("wsd", L.wsd(1e-2, 20, 3, 5, decay_shape="linear"), ref_wsd(1e-2, 20, 3, 5, shape="linear")),
    ("sgdr", L.sgdr(1e-2, 5, period_mult=2), ref_sgdr(1e-2, 5, 2)),
]


@pytest.mark.parametrize("name,s,ref", OPTAX_SCHEDULES, ids=[o[0] for o in OPTAX_SCHEDULES])
def test_optax_adam_uses_the_schedule(name, s, ref):
    # a constant gradient makes Adam's bias-corrected update exactly -lr * g / (|g| + eps)
    eps = 1e-8
    params = {"w": jnp.zeros(3)}
    grads = {"w": jnp.full(3, 1.0)}
    n = 12

    for opt, injected in (
        (optax.adam(learning_rate=s, eps=eps), False),
        (optax.inject_hyperparams(optax.adam)(learning_rate=s, eps=eps), True),
    ):
        state = opt.init(params)

        @jax.jit
        def step(state, opt=opt):
            updates, state = opt.update(grads, state, params)
            return updates, state

        used, recorded = [], []
        for _ in range(n):
            updates, state = step(state)
            used.append(-float(updates["w"][0]) * (1 + eps))
            if injected:
                recorded.append(float(state.hyperparams["learning_rate"]))
        want = [ref(k) for k in range(n)]
        np.testing.assert_allclose(used, want, rtol=2e-5, atol=1e-9)
        if injected:
            np.testing.assert_allclose(recorded, want, rtol=1e-6, atol=1e-10)


def test_optax_schedule_call_convention():
    # optax calls a schedule with its int32 count array; the result is a scalar float array
    s = L.warmup_cosine(1.0, 100, 10)
    count = jnp.zeros([], jnp.int32) + 50
    v = s(count)
    assert v.shape == () and v.dtype == jnp.result_type(float)
    _close(v, ref_warmup_decay("cosine", 1.0, 100, 10)(50))
