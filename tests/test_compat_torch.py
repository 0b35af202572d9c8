"""``lrsched.compat.torch`` against the real ``torch.optim.lr_scheduler`` objects.

Every expected value comes from torch itself: an SGD (or Adam) optimizer on a dummy parameter is
stepped as users step it (``optimizer.step(); scheduler.step()``) and the param group's lr (or
momentum) is read before each ``optimizer.step()``. Parameters are drawn at random (seeded), and
each horizon crosses every phase boundary of the draw.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import jax
import jax.numpy as jnp
from torch.optim import lr_scheduler as TL
from torch.optim.swa_utils import SWALR

import lrsched
from lrsched.compat import torch as C

SEEDS = range(20)
RTOL, ATOL = 1e-6, 1e-12


# --------------------------------------------------------------------------------------------
# driving torch
# --------------------------------------------------------------------------------------------
def torch_values(make, steps, *, lr=1.0, optimizer="sgd", keys=("lr",)):
    """Step torch as a training loop does and read the group's entries before each update."""
    param = torch.nn.Parameter(torch.zeros(1))
    if optimizer == "sgd":
        opt = torch.optim.SGD([param], lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam([param], lr=lr)
    sched = make(opt)
    out = {key: [] for key in keys}
    group = opt.param_groups[0]
    for _ in range(steps):
        for key in keys:
            out[key].append(float(group["betas"][0] if key == "beta1" else group[key]))
        opt.step()
        sched.step()
    return {key: np.array(v, dtype=np.float64) for key, v in out.items()}


def torch_lrs(make, steps, *, lr=1.0):
    return torch_values(make, steps, lr=lr)["lr"]


def values(schedule, steps):
    return np.array([schedule(k) for k in range(steps)])


def assert_close(schedule, expected, *, rtol=RTOL, atol=ATOL):
    got = values(schedule, len(expected))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def draw_lr(rng):
    return 1.0 if rng.random() < 0.3 else float(10 ** rng.uniform(-4, 0))


# --------------------------------------------------------------------------------------------
# one scheduler at a time
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_lambda_lr(seed):
    rng = np.random.default_rng(seed)
    lr, a, p = draw_lr(rng), rng.uniform(0.0, 0.2), rng.uniform(0.2, 2.0)

    def f(k):
        return (1.0 + a * k) ** -p

    assert_close(C.lambda_lr(f, lr=lr), torch_lrs(lambda o: TL.LambdaLR(o, f), 300, lr=lr))


@pytest.mark.parametrize("seed", SEEDS)
def test_multiplicative_lr(seed):
    rng = np.random.default_rng(seed)
    lr, a, b = draw_lr(rng), rng.uniform(0.95, 1.0), rng.uniform(0.0, 0.05)

    def f(k):
        return a + b * math.sin(k)

    s = C.multiplicative_lr(f, lr=lr)
    expected = torch_lrs(lambda o: TL.MultiplicativeLR(o, f), 300, lr=lr)
    assert_close(s, expected)
    # out of order and as an array: the kept products serve any step
    np.testing.assert_allclose(s(np.arange(299, -1, -1)), expected[::-1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_step_lr(seed):
    rng = np.random.default_rng(seed)
    lr, size, gamma = draw_lr(rng), int(rng.integers(1, 60)), float(rng.uniform(0.1, 1.2))
    expected = torch_lrs(lambda o: TL.StepLR(o, size, gamma=gamma), 300, lr=lr)
    assert_close(C.step_lr(size, gamma=gamma, lr=lr), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_multi_step_lr(seed):
    rng = np.random.default_rng(seed)
    lr, gamma = draw_lr(rng), float(rng.uniform(0.2, 0.9))
    milestones = [int(m) for m in rng.integers(0, 280, size=int(rng.integers(1, 6)))]
    milestones += milestones[: int(rng.integers(0, 3))]  # repeated milestones compound
    rng.shuffle(milestones)
    expected = torch_lrs(lambda o: TL.MultiStepLR(o, milestones, gamma=gamma), 300, lr=lr)
    assert_close(C.multi_step_lr(milestones, gamma=gamma, lr=lr), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_constant_lr(seed):
    rng = np.random.default_rng(seed)
    lr, factor = draw_lr(rng), float(rng.uniform(0.01, 1.0))
    total = 0 if seed % 5 == 0 else int(rng.integers(1, 200))  # total_iters=0 keeps the factor for ever
    expected = torch_lrs(lambda o: TL.ConstantLR(o, factor=factor, total_iters=total), 250, lr=lr)
    assert_close(C.constant_lr(factor, total_iters=total, lr=lr), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_lr(seed):
    rng = np.random.default_rng(seed)
    lr, start, end = draw_lr(rng), float(rng.uniform(0.01, 1.0)), float(rng.uniform(0.0, 1.0))
    total = 0 if seed % 5 == 0 else int(rng.integers(1, 200))
    expected = torch_lrs(lambda o: TL.LinearLR(o, start, end, total_iters=total), 250, lr=lr)
    assert_close(C.linear_lr(start, end, total_iters=total, lr=lr), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_exponential_lr(seed):
    rng = np.random.default_rng(seed)
    lr, gamma = draw_lr(rng), float(rng.uniform(0.95, 1.01))
    expected = torch_lrs(lambda o: TL.ExponentialLR(o, gamma), 300, lr=lr)
    assert_close(C.exponential_lr(gamma, lr=lr), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_polynomial_lr(seed):
    rng = np.random.default_rng(seed)
    lr, power = draw_lr(rng), float(rng.uniform(0.3, 3.0))
    total = 0 if seed % 5 == 0 else int(rng.integers(1, 250))  # total_iters=0 never changes the lr
    expected = torch_lrs(lambda o: TL.PolynomialLR(o, total_iters=total, power=power), 300, lr=lr)
    assert_close(C.polynomial_lr(total_iters=total, power=power, lr=lr), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_cosine_annealing_lr_is_not_clamped(seed):
    rng = np.random.default_rng(seed)
    lr, t_max = draw_lr(rng), int(rng.integers(1, 120))
    eta_min = 0.0 if seed % 3 == 0 else float(lr * rng.uniform(0.0, 0.5))
    steps = max(300, 5 * t_max)  # several half-periods: down, back up, down again
    expected = torch_lrs(lambda o: TL.CosineAnnealingLR(o, t_max, eta_min=eta_min), steps, lr=lr)
    assert_close(C.cosine_annealing_lr(t_max, eta_min=eta_min, lr=lr), expected)
    # the surprise itself: back at the initial lr after 2 * T_max
    assert expected[2 * t_max] == pytest.approx(lr, rel=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_cosine_annealing_warm_restarts(seed):
    rng = np.random.default_rng(seed)
    lr, t0, t_mult = draw_lr(rng), int(rng.integers(1, 40)), int(rng.integers(1, 4))
    eta_min = 0.0 if seed % 3 == 0 else float(lr * rng.uniform(0.0, 0.5))
    expected = torch_lrs(lambda o: TL.CosineAnnealingWarmRestarts(o, t0, T_mult=t_mult, eta_min=eta_min), 400, lr=lr)
    assert_close(C.cosine_annealing_warm_restarts(t0, T_mult=t_mult, eta_min=eta_min, lr=lr), expected)


def _cyclic_args(rng):
    base = float(10 ** rng.uniform(-4, -1))
    mode = ["triangular", "triangular2", "exp_range"][int(rng.integers(3))]
    return {
        "base_lr": base,
        "max_lr": base * float(rng.uniform(1.5, 20.0)),
        "step_size_up": int(rng.integers(1, 60)),
        "step_size_down": None if rng.random() < 0.3 else int(rng.integers(1, 60)),
        "mode": mode,
        "gamma": float(rng.uniform(0.98, 1.0)) if mode == "exp_range" else 1.0,
        "base_momentum": float(rng.uniform(0.7, 0.85)),
        "max_momentum": float(rng.uniform(0.86, 0.99)),
    }


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_cyclic_lr_and_momentum(seed, optimizer):
    rng = np.random.default_rng(seed)
    args = _cyclic_args(rng)
    key = "momentum" if optimizer == "sgd" else "beta1"
    got = torch_values(lambda o: TL.CyclicLR(o, **args), 400, optimizer=optimizer, keys=("lr", key))
    assert_close(C.cyclic_lr(**args), got["lr"])
    assert_close(C.cyclic_momentum(**args), got[key])


@pytest.mark.parametrize("scale_mode", ["cycle", "iterations"])
def test_cyclic_lr_custom_scale_fn(scale_mode):
    def scale_fn(x):
        return 1.0 / (1.0 + 0.1 * x)

    args = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7, "step_size_down": 4, "scale_fn": scale_fn}
    args.update(scale_mode=scale_mode, base_momentum=0.8, max_momentum=0.9)
    got = torch_values(lambda o: TL.CyclicLR(o, **args), 120, keys=("lr", "momentum"))
    s = C.cyclic_lr(**args)
    assert_close(s, got["lr"])
    assert_close(C.cyclic_momentum(**args), got["momentum"])
    np.testing.assert_allclose(s(np.arange(120)), got["lr"], rtol=RTOL)  # scale_fn takes arrays too


def _one_cycle_args(rng, seed):
    three = seed % 3 == 1
    total = int(rng.integers(1, 8)) if seed % 4 == 0 else int(rng.integers(20, 300))  # tiny: phase ends < 0
    return {
        "max_lr": float(10 ** rng.uniform(-3, 0)),
        "total_steps": total,
        "pct_start": float(rng.uniform(0.05, 0.45 if three else 0.95)),
        "anneal_strategy": "cos" if rng.random() < 0.5 else "linear",
        "base_momentum": float(rng.uniform(0.7, 0.85)),
        "max_momentum": float(rng.uniform(0.86, 0.99)),
        "div_factor": float(rng.uniform(2.0, 100.0)),
        "final_div_factor": float(10 ** rng.uniform(1, 4)),
        "three_phase": three,
    }


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_cycle_lr_and_momentum(seed, optimizer):
    rng = np.random.default_rng(seed)
    args = _one_cycle_args(rng, seed)
    key = "momentum" if optimizer == "sgd" else "beta1"
    # torch raises past total_steps: the horizon is every step an update uses
    got = torch_values(lambda o: TL.OneCycleLR(o, **args), args["total_steps"], optimizer=optimizer, keys=("lr", key))
    assert_close(C.one_cycle_lr(**args), got["lr"])
    assert_close(C.one_cycle_momentum(**args), got[key])


def test_one_cycle_lr_epochs_times_steps_per_epoch():
    args = {"max_lr": 0.5, "epochs": 7, "steps_per_epoch": 13, "pct_start": 0.25}
    expected = torch_lrs(lambda o: TL.OneCycleLR(o, cycle_momentum=False, **args), 91)
    assert_close(C.one_cycle_lr(**args), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_swa_lr(seed):
    rng = np.random.default_rng(seed)
    lr, swa = draw_lr(rng), float(10 ** rng.uniform(-4, 0))
    epochs = 0 if seed % 5 == 0 else int(rng.integers(1, 100))
    strategy = "cos" if rng.random() < 0.5 else "linear"
    expected = torch_lrs(lambda o: SWALR(o, swa, anneal_epochs=epochs, anneal_strategy=strategy), 150, lr=lr)
    assert_close(C.swa_lr(swa, anneal_epochs=epochs, anneal_strategy=strategy, lr=lr), expected)


def test_swa_lr_closed_form():
    # the closed form derived from torch's recursion, written out independently
    lr, swa, n = 0.3, 0.02, 8
    for strategy, a in [("linear", lambda t: t), ("cos", lambda t: (1 - math.cos(math.pi * t)) / 2)]:
        expected = [lr + (swa - lr) * a(min(k / n, 1.0)) for k in range(20)]
        np.testing.assert_allclose(values(C.swa_lr(swa, n, strategy, lr=lr), 20), expected, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# composition
# --------------------------------------------------------------------------------------------
def _piece(rng, lr, kind):
    """A (torch factory, compat schedule) pair of one scheduler with random parameters."""
    if kind == "constant":
        f, n = float(rng.uniform(0.1, 1.0)), int(rng.integers(1, 60))
        return (lambda o: TL.ConstantLR(o, f, n)), C.constant_lr(f, n, lr=lr)
    if kind == "linear":
        a, b, n = float(rng.uniform(0.1, 1.0)), float(rng.uniform(0.1, 1.0)), int(rng.integers(1, 60))
        return (lambda o: TL.LinearLR(o, a, b, n)), C.linear_lr(a, b, n, lr=lr)
    if kind == "exponential":
        g = float(rng.uniform(0.97, 1.0))
        return (lambda o: TL.ExponentialLR(o, g)), C.exponential_lr(g, lr=lr)
    if kind == "step":
        n, g = int(rng.integers(1, 40)), float(rng.uniform(0.3, 0.95))
        return (lambda o: TL.StepLR(o, n, g)), C.step_lr(n, g, lr=lr)
    if kind == "multi_step":
        ms, g = sorted(int(m) for m in rng.integers(0, 150, size=3)), float(rng.uniform(0.3, 0.95))
        return (lambda o: TL.MultiStepLR(o, ms, g)), C.multi_step_lr(ms, g, lr=lr)
    if kind == "polynomial":
        n, p = int(rng.integers(150, 300)), float(rng.uniform(0.5, 2.0))
        return (lambda o: TL.PolynomialLR(o, n, p)), C.polynomial_lr(n, p, lr=lr)
    if kind == "multiplicative":
        c = float(rng.uniform(0.98, 1.0))
        return (lambda o: TL.MultiplicativeLR(o, lambda k: c)), C.multiplicative_lr(lambda k: c, lr=lr)
    if kind == "cosine":  # eta_min = 0 and T_max past the horizon: multiplicative in a chain
        t = int(rng.integers(300, 600))
        return (lambda o: TL.CosineAnnealingLR(o, t)), C.cosine_annealing_lr(t, lr=lr)
    if kind == "cosine_eta":
        t, e = int(rng.integers(5, 80)), float(lr * rng.uniform(0.0, 0.3))
        return (lambda o: TL.CosineAnnealingLR(o, t, e)), C.cosine_annealing_lr(t, e, lr=lr)
    if kind == "restarts":
        t, m = int(rng.integers(2, 30)), int(rng.integers(1, 3))
        return (lambda o: TL.CosineAnnealingWarmRestarts(o, t, m)), C.cosine_annealing_warm_restarts(t, m, lr=lr)
    assert kind == "lambda"
    a = float(rng.uniform(0.0, 0.1))
    return (lambda o: TL.LambdaLR(o, lambda k: 1.0 / (1.0 + a * k))), C.lambda_lr(lambda k: 1.0 / (1.0 + a * k), lr=lr)


SEQUENTIAL_KINDS = ["constant", "linear", "exponential", "step", "multi_step", "polynomial", "cosine_eta"]
SEQUENTIAL_KINDS += ["restarts", "lambda"]
CHAIN_KINDS = ["constant", "linear", "exponential", "step", "multi_step", "polynomial", "multiplicative", "cosine"]


@pytest.mark.parametrize("seed", SEEDS)
def test_sequential_lr(seed):
    rng = np.random.default_rng(seed)
    lr = draw_lr(rng)
    kinds = [SEQUENTIAL_KINDS[int(i)] for i in rng.integers(len(SEQUENTIAL_KINDS), size=int(rng.integers(2, 5)))]
    pieces = [_piece(rng, lr, kind) for kind in kinds]
    milestones = sorted(int(m) for m in rng.integers(0, 250, size=len(pieces) - 1))

    def make(opt):
        return TL.SequentialLR(opt, [factory(opt) for factory, _ in pieces], milestones)

    expected = torch_lrs(make, 300, lr=lr)
    assert_close(C.sequential_lr([s for _, s in pieces], milestones), expected)


@pytest.mark.parametrize("seed", range(5))
def test_sequential_lr_hands_over_to_swa(seed):
    rng = np.random.default_rng(seed)
    lr, gamma, swa, n = draw_lr(rng), float(rng.uniform(0.95, 0.99)), float(rng.uniform(1e-4, 1e-2)), 30
    strategy = "cos" if seed % 2 else "linear"
    m = int(rng.integers(1, 100))

    def make(opt):
        swalr = SWALR(opt, swa, anneal_epochs=n, anneal_strategy=strategy)
        return TL.SequentialLR(opt, [TL.ExponentialLR(opt, gamma), swalr], [m])

    expected = torch_lrs(make, 200, lr=lr)
    first = C.exponential_lr(gamma, lr=lr)
    s = C.sequential_lr([first, C.swa_lr(swa, n, strategy, lr=first(m - 1))], [m])
    assert_close(s, expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_chained_scheduler(seed):
    rng = np.random.default_rng(seed)
    lr = draw_lr(rng)
    kinds = [CHAIN_KINDS[int(i)] for i in rng.integers(len(CHAIN_KINDS), size=int(rng.integers(1, 4)))]
    pieces = [_piece(rng, lr, kind) for kind in kinds]

    def make(opt):
        return TL.ChainedScheduler([factory(opt) for factory, _ in pieces])

    expected = torch_lrs(make, 300, lr=lr)
    assert_close(C.chained_scheduler([s for _, s in pieces], lr=lr), expected)


def test_chained_scheduler_with_a_lambda_member_is_not_a_product():
    # the limitation the docstring states: LambdaLR sets the lr from the initial lr each step
    def make(opt):
        return TL.ChainedScheduler([TL.ExponentialLR(opt, 0.9), TL.LambdaLR(opt, lambda k: 1.0 / (1 + k))])

    expected = torch_lrs(make, 10)
    product = C.chained_scheduler([C.exponential_lr(0.9), C.lambda_lr(lambda k: 1.0 / (1 + k))])
    np.testing.assert_allclose(expected, [1.0 / (1 + k) for k in range(10)], rtol=1e-12)  # torch: the lambda alone
    assert not np.allclose(values(product, 10), expected)


# --------------------------------------------------------------------------------------------
# backends, serialisation, errors
# --------------------------------------------------------------------------------------------
BUILT = {
    "step_lr": lambda: C.step_lr(7, 0.5, lr=0.1),
    "multi_step_lr": lambda: C.multi_step_lr([3, 10, 10], 0.5, lr=0.1),
    "constant_lr": lambda: C.constant_lr(0.25, 12, lr=0.1),
    "linear_lr": lambda: C.linear_lr(0.1, 0.9, 20, lr=0.1),
    "exponential_lr": lambda: C.exponential_lr(0.97, lr=0.1),
    "polynomial_lr": lambda: C.polynomial_lr(40, 2.0, lr=0.1),
    "cosine_annealing_lr": lambda: C.cosine_annealing_lr(15, 0.01, lr=0.1),
    "cosine_annealing_warm_restarts": lambda: C.cosine_annealing_warm_restarts(5, 2, 0.01, lr=0.1),
    "cyclic_lr": lambda: C.cyclic_lr(0.01, 0.1, 6, 9, mode="exp_range", gamma=0.99),
    "cyclic_momentum": lambda: C.cyclic_momentum(0.01, 0.1, 6, mode="triangular2"),
    "one_cycle_lr": lambda: C.one_cycle_lr(0.1, 50, three_phase=True),
    "one_cycle_momentum": lambda: C.one_cycle_momentum(0.1, 3),
    "sequential_lr": lambda: C.sequential_lr(
        [C.linear_lr(0.1, 1.0, 5, lr=0.1), C.cosine_annealing_lr(30, lr=0.1)], [5]
    ),
    "chained_scheduler": lambda: C.chained_scheduler([C.step_lr(5, lr=0.1), C.exponential_lr(0.99, lr=0.1)], lr=0.1),
    "swa_lr": lambda: C.swa_lr(0.02, 10, lr=0.1),
    "lambda_lr": lambda: C.lambda_lr(lambda k: 1.0 / (1.0 + 0.1 * k), lr=0.1),  # a lambda written with operators
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_numpy_and_jit_agree_with_python(name):
    s = BUILT[name]()
    steps = np.arange(80)
    expected = values(s, 80)
    np.testing.assert_allclose(s(steps), expected, rtol=1e-12, atol=1e-15)
    got = jax.jit(s)(jnp.arange(80))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(set(BUILT) - {"lambda_lr"}))
def test_round_trip(name):
    s = BUILT[name]()
    back = lrsched.from_dict(lrsched.to_dict(s))
    assert back == s
    np.testing.assert_array_equal(values(back, 80), values(s, 80))


def test_multiplicative_lr_refuses_tracing_clearly():
    s = C.multiplicative_lr(lambda k: 0.9)
    np.testing.assert_allclose(np.asarray(s(jnp.arange(4))), 0.9 ** np.arange(4), rtol=1e-6)  # concrete: fine
    with pytest.raises(TypeError, match="multiplicative_lr"):
        jax.jit(s)(jnp.arange(4))


def test_grad_with_respect_to_lr():
    g = jax.grad(lambda lr: C.cosine_annealing_lr(10, lr=lr)(jnp.asarray(5)))(jnp.asarray(0.2))
    assert float(g) == pytest.approx(0.5, rel=1e-6)


@pytest.mark.parametrize(
    "call, exc, name",
    [
        (lambda: C.step_lr(0), ValueError, "step_size"),
        (lambda: C.step_lr(3, gamma=0.0), ValueError, "gamma"),
        (lambda: C.multi_step_lr([5, -1]), ValueError, "milestones[1]"),
        (lambda: C.multi_step_lr(5), TypeError, "milestones"),
        (lambda: C.constant_lr(1.5), ValueError, "factor"),
        (lambda: C.linear_lr(0.0), ValueError, "start_factor"),
        (lambda: C.linear_lr(0.5, 1.2), ValueError, "end_factor"),
        (lambda: C.linear_lr(total_iters=-1), ValueError, "total_iters"),
        (lambda: C.polynomial_lr(power=0.0), ValueError, "power"),
        (lambda: C.cosine_annealing_lr(0), ValueError, "T_max"),
        (lambda: C.cosine_annealing_warm_restarts(5, T_mult=0), ValueError, "T_mult"),
        (lambda: C.cosine_annealing_warm_restarts(2.5), TypeError, "T_0"),
        (lambda: C.lambda_lr([lambda k: 1.0]), TypeError, "lr_lambda"),
        (lambda: C.exponential_lr(0.9, lr="0.1"), TypeError, "lr"),
        (lambda: C.cyclic_lr(0.1, 1.0, mode="sawtooth"), ValueError, "mode"),
        (lambda: C.cyclic_lr(0.1, 1.0, scale_fn=lambda x: 1.0, scale_mode="epoch"), ValueError, "scale_mode"),
        (lambda: C.cyclic_momentum(0.1, 1.0, cycle_momentum=False), ValueError, "cycle_momentum"),
        (lambda: C.one_cycle_lr(1.0), ValueError, "total_steps"),
        (lambda: C.one_cycle_lr(1.0, 100, pct_start=1.0), ValueError, "pct_start"),
        (lambda: C.one_cycle_lr(1.0, 100, anneal_strategy="cosine"), ValueError, "anneal_strategy"),
        (lambda: C.one_cycle_lr(1.0, 100, pct_start=0.7, three_phase=True), ValueError, "pct_start"),
        (lambda: C.one_cycle_momentum(1.0, 100, cycle_momentum=False), ValueError, "cycle_momentum"),
        (lambda: C.sequential_lr([C.step_lr(3)], [2]), ValueError, "milestones"),
        (lambda: C.sequential_lr([C.step_lr(3), C.step_lr(2), C.step_lr(1)], [5, 2]), ValueError, "milestones"),
        (lambda: C.sequential_lr(C.step_lr(3), []), TypeError, "schedulers"),
        (lambda: C.chained_scheduler([]), ValueError, "schedulers"),
        (lambda: C.chained_scheduler([C.step_lr(3), 0.5]), TypeError, "schedulers[1]"),
        (lambda: C.swa_lr(0.05, anneal_epochs=-1), ValueError, "anneal_epochs"),
        (lambda: C.swa_lr(0.05, anneal_strategy="cosine"), ValueError, "anneal_strategy"),
    ],
)
def test_bad_arguments_raise_naming_them(call, exc, name):
    with pytest.raises(exc, match=f"^{re.escape(name)}="):
        call()


def test_module_does_not_import_torch():
    code = "import sys, lrsched.compat.torch; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------------
# value arguments as torch does them: 0-d tensors and NumPy scalars
# --------------------------------------------------------------------------------------------
# (builder, fixed arguments, the float arguments by name); every float is exact in float32, so
# torch.tensor(x) (float32) and np.float32(x) hold the very same number as x
SCALAR_CASES = [
    (C.lambda_lr, (lambda e: 0.5**e,), {"lr": 0.25}),
    (C.multiplicative_lr, (lambda e: 0.5,), {"lr": 0.75}),
    (C.step_lr, (3,), {"gamma": 0.5, "lr": 0.25}),
    (C.multi_step_lr, ([2, 5],), {"gamma": 0.25, "lr": 1.5}),
    (C.constant_lr, (), {"factor": 0.375, "total_iters": 4, "lr": 0.5}),
    (C.linear_lr, (), {"start_factor": 0.125, "end_factor": 0.875, "total_iters": 6, "lr": 2.0}),
    (C.exponential_lr, (0.875,), {"lr": 0.5}),
    (C.exponential_lr, (), {"gamma": 0.75}),
    (C.polynomial_lr, (8,), {"power": 2.5, "lr": 0.5}),
    (C.cosine_annealing_lr, (7,), {"eta_min": 0.0625, "lr": 0.5}),
    (C.cosine_annealing_warm_restarts, (3, 2), {"eta_min": 0.03125, "lr": 0.75}),
    (C.swa_lr, (), {"swa_lr": 0.0625, "anneal_epochs": 5, "lr": 0.5}),
    (C.cyclic_lr, (), {"base_lr": 0.125, "max_lr": 1.5, "step_size_up": 4, "mode": "exp_range", "gamma": 0.875}),
    (
        C.cyclic_momentum,
        (),
        {"base_lr": 0.125, "max_lr": 1.5, "step_size_up": 4, "base_momentum": 0.75, "max_momentum": 0.875},
    ),
    (
        C.one_cycle_lr,
        (),
        {"max_lr": 1.5, "total_steps": 20, "pct_start": 0.25, "div_factor": 8.0, "final_div_factor": 64.0},
    ),
    (
        C.one_cycle_momentum,
        (),
        {"max_lr": 1.5, "total_steps": 20, "base_momentum": 0.625, "max_momentum": 0.9375, "div_factor": 8.0},
    ),
]


def _id(case):
    return case[0].__name__


@pytest.mark.parametrize("case", SCALAR_CASES, ids=_id)
@pytest.mark.parametrize("wrap", [torch.tensor, np.float32, lambda x: torch.tensor(x, dtype=torch.float64)])
def test_scalar_arguments_as_tensors_give_the_float_schedule(case, wrap):
    make, args, kwargs = case
    floats = {k: v for k, v in kwargs.items() if isinstance(v, float)}
    want = values(make(*args, **kwargs), 30)
    for name in floats:  # one argument wrapped at a time, then all of them
        got = values(make(*args, **{**kwargs, name: wrap(kwargs[name])}), 30)
        np.testing.assert_array_equal(got, want, err_msg=name)
    every = make(*args, **{k: wrap(v) if k in floats else v for k, v in kwargs.items()})
    np.testing.assert_array_equal(values(every, 30), want)
    assert all(type(every(k)) is float for k in (0, 7))


@pytest.mark.parametrize(
    "bad, exc, what",
    [
        (torch.tensor([0.5, 0.25]), ValueError, "0-d"),
        (torch.tensor([[0.5]]), ValueError, "0-d"),
        (torch.tensor(True), TypeError, "real number"),
        (torch.tensor(0.5j), TypeError, "real number"),
        (torch.tensor(float("nan")), ValueError, "finite"),
        (torch.tensor(float("inf"), dtype=torch.float64), ValueError, "finite"),
    ],
)
def test_bad_tensor_arguments_raise_naming_them(bad, exc, what):
    with pytest.raises(exc, match=rf"^gamma=tensor\(.*{what}"):
        C.step_lr(3, gamma=bad)
    with pytest.raises(exc, match=rf"^max_lr=tensor\(.*{what}"):
        C.one_cycle_lr(bad, total_steps=10)


def test_tensor_arguments_match_torch_itself():
    # torch's own schedulers given the same tensors
    cases = [
        (lambda o: TL.StepLR(o, 2, gamma=torch.tensor(0.5)), C.step_lr(2, gamma=torch.tensor(0.5))),
        (
            lambda o: TL.OneCycleLR(o, max_lr=torch.tensor(1.5), total_steps=12, div_factor=8.0),
            C.one_cycle_lr(torch.tensor(1.5), total_steps=12, div_factor=8.0),
        ),
        (lambda o: SWALR(o, swa_lr=torch.tensor(0.0625), anneal_epochs=4), C.swa_lr(torch.tensor(0.0625), 4)),
    ]
    for make, ours in cases:
        np.testing.assert_allclose(values(ours, 12), torch_lrs(make, 12), rtol=RTOL, atol=ATOL)
