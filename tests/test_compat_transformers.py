"""``lrsched.compat.transformers`` against transformers itself.

Each ``get_*_schedule*`` function of ``transformers.optimization`` (and ``get_scheduler``) is
built on a torch SGD optimizer and stepped as a training loop does (``opt.step();
sched.step()``), reading ``param_groups[0]["lr"]`` before each update; lrsched's schedule at
step ``k`` must equal the lr of update ``k``. ~20 random parameter draws per function (seeded),
every step of a horizon that crosses all phase boundaries and goes well past
``num_training_steps``. Agreement: relative error <= 1e-6, with an absolute floor of 1e-12 of
the lr.
"""

from __future__ import annotations

import inspect
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
hf = pytest.importorskip("transformers.optimization")

import lrsched
from lrsched.compat import transformers as ours

RTOL = 1e-6
DRAWS = 20
HORIZON = 600

# Not schedules: a proxy reading Adafactor's internal lr, and GreedyLR (metric-driven both ways).
NOT_MIRRORED = {"get_adafactor_schedule", "get_greedy_schedule"}


def hf_lrs(make, lr, horizon=HORIZON):
    """The lr of each of ``horizon`` updates under transformers' scheduler ``make(optimizer)``."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(horizon):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out, dtype=np.float64)


def assert_close(got, expected, what):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    bad = np.abs(got - expected) > RTOL * np.abs(expected) + 1e-12 * scale
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{what}: step {i}: lrsched {got[i]!r} != transformers {expected[i]!r} ({int(bad.sum())} steps differ)"
        )


def check(s, ref, what):
    py = [s(k) for k in range(HORIZON)]
    assert all(type(v) is float for v in py)
    assert_close(py, ref, f"{what} (python)")
    assert_close(s(np.arange(HORIZON)), ref, f"{what} (numpy)")
    with jax.enable_x64(True):
        assert_close(np.asarray(s(jnp.arange(HORIZON, dtype=jnp.int64))), ref, f"{what} (jax x64)")


def rng_for(name):
    return np.random.default_rng([sum(map(ord, name)), len(name), 5])


def lr_draw(rng):
    return float(rng.choice([1.0, rng.uniform(1e-4, 0.5)]))


def steps_draw(rng):
    """(num_warmup_steps, num_training_steps); sometimes no warmup, sometimes T <= W."""
    w = int(rng.choice([0, rng.integers(1, 150)]))
    r = rng.random()
    t = int(rng.integers(0, w + 1)) if r < 0.1 else w + int(rng.integers(1, 300))
    return w, t


def cycles_draw(rng, choices):
    return float(rng.choice(choices + [rng.uniform(0.1, 3.0)]))


# --------------------------------------------------------------------------------------------
# draws: name -> rng -> (args, kwargs) in transformers' own terms (without the optimizer)
# --------------------------------------------------------------------------------------------
def d_constant(rng):
    return (), {}


def d_constant_warmup(rng):
    return (int(rng.integers(0, 200)),), {}


def d_linear(rng):
    return steps_draw(rng), {}


def d_cosine(rng):
    return steps_draw(rng), {"num_cycles": cycles_draw(rng, [0.5, 0.5, 1.0, 2.0, 0.0])}


def d_hard_restarts(rng):
    return steps_draw(rng), {"num_cycles": cycles_draw(rng, [1, 2, 3, 5])}


def d_polynomial(rng):
    w, t = steps_draw(rng)
    if t == w:  # transformers divides by zero at step w
        t = w + 1
    return (w, t), {"lr_end": float(rng.choice([1e-7, rng.uniform(0.0, 1e-4)])), "power": cycles_draw(rng, [1.0, 2.0])}


def d_inverse_sqrt(rng):
    w = int(rng.choice([0, rng.integers(1, 150)]))
    return (w,), {"timescale": None if rng.random() < 0.5 else int(rng.integers(1, 500))}


def _floor_kwargs(rng):
    if rng.random() < 0.5:
        return {"min_lr_rate": float(rng.uniform(0.0, 0.5))}
    return {"min_lr": float(rng.uniform(0.0, 1e-4))}


def d_cosine_min(rng):
    return steps_draw(rng), {"num_cycles": cycles_draw(rng, [0.5, 0.5, 1.0]), **_floor_kwargs(rng)}


def d_cosine_min_rate(rng):
    kw = {"num_cycles": cycles_draw(rng, [0.5, 0.5, 1.0]), **_floor_kwargs(rng)}
    if rng.random() < 0.5:
        kw["warmup_lr_rate"] = float(rng.uniform(0.0, 1.0))
    return steps_draw(rng), kw


def d_wsd(rng):
    w = int(rng.choice([0, rng.integers(1, 100)]))
    d = int(rng.choice([0, rng.integers(1, 200)]))
    kw = {
        "warmup_type": str(rng.choice(["linear", "cosine", "1-sqrt"])),
        "decay_type": str(rng.choice(["linear", "cosine", "1-sqrt"])),
        "min_lr_ratio": float(rng.choice([0.0, rng.uniform(0.0, 0.5)])),
        "num_cycles": cycles_draw(rng, [0.5, 0.5, 1.0, 0.25]),
    }
    if rng.random() < 0.6:
        kw["num_training_steps"] = w + d + int(rng.integers(0, 200))
    else:
        kw["num_stable_steps"] = int(rng.integers(0, 200))
    return (w, d), kw


CASES = {
    "get_constant_schedule": d_constant,
    "get_constant_schedule_with_warmup": d_constant_warmup,
    "get_linear_schedule_with_warmup": d_linear,
    "get_cosine_schedule_with_warmup": d_cosine,
    "get_cosine_with_hard_restarts_schedule_with_warmup": d_hard_restarts,
    "get_polynomial_decay_schedule_with_warmup": d_polynomial,
    "get_inverse_sqrt_schedule": d_inverse_sqrt,
    "get_cosine_with_min_lr_schedule_with_warmup": d_cosine_min,
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": d_cosine_min_rate,
    "get_wsd_schedule": d_wsd,
}


# --------------------------------------------------------------------------------------------
# coverage and signatures
# --------------------------------------------------------------------------------------------
def test_every_schedule_function_is_mirrored():
    theirs = {n for n in dir(hf) if n.startswith("get_") and "schedule" in n}
    assert theirs - NOT_MIRRORED == set(ours.__all__)
    assert set(CASES) | {"get_reduce_on_plateau_schedule", "get_scheduler"} == set(ours.__all__)


@pytest.mark.parametrize("name", sorted(set(CASES) | {"get_scheduler", "get_reduce_on_plateau_schedule"}))
def test_same_signature_without_optimizer(name):
    theirs = dict(inspect.signature(getattr(hf, name)).parameters)
    del theirs["optimizer"]
    theirs.pop("last_epoch", None)
    mine = dict(inspect.signature(getattr(ours, name)).parameters)
    lr = mine.pop("lr")
    assert lr.kind is inspect.Parameter.KEYWORD_ONLY and lr.default == 1.0
    assert list(mine) == list(theirs)
    for n, param in theirs.items():
        assert mine[n].default == param.default, n
        assert mine[n].kind == param.kind, n


# --------------------------------------------------------------------------------------------
# the differential test
# --------------------------------------------------------------------------------------------
def _hf_make(name, args, kwargs):
    def make(opt):
        return getattr(hf, name)(opt, *args, **kwargs)

    return make


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_transformers(name):
    rng = rng_for(name)
    for i in range(DRAWS):
        args, kwargs = CASES[name](rng)
        lr = lr_draw(rng)
        ref = hf_lrs(_hf_make(name, args, kwargs), lr)
        s = getattr(ours, name)(*args, **kwargs, lr=lr)
        check(s, ref, f"{name} draw {i}: args={args!r} kwargs={kwargs!r} lr={lr!r}")


def test_hard_restarts_restart_exactly():
    # At a restart the lr is back at lr (cos 0 = 1), in both; after the last cosine it is 0.
    s = ours.get_cosine_with_hard_restarts_schedule_with_warmup(5, 305, num_cycles=3, lr=0.5)
    ref = hf_lrs(_hf_make("get_cosine_with_hard_restarts_schedule_with_warmup", (5, 305), {"num_cycles": 3}), 0.5)
    for k in (5, 105, 205):
        assert s(k) == 0.5 == ref[k]
    assert s(305) == 0.0 == ref[305]
    assert 0.0 < s(304) < 1e-3


def test_wsd_with_both_step_counts_uses_num_stable_steps():
    # transformers warns and uses num_stable_steps; past warmup + stable + decay the lr is the floor
    kwargs = {"num_training_steps": 400, "num_stable_steps": 50, "min_lr_ratio": 0.1}
    with pytest.warns(UserWarning, match="num_stable_steps will be used"):
        ref = hf_lrs(_hf_make("get_wsd_schedule", (20, 100), kwargs), 0.2)
    check(ours.get_wsd_schedule(20, 100, **kwargs, lr=0.2), ref, "wsd with both")
    assert ref[170] == pytest.approx(0.02) and ref[399] == pytest.approx(0.02)


def test_warmups_start_at_zero():
    for name in (
        "get_constant_schedule_with_warmup",
        "get_linear_schedule_with_warmup",
        "get_cosine_schedule_with_warmup",
    ):
        args = (10,) if name == "get_constant_schedule_with_warmup" else (10, 100)
        assert getattr(ours, name)(*args, lr=0.3)(0) == 0.0


def test_cosine_goes_on_past_num_training_steps():
    s = ours.get_cosine_schedule_with_warmup(0, 100)
    ref = hf_lrs(_hf_make("get_cosine_schedule_with_warmup", (0, 100), {}), 1.0, 201)
    assert s(100) == 0.0 and s(200) == 1.0
    assert ref[100] < 1e-12 and ref[200] == pytest.approx(1.0)


def _scheduler_draw(rng):
    name = str(
        rng.choice(
            [
                "linear",
                "cosine",
                "cosine_with_restarts",
                "polynomial",
                "constant",
                "constant_with_warmup",
                "inverse_sqrt",
                "cosine_with_min_lr",
                "cosine_warmup_with_min_lr",
                "warmup_stable_decay",
            ]
        )
    )
    w, t = steps_draw(rng)
    t = max(t, w + 1)
    extra = {}
    if name == "cosine_with_restarts":
        extra = {"num_cycles": int(rng.integers(1, 4))}
    elif name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        extra = {"min_lr_rate": float(rng.uniform(0, 0.5))}
    elif name == "warmup_stable_decay":
        extra = {"num_decay_steps": int(rng.integers(0, t - w + 1)), "decay_type": "linear"}
    elif name == "polynomial":
        extra = {"power": 2.0}
    return name, w, t, extra


def test_get_scheduler_matches_transformers():
    rng = rng_for("get_scheduler")
    for i in range(DRAWS):
        name, w, t, extra = _scheduler_draw(rng)
        lr = lr_draw(rng)

        def make(opt, name=name, w=w, t=t, extra=extra):
            return hf.get_scheduler(
                name, opt, num_warmup_steps=w, num_training_steps=t, scheduler_specific_kwargs=extra
            )

        s = ours.get_scheduler(name, num_warmup_steps=w, num_training_steps=t, scheduler_specific_kwargs=extra, lr=lr)
        check(s, hf_lrs(make, lr), f"get_scheduler draw {i}: {name} w={w} t={t} {extra}")


def test_get_scheduler_accepts_the_enum():
    s = ours.get_scheduler(hf.SchedulerType.COSINE, 10, 100, lr=0.1)
    assert s == ours.get_cosine_schedule_with_warmup(10, 100, lr=0.1)


def test_reduce_on_plateau_matches_torch():
    rng = rng_for("plateau")
    for _ in range(5):
        kwargs = {"factor": float(rng.uniform(0.1, 0.9)), "patience": int(rng.integers(0, 4)), "mode": "min"}
        metrics = np.cumsum(rng.normal(0.0, 1.0, size=60)).tolist()
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=0.1)
        sched = hf.get_scheduler("reduce_lr_on_plateau", opt, scheduler_specific_kwargs=kwargs)
        plateau = ours.get_scheduler("reduce_lr_on_plateau", scheduler_specific_kwargs=kwargs, lr=0.1)
        state = plateau.init()
        for m in metrics:
            opt.step()
            sched.step(m)
            state = plateau.update(state, m)
            assert plateau.apply(state, 0.1) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)


# --------------------------------------------------------------------------------------------
# errors, jit and serialisation
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ours.get_constant_schedule_with_warmup(-1), ValueError, "num_warmup_steps=-1"),
        (lambda: ours.get_linear_schedule_with_warmup(10, -5), ValueError, "num_training_steps=-5"),
        (lambda: ours.get_cosine_schedule_with_warmup(10, 100, num_cycles=-1.0), ValueError, "num_cycles=-1.0"),
        (lambda: ours.get_polynomial_decay_schedule_with_warmup(10, 100, lr_end=2.0), ValueError, "lr_end=2.0"),
        (lambda: ours.get_polynomial_decay_schedule_with_warmup(10, 100, power=0.0), ValueError, "power=0.0"),
        (lambda: ours.get_inverse_sqrt_schedule(10, timescale=0), ValueError, "timescale=0"),
        (lambda: ours.get_cosine_with_min_lr_schedule_with_warmup(10, 100), ValueError, "min_lr=None"),
        (
            lambda: ours.get_cosine_with_min_lr_schedule_with_warmup(10, 100, min_lr=0.1, min_lr_rate=0.1),
            ValueError,
            "only one",
        ),
        (lambda: ours.get_cosine_with_min_lr_schedule_with_warmup(10, 100, min_lr=-0.1), ValueError, "min_lr=-0.1"),
        (
            lambda: ours.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
                10, 100, min_lr_rate=0.1, warmup_lr_rate=-1.0
            ),
            ValueError,
            "warmup_lr_rate=-1.0",
        ),
        (lambda: ours.get_wsd_schedule(10, 10), ValueError, "num_training_steps=None"),
        (lambda: ours.get_wsd_schedule(10, 10, num_training_steps=15), ValueError, "num_training_steps=15"),
        (lambda: ours.get_wsd_schedule(10, 10, 100, warmup_type="exp"), ValueError, "warmup_type='exp'"),
        (lambda: ours.get_wsd_schedule(10, 10, 100, decay_type="exp"), ValueError, "decay_type='exp'"),
        (lambda: ours.get_wsd_schedule(10, 10, 100, min_lr_ratio=-0.1), ValueError, "min_lr_ratio=-0.1"),
        (lambda: ours.get_scheduler("nope", 10, 100), ValueError, "name='nope'"),
        (lambda: ours.get_scheduler("greedy", 10, 100), ValueError, "GreedyLR"),
        (lambda: ours.get_scheduler("linear"), ValueError, "num_warmup_steps=None"),
        (lambda: ours.get_scheduler("cosine", 10), ValueError, "num_training_steps=None"),
        (lambda: ours.get_scheduler("cosine", 10, 100, {"bogus": 1}), TypeError, "bogus"),
    ],
)
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _examples():
    return [
        ours.get_constant_schedule_with_warmup(10, lr=0.1),
        ours.get_linear_schedule_with_warmup(10, 100),
        ours.get_cosine_schedule_with_warmup(10, 100, num_cycles=1.5),
        ours.get_cosine_with_hard_restarts_schedule_with_warmup(10, 100, num_cycles=3),
        ours.get_polynomial_decay_schedule_with_warmup(10, 100, lr_end=0.01, power=2.0),
        ours.get_inverse_sqrt_schedule(10),
        ours.get_cosine_with_min_lr_schedule_with_warmup(10, 100, min_lr_rate=0.1),
        ours.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(10, 100, min_lr=0.01, warmup_lr_rate=0.1),
        ours.get_wsd_schedule(10, 30, 100, warmup_type="1-sqrt", decay_type="cosine", min_lr_ratio=0.1, num_cycles=1.0),
        ours.get_wsd_schedule(10, 30, 100, warmup_type="cosine", decay_type="1-sqrt"),
    ]


def test_jit_and_roundtrip():
    k = jnp.arange(250)
    for s in _examples():
        expected = np.array([s(i) for i in range(250)])
        jitted = jax.jit(lambda sched, steps: sched(steps))(s, k)
        np.testing.assert_allclose(np.asarray(jitted), expected, rtol=1e-5, atol=1e-6)
        back = lrsched.from_dict(json.loads(json.dumps(lrsched.to_dict(s))))
        assert back == s
        assert [back(i) for i in range(250)] == list(expected)
