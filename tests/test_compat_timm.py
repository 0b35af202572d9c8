"""lrsched.compat.timm against timm's own formulas.

timm is not a dependency, so the references below are timm's ``_get_lr(t)`` written out from
its source, each citing the file it comes from, including timm's floating-point cycle search
(``math.floor(math.log(...))``). Every case draws random parameters and checks every step of a
horizon that crosses the warmup, the cycles and the cycle limit, on the Python and NumPy paths.
"""

from __future__ import annotations

import bisect
import importlib
import importlib.util
import json
import math
import random
import sys
import types
import warnings
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched
from lrsched.compat import timm

RTOL = 1e-9


def close(a, b, scale):
    """Relative error <= 1e-9, with an absolute floor far below ``scale`` (the base lr): timm's
    ``lr_min + 0.5 * (lr_max - lr_min) * (1 + cos(x))`` cancels near the end of a cycle, so its
    own absolute error is about 1e-16 * scale there."""
    return abs(a - b) <= RTOL * abs(b) + 1e-13 * scale


# ============================================================================================
# references, from timm/scheduler/*.py
# ============================================================================================
def timm_cycle(t, t_initial, cycle_mul):
    """(i, t_i, t_curr) as timm computes them (cosine_lr.py, tanh_lr.py, poly_lr.py)."""
    if cycle_mul != 1:
        i = math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))
        t_i = cycle_mul**i * t_initial
        t_curr = t - (1 - cycle_mul**i) / (1 - cycle_mul) * t_initial
    else:
        i = t // t_initial
        t_i = t_initial
        t_curr = t - t_initial * i
    return i, t_i, t_curr


def exact_cycle(t, t_initial, cycle_mul):
    """The same triple with the cycle found by walking the cycle starts (exact for int cycle_mul)."""
    i, start, length = 0, 0, t_initial
    while t >= start + length:
        start, length, i = start + length, length * cycle_mul, i + 1
    return i, length, t - start


def warmup_value(t, lr, warmup_t, warmup_lr_init):
    # every timm scheduler: warmup_lr_init + t * (base - warmup_lr_init) / warmup_t
    return warmup_lr_init + t * (lr - warmup_lr_init) / warmup_t


def ref_cosine(t, p, find=timm_cycle):
    # timm/scheduler/cosine_lr.py, CosineLRScheduler._get_lr
    lr = p["lr"]
    if t < p["warmup_t"]:
        return warmup_value(t, lr, p["warmup_t"], p["warmup_lr_init"])
    if p["warmup_prefix"]:
        t = t - p["warmup_t"]
    i, t_i, t_curr = find(t, p["t_initial"], p["cycle_mul"])
    if i >= p["cycle_limit"]:
        return p["lr_min"]
    lr_max = lr * p["cycle_decay"] ** i
    k = p["k_decay"]
    return p["lr_min"] + 0.5 * (lr_max - p["lr_min"]) * (1 + math.cos(math.pi * t_curr**k / t_i**k))


def ref_poly(t, p, find=timm_cycle):
    # timm/scheduler/poly_lr.py, PolyLRScheduler._get_lr
    lr = p["lr"]
    if t < p["warmup_t"]:
        return warmup_value(t, lr, p["warmup_t"], p["warmup_lr_init"])
    if p["warmup_prefix"]:
        t = t - p["warmup_t"]
    i, t_i, t_curr = find(t, p["t_initial"], p["cycle_mul"])
    if i >= p["cycle_limit"]:
        return p["lr_min"]
    lr_max = lr * p["cycle_decay"] ** i
    k = p["k_decay"]
    return p["lr_min"] + (lr_max - p["lr_min"]) * (1 - t_curr**k / t_i**k) ** p["power"]


def _tanh_curve(t, p, find):
    i, t_i, t_curr = find(t, p["t_initial"], p["cycle_mul"])
    if i >= p["cycle_limit"]:
        return p["lr_min"]
    lr_max = p["lr"] * p["cycle_decay"] ** i
    tr = t_curr / t_i
    return p["lr_min"] + 0.5 * (lr_max - p["lr_min"]) * (1 - math.tanh(p["lb"] * (1.0 - tr) + p["ub"] * tr))


def ref_tanh(t, p, find=timm_cycle):
    # timm/scheduler/tanh_lr.py, TanhLRScheduler: the warmup targets the base lr with
    # warmup_prefix, else the curve's own value at warmup_t (self._get_lr(self.warmup_t))
    w = p["warmup_t"]
    if t < w:
        target = p["lr"] if p["warmup_prefix"] else _tanh_curve(w, p, find)
        return warmup_value(t, target, w, p["warmup_lr_init"])
    if p["warmup_prefix"]:
        t = t - w
    return _tanh_curve(t, p, find)


def ref_step(t, p):
    # timm/scheduler/step_lr.py, StepLRScheduler._get_lr
    if t < p["warmup_t"]:
        return warmup_value(t, p["lr"], p["warmup_t"], p["warmup_lr_init"])
    if p["warmup_prefix"]:
        t = t - p["warmup_t"]
    return p["lr"] * p["decay_rate"] ** (t // p["decay_t"])


def ref_multi_step(t, p):
    # timm/scheduler/multistep_lr.py: decay_rate ** bisect_right(decay_t, t + 1)
    if t < p["warmup_t"]:
        return warmup_value(t, p["lr"], p["warmup_t"], p["warmup_lr_init"])
    if p["warmup_prefix"]:
        t = t - p["warmup_t"]
    return p["lr"] * p["decay_rate"] ** bisect.bisect_right(p["decay_t"], t + 1)


# ============================================================================================
# random parameters
# ============================================================================================
def draw_cyclic(rng, kind):
    t_initial = rng.randint(1, 40)
    cycle_mul = rng.choice([1, 1, 2, 3, 1.0, 2.0, round(rng.uniform(1.05, 2.5), 3)])
    p = {
        "t_initial": t_initial,
        "lr_min": rng.choice([0.0, rng.uniform(0.0, 0.05)]),
        "cycle_mul": cycle_mul,
        "cycle_decay": rng.choice([1.0, rng.uniform(0.3, 1.0)]),
        "cycle_limit": rng.randint(0, 6),
        "warmup_t": rng.choice([0, rng.randint(1, 25)]),
        "warmup_lr_init": rng.uniform(0.0, 0.05),
        "warmup_prefix": rng.random() < 0.5,
        "lr": rng.uniform(0.1, 2.0),
    }
    return draw_shape(rng, kind, p, [1.0, rng.uniform(0.3, 3.0)], (0.2, 3.0))


def draw_shape(rng, kind, p, k_decays, powers):
    """The curve's own parameters: k-decay (cosine, poly), power (poly), lb and ub (tanh)."""
    if kind in ("cosine", "poly"):
        p["k_decay"] = rng.choice(k_decays)
    if kind == "poly":
        p["power"] = rng.uniform(*powers)
    if kind == "tanh":
        lb = rng.uniform(-8.0, 0.0)
        p["lb"], p["ub"] = lb, lb + rng.uniform(0.5, 10.0)
    return p


def build(kind, p, **extra):
    args = dict(p, t_in_epochs=False, **extra)
    return getattr(timm, {"cosine": "cosine_lr", "poly": "poly_lr", "tanh": "tanh_lr"}[kind])(**args)


REFS = {"cosine": ref_cosine, "poly": ref_poly, "tanh": ref_tanh}


def horizon(p):
    """Past the warmup and the last cycle (or 600 steps), so every phase boundary is crossed."""
    start, length = 0, p["t_initial"]
    for _ in range(p["cycle_limit"] + 1):
        start, length = start + length, length * p["cycle_mul"]
        if start > 600:
            break
    return int(min(start, 600)) + p["warmup_t"] + 20


# ============================================================================================
# cosine, poly, tanh: every step, Python and NumPy paths
# ============================================================================================
@pytest.mark.parametrize("kind", ["cosine", "poly", "tanh"])
@pytest.mark.parametrize("seed", range(40))
def test_cyclic_schedules_match_timm(kind, seed):
    rng = random.Random(1000 * seed + len(kind))
    p = draw_cyclic(rng, kind)
    s = build(kind, p)
    ref = REFS[kind]
    n = horizon(p)
    got = [s(t) for t in range(n)]
    quirks = 0
    for t in range(n):
        exact = ref(t, p, exact_cycle)
        assert close(got[t], exact, p["lr"]), (t, got[t], exact, p)
        literal = ref(t, p)
        if not close(got[t], literal, p["lr"]):
            # timm's float log put t one cycle early: only at an exact restart step
            tt = t - p["warmup_t"] if p["warmup_prefix"] else t
            i_timm = timm_cycle(tt, p["t_initial"], p["cycle_mul"])[0]
            i_exact, _, t_curr = exact_cycle(tt, p["t_initial"], p["cycle_mul"])
            assert (i_timm, t_curr) == (i_exact - 1, 0), (t, p)
            quirks += 1
    assert quirks <= 2
    ks = np.arange(n)
    np.testing.assert_allclose(s(ks), np.array(got), rtol=1e-12, atol=1e-15)


def test_float_log_quirk_is_real_and_lrsched_restarts_exactly():
    # timm finds the cycle as floor(log_3(243)) = floor(4.999999999999999) = 4 at the start of
    # cycle 5 (t = 121 * t_initial), so timm gives that step the end of cycle 4.
    p = {
        "t_initial": 2,
        "lr_min": 0.0,
        "cycle_mul": 3,
        "cycle_decay": 1.0,
        "cycle_limit": 10,
        "warmup_t": 0,
        "warmup_lr_init": 0.0,
        "warmup_prefix": False,
        "lr": 1.0,
        "k_decay": 1.0,
    }
    t = 2 * (3**5 - 1) // 2
    assert timm_cycle(t, 2, 3)[0] == 4 and exact_cycle(t, 2, 3)[0] == 5
    s = build("cosine", p)
    assert s(t) == 1.0  # the restart
    assert ref_cosine(t, p) == 0.0  # timm: the end of the previous cycle


# ============================================================================================
# the behaviours users found surprising
# ============================================================================================
def test_cycle_limit_default_is_one_cycle_then_lr_min():
    s = timm.cosine_lr(50, lr_min=0.01, t_in_epochs=False, lr=0.5)
    assert [s(t) for t in (50, 51, 100, 10_000)] == [0.01] * 4
    assert s(49) > 0.01
    s2 = timm.cosine_lr(50, lr_min=0.01, cycle_limit=2, t_in_epochs=False, lr=0.5)
    assert s2(50) == 0.5 and s2(100) == 0.01


def test_cycle_decay_scales_only_the_top():
    p = {
        "t_initial": 10,
        "lr_min": 0.1,
        "cycle_mul": 1,
        "cycle_decay": 0.5,
        "cycle_limit": 3,
        "warmup_t": 0,
        "warmup_lr_init": 0.0,
        "warmup_prefix": False,
        "lr": 1.0,
        "k_decay": 1.0,
    }
    s = build("cosine", p)
    assert s(10) == pytest.approx(0.5, rel=1e-15) and s(20) == pytest.approx(0.25, rel=1e-15)
    assert s(15) == pytest.approx(0.1 + 0.5 * (0.5 - 0.1), rel=1e-12)  # lr_min not decayed


def test_warmup_without_prefix_overwrites_the_start():
    # timm issue #1242: with warmup_prefix=False the cosine keeps its clock, so right after the
    # warmup the value is already the cosine at warmup_t, below lr.
    s = timm.cosine_lr(100, warmup_t=20, warmup_lr_init=0.0, t_in_epochs=False, lr=1.0)
    assert s(19) == pytest.approx(0.95, rel=1e-12)
    assert s(20) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.2)), rel=1e-12)
    s2 = timm.cosine_lr(100, warmup_t=20, warmup_lr_init=0.0, warmup_prefix=True, t_in_epochs=False, lr=1.0)
    assert s2(20) == 1.0 and s2(120) == 0.0


def test_tanh_stops_short_of_lr_min_then_drops():
    s = timm.tanh_lr(10, lr_min=0.1, t_in_epochs=False, lr=1.0)
    assert s(9) > 0.1 and s(10) == 0.1
    assert s(0) < 1.0  # timm's _get_lr(0) for tanh is below the base lr


def test_multi_step_milestones_apply_one_step_early():
    # timm issues #2745 / #2753: decay_t=[30, 60] drops the lr at t = 29 and t = 59
    s = timm.multi_step_lr([30, 60], 0.1, lr=1.0)
    got = [s(t) for t in (28, 29, 30, 58, 59, 60)]
    want = [
        ref_multi_step(
            t,
            {
                "lr": 1.0,
                "decay_rate": 0.1,
                "decay_t": [30, 60],
                "warmup_t": 0,
                "warmup_lr_init": 0.0,
                "warmup_prefix": True,
            },
        )
        for t in (28, 29, 30, 58, 59, 60)
    ]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert got[0] == 1.0 and got[1] == pytest.approx(0.1)


# ============================================================================================
# step and multi-step
# ============================================================================================
@pytest.mark.parametrize("seed", range(40))
def test_step_lr_matches_timm(seed):
    rng = random.Random(seed)
    p = {
        "decay_t": rng.choice([rng.randint(1, 30), round(rng.uniform(0.5, 20.0), 2)]),
        "decay_rate": rng.uniform(0.1, 1.0),
        "warmup_t": rng.choice([0, rng.randint(1, 20)]),
        "warmup_lr_init": rng.uniform(0.0, 0.1),
        "warmup_prefix": rng.random() < 0.5,
        "lr": rng.uniform(0.1, 2.0),
    }
    s = timm.step_lr(t_in_epochs=False, **p)
    n = 200
    for t in range(n):
        assert close(s(t), ref_step(t, p), p["lr"]), (t, p)
    np.testing.assert_allclose(s(np.arange(n)), [ref_step(t, p) for t in range(n)], rtol=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_multi_step_lr_matches_timm(seed):
    rng = random.Random(seed)
    ms = sorted(rng.randint(0, 120) for _ in range(rng.randint(0, 5)))
    p = {
        "decay_t": ms,
        "decay_rate": rng.uniform(0.1, 1.0),
        "warmup_t": rng.choice([0, rng.randint(1, 20)]),
        "warmup_lr_init": rng.uniform(0.0, 0.1),
        "warmup_prefix": rng.random() < 0.5,
        "lr": rng.uniform(0.1, 2.0),
    }
    s = timm.multi_step_lr(t_in_epochs=False, **p)
    n = 160
    for t in range(n):
        assert close(s(t), ref_multi_step(t, p), p["lr"]), (t, p)
    np.testing.assert_allclose(s(np.arange(n)), [ref_multi_step(t, p) for t in range(n)], rtol=1e-12)


# ============================================================================================
# epochs, jit, serialisation, errors
# ============================================================================================
def test_epoch_clock_with_steps_per_epoch():
    p = {
        "t_initial": 12,
        "lr_min": 0.01,
        "cycle_mul": 1,
        "cycle_decay": 1.0,
        "cycle_limit": 1,
        "warmup_t": 3,
        "warmup_lr_init": 0.001,
        "warmup_prefix": True,
        "lr": 0.3,
        "k_decay": 1.0,
    }
    s = timm.cosine_lr(**p, steps_per_epoch=7)
    for k in range(7 * 20):
        assert close(s(k), ref_cosine(k // 7, p), 0.3), k
    with pytest.raises(ValueError, match="steps_per_epoch"):
        timm.cosine_lr(10, t_in_epochs=False, steps_per_epoch=5)


ALL = {
    "cosine": lambda: timm.cosine_lr(
        30,
        lr_min=0.01,
        cycle_mul=1.5,
        cycle_decay=0.7,
        cycle_limit=3,
        warmup_t=5,
        warmup_lr_init=0.001,
        k_decay=1.7,
        t_in_epochs=False,
        lr=0.4,
    ),
    "tanh": lambda: timm.tanh_lr(
        30, lr_min=0.01, cycle_mul=2, cycle_decay=0.8, cycle_limit=2, warmup_t=4, t_in_epochs=False, lr=0.4
    ),
    "poly": lambda: timm.poly_lr(
        30,
        power=1.5,
        lr_min=0.02,
        cycle_limit=2,
        warmup_t=4,
        warmup_prefix=True,
        k_decay=0.5,
        t_in_epochs=False,
        lr=0.4,
    ),
    "step": lambda: timm.step_lr(7, 0.5, warmup_t=3, t_in_epochs=False, lr=0.4),
    "multi_step": lambda: timm.multi_step_lr([5, 9, 9, 30], 0.5, warmup_t=3, lr=0.4, steps_per_epoch=3),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_jit_and_round_trip(name):
    s = ALL[name]()
    ks = np.arange(150)
    want = s(ks)
    got = jax.jit(lambda k: s(k))(jnp.asarray(ks))
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=1e-6)
    back = lrsched.from_dict(json.loads(json.dumps(lrsched.to_dict(s))))
    assert back == s
    np.testing.assert_array_equal(back(ks), want)


def test_grad_through_the_base_lr():
    g = jax.grad(lambda lr: timm.cosine_lr(20, lr_min=0.0, t_in_epochs=False, lr=lr)(jnp.asarray(5)))(1.0)
    assert float(g) == pytest.approx(0.5 * (1 + math.cos(math.pi * 5 / 20)), rel=1e-6)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: timm.cosine_lr(10, noise_range_t=5), ValueError, "noise_range_t"),
        (lambda: timm.step_lr(10, noise_range_t=(2, 8)), ValueError, "noise_range_t"),
        (lambda: timm.cosine_lr(10, cycle_mul=0.5), ValueError, "cycle_mul"),
        (lambda: timm.cosine_lr(0), ValueError, "t_initial"),
        (lambda: timm.cosine_lr(10, lr_min=-1.0), ValueError, "lr_min"),
        (lambda: timm.cosine_lr(10, k_decay=0.0), ValueError, "k_decay"),
        (lambda: timm.tanh_lr(10, lb=3.0, ub=-3.0), ValueError, "lb"),
        (lambda: timm.tanh_lr(10, warmup_t=2, warmup_lr_init=-0.1), ValueError, "warmup_lr_init"),
        (lambda: timm.poly_lr(10, power=0.0), ValueError, "power"),
        (lambda: timm.step_lr(0), ValueError, "decay_t"),
        (lambda: timm.multi_step_lr([30, 10]), ValueError, "sorted"),
        (lambda: timm.multi_step_lr(30), TypeError, "decay_t"),
        (lambda: timm.cosine_lr(10, t_in_epochs=1), TypeError, "t_in_epochs"),
        (lambda: timm.cosine_lr(10, warmup_t=-1), ValueError, "warmup_t"),
    ],
)
def test_bad_arguments_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ============================================================================================
# against timm itself: its scheduler objects on a torch optimizer
# ============================================================================================
@pytest.fixture(scope="module")
def real_timm():
    """``timm.scheduler`` loaded under a bare ``timm`` package, so that ``timm/__init__.py`` (which
    imports its models, and with them torchvision) never runs; skipped if timm is not installed."""
    torch = pytest.importorskip("torch")
    spec = importlib.util.find_spec("timm")
    if spec is None or spec.submodule_search_locations is None:
        pytest.skip("timm is not installed (make test installs it)")
    if "timm" not in sys.modules:
        pkg = types.ModuleType("timm")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["timm"] = pkg
    return importlib.import_module("timm.scheduler"), torch


def run_timm(real_timm, cls_name, kwargs, lr, n, t_in_epochs):
    """timm's lr at every index ``0 .. n-1``: ``_get_lr(t)``, and the lr in the optimizer during
    update (epoch) ``t``: the constructor's before the first call, then after ``step_update(t)``
    (``step(t)``); the other of the two calls is made too and must change nothing."""
    sched, torch = real_timm
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # t_initial=1 logs a warning through logging, not warnings
        s = getattr(sched, cls_name)(opt, t_in_epochs=t_in_epochs, **kwargs)
    get = [s._get_lr(t)[0] for t in range(n)]
    in_force = [opt.param_groups[0]["lr"]]
    for t in range(1, n):
        s.step(t) if t_in_epochs else s.step_update(t)
        s.step_update(t) if t_in_epochs else s.step(t)
        in_force.append(opt.param_groups[0]["lr"])
    return get, in_force


TIMM_CLASSES = {
    "cosine": "CosineLRScheduler",
    "tanh": "TanhLRScheduler",
    "poly": "PolyLRScheduler",
    "step": "StepLRScheduler",
    "multi_step": "MultiStepLRScheduler",
}
LRSCHED = {
    "cosine": timm.cosine_lr,
    "tanh": timm.tanh_lr,
    "poly": timm.poly_lr,
    "step": timm.step_lr,
    "multi_step": timm.multi_step_lr,
}
ROUND_MULS = [1, 2, 3, 1.5, 1.6, 1.9, 2.0, 2.5]


def draw_real(rng, kind):
    p = {
        "warmup_t": rng.choice([0, 0, rng.randint(1, 12)]),
        "warmup_lr_init": rng.choice([0.0, rng.uniform(0.0, 0.05)]),
        "warmup_prefix": rng.random() < 0.5,
    }
    if kind in ("step", "multi_step"):
        p["decay_rate"] = rng.choice([0.1, 0.5, rng.uniform(0.1, 1.0)])
        if kind == "step":
            p["decay_t"] = rng.choice([rng.randint(1, 12), 2.4, 0.3, 1.7, 1.1, 2.5, round(rng.uniform(0.2, 9), 2)])
        else:
            p["decay_t"] = sorted(rng.randint(0, 60) for _ in range(rng.randint(0, 4)))
        return p
    p.update(
        t_initial=rng.choice([10, 20, 50, 100, rng.randint(1, 40)]),
        lr_min=rng.choice([0.0, rng.uniform(0.0, 0.01)]),
        cycle_mul=rng.choice([*ROUND_MULS, round(rng.uniform(1.05, 2.5), 2)]),
        cycle_decay=rng.choice([1.0, rng.uniform(0.3, 1.0)]),
        cycle_limit=rng.randint(0, 4),
    )
    return draw_shape(rng, kind, p, [1.0, 1.0, rng.uniform(0.5, 2.0)], (0.3, 2.5))


def real_horizon(kind, p):
    if kind in ("step", "multi_step"):
        return 90
    start, length = 0.0, float(p["t_initial"])
    for _ in range(p["cycle_limit"] + 1):
        start, length = start + length, length * p["cycle_mul"]
    return int(min(start, 1500)) + p["warmup_t"] + 5


def allowed_difference(kind, p, t, mine, get, in_force):
    """The documented differences, each exactly where it applies (docs/migration/timm.md)."""
    if t == 0 and close(mine, get, 1.0) and p["warmup_t"] == 0:
        if kind == "tanh" or (kind in ("cosine", "poly") and p["cycle_limit"] == 0):
            return in_force == 1.0  # the constructor's base lr (lr=1.0 in these draws)
        if kind == "multi_step" and any(m <= 1 for m in p["decay_t"]):
            return in_force == 1.0
    if kind in ("cosine", "poly", "tanh") and get == in_force and t >= p["warmup_t"]:
        # timm's float log put t one cycle early: only at the exact start of a cycle
        tt = t - p["warmup_t"] if p["warmup_prefix"] else t
        i_timm = timm_cycle(tt, p["t_initial"], p["cycle_mul"])[0]
        i_exact, _, t_curr = exact_cycle(tt, p["t_initial"], p["cycle_mul"])
        return (i_timm, t_curr) == (i_exact - 1, 0)
    return False


@pytest.mark.parametrize("t_in_epochs", [False, True])
@pytest.mark.parametrize("kind", sorted(TIMM_CLASSES))
@pytest.mark.parametrize("seed", range(12))
def test_equals_real_timm(real_timm, kind, seed, t_in_epochs):
    rng = random.Random(f"{kind}-{seed}-{t_in_epochs}")
    p = draw_real(rng, kind)
    n = real_horizon(kind, p)
    get, in_force = run_timm(real_timm, TIMM_CLASSES[kind], p, 1.0, n, t_in_epochs)
    s = LRSCHED[kind](**p, t_in_epochs=t_in_epochs)
    mine = [s(t) for t in range(n)]
    odd = 0
    for t in range(n):
        if close(mine[t], get[t], 1.0) and close(mine[t], in_force[t], 1.0):
            continue
        assert allowed_difference(kind, p, t, mine[t], get[t], in_force[t]), (t, mine[t], get[t], in_force[t], p)
        odd += 1
    assert odd <= 3, p
    ks = np.arange(n)
    np.testing.assert_allclose(s(ks), mine, rtol=1e-12, atol=1e-15)
    got32 = np.asarray(jax.jit(s)(jnp.asarray(ks, dtype=jnp.int32)))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, np.asarray(mine, dtype=np.float32), rtol=2e-5, atol=2e-6)


HOLD_CASES = [("cosine", m) for m in (1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.5)] + [
    (kind, m) for kind in ("tanh", "poly") for m in (1.5, 1.6, 1.9, 2.5)
]


@pytest.mark.parametrize("kind, cycle_mul", HOLD_CASES)
def test_hold_starts_where_timm_holds(real_timm, kind, cycle_mul):
    # timm holds lr_min from the step its float log puts in cycle cycle_limit; lrsched used to take
    # that step from the closed form t_initial * (m**L - 1) / (m - 1), which can round above the
    # start its own cycles are found by (cosine_lr(100, cycle_mul=1.6, cycle_limit=2) at t=260:
    # 260.00000000000006), and so restarted there. Round t_initial and every limit 1..4.
    extra = {"tanh": {}, "poly": {"power": 1.0}, "cosine": {}}[kind]
    for t_initial in (10, 20, 50, 100):
        for limit in (1, 2, 3, 4):
            p = {"t_initial": t_initial, "cycle_mul": cycle_mul, "cycle_limit": limit, "lr_min": 0.01, **extra}
            n = round(t_initial * sum(cycle_mul**i for i in range(limit))) + 3  # past cycle `limit`'s start
            get, in_force = run_timm(real_timm, TIMM_CLASSES[kind], p, 0.1, n, False)
            s = LRSCHED[kind](**p, t_in_epochs=False, lr=0.1)
            ks = np.arange(n)
            for t in range(n):
                if not close(s(t), get[t], 0.1):  # only timm's float-log quirk, at the start of a cycle
                    i_exact, _, t_curr = exact_cycle(t, t_initial, cycle_mul)
                    assert (timm_cycle(t, t_initial, cycle_mul)[0], t_curr) == (i_exact - 1, 0), (t, s(t), get[t], p)
            hold = next(t for t in range(n) if exact_cycle(t, t_initial, cycle_mul)[0] >= limit)
            assert s(hold) == 0.01 and s(hold - 1) > 0.01, (hold, p)
            assert s(ks)[hold] == 0.01
            if t_initial == 100 and limit == 2:  # (one compile per schedule: a sample)
                assert float(jax.jit(s)(jnp.asarray(ks))[hold]) == np.float32(0.01)


def test_the_issue_settings_hold_lr_min():
    for s, t in (
        (timm.cosine_lr(10, cycle_mul=1.9, lr=0.1), 10),
        (timm.cosine_lr(100, cycle_mul=1.6, cycle_limit=2), 260),
    ):
        assert s(t) == 0.0 and s(t - 1) > 0.0
        assert s(np.arange(t + 5))[t] == 0.0 and float(jax.jit(s)(jnp.arange(t + 5))[t]) == 0.0


@pytest.mark.parametrize("kind", ["cosine", "tanh", "poly"])
def test_cycle_limit_zero_first_update_is_timm_documented_exception(real_timm, kind):
    # timm's constructor writes the base lr; _get_lr(0) is lr_min. lrsched gives _get_lr(0) and
    # says so; everywhere else the two agree, and with a warmup they agree at 0 too.
    for warmup_t in (0, 3):
        p = {"t_initial": 20, "lr_min": 0.02, "cycle_limit": 0, "warmup_t": warmup_t, "warmup_lr_init": 0.005}
        for t_in_epochs in (False, True):
            get, in_force = run_timm(real_timm, TIMM_CLASSES[kind], p, 0.3, 40, t_in_epochs)
            s = LRSCHED[kind](**p, t_in_epochs=t_in_epochs, lr=0.3)
            assert [s(t) for t in range(40)] == pytest.approx(get, rel=1e-12)
            assert [s(t) for t in range(1, 40)] == pytest.approx(in_force[1:], rel=1e-12)
            assert s(0) == (0.02 if warmup_t == 0 else 0.005)
            assert in_force[0] == (0.3 if warmup_t == 0 else 0.005)


FRACTIONAL = [2.4, 0.3, 1.7, 1.1, 0.7, 2.37, 1 / 3, 2.4 * 1563, 0.001, 12.25, 7.1]


@pytest.mark.parametrize("decay_t", FRACTIONAL)
def test_fractional_decay_t_counts_as_timm_on_every_backend(real_timm, decay_t):
    n = int(40 * decay_t) + 20 if decay_t > 1 else 400
    get, in_force = run_timm(real_timm, "StepLRScheduler", {"decay_t": decay_t, "decay_rate": 0.5}, 1.0, n, False)
    assert get == in_force
    s = timm.step_lr(decay_t, 0.5, t_in_epochs=False)
    ks = np.arange(n)
    assert [s(t) for t in range(n)] == get
    np.testing.assert_array_equal(s(ks), get)
    normal = np.asarray(get) > 1e-30  # (XLA flushes float32 subnormals to 0)
    for dtype in (jnp.int32, jnp.float32):
        got = np.asarray(jax.jit(s)(jnp.asarray(ks, dtype=dtype)))
        np.testing.assert_array_equal(got[normal], np.asarray(get, np.float32)[normal])  # powers of 2: exact


@pytest.mark.parametrize("decay_t", [2.4, 0.3, 1.7, 1.1, 0.7, 2.37, 1 / 3, 3751.2, 0.001, 12.25])
def test_decay_count_on_int32_is_python_floor_division_far_out(decay_t):
    # steps next to every decay boundary, far out in the int32 range; the count is exact floor(t / d)
    # with d the float's exact value (Fraction), which Python's t // d gives for these t
    d = Fraction(decay_t)
    s = timm.decay_count(lrsched.exponential(0.0, 1.0) + lrsched.linear(0.0, 2.0**31, 2**31), decay_t)
    rng = random.Random(str(decay_t))
    ns = [rng.randrange(1, int((2**31 - 2) / decay_t)) for _ in range(200)] + [1, 2, 3]
    ts = sorted({t for m in ns for c in (math.ceil(m * d),) for t in (c - 1, c, c + 1) if 0 <= t < 2**31})
    want = [math.floor(Fraction(t) / d) for t in ts]
    assert want == [int(t // decay_t) for t in ts]
    counts = np.asarray(lrsched._warps.DecayCount._count(s, jnp.asarray(ts, dtype=jnp.int32), lrsched._backend.JX))
    exact = np.asarray(want) < 2**24  # a count past 2**31 (decay_t < 1) is a float32: exact to 2**24
    assert counts[exact].tolist() == np.asarray(want)[exact].tolist()
    np.testing.assert_allclose(counts, want, rtol=1.2e-7)
    far = jax.jit(timm.step_lr(decay_t, 0.999999, t_in_epochs=False))(jnp.asarray([2**31 - 1], jnp.int32))
    assert np.isfinite(np.asarray(far)).all() and float(far[0]) <= 1.0


def test_decay_count_round_trips_and_validates():
    s = timm.step_lr(2.4, 0.5, warmup_t=2, t_in_epochs=False, lr=0.3)
    back = lrsched.from_dict(json.loads(json.dumps(lrsched.to_dict(s))))
    assert back == s and [back(t) for t in range(30)] == [s(t) for t in range(30)]
    with pytest.raises(ValueError, match="decay_t=-1.5"):
        timm.decay_count(lrsched.constant(1.0), -1.5)
    with pytest.raises(TypeError, match="schedule"):
        timm.decay_count(1.0, 2.4)
