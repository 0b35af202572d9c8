"""lrsched.compat.fairseq against fairseq's own formulas.

fairseq is not a dependency, so each reference is the scheduler's ``step_update`` written out
from its source file (cited). fairseq's trainer calls ``step_update(0)`` after building the
scheduler and ``step_update(n)`` after the n-th update, so update k uses ``step_update(k)``;
for the schedulers with epoch hooks (``fixed``, ``polynomial_decay``) the test drives a small
model of the scheduler object through the trainer's call order instead.
"""

from __future__ import annotations

import json
import math
import random

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched
from lrsched.compat import fairseq

RTOL = 1e-9


def close(a, b, scale):
    """Relative error <= 1e-9, with an absolute floor far below ``scale`` (the peak lr): the
    cosine's ``min + 0.5 * (max - min) * (1 + cos(x))`` cancels near the end of a period."""
    return abs(a - b) <= RTOL * abs(b) + 1e-13 * scale


# ============================================================================================
# references, from fairseq/optim/lr_scheduler/*.py
# ============================================================================================
def ref_inverse_sqrt(k, p):
    # inverse_square_root_schedule.py
    lr, w = p["lr"], p["warmup_updates"]
    init = p["warmup_init_lr"]
    if init < 0:
        init = 0 if w > 0 else lr
    if k < w:
        return init + k * (lr - init) / w
    return lr * w**0.5 * k**-0.5


def float_log_cycle(c, period, t_mult):
    # cosine_lr_scheduler.py, step_update
    if t_mult != 1:
        i = math.floor(math.log(1 - c / period * (1 - t_mult), t_mult))
        t_i = t_mult**i * period
        t_curr = c - (1 - t_mult**i) / (1 - t_mult) * period
    else:
        i = math.floor(c / period)
        t_i = period
        t_curr = c - period * i
    return i, t_i, t_curr


def exact_cycle(c, period, t_mult):
    i, start, length = 0, 0, period
    while c >= start + length:
        start, length, i = start + length, length * t_mult, i + 1
    return i, length, c - start


def ref_cosine(k, p, find=float_log_cycle):
    # cosine_lr_scheduler.py (the dataclass version: cfg.lr is the top, cfg.min_lr the bottom)
    lr, min_lr, w = p["lr"], p["min_lr"], p["warmup_updates"]
    init = p["warmup_init_lr"] if p["warmup_init_lr"] >= 0 else min_lr
    period = p["lr_period_updates"]
    if period <= 0:
        period = p["max_update"] - w
    if k < w:
        return init + k * (lr - init) / w
    i, t_i, t_curr = find(k - w, period, p["t_mult"])
    shrink = p["lr_shrink"] ** i
    lo, hi = min_lr * shrink, lr * shrink
    return lo + 0.5 * (hi - lo) * (1 + math.cos(math.pi * t_curr / t_i))


def ref_polynomial_step_update(k, p):
    # polynomial_decay_schedule.py, step_update (with zero_lr_warmup_steps)
    lr, end, w, z, total = (
        p["lr"],
        p["end_learning_rate"],
        p["warmup_updates"],
        p["zero_lr_warmup_steps"],
        p["total_num_update"],
    )
    if z > 0 and k <= z:
        return 0.0
    if w > 0 and k <= w + z:
        return (k - z) / float(w) * lr
    if k >= total:
        return end
    warm = w + z
    pct_remaining = 1 - (k - warm) / (total - warm)
    return (lr - end) * pct_remaining ** p["power"] + end


def ref_tri_stage(k, p):
    # tri_stage_lr_scheduler.py: _decide_stage and step_update
    lr = p["lr"]
    init, final = p["init_lr_scale"] * lr, p["final_lr_scale"] * lr
    if p.get("phase_ratio") is not None:
        w, h, d = (int(p["max_update"] * r) for r in p["phase_ratio"])
    else:
        w, h, d = p["warmup_steps"], p["hold_steps"], p["decay_steps"]
    rate = (lr - init) / w if w != 0 else 0
    factor = -math.log(p["final_lr_scale"]) / d
    if k < w:
        return init + rate * k
    if k < w + h:
        return lr
    if k <= w + h + d:
        return lr * math.exp(-factor * (k - w - h))
    return final


def ref_triangular(k, p):
    # triangular_lr_scheduler.py
    stepsize = p["lr_period_updates"] // 2
    cyc = math.floor(k / (2 * stepsize))
    shrink = p["lr_shrink"] ** cyc
    hi = p["max_lr"] * shrink
    lo = p["lr"] * shrink if p["shrink_min"] else p["lr"]
    x = abs(k / stepsize - 2 * (cyc + 1) + 1)
    return lo + (hi - lo) * max(0, 1 - x)


def ref_step(k, p):
    # step_lr_scheduler.py
    lr, min_lr, w = p["lr"], p["min_lr"], p["warmup_updates"]
    init = p["warmup_init_lr"] if p["warmup_init_lr"] >= 0 else min_lr
    if k < w:
        return init + k * (lr - init) / w
    mult = p["lr_decay"] ** ((k - w) // p["lr_deacy_period"])
    return max(lr * mult, min_lr)


class FixedModel:
    """fixed_schedule.py's FixedLRSchedule: state, epoch hook and update hook."""

    def __init__(self, p):
        self.p = p
        self.lr = p["lr"][0]
        self.warmup_factor = 1.0 / p["warmup_updates"] if p["warmup_updates"] > 0 else 1
        self.current = None

    def get_next_lr(self, epoch):
        lrs, fa = self.p["lr"], self.p["force_anneal"]
        if fa is None or epoch < fa:
            return lrs[min(epoch - 1, len(lrs) - 1)]
        return lrs[-1] * self.p["lr_shrink"] ** (epoch + 1 - fa)

    def step_begin_epoch(self, epoch):
        self.lr = self.get_next_lr(epoch)
        self.current = self.warmup_factor * self.lr

    def step_update(self, n):
        w = self.p["warmup_updates"]
        if w > 0 and n < w:
            self.warmup_factor = (n + 1) / float(w)
            self.current = self.warmup_factor * self.lr
        else:
            self.current = self.lr


class PolynomialModel:
    """polynomial_decay_schedule.py's scheduler object, single lr (its epoch hook keeps lr[0])."""

    def __init__(self, p):
        self.p = p
        self.current = (1.0 / p["warmup_updates"] if p["warmup_updates"] > 0 else 1) * p["lr"]

    def step_begin_epoch(self, epoch):
        pass  # lrs[min(epoch, 0)] is the same lr; step_update follows immediately

    def step_update(self, n):
        self.current = ref_polynomial_step_update(n, self.p)


def run_trainer(model, epochs, updates_per_epoch):
    """The lr each update runs with, in fairseq/trainer.py's call order."""
    used = []
    model.step_update(0)  # Trainer._build_optimizer
    num = 0
    for epoch in range(1, epochs + 1):
        model.step_begin_epoch(epoch)  # Trainer.begin_epoch -> lr_step_begin_epoch
        model.step_update(num)
        for _ in range(updates_per_epoch):
            used.append(model.current)
            num += 1
            model.step_update(num)  # Trainer.set_num_updates -> lr_step_update
        model.step_update(num)  # Trainer.lr_step at the epoch's end
    return used


def check_all(s, ref, n, scale):
    got = [s(k) for k in range(n)]
    want = [ref(k) for k in range(n)]
    for k in range(n):
        assert close(got[k], want[k], scale), (k, got[k], want[k])
    np.testing.assert_allclose(s(np.arange(n)), np.array(got), rtol=1e-12, atol=1e-15)


# ============================================================================================
# the stateless schedulers, every update
# ============================================================================================
@pytest.mark.parametrize("seed", range(30))
def test_inverse_sqrt(seed):
    rng = random.Random(seed)
    p = {
        "warmup_updates": rng.randint(1, 60),
        "warmup_init_lr": rng.choice([-1.0, rng.uniform(0, 1e-3)]),
        "lr": rng.uniform(1e-4, 1.0),
    }
    check_all(fairseq.inverse_sqrt(**p), lambda k: ref_inverse_sqrt(k, p), 300, p["lr"])


@pytest.mark.parametrize("seed", range(40))
def test_cosine(seed):
    rng = random.Random(seed)
    p = {
        "warmup_updates": rng.choice([0, rng.randint(1, 30)]),
        "warmup_init_lr": rng.choice([-1.0, rng.uniform(0, 1e-3)]),
        "lr": rng.uniform(0.1, 1.0),
        "min_lr": rng.choice([0.0, rng.uniform(0.0, 0.05)]),
        "t_mult": rng.choice([1.0, 1, 2, 3, round(rng.uniform(1.1, 2.5), 3)]),
        "lr_period_updates": rng.choice([-1.0, float(rng.randint(1, 40)), rng.uniform(3.0, 40.0)]),
        "lr_shrink": rng.uniform(0.1, 1.0),
        "max_update": rng.randint(60, 120),
    }
    s = fairseq.cosine(**p)
    n = 400
    for k in range(n):
        v = s(k)
        assert close(v, ref_cosine(k, p, exact_cycle), p["lr"]), (k, p)
        if not close(v, ref_cosine(k, p), p["lr"]):
            # fairseq's float log put k one cycle early: only at an exact restart
            period = p["lr_period_updates"] if p["lr_period_updates"] > 0 else p["max_update"] - p["warmup_updates"]
            c = k - p["warmup_updates"]
            i_f = float_log_cycle(c, period, p["t_mult"])[0]
            i_e, _, t_curr = exact_cycle(c, period, p["t_mult"])
            assert (i_f, t_curr) == (i_e - 1, 0), (k, p)
    np.testing.assert_allclose(s(np.arange(n)), [s(k) for k in range(n)], rtol=1e-12, atol=1e-15)


def test_cosine_restarts_ten_times_lower_by_default():
    s = fairseq.cosine(lr=1.0, lr_period_updates=100)
    assert s(0) == 1.0 and s(100) == pytest.approx(0.1, rel=1e-15) and s(200) == pytest.approx(0.01, rel=1e-14)


@pytest.mark.parametrize("seed", range(40))
def test_polynomial_decay(seed):
    rng = random.Random(seed)
    w = rng.choice([0, rng.randint(1, 30)])
    z = rng.choice([0, 0, rng.randint(1, 20)])
    p = {
        "warmup_updates": w,
        "zero_lr_warmup_steps": z,
        "end_learning_rate": rng.choice([0.0, rng.uniform(0.0, 0.05)]),
        "power": rng.choice([1.0, rng.uniform(0.3, 3.0)]),
        "total_num_update": rng.choice(
            [rng.randint(w + z + 1, 200), rng.randint(1, max(w + z, 1)), round(rng.uniform(w + z + 1.0, 200.0), 2)]
        ),
        "lr": rng.uniform(0.1, 1.0),
    }
    s = fairseq.polynomial_decay(**p)
    check_all(s, lambda k: ref_polynomial_step_update(k, p), 260, p["lr"])
    # through the trainer's call order, per epoch
    used = run_trainer(PolynomialModel(p), 5, 40)
    np.testing.assert_allclose([s(k) for k in range(len(used))], used, rtol=RTOL, atol=1e-15)


def test_polynomial_first_update_runs_at_zero_with_warmup():
    # the constructor sets lr / warmup_updates, but step_update(0) sets 0 before the first update
    p = {
        "warmup_updates": 10,
        "zero_lr_warmup_steps": 0,
        "end_learning_rate": 0.0,
        "power": 1.0,
        "total_num_update": 100,
        "lr": 1.0,
    }
    assert PolynomialModel(p).current == 0.1
    assert run_trainer(PolynomialModel(p), 1, 3)[0] == 0.0 == fairseq.polynomial_decay(**p)(0)


@pytest.mark.parametrize("seed", range(30))
def test_tri_stage(seed):
    rng = random.Random(seed)
    p = {
        "warmup_steps": rng.randint(0, 30),
        "hold_steps": rng.randint(0, 30),
        "decay_steps": rng.randint(1, 60),
        "init_lr_scale": rng.uniform(0.0, 0.5),
        "final_lr_scale": rng.uniform(0.001, 0.9),
        "lr": rng.uniform(0.1, 1.0),
    }
    if seed % 3 == 0:
        a = rng.randint(1, 8)
        b = rng.randint(0, 10 - a - 1)
        p.update(phase_ratio=(a / 10, b / 10, (10 - a - b) / 10), max_update=rng.randint(20, 150))
    s = fairseq.tri_stage(**p)
    check_all(s, lambda k: ref_tri_stage(k, p), 200, p["lr"])


@pytest.mark.parametrize("seed", range(30))
def test_triangular(seed):
    rng = random.Random(seed)
    lr = rng.choice([0.0, rng.uniform(0.0, 0.1)])
    p = {
        "max_lr": lr + rng.uniform(0.05, 1.0),
        "lr_period_updates": rng.choice([float(rng.randint(2, 60)), round(rng.uniform(2.0, 60.0), 3)]),
        "lr_shrink": rng.uniform(0.1, 1.0),
        "shrink_min": rng.random() < 0.5,
        "lr": lr,
    }
    check_all(fairseq.triangular(**p), lambda k: ref_triangular(k, p), 300, p["max_lr"])


@pytest.mark.parametrize("seed", range(30))
def test_step(seed):
    rng = random.Random(seed)
    p = {
        "warmup_updates": rng.choice([0, rng.randint(1, 30)]),
        "warmup_init_lr": rng.choice([-1.0, rng.uniform(0, 1e-3)]),
        "lr": rng.uniform(0.2, 1.0),
        "min_lr": rng.choice([0.0, rng.uniform(0.0, 0.1)]),
        "lr_deacy_period": rng.randint(1, 40),
        "lr_decay": rng.choice([1.0, rng.uniform(0.1, 1.0)]),
    }
    check_all(fairseq.step(**p), lambda k: ref_step(k, p), 300, p["lr"])


@pytest.mark.parametrize("seed", range(30))
def test_fixed_through_the_trainer(seed):
    rng = random.Random(seed)
    p = {
        "force_anneal": rng.choice([None, rng.randint(0, 6)]),
        "lr_shrink": rng.uniform(0.1, 1.0),
        "warmup_updates": rng.choice([0, rng.randint(1, 50)]),
        "lr": [rng.uniform(0.1, 1.0) for _ in range(rng.randint(1, 4))],
    }
    upe = rng.randint(1, 12)
    used = run_trainer(FixedModel(p), 8, upe)
    s = fairseq.fixed(**p, updates_per_epoch=upe)
    got = [s(k) for k in range(len(used))]
    for k, (a, b) in enumerate(zip(got, used)):
        assert close(a, b, 1.0), (k, a, b, p, upe)


def test_fixed_needs_updates_per_epoch_only_when_it_changes_per_epoch():
    s = fairseq.fixed(warmup_updates=4, lr=0.5)
    assert [s(k) for k in range(6)] == [0.125, 0.25, 0.375, 0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="updates_per_epoch"):
        fairseq.fixed(lr=[0.5, 0.1])
    with pytest.raises(ValueError, match="updates_per_epoch"):
        fairseq.fixed(force_anneal=2, lr=0.5)


# ============================================================================================
# jit, serialisation, errors
# ============================================================================================
ALL = {
    "inverse_sqrt": lambda: fairseq.inverse_sqrt(warmup_updates=20, lr=5e-4),
    "cosine": lambda: fairseq.cosine(
        warmup_updates=10, lr=1.0, min_lr=0.01, t_mult=1.5, lr_period_updates=30, lr_shrink=0.5
    ),
    "polynomial_decay": lambda: fairseq.polynomial_decay(
        warmup_updates=10, zero_lr_warmup_steps=5, power=2.0, total_num_update=120, lr=1.0
    ),
    "tri_stage": lambda: fairseq.tri_stage(phase_ratio=[0.1, 0.4, 0.5], max_update=100, lr=1.0),
    "triangular": lambda: fairseq.triangular(1.0, lr_period_updates=30, lr=0.1),
    "step": lambda: fairseq.step(warmup_updates=5, lr=1.0, min_lr=0.05, lr_deacy_period=10),
    "fixed": lambda: fairseq.fixed(force_anneal=3, warmup_updates=7, lr=[1.0, 0.5], updates_per_epoch=10),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_jit_and_round_trip(name):
    s = ALL[name]()
    ks = np.arange(150)
    want = s(ks)
    got = jax.jit(lambda k: s(k))(jnp.asarray(ks))
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=1e-7)
    back = lrsched.from_dict(json.loads(json.dumps(lrsched.to_dict(s))))
    assert back == s
    np.testing.assert_array_equal(back(ks), want)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: fairseq.inverse_sqrt(warmup_updates=0), ValueError, "warmup_updates"),
        (lambda: fairseq.inverse_sqrt(lr=[0.1, 0.2]), ValueError, "lr"),
        (lambda: fairseq.cosine(lr=0.1, min_lr=0.2, lr_period_updates=10), ValueError, "lr"),
        (lambda: fairseq.cosine(lr_period_updates=-1, max_update=0), ValueError, "max_update"),
        (lambda: fairseq.cosine(lr_period_updates=10, t_mult=0.5), ValueError, "t_mult"),
        (lambda: fairseq.polynomial_decay(force_anneal=3), ValueError, "force_anneal"),
        (lambda: fairseq.polynomial_decay(total_num_update=0), ValueError, "total_num_update"),
        (lambda: fairseq.polynomial_decay(power=0.0), ValueError, "power"),
        (lambda: fairseq.tri_stage(10, 10, 0), ValueError, "decay_steps"),
        (lambda: fairseq.tri_stage(phase_ratio=(0.5, 0.5, 0.5), max_update=10), ValueError, "phase_ratio"),
        (lambda: fairseq.triangular(0.1, lr=0.2), ValueError, "max_lr"),
        (lambda: fairseq.triangular(1.0, lr_period_updates=1), ValueError, "lr_period_updates"),
        (lambda: fairseq.step(lr_decay=1.5), ValueError, "lr_decay"),
        (lambda: fairseq.step(lr_deacy_period=0), ValueError, "lr_deacy_period"),
        (lambda: fairseq.fixed(force_anneal=2, lr_shrink=0.0, updates_per_epoch=3), ValueError, "lr_shrink"),
    ],
)
def test_bad_arguments_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
