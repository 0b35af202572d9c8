"""lrsched.optax: step_count / current_value read the step back from real optax states (the lr
an update used is checked against what optax itself applied), and the plateau transformation
scales updates as PyTorch's ReduceLROnPlateau scales its lr."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import lrsched
import lrsched.optax as lo
from lrsched.compat.torch import reduce_lr_on_plateau

SCHEDULE = lrsched.warmup_cosine(0.1, 40, 8)
STEPS = 30


def _problem():
    params = {"w": jnp.array([1.0, -2.0, 0.5]), "b": jnp.array(0.3)}
    target = {"w": jnp.array([0.2, 0.1, -0.4]), "b": jnp.array(-1.0)}

    def loss(p):
        return sum(jnp.sum((p[k] - target[k]) ** 2) for k in p)

    return params, loss


def _lr_used(opt_factory):
    """Run ``opt_factory(SCHEDULE)`` and, next to it, the same optimizer with lr 1; the ratio of
    their updates is the lr optax used. Returns (current_value before each update, that lr)."""
    params, loss = _problem()
    opt = opt_factory(SCHEDULE)
    unit = opt_factory(lrsched.constant(1.0))
    state, ustate = opt.init(params), unit.init(params)

    @jax.jit
    def step(params, state, ustate):
        before = lo.current_value(SCHEDULE, state)
        count = lo.step_count(state)
        g = jax.grad(loss)(params)
        upd, state = opt.update(g, state, params)
        uupd, ustate = unit.update(g, ustate, params)
        return optax.apply_updates(params, upd), state, ustate, before, count, upd["w"][0] / uupd["w"][0]

    values, used, counts = [], [], []
    for _ in range(STEPS):
        params, state, ustate, before, count, ratio = step(params, state, ustate)
        values.append(float(before))
        used.append(float(ratio))
        counts.append(int(count))
    return values, used, counts, state


@pytest.mark.parametrize(
    "factory",
    [
        lambda s: optax.adam(s),
        lambda s: optax.chain(optax.clip_by_global_norm(10.0), optax.adam(s)),
        lambda s: optax.chain(optax.scale_by_adam(), optax.add_decayed_weights(0.0), optax.scale_by_learning_rate(s)),
        lambda s: optax.inject_hyperparams(optax.adam)(learning_rate=s),
        lambda s: optax.masked(optax.sgd(s, momentum=0.9), {"w": True, "b": True}),
    ],
    ids=["adam", "chain", "scale_by_learning_rate", "inject_hyperparams", "masked"],
)
def test_current_value_is_the_lr_the_next_update_uses(factory):
    values, used, counts, state = _lr_used(factory)
    assert counts == list(range(STEPS))
    np.testing.assert_allclose(values, used, rtol=2e-5)
    assert len(set(np.round(values, 6))) > 10
    assert int(lo.step_count(state)) == STEPS


def test_inject_hyperparams_records_the_same_value():
    opt = optax.inject_hyperparams(optax.adam)(learning_rate=SCHEDULE)
    params, loss = _problem()
    state, update = opt.init(params), jax.jit(opt.update)
    g = jax.grad(loss)(params)
    for _ in range(12):
        expected = lo.current_value(SCHEDULE, state)
        _, state = update(g, state, params)
        assert float(state.hyperparams["learning_rate"]) == pytest.approx(float(expected), rel=1e-6)


def test_step_count_multi_transform_multisteps_and_skips():
    params, loss = _problem()
    g = jax.grad(loss)(params)
    labels = {"w": "fast", "b": "slow"}
    opt = optax.multi_transform({"fast": optax.adam(SCHEDULE), "slow": optax.sgd(0.01)}, labels)
    state, update = opt.init(params), jax.jit(opt.update)
    for _ in range(5):
        _, state = update(g, state, params)
    assert int(lo.step_count(state)) == 5

    ms = optax.MultiSteps(optax.adam(SCHEDULE), every_k_schedule=3)
    state, update = ms.init(params), jax.jit(ms.update)
    for i in range(1, 11):
        _, state = update(g, state, params)
        assert int(lo.step_count(state)) == i // 3  # outer updates, not mini-steps

    # apply_if_finite: a skipped (non-finite) update is not an applied one
    af = optax.apply_if_finite(optax.adam(SCHEDULE), max_consecutive_errors=5)
    state, update = af.init(params), jax.jit(af.update)
    bad = jax.tree_util.tree_map(lambda x: x * jnp.nan, g)
    for grads in [g, bad, g, g, bad]:
        _, state = update(grads, state, params)
    assert int(lo.step_count(state)) == 3


def test_step_count_without_a_counter_raises():
    state = optax.sgd(0.1).init(jnp.zeros(2))
    with pytest.raises(ValueError, match="no update counter"):
        lo.step_count(state)
    with pytest.raises(ValueError, match="no update counter"):
        lo.current_value(SCHEDULE, optax.rmsprop(0.1).init(jnp.zeros(2)))


def test_plateau_transformation_scales_like_torch():
    # losses on a grid exact in float32, an absolute threshold: float32 decisions equal torch's
    rng = np.random.default_rng(1)
    losses = list(np.cumsum(rng.choice([-0.25, 0.0, 0.0, 0.125], size=60)) + 2.0)
    cfg = {"factor": 0.5, "patience": 2, "threshold": 0.125, "threshold_mode": "abs", "cooldown": 1, "min_lr": 1.0 / 64}

    opt_t = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **cfg)
    expected = []
    for v in losses:
        sched_t.step(float(v))
        expected.append(opt_t.param_groups[0]["lr"])

    tx = optax.chain(optax.sgd(1.0), lo.plateau(reduce_lr_on_plateau(**cfg)))
    params = jnp.zeros(2)
    state = tx.init(params)
    step = jax.jit(lambda g, s, v: tx.update(g, s, params, value=v))
    got = []
    for v in losses:
        upd, state = step(jnp.ones(2), state, jnp.float32(v))
        got.append(-float(upd[0]))
    assert got == expected
    assert min(expected) < 1.0


def test_plateau_transformation_under_scan_and_arguments():
    p = lrsched.Plateau(0.5, 0)
    tx = lo.plateau(p)

    def body(state, v):
        upd, state = tx.update(jnp.ones(()), state, None, value=v)
        return state, upd

    _, upd = jax.lax.scan(body, tx.init(None), jnp.array([1.0, 2.0, 3.0, 0.5, 0.7]))
    assert upd.tolist() == [1.0, 0.5, 0.25, 0.25, 0.125]
    with pytest.raises(TypeError, match="value"):
        tx.update(jnp.ones(()), tx.init(None), None)
    with pytest.raises(TypeError, match="plateau="):
        lo.plateau(0.5)
