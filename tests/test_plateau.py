"""lrsched.Plateau: PyTorch's ReduceLROnPlateau reproduced exactly, the sign-aware rule checked
against its definition, and the JAX path (jit, lax.scan, vmap) against the Python path."""

import json
import math
import random

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched
from lrsched.compat.torch import reduce_lr_on_plateau
from lrsched.torch import ScheduleLR


# --------------------------------------------------------------------------------------------
# metric sequences: random walks with flat stretches and ties, on both sides of zero
# --------------------------------------------------------------------------------------------
@st.composite
def metric_sequences(draw, max_len=80):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, max_len))
    offset = draw(st.sampled_from([-5.0, -1.0, -0.01, 0.0, 0.5, 3.0]))
    unit = draw(st.sampled_from([1.0, 0.1, 1e-3, 1e-5]))
    rng = np.random.default_rng(seed)
    moves = rng.choice([-1.0, -0.25, 0.0, 0.0, 0.5, 1.0], size=n) * unit
    noise = rng.normal(size=n) * unit * 0.01 * rng.integers(0, 2, size=n)
    return [float(x) for x in offset + np.cumsum(moves) + noise]


torch_settings = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["min", "max"]),
        "factor": st.sampled_from([0.1, 0.5, 0.3, 0.9, 0.0]),
        "patience": st.integers(0, 4),
        "threshold": st.sampled_from([0.0, 1e-4, 0.05, 0.3]),
        "threshold_mode": st.sampled_from(["rel", "abs"]),
        "cooldown": st.integers(0, 3),
        "min_lr_frac": st.sampled_from([0.0, 1e-3, 0.05, 0.3]),
        "eps": st.sampled_from([1e-8, 0.0, 1e-3, 0.02]),
        "lr": st.sampled_from([1.0, 0.1, 0.03, 3e-4, 0.7]),
    }
)


def _torch_plateau(cfg, lr, *, min_lr, threshold_mode, eps):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt,
        mode=cfg["mode"],
        factor=cfg["factor"],
        patience=cfg["patience"],
        threshold=cfg["threshold"],
        threshold_mode=threshold_mode,
        cooldown=cfg["cooldown"],
        min_lr=min_lr,
        eps=eps,
    )
    return opt, sched


def _torch_run(cfg, metrics, lr, min_lr):
    opt, sched = _torch_plateau(cfg, lr, min_lr=min_lr, threshold_mode=cfg["threshold_mode"], eps=cfg["eps"])
    out = []
    for m in metrics:
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


def _compat(cfg, lr, min_lr):
    return reduce_lr_on_plateau(
        mode=cfg["mode"],
        factor=cfg["factor"],
        patience=cfg["patience"],
        threshold=cfg["threshold"],
        threshold_mode=cfg["threshold_mode"],
        cooldown=cfg["cooldown"],
        min_lr=min_lr,
        eps=cfg["eps"],
        lr=lr,
    )


@settings(max_examples=60)
@given(cfg=torch_settings, metrics=metric_sequences())
def test_reduce_lr_on_plateau_equals_torch(cfg, metrics):
    lr = cfg["lr"]
    min_lr = cfg["min_lr_frac"] * lr
    expected = _torch_run(cfg, metrics, lr, min_lr)

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = ScheduleLR(opt, lrsched.constant(lr), plateau=_compat(cfg, lr, min_lr))
    got = []
    for m in metrics:
        sched.step(m)
        got.append(opt.param_groups[0]["lr"])
    assert got == expected
    assert sched.get_last_lr() == [expected[-1]]


def test_reduce_lr_on_plateau_torch_quirks():
    # torch's relative rule is best * (1 - threshold): with a negative best a worse loss counts
    # as better, which keeps the lr up where the sign-aware rule reduces it.
    metrics = [-1.0, -0.95, -0.92, -0.9, -0.88]
    cfg = {
        "mode": "min",
        "factor": 0.5,
        "patience": 0,
        "threshold": 0.1,
        "threshold_mode": "rel",
        "cooldown": 0,
        "eps": 1e-8,
    }
    expected = _torch_run(cfg, metrics, 1.0, 0.0)
    assert expected == [1.0, 1.0, 1.0, 1.0, 1.0]  # the quirk itself, as torch shows it
    p = _compat(cfg, 1.0, 0.0)
    state, got = p.init(), []
    for m in metrics:
        state = p.update(state, m)
        got.append(p.apply(state, 1.0))
    assert got == expected
    native = lrsched.Plateau(0.5, 0, threshold=0.1)
    state, scales = native.init(), []
    for m in metrics:
        state = native.update(state, m)
        scales.append(state.scale)
    assert scales == [1.0, 0.5, 0.25, 0.125, 0.0625]


def test_reduce_lr_on_plateau_per_group_floors_and_eps():
    # three groups with their own lrs and floors; the eps rule keeps the tiny lr fixed in torch
    lrs, floors = [0.1, 1.5e-8, 0.5], [0.01, 0.0, 0.2]
    rng = random.Random(3)
    metrics = [rng.choice([1.0, 1.0, 0.9, 1.1]) for _ in range(60)]
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    opt_t = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
    sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, factor=0.5, patience=1, min_lr=floors)
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
    plateaus = [reduce_lr_on_plateau(factor=0.5, patience=1, min_lr=f, lr=lr) for lr, f in zip(lrs, floors)]
    sched = ScheduleLR(opt, [lrsched.constant(lr) for lr in lrs], plateau=plateaus)
    changed = False
    for m in metrics:
        sched_t.step(m)
        sched.step(m)
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt_t.param_groups]
        changed |= opt.param_groups[0]["lr"] != lrs[0]
    assert changed
    assert opt.param_groups[1]["lr"] == 1.5e-8  # every reduction was below eps
    assert opt.param_groups[2]["lr"] == 0.2
    with pytest.raises(TypeError, match="min_lr"):
        reduce_lr_on_plateau(min_lr=[0.0, 0.1])


# --------------------------------------------------------------------------------------------
# the native, sign-aware rule, from its definition
# --------------------------------------------------------------------------------------------
def _reference_scales(metrics, factor, patience, mode, threshold, threshold_mode, cooldown, min_scale):
    """The documented rule, written out: improvement beats best by |best| * threshold (rel) or
    threshold (abs) in the mode's direction; cooldown clears the bad count; reduce past patience."""
    scale, best, bad, cool, out = 1.0, None, 0, 0, []
    for m in metrics:
        if best is None:
            improved = True
        else:
            margin = abs(best) * threshold if threshold_mode == "rel" else threshold
            improved = m < best - margin if mode == "min" else m > best + margin
        if improved:
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > patience:
            scale = max(scale * factor, min_scale)
            cool, bad = cooldown, 0
        out.append(scale)
    return out


native_settings = st.fixed_dictionaries(
    {
        "factor": st.sampled_from([0.1, 0.5, 0.25, 0.0]),
        "patience": st.integers(0, 4),
        "mode": st.sampled_from(["min", "max"]),
        "threshold": st.sampled_from([0.0, 1e-4, 0.1, 0.5]),
        "threshold_mode": st.sampled_from(["rel", "abs"]),
        "cooldown": st.integers(0, 3),
        "min_scale": st.sampled_from([0.0, 0.01, 0.3]),
    }
)


@settings(max_examples=80)
@given(cfg=native_settings, metrics=metric_sequences())
def test_native_rule_matches_its_definition(cfg, metrics):
    p = lrsched.Plateau(
        cfg["factor"],
        cfg["patience"],
        mode=cfg["mode"],
        threshold=cfg["threshold"],
        threshold_mode=cfg["threshold_mode"],
        cooldown=cfg["cooldown"],
        min_scale=cfg["min_scale"],
    )
    state, got = p.init(), []
    for m in metrics:
        state = p.update(state, m)
        got.append(state.scale)
        assert state.level == state.scale
    assert got == _reference_scales(metrics, **cfg)


def test_sign_aware_improvement():
    # a negative loss going down improves; one going up (towards zero) does not
    p = lrsched.Plateau(0.5, 0, threshold=0.1)
    s = p.update(p.init(), -1.0)
    assert p.update(s, -1.2).best == -1.2 and p.update(s, -1.2).scale == 1.0
    assert p.update(s, -1.05).scale == 0.5  # not 10% better than -1
    assert p.update(s, -0.95).scale == 0.5
    # max mode with a negative best: -0.95 is better than -1 only by 5%, -0.85 by 15%
    q = lrsched.Plateau(0.5, 0, mode="max", threshold=0.1)
    s = q.update(q.init(), -1.0)
    assert q.update(s, -0.95).scale == 0.5
    assert q.update(s, -0.85).scale == 1.0
    # the first metric always improves, NaN never does
    assert p.update(p.init(), 1e300).best == 1e300
    s = p.update(p.init(), 1.0)
    nan_state = p.update(s, float("nan"))
    assert nan_state.best == 1.0 and nan_state.scale == 0.5


def test_min_scale_floor_eps_and_cooldown():
    p = lrsched.Plateau(0.5, 0, cooldown=2, min_scale=0.2)
    state, scales = p.init(), []
    for m in [1.0] * 12:
        state = p.update(state, m)
        scales.append(state.scale)
    # first improves; then a reduction, two cooldown steps, another reduction, ... floor 0.2
    assert scales == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2]
    q = lrsched.Plateau(0.9, 0, eps=0.15)
    state = q.update(q.update(q.init(), 1.0), 2.0)
    assert state.scale == 1.0 and state.cooldown_left == 0 and state.num_bad == 0


def test_torch_metric_and_numpy_metric():
    p = lrsched.Plateau(0.5, 0)
    s = p.update(p.init(), torch.tensor(2.0))
    s = p.update(s, np.float32(3.0))
    assert type(s.best) is float and s.best == 2.0 and s.scale == 0.5


# --------------------------------------------------------------------------------------------
# the JAX path
# --------------------------------------------------------------------------------------------
def _python_trajectory(p, metrics):
    state, out = p.init(), []
    for m in metrics:
        state = p.update(state, m)
        out.append(state)
    return out


def _scan(p, metrics):
    def body(state, m):
        state = p.update(state, m)
        return state, state

    init = jax.tree_util.tree_map(jnp.asarray, p.init())
    return jax.jit(lambda s, ms: jax.lax.scan(body, s, ms))(init, jnp.asarray(metrics))


@settings(max_examples=20)
@given(
    cfg=native_settings,
    rule=st.sampled_from(["sign_aware", "torch"]),
    eps=st.sampled_from([0.0, 1e-8, 0.05]),
    metrics=metric_sequences(max_len=40),
)
def test_scan_matches_python_in_float64(cfg, rule, eps, metrics):
    p = lrsched.Plateau(
        cfg["factor"],
        cfg["patience"],
        mode=cfg["mode"],
        threshold=cfg["threshold"],
        threshold_mode=cfg["threshold_mode"],
        cooldown=cfg["cooldown"],
        min_scale=cfg["min_scale"],
        rule=rule,
        eps=eps,
        base=0.3,
    )
    expected = _python_trajectory(p, metrics)
    with jax.enable_x64(True):
        final, traj = _scan(p, metrics)
        for field in lrsched.PlateauState._fields:
            got = np.asarray(getattr(traj, field))
            want = np.array([getattr(s, field) for s in expected])
            np.testing.assert_array_equal(got, want, err_msg=field)
        assert float(final.scale) == expected[-1].scale


def test_scan_in_float32_with_exact_metrics():
    # metrics, thresholds and factors exact in float32: the float32 scan equals the Python path
    rng = np.random.default_rng(0)
    metrics = [float(x) for x in np.cumsum(rng.choice([-0.5, 0.0, 0.25, 0.5], size=200)) - 4.0]
    p = lrsched.Plateau(0.5, 2, threshold=0.25, threshold_mode="abs", cooldown=1, min_scale=0.125)
    _final, traj = _scan(p, metrics)
    assert traj.scale.dtype == jnp.float32 and traj.num_bad.dtype == jnp.int32
    expected = _python_trajectory(p, metrics)
    assert np.asarray(traj.scale).tolist() == [s.scale for s in expected]
    assert np.asarray(traj.best).tolist() == [s.best for s in expected]
    assert len({s.scale for s in expected}) > 2


def test_vmap_over_metric_streams():
    p = lrsched.Plateau(0.5, 1)
    streams = np.array([[3.0, 2.0, 2.0, 2.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0], [-1.0, -2.0, -3.0, -3.0, -3.0]])
    state = jax.tree_util.tree_map(lambda x: jnp.full((3,), x), p.init())
    update = jax.jit(jax.vmap(p.update))
    for t in range(streams.shape[1]):
        state = update(state, jnp.asarray(streams[:, t]))
    expected = [_python_trajectory(p, list(row))[-1].scale for row in streams]
    assert np.asarray(state.scale).tolist() == expected
    assert jnp.asarray(p.apply(state, 2.0)).tolist() == [2.0 * e for e in expected]


# --------------------------------------------------------------------------------------------
# a frozen value: validation, ==, repr, data
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        ({"factor": 1.0}, ValueError, "factor"),
        ({"factor": -0.1}, ValueError, "factor"),
        ({"factor": "0.1"}, TypeError, "factor"),
        ({"factor": float("nan")}, ValueError, "factor"),
        ({"patience": -1}, ValueError, "patience"),
        ({"patience": 2.5}, TypeError, "patience"),
        ({"patience": True}, TypeError, "patience"),
        ({"mode": "minimum"}, ValueError, "mode"),
        ({"threshold": -1e-4}, ValueError, "threshold"),
        ({"threshold_mode": "relative"}, ValueError, "threshold_mode"),
        ({"cooldown": -2}, ValueError, "cooldown"),
        ({"min_scale": -0.5}, ValueError, "min_scale"),
        ({"rule": "keras"}, ValueError, "rule"),
        ({"eps": float("inf")}, ValueError, "eps"),
        ({"base": 0.0}, ValueError, "base"),
    ],
)
def test_bad_arguments_raise_naming_them(kwargs, exc, name):
    with pytest.raises(exc, match=f"^{name}="):
        lrsched.Plateau(**kwargs)


def test_frozen_equal_hashable_repr_and_data():
    p = lrsched.Plateau(0.5, 3, mode="max", cooldown=2)
    assert p == lrsched.Plateau(factor=0.5, patience=3, mode="max", cooldown=2)
    assert p != lrsched.Plateau(0.5, 3)
    assert hash(p) == hash(lrsched.Plateau(0.5, 3, mode="max", cooldown=2))
    assert repr(p) == "Plateau(0.5, 3, mode='max', cooldown=2)"
    assert eval(repr(p), {"Plateau": lrsched.Plateau}) == p
    with pytest.raises(AttributeError):
        p.factor = 0.2
    q = reduce_lr_on_plateau(mode="max", threshold_mode="abs", min_lr=1e-5, lr=0.1)
    for x in (p, q, lrsched.Plateau()):
        d = json.loads(json.dumps(x.to_dict()))
        assert lrsched.Plateau.from_dict(d) == x
    with pytest.raises(ValueError, match="patiencе|unknown field"):
        lrsched.Plateau.from_dict({"type": "plateau", "patiencе": 3})
    with pytest.raises(ValueError, match="type"):
        lrsched.Plateau.from_dict({"type": "constant"})
    with pytest.raises(ValueError, match="factor"):
        lrsched.Plateau.from_dict({"type": "plateau", "factor": 2.0})


def test_update_is_pure():
    p = lrsched.Plateau(0.5, 0)
    s0 = p.update(p.init(), 1.0)
    s1 = p.update(s0, 2.0)
    assert s0.scale == 1.0 and s1.scale == 0.5
    assert p.init() == lrsched.PlateauState(1.0, math.inf, 0, 0, 1.0)
    assert lrsched.Plateau(mode="max").init().best == -math.inf


# --------------------------------------------------------------------------------------------
# ignore_first: the metrics of a warmup change nothing
# --------------------------------------------------------------------------------------------
def _timm_run(cfg, warmup_t, metrics, lr):
    """timm's PlateauLRScheduler.step(epoch, metric) (timm/scheduler/plateau_lr.py): for
    ``epoch <= warmup_t`` it writes the warmup lr and leaves its ReduceLROnPlateau alone, after
    that it steps the ReduceLROnPlateau (built with timm's defaults, threshold_mode "rel") on the
    group's lr, which the warmup's last epoch left at the base lr. (timm itself needs
    torchvision to import, so its rule is driven here on torch's ReduceLROnPlateau.)"""
    opt, inner = _torch_plateau(cfg, lr, min_lr=0.0, threshold_mode="rel", eps=1e-8)
    out = []
    for epoch, m in enumerate(metrics):
        if epoch > warmup_t:
            inner.step(m)
        out.append((opt.param_groups[0]["lr"], inner.best, inner.num_bad_epochs, inner.cooldown_counter))
    return out


@settings(max_examples=40, deadline=None)
@given(cfg=torch_settings, warmup_t=st.integers(1, 6), metrics=metric_sequences(max_len=40))
def test_ignore_first_matches_timm_plateau_after_its_warmup(cfg, warmup_t, metrics):
    # timm's PlateauLRScheduler.step(epoch, metric) skips ReduceLROnPlateau for epochs 0..warmup_t
    lr = cfg["lr"]
    p = lrsched.Plateau(
        cfg["factor"],
        cfg["patience"],
        mode=cfg["mode"],
        threshold=cfg["threshold"],
        cooldown=cfg["cooldown"],
        rule="torch",
        eps=1e-8,
        base=lr,
        ignore_first=warmup_t + 1,
    )
    state = p.init()
    for epoch, (m, (t_lr, t_best, t_bad, t_cool)) in enumerate(zip(metrics, _timm_run(cfg, warmup_t, metrics, lr))):
        state = p.update(state, m)
        assert state.seen == min(epoch + 1, warmup_t + 1)
        assert (state.best, state.num_bad, state.cooldown_left) == (t_best, t_bad, t_cool)
        if epoch > warmup_t:
            assert state.level == t_lr


@settings(max_examples=30, deadline=None)
@given(
    cfg=torch_settings,
    rule=st.sampled_from(["sign_aware", "torch", "sklearn"]),
    n=st.integers(0, 8),
    metrics=metric_sequences(max_len=40),
)
def test_ignore_first_n_metrics_change_nothing_then_the_rule_as_before(cfg, rule, n, metrics):
    kwargs = dict(mode=cfg["mode"], threshold=cfg["threshold"], cooldown=cfg["cooldown"], rule=rule)
    p = lrsched.Plateau(cfg["factor"], cfg["patience"], ignore_first=n, **kwargs)
    plain = lrsched.Plateau(cfg["factor"], cfg["patience"], **kwargs)
    state = p.init()
    for m in metrics[:n]:
        state = p.update(state, m)
    assert state[:5] == plain.init()[:5] and state.seen == min(n, len(metrics))
    expected = plain.init()
    for m in metrics[n:]:
        state, expected = p.update(state, m), plain.update(expected, m)
        assert state._replace(seen=0) == expected and state.seen == n


@pytest.mark.parametrize("n", [0, 1, 3, 7])
def test_ignore_first_under_scan_equals_python(n):
    metrics = [3.0, 1.0, 5.0, 2.0, 2.0, 2.0, 2.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    p = lrsched.Plateau(0.5, 1, ignore_first=n)
    expected = _python_trajectory(p, metrics)
    with jax.enable_x64(True):
        final, traj = _scan(p, metrics)
        assert traj.seen.dtype == jnp.int32 or traj.seen.dtype == jnp.int64
        for field in lrsched.PlateauState._fields:
            want = [getattr(s, field) for s in expected]
            assert np.asarray(getattr(traj, field)).tolist() == want, field
    if n:
        assert expected[n - 1].best == math.inf and expected[n].best == metrics[n]
    assert expected[-1].scale < 1.0


@pytest.mark.parametrize(
    "bad, exc",
    [(-1, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError), ("3", TypeError), (None, TypeError)],
)
def test_ignore_first_is_validated(bad, exc):
    with pytest.raises(exc, match=rf"^ignore_first={'-' if isinstance(bad, int) and bad < 0 else ''}"):
        lrsched.Plateau(ignore_first=bad)


def test_ignore_first_in_repr_data_and_old_states_load():
    p = lrsched.Plateau(0.5, 2, ignore_first=3)
    assert repr(p) == "Plateau(0.5, 2, ignore_first=3)"
    assert lrsched.Plateau.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    old = {"type": "plateau", "factor": 0.5, "patience": 2}  # saved before ignore_first existed
    assert lrsched.Plateau.from_dict(old).ignore_first == 0
    from lrsched._plateau import state_from_data

    fields = {"scale": 0.5, "best": 1.0, "num_bad": 1, "cooldown_left": 0, "level": 0.5}
    assert state_from_data(fields, "s") == lrsched.PlateauState(0.5, 1.0, 1, 0, 0.5, 0)
    assert state_from_data({**fields, "seen": 2}, "s").seen == 2
    with pytest.raises(ValueError, match=r"^s\.seen=-1"):
        state_from_data({**fields, "seen": -1}, "s")
