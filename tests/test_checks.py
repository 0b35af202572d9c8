"""Argument checks across the whole public surface: every float parameter of every builder (and of
every peer mirror) is named in its own error, every echoed value is bounded, concrete array leaves
get the checks of floats, user functions serialise only under their own registered name, and
plateau metrics and saved states are validated."""

from __future__ import annotations

import importlib
import inspect
import math
import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import lrsched as L
from lrsched.compat import torch as T
from lrsched.torch import ScheduleLR

lin = L.linear(1.0, 0.0, 10)

# One valid call per builder; every parameter whose value here (or whose default) is a float is
# then given a bad value in turn.
ROWS = {
    "lrsched": {
        "clip": dict(schedule=lin, min=0.1, max=2.0),
        "constant": dict(value=0.1),
        "cosine": dict(start=1.0, end=0.0, steps=10, exponent=2.0),
        "cycle": dict(schedule=lin, period=10, period_mult=1.5, decay=0.9),
        "cyclic": dict(low=0.1, high=1.0, step_size_up=10, mode="exp_range", gamma=0.9),
        "exponential": dict(start=1.0, rate=0.5, end=0.1),
        "inverse_sqrt": dict(start=1.0, timescale=10),
        "inverse_time": dict(start=1.0, rate=0.5, power=2.0),
        "linear": dict(start=0.0, end=1.0, steps=10),
        "maximum": dict(a=lin, b=0.5),
        "minimum": dict(a=lin, b=0.5),
        "noam": dict(peak=1.0, warmup_steps=10),
        "one_cycle": dict(peak=1.0, total_steps=100),
        "piecewise_constant": dict(start=1.0, scales={10: 0.5}),
        "ramp": dict(start=1.0, end=0.5, steps=10, shape="tanh", lower=-7.0, upper=3.0),
        "sgdr": dict(peak=1.0, period=10, end=0.0, decay=0.9),
        "tri_stage": dict(peak=1.0, warmup_steps=10, hold_steps=10, decay_steps=10),
        "warmup": dict(schedule=lin, steps=10, start=0.0),
        "warmup_cosine": dict(peak=1.0, total_steps=100, warmup_steps=10),
        "warmup_linear": dict(peak=1.0, total_steps=100, warmup_steps=10),
        "wsd": dict(peak=1.0, total_steps=100, warmup_steps=10, decay_steps=0.2),
    },
    "lrsched.compat.torch": {
        "chained_scheduler": dict(schedulers=[T.step_lr(5)]),
        "constant_lr": {},
        "cosine_annealing_lr": dict(T_max=10),
        "cosine_annealing_warm_restarts": dict(T_0=10),
        "cyclic_lr": dict(base_lr=0.1, max_lr=1.0, mode="exp_range", gamma=0.9),
        "cyclic_momentum": dict(base_lr=0.1, max_lr=1.0, mode="exp_range", gamma=0.9),
        "exponential_lr": dict(gamma=0.9),
        "lambda_lr": dict(lr_lambda=lambda k: 1.0),
        "linear_lr": {},
        "multi_step_lr": dict(milestones=[10]),
        "multiplicative_lr": dict(lr_lambda=lambda k: 0.9),
        "one_cycle_lr": dict(max_lr=1.0, total_steps=100),
        "one_cycle_momentum": dict(max_lr=1.0, total_steps=100),
        "polynomial_lr": {},
        "reduce_lr_on_plateau": {},
        "step_lr": dict(step_size=10),
        "swa_lr": dict(swa_lr=0.05),
    },
    "lrsched.compat.optax": {
        "constant_schedule": dict(value=0.1),
        "cosine_decay_schedule": dict(init_value=1.0, decay_steps=10, alpha=0.1, exponent=2.0),
        "cosine_onecycle_schedule": dict(transition_steps=100, peak_value=1.0),
        "exponential_decay": dict(init_value=1.0, transition_steps=10, decay_rate=0.5, end_value=0.1),
        "linear_onecycle_schedule": dict(transition_steps=100, peak_value=1.0),
        "linear_schedule": dict(init_value=1.0, end_value=0.0, transition_steps=10),
        "piecewise_constant_schedule": dict(init_value=1.0),
        "piecewise_interpolate_schedule": dict(
            interpolate_type="linear", init_value=1.0, boundaries_and_scales={10: 0.5}
        ),
        "polynomial_schedule": dict(init_value=1.0, end_value=0.0, power=2.0, transition_steps=10),
        "warmup_constant_schedule": dict(init_value=0.0, peak_value=1.0, warmup_steps=10),
        "warmup_cosine_decay_schedule": dict(
            init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=100, end_value=0.0, exponent=2.0
        ),
        "warmup_exponential_decay_schedule": dict(
            init_value=0.0, peak_value=1.0, warmup_steps=10, transition_steps=10, decay_rate=0.5, end_value=0.1
        ),
    },
    "lrsched.compat.transformers": {
        "get_constant_schedule": {},
        "get_constant_schedule_with_warmup": dict(num_warmup_steps=10),
        "get_cosine_schedule_with_warmup": dict(num_warmup_steps=10, num_training_steps=100),
        "get_cosine_with_hard_restarts_schedule_with_warmup": dict(num_warmup_steps=10, num_training_steps=100),
        "get_cosine_with_min_lr_schedule_with_warmup": dict(num_warmup_steps=10, num_training_steps=100, min_lr=0.1),
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": dict(
            num_warmup_steps=10, num_training_steps=100, min_lr_rate=0.1, warmup_lr_rate=0.1
        ),
        "get_inverse_sqrt_schedule": dict(num_warmup_steps=10),
        "get_linear_schedule_with_warmup": dict(num_warmup_steps=10, num_training_steps=100),
        "get_polynomial_decay_schedule_with_warmup": dict(
            num_warmup_steps=10, num_training_steps=100, lr_end=1e-7, power=2.0
        ),
        "get_reduce_on_plateau_schedule": dict(factor=0.5),
        "get_wsd_schedule": dict(num_warmup_steps=10, num_decay_steps=20, num_training_steps=100, min_lr_ratio=0.1),
    },
    "lrsched.compat.keras": {
        "cosine_decay": dict(initial_learning_rate=1.0, decay_steps=100, alpha=0.1, warmup_target=2.0, warmup_steps=10),
        "cosine_decay_restarts": dict(initial_learning_rate=1.0, first_decay_steps=10, alpha=0.1),
        "exponential_decay": dict(initial_learning_rate=1.0, decay_steps=10, decay_rate=0.5),
        "inverse_time_decay": dict(initial_learning_rate=1.0, decay_steps=10, decay_rate=0.5),
        "polynomial_decay": dict(initial_learning_rate=1.0, decay_steps=100),
    },
    "lrsched.compat.fairseq": {
        "cosine": dict(warmup_updates=10, warmup_init_lr=0.01, max_update=100, lr_period_updates=50.0),
        "fixed": dict(force_anneal=5, updates_per_epoch=10),
        "inverse_sqrt": dict(warmup_init_lr=0.01),
        "polynomial_decay": dict(warmup_updates=10, total_num_update=100),
        "step": dict(warmup_updates=10, warmup_init_lr=0.01),
        "tri_stage": dict(warmup_steps=10, hold_steps=10, decay_steps=10),
        "triangular": dict(max_lr=1.0),
    },
    "lrsched.compat.sklearn": {
        "adaptive": {},
        "constant": {},
        "invscaling": {},
        "mlp_adaptive": {},
        "mlp_invscaling": dict(n_samples=100),
        "optimal": dict(t0=5.0),
        "optimal_t0": {},
    },
    "lrsched.compat.timm": {
        "cosine_lr": dict(
            t_initial=100, warmup_t=10, warmup_lr_init=0.01, cycle_mul=1.5, cycle_decay=0.9, cycle_limit=2, k_decay=2.0
        ),
        "tanh_lr": dict(t_initial=100, warmup_t=10, warmup_lr_init=0.01, cycle_decay=0.9, cycle_limit=2),
        "poly_lr": dict(t_initial=100, warmup_t=10, warmup_lr_init=0.01, cycle_decay=0.9, cycle_limit=2, k_decay=2.0),
        "step_lr": dict(decay_t=10, decay_rate=0.5, warmup_t=5, warmup_lr_init=0.01),
        "multi_step_lr": dict(decay_t=[10], decay_rate=0.5, warmup_t=5, warmup_lr_init=0.01),
    },
}

# Parameters not checked when the options that use them are off (timm's noise is refused when
# asked for, its percentages are not read otherwise).
SKIP = {"noise_pct", "noise_std"}


def _float_params():
    for mod, rows in ROWS.items():
        module = importlib.import_module(mod)
        short = mod.split(".")[-1]
        for name, base in rows.items():
            f = getattr(module, name)
            params = {p.name: p.default for p in inspect.signature(f).parameters.values() if p.default is not p.empty}
            params.update(base)
            for p, v in params.items():
                if type(v) is float and p not in SKIP:
                    yield short, name, f, base, p


FLOAT_PARAMS = list(_float_params())
BAD_VALUES = [math.nan, math.inf, "0.1", -1.0, 0.0, 1e300]


CASES = [
    pytest.param(
        f,
        base,
        p,
        bad,
        id=f"{m}.{n}-{p}-{bad!r}",
    )
    for m, n, f, base, p in FLOAT_PARAMS
    for bad in BAD_VALUES
]


def _named(msg: str, p: str) -> bool:
    return re.search(rf"(?<![\w.\[]){re.escape(p)}(\[[^\]]*\])?=", msg) is not None


def test_every_row_builds():
    for _, _, f, base, _ in FLOAT_PARAMS:
        f(**base)
    assert len({(m, n) for m, n, *_ in FLOAT_PARAMS}) >= 85


@pytest.mark.parametrize("f,base,p,bad", CASES)
def test_error_names_the_callers_own_argument(f, base, p, bad):
    """NaN, inf and a string always raise; any other value that raises names ``p`` itself."""
    kwargs = {**base, p: bad}
    try:
        f(**kwargs)
    except (ValueError, TypeError) as e:
        assert _named(str(e), p), str(e)
        return
    assert not (isinstance(bad, str) or not math.isfinite(bad)), f"{p}={bad!r} was accepted"


HUGE = "x" * 50_000_000


@pytest.mark.parametrize(
    "f,base,p",
    [
        pytest.param(
            f,
            b,
            p,
            id=f"{m}.{n}-{p}",
        )
        for m, n, f, b, p in FLOAT_PARAMS
    ],
)
def test_echoed_values_are_bounded(f, base, p):
    with pytest.raises(TypeError) as e:
        f(**{**base, p: HUGE})
    assert len(str(e.value)) < 400 and "xxx..." in str(e.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: L.fn(HUGE),
        lambda: L.fn(lambda k: 1.0, name=1j * len(HUGE)),
        lambda: L.from_dict({"type": "fn", "f": HUGE}),
        lambda: L.to_dict(HUGE),
        lambda: L.Plateau(factor=HUGE),
        lambda: L.Plateau.from_dict({"type": HUGE}),
        lambda: L.Plateau().update(L.Plateau().init(), HUGE),
    ],
)
def test_bounded_in_fn_serialise_and_plateau(call):
    with pytest.raises((TypeError, ValueError)) as e:
        call()
    assert len(str(e.value)) < 400


def test_show_bounds_every_kind_of_value():
    from lrsched._validate import show

    for v in (HUGE, HUGE.encode(), [HUGE] * 10, {HUGE: HUGE}, 10**100_000, np.zeros(10**6), (1,) * 10**6):
        assert len(show(v)) <= 80
    assert (
        show("abc") == "'abc'"
        and show(0.1) == "0.1"
        and show(2**60) == "1152921504606846976"
        and show(2**70) == "<int of 71 bits>"
    )
    assert show(HUGE).endswith("...")


# --------------------------------------------------------------------------------------------
# array leaves
# --------------------------------------------------------------------------------------------
BAD_ARRAYS = [
    ("jax-nan", lambda: L.warmup_cosine(jnp.asarray(float("nan")), 100, 10), ValueError, "peak"),
    ("jax-inf", lambda: L.constant(jnp.asarray(-math.inf)), ValueError, "value"),
    ("jax-vector", lambda: L.constant(jnp.asarray([0.1, 0.2])), ValueError, "value"),
    ("numpy-vector", lambda: L.constant(np.array([0.1, 0.2])), ValueError, "value"),
    ("numpy-one-element", lambda: L.linear(np.array([1.0]), 0.0, 10), ValueError, "start"),
    ("numpy-nan-vector", lambda: L.linear(1.0, np.array([0.0, np.nan]), 10), ValueError, "end"),
    ("jax-bool", lambda: L.constant(jnp.asarray(True)), TypeError, "value"),
    ("numpy-bool", lambda: L.constant(np.array(True)), TypeError, "value"),
    ("jax-complex", lambda: L.constant(jnp.asarray(1 + 2j)), TypeError, "value"),
    ("numpy-str", lambda: L.constant(np.array(["a"])), TypeError, "value"),
    ("jax-rate-zero", lambda: L.exponential(1.0, jnp.asarray(0.0)), ValueError, "rate"),
    ("jax-rate-negative", lambda: L.inverse_time(1.0, jnp.asarray(-0.5)), ValueError, "rate"),
    ("jax-matrix", lambda: L.cosine(jnp.ones((2, 2)), 0.0, 10), ValueError, "start"),
    ("jax-power-nan", lambda: L.ramp(1.0, 0.0, 10, "polynomial", power=jnp.asarray(math.nan)), ValueError, "power"),
]


@pytest.mark.parametrize("name,call,exc,arg", BAD_ARRAYS, ids=[b[0] for b in BAD_ARRAYS])
def test_concrete_array_leaves_are_checked(name, call, exc, arg):
    with pytest.raises(exc, match=arg + "="):
        call()


def test_good_array_leaves_give_the_float_values():
    for leaf in (jnp.asarray(0.5), jnp.asarray(0.5, dtype=jnp.float32), jnp.asarray(1, dtype=jnp.int32)):
        s = L.warmup_cosine(leaf, 100, 10)
        ref = L.warmup_cosine(float(leaf), 100, 10)
        for k in (0, 5, 50, 100):
            assert float(s(k)) == pytest.approx(ref(k), rel=1e-6)


def test_traced_leaves_pass_through():
    k = jnp.asarray(50)
    peaks = jnp.asarray([1.0, 2.0, 3.0])
    vm = jax.vmap(lambda p: L.warmup_cosine(p, 100, 10)(k))(peaks)
    ref = [L.warmup_cosine(float(p), 100, 10)(50) for p in peaks]
    np.testing.assert_allclose(np.asarray(vm), ref, rtol=1e-6)
    jitted = jax.jit(lambda p: L.exponential(p, 0.5, 10)(k))(2.0)
    assert float(jitted) == pytest.approx(2.0 * 0.5**5, rel=1e-6)
    # d/dp of p * w(k) is w(k), the schedule's value at peak 1
    g = jax.grad(lambda p: L.warmup_cosine(p, 100, 10)(k))(1.0)
    assert float(g) == pytest.approx(L.warmup_cosine(1.0, 100, 10)(50), rel=1e-6)


def test_stack_and_vmap_over_schedules_still_work():
    schedules = [L.warmup_cosine(p, 100, 10) for p in (1.0, 2.0)]
    batch = L.stack(schedules)
    np.testing.assert_allclose(np.asarray(batch(50)), [s(50) for s in schedules], rtol=1e-6)
    tree = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *schedules)
    out = jax.vmap(lambda s: s(jnp.asarray(50)))(tree)
    np.testing.assert_allclose(np.asarray(out), [s(50) for s in schedules], rtol=1e-6)
    assert L.from_dict(L.to_dict(batch)) == batch or L.to_dict(L.from_dict(L.to_dict(batch))) == L.to_dict(batch)


# --------------------------------------------------------------------------------------------
# fn and register
# --------------------------------------------------------------------------------------------
def _a(k):
    return 1.0


def _b(k):
    return 2.0


L.register("test-checks-a")(_a)


def test_fn_refuses_a_name_registered_to_another_function():
    for other in (_b, lambda k: 1.0, np.cos):
        with pytest.raises(ValueError, match=r"name='test-checks-a'"):
            L.fn(other, name="test-checks-a")
    assert L.fn(_a, name="test-checks-a") == L.fn(_a)


def test_to_dict_refuses_an_unregistered_fn():
    for s in (L.fn(_b), L.fn(_b, name="test-checks-nowhere"), L.warmup(L.fn(_b, name="nowhere-2"), 5)):
        with pytest.raises(ValueError, match=r"lrsched\.register"):
            L.to_dict(s)


def test_a_name_registered_after_fn_serialises():
    def late(k):
        return 0.5

    s = L.fn(late, name="test-checks-late")
    with pytest.raises(ValueError, match="register"):
        L.to_dict(s)
    L.register("test-checks-late")(late)
    assert L.from_dict(L.to_dict(s)) == s


# --------------------------------------------------------------------------------------------
# ScheduleLR: unserialisable schedules keep an identity
# --------------------------------------------------------------------------------------------
def _opt():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)


def _resume(saved_schedule, current_schedule):
    opt = _opt()
    sd = ScheduleLR(opt, saved_schedule).state_dict()
    fresh = ScheduleLR(_opt(), current_schedule)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fresh.load_state_dict(sd)
    return [x for x in w if "saved schedule differs" in str(x.message)]


def _gamma_lambda(gamma):
    return lambda k: gamma**k


PAIRS = [
    ("two-lambdas", lambda: T.lambda_lr(lambda k: 0.5), lambda: T.lambda_lr(lambda k: 0.9)),
    ("closures", lambda: T.lambda_lr(_gamma_lambda(0.5)), lambda: T.lambda_lr(_gamma_lambda(0.9))),
    ("fn-nested", lambda: L.warmup(L.fn(lambda k: 1.0), 5), lambda: L.warmup(L.fn(lambda k: 2.0), 5)),
    ("multiplicative", lambda: T.multiplicative_lr(lambda k: 0.5), lambda: T.multiplicative_lr(lambda k: 0.9)),
    ("unregistered-def", lambda: L.fn(_b, name="nowhere-3"), lambda: L.fn(_gamma_lambda(1.0), name="nowhere-3")),
]


@pytest.mark.parametrize("name,saved,current", PAIRS, ids=[p[0] for p in PAIRS])
def test_a_changed_user_function_warns_on_load(name, saved, current):
    assert len(_resume(saved(), current())) == 1


def test_the_same_user_function_loads_silently():
    f = _gamma_lambda(0.5)
    assert _resume(T.lambda_lr(f), T.lambda_lr(f)) == []
    assert _resume(T.lambda_lr(_gamma_lambda(0.5)), T.lambda_lr(_gamma_lambda(0.5))) == []
    assert _resume(L.fn(_b), L.fn(_b)) == []


# --------------------------------------------------------------------------------------------
# Plateau metrics and saved states
# --------------------------------------------------------------------------------------------
BAD_METRICS = [
    ("str", "0.5", TypeError),
    ("bytes", b"0.5", TypeError),
    ("bool", True, TypeError),
    ("numpy-bool", np.bool_(False), TypeError),
    ("complex", 1 + 0j, TypeError),
    ("numpy-complex", np.complex128(1.0), TypeError),
    ("none", None, TypeError),
    ("list", [0.5], TypeError),
    ("numpy-pair", np.array([0.5, 0.4]), ValueError),
    ("jax-pair", jnp.asarray([0.5, 0.4]), ValueError),
    ("jax-bool", jnp.asarray(True), TypeError),
    ("jax-complex", jnp.asarray(1 + 1j), TypeError),
    ("torch-pair", torch.tensor([0.5, 0.4]), ValueError),
    ("torch-bool", torch.tensor(True), TypeError),
    ("torch-complex", torch.tensor(1 + 1j), TypeError),
]


@pytest.mark.parametrize("name,metric,exc", BAD_METRICS, ids=[b[0] for b in BAD_METRICS])
def test_plateau_refuses_bad_metrics(name, metric, exc):
    p = L.Plateau(0.5, 0)
    with pytest.raises(exc, match="metric="):
        p.update(p.init(), metric)


def test_plateau_refuses_a_vector_metric_under_jit():
    p = L.Plateau(0.5, 0)
    with pytest.raises(ValueError, match="metric="):
        jax.jit(p.update)(p.init(), jnp.asarray([1.0, 2.0]))


GOOD_METRICS = [
    ("int", 2),
    ("float", 2.0),
    ("numpy-float32", np.float32(2.0)),
    ("numpy-0d", np.array(2.0)),
    ("numpy-int", np.int64(2)),
    ("torch-0d", torch.tensor(2.0)),
    ("torch-int", torch.tensor(2)),
    ("jax-0d", jnp.asarray(2.0)),
    ("jax-one-element", jnp.asarray([2.0])),
]


@pytest.mark.parametrize("name,metric", GOOD_METRICS, ids=[g[0] for g in GOOD_METRICS])
def test_plateau_accepts_real_scalars(name, metric):
    p = L.Plateau(0.5, 0)
    s = p.update(p.update(p.init(), 1.0), metric)  # 2.0 does not improve on 1.0: one reduction
    assert float(s.scale) == 0.5 and float(s.best) == 1.0
    assert np.shape(s.scale) == () and np.shape(s.best) == ()


def _saved_with(**state):
    opt = _opt()
    sched = ScheduleLR(opt, L.constant(1.0), plateau=L.Plateau(0.5, 1))
    sd = sched.state_dict()
    sd["plateau_states"][0].update(state)
    return sd


BAD_STATES = [
    ("scale-nan", {"scale": math.nan}, "scale"),
    ("scale-above-one", {"scale": 2.0}, "scale"),
    ("scale-negative", {"scale": -0.5}, "scale"),
    ("scale-str", {"scale": "0.5"}, "scale"),
    ("best-nan", {"best": math.nan}, "best"),
    ("num-bad-negative", {"num_bad": -1}, "num_bad"),
    ("num-bad-bool", {"num_bad": True}, "num_bad"),
    ("num-bad-float", {"num_bad": 1.5}, "num_bad"),
    ("cooldown-negative", {"cooldown_left": -2}, "cooldown_left"),
    ("level-inf", {"level": math.inf}, "level"),
    ("level-negative", {"level": -1.0}, "level"),
]


@pytest.mark.parametrize("name,state,key", BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_load_state_dict_validates_the_plateau_state(name, state, key):
    sd = _saved_with(**state)
    fresh = ScheduleLR(_opt(), L.constant(1.0), plateau=L.Plateau(0.5, 1))
    with pytest.raises((ValueError, TypeError), match=rf"plateau_states\[0\]\.{key}="):
        fresh.load_state_dict(sd)


def test_load_state_dict_validates_steps_and_base_lrs():
    opt = _opt()
    sched = ScheduleLR(opt, L.constant(1.0), relative=True)
    for key, bad in (("_step_count", -1), ("_step_count", 1.5), ("base_lrs", [math.nan]), ("base_lrs", ["1"])):
        sd = sched.state_dict()
        sd[key] = bad
        with pytest.raises((ValueError, TypeError), match=re.escape(key)):
            ScheduleLR(_opt(), L.constant(1.0), relative=True).load_state_dict(sd)


def test_load_state_dict_accepts_every_state_a_plateau_reaches():
    opt = _opt()
    sched = ScheduleLR(opt, L.constant(1.0), plateau=L.Plateau(0.0, 0, cooldown=2))
    for m in (1.0, 2.0, 3.0, 4.0, -math.inf):
        sched.step(m)
        fresh = ScheduleLR(_opt(), L.constant(1.0), plateau=L.Plateau(0.0, 0, cooldown=2))
        fresh.load_state_dict(sched.state_dict())
        assert fresh._states == sched._states
