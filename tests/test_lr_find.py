"""The range test (lrsched.torch.lr_find, lrsched.optax.lr_find) on scikit-learn's digits and on
small problems whose losses are known in closed form; expected values come from the formulas
(Fraction arithmetic for the smoothing, the geometric ramp, the SGD recursion) and from
torch-lr-finder itself."""

import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import lrsched
import lrsched.optax
import lrsched.torch
from lrsched._lr_find import LRFindResult, Smoother

F = torch.nn.functional.cross_entropy
BATCH = 64


# -- data and models ------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Models this small run fastest on one thread (and the machine's cores are shared)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean(0)) / (x.std(0) + 1e-6)).astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(y))
    tr, te = perm[:1437], perm[1437:]
    n = (len(tr) // BATCH) * BATCH  # whole batches only: one shape, one compile
    xt, yt = x[tr][:n], y[tr][:n]
    batches = [(xt[i : i + BATCH], yt[i : i + BATCH]) for i in range(0, n, BATCH)]
    return {"batches": batches, "x_test": x[te], "y_test": y[te], "x_train": xt, "y_train": yt}


@pytest.fixture(scope="module")
def torch_batches(digits):
    return [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in digits["batches"]]


def mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def make_opt(model, name, lr=1e-3):
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def jax_mlp(seed=0):
    k1, k2 = jax.random.split(jax.random.key(seed))
    return {
        "w1": jax.random.normal(k1, (64, 64)) * (1 / 8),
        "b1": jnp.zeros(64),
        "w2": jax.random.normal(k2, (64, 10)) * (1 / 8),
        "b2": jnp.zeros(10),
    }


def jax_logits(p, x):
    return jax.nn.relu(x @ p["w1"] + p["b1"][None, :]) @ p["w2"] + p["b2"][None, :]


def jax_loss(p, batch):
    x, y = batch
    return optax.softmax_cross_entropy_with_integer_labels(jax_logits(p, x), y).mean()


def ramp_formula(start, end, n, k):
    """start * (end / start) ** (k / (n - 1)), the geometric sweep, in float64."""
    return start * (end / start) ** (k / (n - 1))


# -- independent references -------------------------------------------------------------------
def smoothed_reference(raw, beta):
    """The bias-corrected moving average in exact rational arithmetic."""
    b, avg, out = Fraction(beta), Fraction(0), []
    for k, x in enumerate(raw):
        if not math.isfinite(x):
            out.append(None)
            break
        avg = b * avg + (1 - b) * Fraction(x)
        out.append(avg / (1 - b ** (k + 1)))
    return out


def stop_reference(raw, beta, diverge):
    """The number of updates the test keeps: up to the first whose smoothed loss is above
    ``diverge`` times the smallest so far, or is not finite (that update included)."""
    best = None
    for k, s in enumerate(smoothed_reference(raw, beta)):
        if s is None:
            return k + 1
        best = s if best is None else min(best, s)
        if s > Fraction(diverge) * best:
            return k + 1
    return None


def steep_reference(lrs, losses, num_steps):
    """fastai's steep rule, written out: skip num_steps // 10 first and 5 last points and
    everything from the first non-finite one; the left end of the most negative forward
    difference against log(lr)."""
    start = num_steps // 10
    stop = len(losses) - 5
    for i, v in enumerate(losses):
        if not math.isfinite(v):
            stop = min(stop, i)
            break
    best, where = math.inf, None
    for i in range(start, stop - 1):
        g = (losses[i + 1] - losses[i]) / (math.log(lrs[i + 1]) - math.log(lrs[i]))
        if g < best:
            best, where = g, i
    return where


def torch_accuracy(model, digits):
    with torch.no_grad():
        out = model(torch.from_numpy(digits["x_test"]))
    return (out.argmax(1).numpy() == digits["y_test"]).mean()


# -- the lrs tried are the ramp ---------------------------------------------------------------
class RecordingSGD(torch.optim.SGD):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([float(g["lr"]) for g in self.param_groups])
        return super().step(closure)


@pytest.mark.parametrize(
    "start_lr, end_lr, num_steps", [(1e-6, 1e-3, 40), (1e-7, 1.0, 100), (3e-5, 0.02, 13), (0.5, 0.75, 10)]
)
@pytest.mark.parametrize("tensor_lr", [False, True])
def test_torch_lrs_are_the_ramp(start_lr, end_lr, num_steps, tensor_lr):
    # loss 100 + sum(w), gradient 1: plain SGD gives loss_k = loss_0 - n * sum(lr_j, j < k)
    w = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    model = torch.nn.Module()
    model.w = w
    model.forward = lambda x: 100.0 + w.sum() + 0 * x.sum()
    lr0 = torch.tensor(0.25, dtype=torch.float64) if tensor_lr else 0.25
    opt = RecordingSGD([w], lr=lr0)
    data = [(torch.zeros(1, dtype=torch.float64), None)]
    r = lrsched.torch.lr_find(
        model,
        opt,
        lambda out, t: out,
        data,
        start_lr=start_lr,
        end_lr=end_lr,
        num_steps=num_steps,
        diverge=1e6,
        verbose=False,
    )
    ramp = lrsched.ramp(start_lr, end_lr, num_steps - 1, shape="exponential")
    assert len(r.lrs) == num_steps and not r.diverged
    assert r.lrs.tolist() == [ramp(k) for k in range(num_steps)]
    assert [s[0] for s in opt.seen] == r.lrs.tolist()
    assert r.lrs[-1] == end_lr and r.lrs[0] == start_lr
    np.testing.assert_allclose(r.lrs, [ramp_formula(start_lr, end_lr, num_steps, k) for k in range(num_steps)], 1e-13)
    expected = 100.0 - 3 * np.concatenate([[0.0], np.cumsum([float(Fraction(v)) for v in r.lrs[:-1]])])
    np.testing.assert_allclose(r.raw_losses, expected, rtol=1e-13)
    # and the group is back to what it was
    assert opt.param_groups[0]["lr"] == 0.25 and "initial_lr" not in opt.param_groups[0]
    if tensor_lr:
        assert opt.param_groups[0]["lr"] is lr0
    assert torch.equal(w, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("start_lr, end_lr, num_steps", [(1e-6, 1e-3, 40), (1e-7, 0.1, 100), (3e-5, 0.02, 13)])
def test_optax_lrs_are_the_ramp_and_one_compile(start_lr, end_lr, num_steps):
    given, traces = [], []

    def loss_fn(w, batch):
        traces.append(1)
        return 100.0 + jnp.sum(w) * batch

    def make(lr):
        given.append(lr)
        return optax.sgd(lr)

    w = jnp.zeros(3)
    r = lrsched.optax.lr_find(
        loss_fn, w, make, [1.0], start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, diverge=1e6, verbose=False
    )
    ramp = lrsched.ramp(start_lr, end_lr, num_steps - 1, shape="exponential")
    assert given == [ramp]
    assert len(traces) == 2  # one abstract evaluation of the shape, one trace of the compiled step
    assert r.lrs.tolist() == [ramp(k) for k in range(num_steps)]
    expected = 100.0 - 3 * np.concatenate([[0.0], np.cumsum(r.lrs[:-1])])
    np.testing.assert_allclose(r.raw_losses, expected, rtol=1e-6)
    assert bool((w == 0).all())


# -- smoothing and stopping ---------------------------------------------------------------------
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.98])
def test_smoothing_is_the_bias_corrected_average(beta):
    raw = np.random.default_rng(int(beta * 100)).uniform(0.1, 5.0, 60).tolist()
    sm = Smoother(beta)
    got = [sm.add(x) for x in raw]
    ref = smoothed_reference(raw, beta)
    np.testing.assert_allclose(got, [float(v) for v in ref], rtol=1e-13)
    assert got[0] == pytest.approx(raw[0], rel=1e-15)


@pytest.mark.parametrize("diverge", [1.5, 4.0, 10.0])
@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
def test_torch_stops_early_on_divergence(torch_batches, diverge, opt_name):
    model = mlp()
    r = lrsched.torch.lr_find(model, make_opt(model, opt_name), F, torch_batches, diverge=diverge, verbose=False)
    n = stop_reference(r.raw_losses.tolist(), 0.98, diverge)
    assert r.diverged and n is not None and n < 100
    assert len(r.lrs) == len(r.losses) == len(r.raw_losses) == n
    ref = smoothed_reference(r.raw_losses.tolist(), 0.98)
    finite = [float(v) for v in ref if v is not None]
    np.testing.assert_allclose(r.losses[: len(finite)], finite, rtol=1e-12)


@pytest.mark.parametrize("diverge", [2.0, 4.0])
def test_optax_stops_early_on_divergence(digits, diverge):
    r = lrsched.optax.lr_find(jax_loss, jax_mlp(), optax.adam, digits["batches"], diverge=diverge, verbose=False)
    n = stop_reference(r.raw_losses.tolist(), 0.98, diverge)
    assert r.diverged and n is not None and n < 100 and len(r.lrs) == n


@pytest.mark.parametrize("smoothing", [0.0, 0.9])
def test_stops_on_a_non_finite_loss(smoothing):
    # SGD on 1e30 * w**2 with a growing lr: w oscillates with a growing amplitude until it overflows
    w = torch.nn.Parameter(torch.ones(1))
    model = torch.nn.Module()
    model.w = w
    model.forward = lambda x: 1e30 * (w**2).sum()
    opt = torch.optim.SGD([w], lr=0.1)
    r = lrsched.torch.lr_find(
        model,
        opt,
        lambda out, t: out,
        [(torch.zeros(1), None)],
        start_lr=1e-31,
        end_lr=1e-20,
        num_steps=200,
        smoothing=smoothing,
        diverge=1e300,
        verbose=False,
    )
    assert r.diverged and len(r.lrs) < 200
    assert not math.isfinite(r.losses[-1]) and np.isfinite(r.losses[:-1]).all()
    assert torch.equal(w, torch.ones(1))


# -- everything is put back ----------------------------------------------------------------------
def _state(model, opt):
    return (
        {k: v.clone() for k, v in model.state_dict().items()},
        [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        {id(p): {k: v.clone() if torch.is_tensor(v) else v for k, v in s.items()} for p, s in opt.state.items()},
        [
            {k: (v.clone() if torch.is_tensor(v) else v) for k, v in g.items() if k != "params"}
            for g in opt.param_groups
        ],
        [m.training for m in model.modules()],
    )


def _assert_same(a, b):
    sd_a, gr_a, st_a, gp_a, tr_a = a
    sd_b, gr_b, st_b, gp_b, tr_b = b
    assert sd_a.keys() == sd_b.keys() and all(torch.equal(sd_a[k], sd_b[k]) for k in sd_a)
    assert all((x is None and y is None) or torch.equal(x, y) for x, y in zip(gr_a, gr_b))
    assert st_a.keys() == st_b.keys()
    for p in st_a:
        assert st_a[p].keys() == st_b[p].keys()
        for k in st_a[p]:
            x, y = st_a[p][k], st_b[p][k]
            assert torch.equal(x, y) and x.dtype == y.dtype if torch.is_tensor(x) else x == y
    assert len(gp_a) == len(gp_b)
    for ga, gb in zip(gp_a, gp_b):
        assert ga.keys() == gb.keys()
        for k in ga:
            assert torch.equal(ga[k], gb[k]) if torch.is_tensor(ga[k]) else ga[k] == gb[k]
    assert tr_a == tr_b


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: torch.optim.Adam(ps, lr=1e-3, amsgrad=True),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: torch.optim.AdamW(ps, lr=torch.tensor(1e-3), weight_decay=0.1),
        lambda ps: torch.optim.RMSprop(ps, lr=1e-3),
    ],
    ids=["adam-amsgrad", "sgd-nesterov", "adamw-tensor-lr", "rmsprop"],
)
def test_torch_restores_bit_for_bit(torch_batches, make):
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 32),
        torch.nn.BatchNorm1d(32),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.1),
        torch.nn.Linear(32, 10),
    )
    head = list(model[4].parameters())
    opt = make([{"params": list(model[0].parameters()) + list(model[1].parameters())}, {"params": head}])
    if not torch.is_tensor(opt.param_groups[1]["lr"]):
        opt.param_groups[1]["lr"] *= 0.5  # groups with different lrs
    for xb, yb in torch_batches[:5]:  # a non-empty optimizer state, gradients left in place
        opt.zero_grad()
        F(model(xb), yb).backward()
        opt.step()
    model[3].eval()  # a mixed train/eval state
    lr_tensor = opt.param_groups[0]["lr"]
    before = _state(model, opt)
    r = lrsched.torch.lr_find(model, opt, F, torch_batches, num_steps=60, verbose=False)
    assert len(r.lrs) > 10
    _assert_same(before, _state(model, opt))
    assert opt.param_groups[0]["lr"] is lr_tensor


def test_torch_training_after_the_test_is_unchanged(torch_batches):
    a, b = mlp(), mlp()
    oa, ob = make_opt(a, "adam"), make_opt(b, "adam")
    lrsched.torch.lr_find(a, oa, F, torch_batches, verbose=False)
    for m, o in ((a, oa), (b, ob)):
        for xb, yb in torch_batches[:15]:
            o.zero_grad()
            F(m(xb), yb).backward()
            o.step()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_torch_restores_after_an_error(torch_batches):
    model = mlp()
    opt = make_opt(model, "adam")
    before = _state(model, opt)
    calls = []

    def loss_fn(out, t):
        calls.append(1)
        if len(calls) == 8:
            raise RuntimeError("boom")
        return F(out, t)

    with pytest.raises(RuntimeError, match="boom"):
        lrsched.torch.lr_find(model, opt, loss_fn, torch_batches, verbose=False)
    _assert_same(before, _state(model, opt))


# -- the suggestion ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_suggestion_is_the_steepest_descent(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 120))
    num_steps = n + int(rng.integers(0, 30))
    lrs = [ramp_formula(1e-6, 1.0, num_steps, k) for k in range(n)]
    losses = (2.5 - np.tanh(np.linspace(-3, 3, n) + rng.normal(0, 0.3)) + rng.normal(0, 0.05, n)).tolist()
    if seed % 3 == 2:
        losses[n - 8] = math.nan
    if seed % 2 == 0:  # steeper drops inside the skipped ends must not count
        losses[1] = losses[0] - 10.0
        losses[-2] = losses[-3] - 10.0
    r = LRFindResult(lrs, losses, losses, num_steps=num_steps, diverged=False)
    i = steep_reference(lrs, losses, num_steps)
    assert r.suggestion_index == i and r.suggestion == lrs[i]


def test_too_few_points_have_no_suggestion():
    lrs = [1e-3 * 2**k for k in range(16)]
    r = LRFindResult(lrs, [1.0] * 16, [1.0] * 16, num_steps=100, diverged=True)
    with pytest.raises(ValueError, match="16 updates before it diverged.*at least 17"):
        _ = r.suggestion
    ax = r.plot(ax=plt.subplots()[1])
    assert [ln.get_gid() for ln in ax.lines] == ["lrsched-raw-loss", "lrsched-loss"]
    plt.close("all")


@pytest.mark.parametrize("opt_name, num_steps", [("adam", 100), ("sgd", 100), ("adam", 200), ("sgd", 300)])
def test_agrees_with_torch_lr_finder(torch_batches, opt_name, num_steps, capsys):
    finder_mod = pytest.importorskip("torch_lr_finder")
    model = mlp()
    ours = lrsched.torch.lr_find(model, make_opt(model, opt_name), F, torch_batches, num_steps=num_steps, verbose=False)
    ref_model = mlp()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*map(torch.cat, zip(*torch_batches))), BATCH)
    finder = finder_mod.LRFinder(ref_model, make_opt(ref_model, opt_name, lr=1e-7), F)
    finder.range_test(loader, start_lr=1e-7, end_lr=10.0, num_iter=num_steps)
    assert finder.history["lr"] == pytest.approx(ours.lrs.tolist()[: len(finder.history["lr"])], rel=1e-12)
    fig, ax = plt.subplots()
    _, theirs = finder.plot(ax=ax, suggest_lr=True)
    plt.close(fig)
    assert 1 / 3 <= ours.suggestion / theirs <= 3


def _train_torch(schedule, batches, opt_name, steps):
    model = mlp(1)
    opt = make_opt(model, opt_name)
    sched = lrsched.torch.ScheduleLR(opt, schedule)
    for k in range(steps):
        xb, yb = batches[k % len(batches)]
        opt.zero_grad()
        F(model(xb), yb).backward()
        opt.step()
        sched.step()
    return model


@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
def test_torch_suggestion_trains_to_95_percent(digits, torch_batches, opt_name):
    model = mlp(1)
    r = lrsched.torch.lr_find(model, make_opt(model, opt_name), F, torch_batches, verbose=False)
    s = r.schedule("warmup_cosine", total_steps=300, warmup_steps=30)
    assert s == lrsched.warmup_cosine(r.suggestion, 300, 30)
    assert torch_accuracy(_train_torch(s, torch_batches, opt_name, 300), digits) >= 0.95


@pytest.mark.parametrize("make", [optax.adam, lambda lr: optax.sgd(lr, momentum=0.9)], ids=["adam", "sgd"])
def test_optax_suggestion_trains_to_95_percent(digits, make):
    params = jax_mlp(1)
    r = lrsched.optax.lr_find(jax_loss, params, make, digits["batches"], verbose=False)
    tx = make(r.schedule("one_cycle", total_steps=300))

    @jax.jit
    def step(p, st, batch):
        g = jax.grad(jax_loss)(p, batch)
        u, st = tx.update(g, st, p)
        return optax.apply_updates(p, u), st

    st = tx.init(params)
    for k in range(300):
        params, st = step(params, st, digits["batches"][k % len(digits["batches"])])
    acc = (jax_logits(params, digits["x_test"]).argmax(1) == digits["y_test"]).mean()
    assert float(acc) >= 0.95


# -- the result's schedule and plot --------------------------------------------------------------
def _synthetic():
    lrs = [ramp_formula(1e-5, 1.0, 50, k) for k in range(50)]
    losses = (2.0 - np.tanh(np.linspace(-3, 3, 50))).tolist()
    return LRFindResult(lrs, losses, losses, num_steps=50, diverged=False)


@pytest.mark.parametrize(
    "kind, kwargs, build",
    [
        ("warmup_cosine", {"total_steps": 100, "warmup_steps": 10}, lambda p: lrsched.warmup_cosine(p, 100, 10)),
        (
            "warmup_linear",
            {"total_steps": 100, "warmup_steps": 5, "end": 1e-6},
            lambda p: lrsched.warmup_linear(p, 100, 5, end=1e-6),
        ),
        ("wsd", {"total_steps": 100, "warmup_steps": 10, "decay_steps": 20}, lambda p: lrsched.wsd(p, 100, 10, 20)),
        ("one_cycle", {"total_steps": 100}, lambda p: lrsched.one_cycle(p, 100)),
        ("sgdr", {"period": 30}, lambda p: lrsched.sgdr(p, 30)),
        ("noam", {"warmup_steps": 40}, lambda p: lrsched.noam(p, 40)),
        ("tri_stage", {"warmup_steps": 5, "hold_steps": 5, "decay_steps": 5}, lambda p: lrsched.tri_stage(p, 5, 5, 5)),
    ],
)
def test_schedule_takes_the_suggestion_as_peak(kind, kwargs, build):
    r = _synthetic()
    assert r.schedule(kind, **kwargs) == build(r.suggestion)


def test_schedule_bad_kind_and_peak():
    r = _synthetic()
    with pytest.raises(ValueError, match=r"kind='warmup_cosin'.*did you mean 'warmup_cosine'"):
        r.schedule("warmup_cosin", total_steps=10, warmup_steps=1)
    with pytest.raises(TypeError, match=r"peak=0\.1"):
        r.schedule(total_steps=10, warmup_steps=1, peak=0.1)
    with pytest.raises(ValueError, match="warmup_steps=20"):
        r.schedule(total_steps=10, warmup_steps=20)


def test_plot_marks_the_suggestion():
    r = _synthetic()
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    assert ax.get_xscale() == "log"
    (mark,) = [ln for ln in ax.lines if ln.get_gid() == "lrsched-suggestion"]
    assert mark.get_xdata()[0] == r.suggestion and mark.get_ydata()[0] == r.losses[r.suggestion_index]
    (curve,) = [ln for ln in ax.lines if ln.get_gid() == "lrsched-loss"]
    assert curve.get_xdata().tolist() == r.lrs.tolist()
    with pytest.raises(TypeError, match="ax="):
        r.plot(ax="axes")
    plt.close(fig)


# -- progress --------------------------------------------------------------------------------------
def _tiny(verbose):
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = [(torch.ones(4, 2), torch.zeros(4))]
    return lrsched.torch.lr_find(
        model, opt, lambda o, t: ((o[:, 0] - t) ** 2).mean(), data, end_lr=1e-3, num_steps=12, verbose=verbose
    )


def test_verbose_false_is_silent(capfd):
    _tiny(False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_with_tqdm(capfd):
    pytest.importorskip("tqdm")
    _tiny(True)
    out, err = capfd.readouterr()
    assert out == "" and "lr_find" in err and "12/12" in err and "suggestion" in err


def test_progress_without_tqdm(capfd, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    r = _tiny(True)
    out, err = capfd.readouterr()
    assert out == "" and err == f"lr_find: 12 updates (lr 1.00e-03); suggestion {r.suggestion:.2e}\n"


# -- data -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["list", "generator", "dataloader"])
def test_data_is_cycled(kind):
    xs = [torch.full((2, 1), float(i)) for i in range(3)]
    seen = []
    if kind == "list":
        data = [(x, torch.zeros(2)) for x in xs]
    elif kind == "generator":
        data = ((x, torch.zeros(2)) for x in xs)
    else:
        data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.cat(xs), torch.zeros(6)), batch_size=2)
    model = torch.nn.Linear(1, 1)

    def loss_fn(out, t):
        seen.append(int(out.shape[0]))
        return (out**2).mean() + 1.0

    class Probe(torch.nn.Module):
        def forward(self, x):
            seen.append(float(x[0, 0]))
            return model(x)

    probe = Probe()
    probe.inner = model
    lrsched.torch.lr_find(
        probe, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, data, end_lr=1e-3, num_steps=11, verbose=False
    )
    assert seen[0::2] == [float(i % 3) for i in range(11)]


def test_optax_data_is_cycled_and_passed_whole():
    seen = []

    def loss_fn(w, batch):
        jax.debug.callback(lambda b: seen.append(int(b)), batch["i"])
        return jnp.sum(w**2) + 1.0

    r = lrsched.optax.lr_find(
        loss_fn, jnp.ones(2), optax.sgd, ({"i": i} for i in range(4)), end_lr=1e-3, num_steps=10, verbose=False
    )
    jax.effects_barrier()
    assert len(r.lrs) == 10 and seen == [i % 4 for i in range(10)]


# -- bad input -----------------------------------------------------------------------------------
BAD = [
    ({"start_lr": 1.0, "end_lr": 1.0}, ValueError, r"start_lr=1\.0, end_lr=1\.0: start_lr must be < end_lr"),
    ({"start_lr": 0.5, "end_lr": 0.1}, ValueError, "start_lr must be < end_lr"),
    ({"start_lr": 0.0}, ValueError, r"start_lr=0\.0: must be > 0"),
    ({"start_lr": -1e-3}, ValueError, r"start_lr=-0\.001: must be > 0"),
    ({"end_lr": -1.0}, ValueError, r"end_lr=-1\.0: must be > 0"),
    ({"end_lr": math.inf}, ValueError, "end_lr=inf: must be finite"),
    ({"start_lr": "1e-7"}, TypeError, "start_lr='1e-7'"),
    ({"num_steps": 9}, ValueError, "num_steps=9: must be >= 10"),
    ({"num_steps": 0}, ValueError, "num_steps=0: must be >= 10"),
    ({"num_steps": 50.5}, TypeError, r"num_steps=50\.5"),
    ({"smoothing": 1.0}, ValueError, r"smoothing=1\.0: must be in \[0, 1\)"),
    ({"smoothing": -0.1}, ValueError, r"smoothing=-0\.1"),
    ({"diverge": 1.0}, ValueError, r"diverge=1\.0: must be > 1"),
    ({"diverge": 0.5}, ValueError, r"diverge=0\.5"),
    ({"verbose": 1}, TypeError, "verbose=1: expected a bool"),
]


@pytest.mark.parametrize("kwargs, exc, match", BAD)
def test_torch_bad_keywords(torch_batches, kwargs, exc, match):
    model = mlp()
    opt = make_opt(model, "adam")
    before = _state(model, opt)
    with pytest.raises(exc, match=match):
        lrsched.torch.lr_find(model, opt, F, torch_batches, **kwargs)
    _assert_same(before, _state(model, opt))


@pytest.mark.parametrize("kwargs, exc, match", BAD)
def test_optax_bad_keywords(digits, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lrsched.optax.lr_find(jax_loss, jax_mlp(), optax.adam, digits["batches"], **kwargs)


@pytest.mark.parametrize(
    "data",
    [[], iter([]), torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(0, 64), torch.zeros(0)))],
    ids=["list", "iterator", "dataloader"],
)
def test_torch_empty_data(data):
    model = mlp()
    opt = make_opt(model, "adam")
    before = _state(model, opt)
    with pytest.raises(ValueError, match="data=.*yields no batch"):
        lrsched.torch.lr_find(model, opt, F, data, verbose=False)
    _assert_same(before, _state(model, opt))


@pytest.mark.parametrize("data", [[], (b for b in ())], ids=["list", "generator"])
def test_optax_empty_data(data):
    with pytest.raises(ValueError, match="data=.*yields no batch"):
        lrsched.optax.lr_find(jax_loss, jax_mlp(), optax.adam, data, verbose=False)


def test_data_that_is_not_iterable():
    model = mlp()
    with pytest.raises(TypeError, match="data=3: expected an iterable of batches"):
        lrsched.torch.lr_find(model, make_opt(model, "adam"), F, 3, verbose=False)
    with pytest.raises(TypeError, match="data='ab': expected an iterable of batches"):
        lrsched.optax.lr_find(jax_loss, jax_mlp(), optax.adam, "ab", verbose=False)


@pytest.mark.parametrize(
    "loss_fn, exc, match",
    [
        (lambda o, t: F(o, t, reduction="none"), ValueError, r"shape \(64,\) at update 0: expected a scalar"),
        (lambda o, t: F(o, t).reshape(1, 1), ValueError, r"shape \(1, 1\)"),
        (lambda o, t: F(o, t).item(), TypeError, "loss_fn returned float at update 0: expected a scalar tensor"),
        (lambda o, t: F(o, t) - 10.0, ValueError, r"loss_fn returned -.* at update 0: .*needs losses >= 0"),
    ],
    ids=["per-sample", "1x1", "float", "negative"],
)
def test_torch_bad_loss(torch_batches, loss_fn, exc, match):
    model = mlp()
    opt = make_opt(model, "adam")
    before = _state(model, opt)
    with pytest.raises(exc, match=match):
        lrsched.torch.lr_find(model, opt, loss_fn, torch_batches, verbose=False)
    _assert_same(before, _state(model, opt))


@pytest.mark.parametrize(
    "loss_fn, match",
    [
        (lambda p, b: optax.softmax_cross_entropy_with_integer_labels(jax_logits(p, b[0]), b[1]), r"shape \(64,\)"),
        (lambda p, b: jax_loss(p, b).reshape(1), r"shape \(1,\)"),
    ],
)
def test_optax_non_scalar_loss(digits, loss_fn, match):
    with pytest.raises(ValueError, match=match + " at update 0: expected a scalar loss"):
        lrsched.optax.lr_find(loss_fn, jax_mlp(), optax.adam, digits["batches"], verbose=False)


def test_bad_objects(torch_batches, digits):
    model = mlp()
    opt = make_opt(model, "adam")
    with pytest.raises(TypeError, match="model=.*expected a torch.nn.Module"):
        lrsched.torch.lr_find(lambda x: x, opt, F, torch_batches)
    with pytest.raises(TypeError, match="optimizer=.*expected a torch.optim.Optimizer"):
        lrsched.torch.lr_find(model, optax.adam(1e-3), F, torch_batches)
    with pytest.raises(TypeError, match="loss_fn=.*expected a callable"):
        lrsched.torch.lr_find(model, opt, "cross_entropy", torch_batches)
    with pytest.raises(TypeError, match=r"data: batch 0 is a Tensor: expected an \(inputs, targets\) pair"):
        lrsched.torch.lr_find(model, opt, F, [torch.zeros(3, 64)], verbose=False)
    with pytest.raises(TypeError, match="make_optimizer=.*returned a float, not an optax GradientTransformation"):
        lrsched.optax.lr_find(jax_loss, jax_mlp(), lambda lr: 0.1, digits["batches"])
    with pytest.raises(TypeError, match="make_optimizer=.*expected a callable"):
        lrsched.optax.lr_find(jax_loss, jax_mlp(), "adam", digits["batches"])
    with pytest.raises(TypeError, match="loss_fn=.*expected a callable"):
        lrsched.optax.lr_find(None, jax_mlp(), optax.adam, digits["batches"])


def test_import_lrsched_imports_no_torch_nor_matplotlib():
    code = (
        "import sys, lrsched, lrsched._lr_find\n"
        "bad = [m for m in ('torch', 'matplotlib', 'tqdm') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plot_shows_the_raw_losses_below_the_smoothed_ones():
    lrs = [ramp_formula(1e-5, 1.0, 50, k) for k in range(50)]
    losses = (2.0 - np.tanh(np.linspace(-3, 3, 50))).tolist()
    raw = [v - 0.5 for v in losses]
    fig, ax = plt.subplots()
    LRFindResult(lrs, losses, raw, num_steps=50, diverged=False).plot(ax=ax)
    lo, hi = ax.get_ylim()
    assert lo < min(raw) and hi > max(losses)
    plt.close(fig)
