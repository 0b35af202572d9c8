"""lrsched.torch.ScheduleLR against PyTorch's own schedulers: the same training run, the same
lrs and parameters; resuming through torch.save/torch.load(weights_only=True); tensor lrs;
every driven key; the state dict; and what the adapter must never do."""

import io
import math
import subprocess
import sys
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as L

import lrsched
from lrsched.compat import torch as T
from lrsched.compat.torch import reduce_lr_on_plateau
from lrsched.torch import ScheduleLR

N = 300
LR = 0.05


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, 4, generator=g), torch.randn(64, 1, generator=g)


X, Y = _data()


def _model():
    torch.manual_seed(0)
    return torch.nn.Linear(4, 1)


def _train(attach, n=N, metric=False):
    """Train a linear model with SGD + momentum; record the lr and momentum of every update."""
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    scheds = attach(opt)
    lrs, moms = [], []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
        for s in scheds:
            if metric:
                s.step(loss.item())
            else:
                s.step()
    return lrs, moms, [p.detach().clone() for p in model.parameters()]


# Every compat.torch schedule next to the torch scheduler it reproduces. Each entry gives the
# torch side (a list of schedulers to step) and the lrsched side (ScheduleLRs to step).
CASES = {
    "lambda_lr": (
        lambda o: [L.LambdaLR(o, lambda k: 1.0 / (1.0 + 0.02 * k))],
        lambda o: [ScheduleLR(o, T.lambda_lr(lambda k: 1.0 / (1.0 + 0.02 * k), lr=LR))],
    ),
    "multiplicative_lr": (
        lambda o: [L.MultiplicativeLR(o, lambda k: 0.995 if k % 3 else 0.98)],
        lambda o: [ScheduleLR(o, T.multiplicative_lr(lambda k: 0.995 if k % 3 else 0.98, lr=LR))],
    ),
    "step_lr": (
        lambda o: [L.StepLR(o, step_size=30, gamma=0.5)],
        lambda o: [ScheduleLR(o, T.step_lr(30, gamma=0.5, lr=LR))],
    ),
    "multi_step_lr": (
        lambda o: [L.MultiStepLR(o, milestones=[50, 120, 120, 200], gamma=0.3)],
        lambda o: [ScheduleLR(o, T.multi_step_lr([50, 120, 120, 200], gamma=0.3, lr=LR))],
    ),
    "constant_lr": (
        lambda o: [L.ConstantLR(o, factor=0.25, total_iters=40)],
        lambda o: [ScheduleLR(o, T.constant_lr(factor=0.25, total_iters=40, lr=LR))],
    ),
    "linear_lr": (
        lambda o: [L.LinearLR(o, start_factor=0.1, end_factor=0.8, total_iters=60)],
        lambda o: [ScheduleLR(o, T.linear_lr(0.1, 0.8, 60, lr=LR))],
    ),
    "exponential_lr": (
        lambda o: [L.ExponentialLR(o, gamma=0.99)],
        lambda o: [ScheduleLR(o, T.exponential_lr(0.99, lr=LR))],
    ),
    "polynomial_lr": (
        lambda o: [L.PolynomialLR(o, total_iters=200, power=2.0)],
        lambda o: [ScheduleLR(o, T.polynomial_lr(200, 2.0, lr=LR))],
    ),
    "cosine_annealing_lr": (
        lambda o: [L.CosineAnnealingLR(o, T_max=120, eta_min=0.001)],
        lambda o: [ScheduleLR(o, T.cosine_annealing_lr(120, 0.001, lr=LR))],
    ),
    "cosine_annealing_warm_restarts": (
        lambda o: [L.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2, eta_min=0.001)],
        lambda o: [ScheduleLR(o, T.cosine_annealing_warm_restarts(20, 2, 0.001, lr=LR))],
    ),
    "cyclic_lr": (
        lambda o: [L.CyclicLR(o, 0.01, 0.1, step_size_up=30, step_size_down=20, mode="triangular2")],
        lambda o: [
            ScheduleLR(o, T.cyclic_lr(0.01, 0.1, 30, 20, mode="triangular2")),
            ScheduleLR(o, T.cyclic_momentum(0.01, 0.1, 30, 20, mode="triangular2"), key="momentum"),
        ],
    ),
    "cyclic_lr_exp_range": (
        lambda o: [L.CyclicLR(o, 0.01, 0.1, step_size_up=25, mode="exp_range", gamma=0.995)],
        lambda o: [
            ScheduleLR(o, T.cyclic_lr(0.01, 0.1, 25, mode="exp_range", gamma=0.995)),
            ScheduleLR(o, T.cyclic_momentum(0.01, 0.1, 25, mode="exp_range", gamma=0.995), key="momentum"),
        ],
    ),
    "one_cycle_lr": (
        lambda o: [L.OneCycleLR(o, max_lr=0.1, total_steps=N + 1)],
        lambda o: [
            ScheduleLR(o, T.one_cycle_lr(0.1, total_steps=N + 1)),
            ScheduleLR(o, T.one_cycle_momentum(0.1, total_steps=N + 1), key="momentum"),
        ],
    ),
    "one_cycle_lr_three_phase_linear": (
        lambda o: [L.OneCycleLR(o, 0.1, total_steps=N + 1, anneal_strategy="linear", three_phase=True)],
        lambda o: [
            ScheduleLR(o, T.one_cycle_lr(0.1, N + 1, anneal_strategy="linear", three_phase=True)),
            ScheduleLR(o, T.one_cycle_momentum(0.1, N + 1, anneal_strategy="linear", three_phase=True), key="momentum"),
        ],
    ),
    "sequential_lr": (
        lambda o: [L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=20), L.ExponentialLR(o, 0.99)], milestones=[20])],
        lambda o: [
            ScheduleLR(
                o, T.sequential_lr([T.linear_lr(0.1, total_iters=20, lr=LR), T.exponential_lr(0.99, lr=LR)], [20])
            )
        ],
    ),
    "chained_scheduler": (
        lambda o: [L.ChainedScheduler([L.ConstantLR(o, 0.5, total_iters=30), L.ExponentialLR(o, 0.99)])],
        lambda o: [
            ScheduleLR(o, T.chained_scheduler([T.constant_lr(0.5, 30, lr=LR), T.exponential_lr(0.99, lr=LR)], lr=LR))
        ],
    ),
    "swa_lr": (
        lambda o: [torch.optim.swa_utils.SWALR(o, swa_lr=0.01, anneal_epochs=50, anneal_strategy="cos")],
        lambda o: [ScheduleLR(o, T.swa_lr(0.01, 50, "cos", lr=LR))],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_training_run_equals_torch(name):
    torch_side, ours = CASES[name]
    lrs_t, moms_t, params_t = _train(torch_side)
    lrs, moms, params = _train(ours)
    # closed forms against torch's recursions: equal up to float rounding
    assert lrs == pytest.approx(lrs_t, rel=1e-10, abs=1e-16)
    assert moms == pytest.approx(moms_t, rel=1e-10, abs=1e-16)
    for p, q in zip(params, params_t):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
    assert len(set(lrs_t)) > 1  # the schedule moved during the run


def test_every_compat_schedule_is_covered():
    # the momentum schedules ride along with their lr cases; the plateau has its own run below
    covered = {n.split("_lr_")[0] + "_lr" if "_lr_" in n else n for n in CASES}
    covered |= {"cyclic_momentum", "one_cycle_momentum", "reduce_lr_on_plateau"}
    assert set(T.__all__) == covered


def test_training_run_with_plateau_equals_torch():
    def torch_side(o):
        return [L.ReduceLROnPlateau(o, factor=0.5, patience=3, threshold=1e-3, cooldown=2, min_lr=1e-3)]

    def ours(o):
        p = reduce_lr_on_plateau(factor=0.5, patience=3, threshold=1e-3, cooldown=2, min_lr=1e-3, lr=LR)
        return [ScheduleLR(o, lrsched.constant(LR), plateau=p)]

    lrs_t, _, params_t = _train(torch_side, metric=True)
    lrs, _, params = _train(ours, metric=True)
    assert lrs == lrs_t
    for p, q in zip(params, params_t):
        assert torch.equal(p, q)
    assert min(lrs_t) < LR


# --------------------------------------------------------------------------------------------
# resume through torch.save / torch.load(weights_only=True)
# --------------------------------------------------------------------------------------------
RESUME_N = 50


@st.composite
def resume_cases(draw):
    a = draw(st.integers(1, 40))
    b = draw(st.integers(1, 40))
    peak = draw(st.sampled_from([1.0, 0.1, 0.03]))
    kind = draw(st.integers(0, 6))
    if kind == 0:
        s = lrsched.warmup_cosine(peak, a + b, min(a, b))
    elif kind == 1:
        s = T.step_lr(a, 0.5, lr=peak)
    elif kind == 2:
        s = T.one_cycle_lr(peak, total_steps=a + b)
    elif kind == 3:
        s = T.cosine_annealing_warm_restarts(a, 2, lr=peak)
    elif kind == 4:
        s = lrsched.cyclic(peak / 10, peak, a, b)
    elif kind == 5:
        s = lrsched.wsd(peak, a + b + 5, 5, a)
    else:
        s = lrsched.join([lrsched.linear(0.0, peak, a), lrsched.exponential(peak, 0.97)], [a])
    plateau = draw(st.sampled_from([None, lrsched.Plateau(0.5, 1), reduce_lr_on_plateau(factor=0.3, patience=0)]))
    relative = draw(st.booleans())
    stop = draw(st.integers(0, RESUME_N))
    metrics = draw(st.lists(st.sampled_from([1.0, 0.5, 0.9, 2.0, -1.0]), min_size=RESUME_N, max_size=RESUME_N))
    return s, plateau, relative, stop, metrics


def _step_all(model, opt, sched, ks, metrics, lrs):
    for k in ks:
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(X), Y).backward()
        opt.step()
        sched.step(metrics[k]) if sched._plateaus else sched.step()


@settings(max_examples=25)
@given(case=resume_cases())
def test_resume_continues_the_same_lr_sequence(case):
    s, plateau, relative, stop, metrics = case
    lr0 = 0.2

    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=lr0, momentum=0.9)
    sched = ScheduleLR(opt, s, relative=relative, plateau=plateau)
    whole: list = []
    _step_all(model, opt, sched, range(RESUME_N), metrics, whole)
    final = [p.detach().clone() for p in model.parameters()]

    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=lr0, momentum=0.9)
    sched = ScheduleLR(opt, s, relative=relative, plateau=plateau)
    parts: list = []
    _step_all(model, opt, sched, range(stop), metrics, parts)
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
    del model, opt, sched
    buf.seek(0)
    ck = torch.load(buf, weights_only=True)

    model = torch.nn.Linear(4, 1)
    model.load_state_dict(ck["model"])
    opt = torch.optim.SGD(model.parameters(), lr=123.0, momentum=0.9)  # a different lr on purpose
    sched = ScheduleLR(opt, s, relative=relative, plateau=plateau)
    opt.load_state_dict(ck["opt"])
    sched.load_state_dict(ck["sched"])
    _step_all(model, opt, sched, range(stop, RESUME_N), metrics, parts)

    assert parts == whole
    for p, q in zip(model.parameters(), final):
        assert torch.equal(p.detach(), q)


def test_load_warns_when_the_schedule_differs():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sd = ScheduleLR(opt, lrsched.linear(1.0, 0.0, 10)).state_dict()
    sd["last_epoch"] = 4
    other = ScheduleLR(opt, lrsched.linear(1.0, 0.0, 20))
    with pytest.warns(UserWarning, match="schedule differs"):
        other.load_state_dict(sd)
    assert other.last_epoch == 4 and opt.param_groups[0]["lr"] == 0.8  # the current schedule, at step 4
    same = ScheduleLR(opt, lrsched.linear(1.0, 0.0, 10))
    same.load_state_dict(sd)  # no warning (warnings are errors here)
    assert opt.param_groups[0]["lr"] == 0.6
    with pytest.warns(UserWarning, match="plateau differs"):
        ScheduleLR(opt, lrsched.linear(1.0, 0.0, 10), plateau=lrsched.Plateau()).load_state_dict(sd)


def _plain(x):
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in x.items())
    if isinstance(x, list):
        return all(_plain(v) for v in x)
    return x is None or type(x) in (int, float, str, bool)


def test_state_dict_is_plain_data():
    model = _model()
    opt = torch.optim.SGD(
        [{"params": [model.weight], "lr": torch.tensor(0.1)}, {"params": [model.bias], "lr": 0.5}], lr=0.1
    )
    s = lrsched.warmup_cosine(0.1, 100, 10)
    unnamed = lrsched.fn(lambda k: 0.5)
    sched = ScheduleLR(opt, [s, unnamed], plateau=lrsched.Plateau(0.5, 2))
    for m in [1.0, 2.0, 2.0, 2.0]:
        sched.step(m)
    sd = sched.state_dict()
    assert _plain(sd), sd
    assert sd["schedules"][0] == lrsched.to_dict(s) and isinstance(sd["schedules"][1], str)
    assert sd["plateau_states"][0]["scale"] == 0.5
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    assert torch.load(buf, weights_only=True) == sd


# --------------------------------------------------------------------------------------------
# tensor lrs, keys, groups
# --------------------------------------------------------------------------------------------
def test_tensor_lr_is_filled_in_place():
    s = lrsched.warmup_cosine(0.1, 50, 5)
    lr = torch.tensor(0.3)
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    t = opt.param_groups[0]["lr"]
    sched = ScheduleLR(opt, s)
    for k in range(12):
        assert opt.param_groups[0]["lr"] is t
        assert t.item() == torch.tensor(s(k), dtype=t.dtype).item()
        last = sched.get_last_lr()[0]
        assert isinstance(last, torch.Tensor) and last is not t and last.item() == t.item()
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(X), Y).backward()
        opt.step()
        sched.step()
    assert isinstance(opt.param_groups[0]["initial_lr"], torch.Tensor)
    assert opt.param_groups[0]["initial_lr"] is not t


def test_tensor_betas_are_filled_in_place():
    p = torch.nn.Parameter(torch.zeros(2))
    b1 = torch.tensor(0.9)
    opt = torch.optim.Adam([p], lr=0.1, betas=(b1, torch.tensor(0.99)))
    ScheduleLR(opt, lrsched.constant(0.8), key="beta1")
    assert opt.param_groups[0]["betas"][0] is b1 and b1.item() == pytest.approx(0.8)


@pytest.mark.parametrize("key", ["momentum", "weight_decay", "dampening"])
def test_float_keys(key):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9, weight_decay=0.01)
    s = lrsched.linear(0.9, 0.5, 4)
    sched = ScheduleLR(opt, s, key=key)
    got = [opt.param_groups[0][key]]
    for _ in range(5):
        sched.step()
        got.append(opt.param_groups[0][key])
    assert got == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5, 0.5])
    assert opt.param_groups[0]["lr"] == 0.1
    assert "initial_lr" not in opt.param_groups[0]


@pytest.mark.parametrize("key, index", [("beta1", 0), ("beta2", 1)])
def test_betas_halves(key, index):
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.1, betas=(0.9, 0.999))
    sched = ScheduleLR(opt, lrsched.linear(0.5, 0.7, 2), key=key)
    sched.step()
    betas = opt.param_groups[0]["betas"]
    assert type(betas) is tuple and betas[index] == pytest.approx(0.6) and betas[1 - index] == (0.9, 0.999)[1 - index]


def test_groups_by_list_dict_and_name_relative():
    w, b, c = (torch.nn.Parameter(torch.zeros(1)) for _ in range(3))
    opt = torch.optim.SGD(
        [
            {"params": [w], "lr": 0.1, "name": "backbone"},
            {"params": [b], "lr": 0.01, "name": "head"},
            {"params": [c], "lr": 7.0},
        ]
    )
    s = lrsched.linear(1.0, 0.0, 10)
    sched = ScheduleLR(opt, {"head": s, 0: s * 0.5}, relative=True)
    sched.set_step(4)
    lrs = [g["lr"] for g in opt.param_groups]
    assert lrs == pytest.approx([0.1 * 0.5 * 0.6, 0.01 * 0.6, 7.0])
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01, 7.0]
    assert sched.get_last_lr() == lrs and sched.base_lrs == [0.1, 0.01, 7.0]

    opt2 = torch.optim.SGD([{"params": [w], "lr": 0.1}, {"params": [b], "lr": 0.2}])
    ScheduleLR(opt2, [None, lrsched.constant(0.3)])
    assert [g["lr"] for g in opt2.param_groups] == [0.1, 0.3]


def test_relative_equals_lambda_lr_and_last_step_resumes_like_torch():
    f = lrsched.inverse_time(1.0, 0.1)
    p = torch.nn.Parameter(torch.zeros(1))
    opt_t = torch.optim.SGD([{"params": [p], "lr": 0.4}, {"params": [], "lr": 0.02}])
    opt = torch.optim.SGD([{"params": [p], "lr": 0.4}, {"params": [], "lr": 0.02}])
    sched_t = L.LambdaLR(opt_t, lambda k: f(k))
    sched = ScheduleLR(opt, f, relative=True)
    for _ in range(7):
        opt_t.step()
        sched_t.step()
        sched.step()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt_t.param_groups]
        assert sched.get_last_lr() == sched_t.get_last_lr() and sched.last_epoch == sched_t.last_epoch
    # torch's resume: last_epoch=9 writes the value of step 10
    resumed_t = L.LambdaLR(opt_t, lambda k: f(k), last_epoch=9)
    resumed = ScheduleLR(opt, f, relative=True, last_step=9)
    assert resumed.last_epoch == resumed_t.last_epoch == 10
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt_t.param_groups]


def test_closed_form_never_reads_back_and_set_step_is_idempotent():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    s = lrsched.cosine(1.0, 0.0, 10)
    sched = ScheduleLR(opt, s)
    sched.step()
    opt.param_groups[0]["lr"] = 123.0  # someone else writes the lr
    sched.step()
    assert opt.param_groups[0]["lr"] == s(2)
    sched.set_step(7)
    sched.set_step(7)
    assert opt.param_groups[0]["lr"] == s(7) and sched.last_epoch == 7 and sched.get_lr() == [s(7)]
    sched.step()
    assert opt.param_groups[0]["lr"] == s(8)


def test_observe_feeds_without_advancing():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    s = lrsched.linear(1.0, 0.5, 10)
    sched = ScheduleLR(opt, s, plateau=lrsched.Plateau(0.5, 0))
    sched.step()
    sched.observe(1.0)
    sched.observe(2.0)
    assert sched.last_epoch == 1 and opt.param_groups[0]["lr"] == s(1) * 0.5
    sched.step()
    assert opt.param_groups[0]["lr"] == s(2) * 0.5


# --------------------------------------------------------------------------------------------
# what the adapter is, and must not do
# --------------------------------------------------------------------------------------------
def test_is_an_lr_scheduler_and_leaves_optimizer_step_alone():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    step = opt.step
    sched = ScheduleLR(opt, lrsched.constant(0.1))
    assert isinstance(sched, L.LRScheduler)
    assert sched.optimizer is opt and sched.base_lrs == [1.0] and sched.last_epoch == 0
    assert "step" not in vars(opt) and opt.step == step
    assert not hasattr(opt.step, "_wrapped_by_lr_sched")
    sched.step()  # before any optimizer.step(): no warning (warnings are errors here)
    sched.step()
    assert sched.get_last_lr() == [0.1]


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"schedule": 0.1}, TypeError, "schedule="),
        ({"schedule": [lrsched.constant(0.1)] * 2}, ValueError, "schedule: a list of 2"),
        ({"schedule": {"nope": lrsched.constant(0.1)}}, ValueError, "nope"),
        ({"schedule": {3: lrsched.constant(0.1)}}, ValueError, "no param group 3"),
        ({"key": "betas1"}, ValueError, "key='betas1'"),
        ({"key": "beta1"}, ValueError, "key='beta1'"),
        ({"key": "nesterov"}, TypeError, "key='nesterov'"),
        ({"relative": 1}, TypeError, "relative="),
        ({"plateau": 0.1}, TypeError, "plateau="),
        ({"last_step": -2}, ValueError, "last_step=-2"),
        ({"last_step": 1.5}, TypeError, "last_step=1.5"),
        ({"last_step": 3, "relative": True}, ValueError, "initial_lr"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    kwargs = {"schedule": lrsched.constant(0.1), **kwargs}
    with pytest.raises(exc, match=match):
        ScheduleLR(opt, **kwargs)


def test_bad_calls():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = ScheduleLR(opt, lrsched.constant(0.1))
    with pytest.raises(ValueError, match="no plateau"):
        sched.step(0.5)
    with pytest.raises(ValueError, match="step=-1"):
        sched.set_step(-1)
    with pytest.raises(TypeError, match="optimizer="):
        ScheduleLR(object(), lrsched.constant(0.1))


def test_import_lrsched_does_not_import_torch():
    code = (
        "import sys, lrsched, lrsched.compat.torch, lrsched.optax; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "import lrsched.torch; assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_step_cost_is_plain_python():
    # The Python-int path: a step costs about as much as torch's own closed-form scheduler.
    import time

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = ScheduleLR(opt, lrsched.warmup_cosine(0.1, 10**6, 100))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own scheduler warns when stepped before the optimizer
        ref = L.CosineAnnealingLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0), T_max=10**6)

        def best_of(f):
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(2000):
                    f()
                times.append(time.perf_counter() - t0)
            return min(times)

        ours, theirs = best_of(sched.step), best_of(ref.step)
    assert ours < 5 * theirs, (ours, theirs)
    assert math.isclose(opt.param_groups[0]["lr"], lrsched.warmup_cosine(0.1, 10**6, 100)(10000))
