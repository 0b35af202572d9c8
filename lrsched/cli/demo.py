"""``lrsched demo``: compose schedules, plot a gallery, train with optax and PyTorch, time them."""

from __future__ import annotations

from .._timing import fmt_time, timeit
from .show import sparkline
from .spec import SpecError


def _demo_schedules():
    import lrsched

    return {
        "warmup_cosine": lrsched.warmup_cosine(1e-3, 1000, 100, end=1e-5),
        "wsd": lrsched.wsd(1e-3, 1000, 100, 0.2),
        "one_cycle": lrsched.one_cycle(1e-3, 1000),
        "sgdr": lrsched.sgdr(1e-3, 100, period_mult=2, warmup_steps=50),
        "join + cycle": lrsched.join(
            [
                lrsched.warmup_cosine(1e-3, 500, 50, end=2e-4),
                lrsched.cycle(lrsched.cosine(2e-4, 2e-5, 100), 100, decay=0.7),
            ],
            [500],
        ),
    }


def _demo_gallery(schedules, path) -> None:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("  (matplotlib is not installed: no gallery; pip install 'lrsched[plot]')")
        return
    from .._plot import plot

    fig = Figure(figsize=(13, 7), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    for ax, (name, s) in zip(axes, schedules.items()):
        plot(s, 1000, ax=ax)
        ax.set_title(name)
    plot(schedules, 1000, ax=axes[-1], log_y=True)
    axes[-1].set_title("all five, log scale")
    axes[-1].legend(fontsize=7)
    fig.suptitle("lrsched: dotted lines mark phase boundaries")
    try:
        fig.savefig(path, dpi=90)
    except (OSError, ValueError) as e:
        raise SpecError(f"-o {path}: cannot write it ({e})") from None
    print(f"  wrote {path}")


def _digits():
    """scikit-learn's digits, standardised, split 1437 / 360 with a fixed permutation."""
    import numpy as np
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    idx = np.random.default_rng(0).permutation(len(y))
    tr, te = idx[:1437], idx[1437:]
    return x[tr].astype("float32"), y[tr], x[te].astype("float32"), y[te]


def _train_torch(s, data, steps):
    import torch

    xtr, ytr, xte, yte = (torch.as_tensor(a) for a in data)
    w = torch.zeros(64, 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=s(0))
    try:
        from ..torch import ScheduleLR
    except ImportError:  # the adapter is optional here: set the lr by hand
        sched, how = None, "param_group['lr'] = schedule(k)"
    else:
        sched, how = ScheduleLR(opt, s), "lrsched.torch.ScheduleLR"
    losses, lr_err = [], 0.0
    for k in range(steps):
        if sched is None:
            for g in opt.param_groups:
                g["lr"] = s(k)
        lr_err = max(lr_err, abs(float(opt.param_groups[0]["lr"]) - s(k)))
        loss = torch.nn.functional.cross_entropy(xtr @ w + b, ytr)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    with torch.no_grad():
        acc = float(((xte @ w + b).argmax(1) == yte).float().mean())
    return losses, acc, how, lr_err


def _train_optax(s, data, steps):
    import jax
    import jax.numpy as jnp
    import optax

    xtr, ytr, xte, yte = (jnp.asarray(a) for a in data)
    opt = optax.adam(s)

    def logits(p, x):
        return x @ p[0] + p[1][None, :]

    def loss_fn(p):
        return optax.softmax_cross_entropy_with_integer_labels(logits(p, xtr), ytr).mean()

    def one(carry, _):
        p, st = carry
        loss, g = jax.value_and_grad(loss_fn)(p)
        u, st = opt.update(g, st, p)
        return (optax.apply_updates(p, u), st), loss

    @jax.jit
    def train(p):
        return jax.lax.scan(one, (p, opt.init(p)), None, length=steps)

    p0 = (jnp.zeros((64, 10)), jnp.zeros(10))
    (p, _), losses = train(p0)
    acc = float(jnp.mean(jnp.argmax(logits(p, xte), 1) == yte))
    return [float(v) for v in losses], acc


def _demo_peak(data) -> float:
    """The peak from a range test (lrsched.optax.lr_find) on the same model and data."""
    import jax.numpy as jnp
    import optax

    from ..optax import lr_find

    xtr, ytr = jnp.asarray(data[0]), jnp.asarray(data[1])

    def loss_fn(p, batch):
        x, y = batch
        return optax.softmax_cross_entropy_with_integer_labels(x @ p[0] + p[1][None, :], y).mean()

    p0 = (jnp.zeros((64, 10)), jnp.zeros(10))
    result = lr_find(loss_fn, p0, optax.adam, [(xtr, ytr)], start_lr=1e-5, end_lr=10.0, num_steps=100, verbose=False)
    peak = float(f"{result.suggestion:.3g}")  # three digits are plenty for a peak, and read better
    print(
        f"  range test (lrsched.optax.lr_find, {len(result.lrs)} updates, lr 1e-05 -> 10): "
        f"steepest descent at lr {peak:.3g}, the peak below"
    )
    return peak


def _demo_train(steps=300) -> None:
    import lrsched

    try:
        data = _digits()
    except ImportError:
        print("  (scikit-learn is not installed: no training run)")
        return
    peak = _demo_peak(data)
    s = lrsched.warmup_cosine(peak, steps, 30, end=peak / 1000)
    print(f"  softmax regression on scikit-learn digits (1437 train / 360 test), Adam, {steps} full-batch updates")
    print(f"  schedule: {s!r}")
    ox, ox_acc = _train_optax(s, data, steps)
    try:
        th, th_acc, how, lr_err = _train_torch(s, data, steps)
    except ImportError:
        th, th_acc, how, lr_err = None, None, None, None
        print("  (torch is not installed: optax only)")
    print(f"  {'update':>6}  {'lr':>10}  {'optax loss':>10}  {'torch loss':>10}")
    for k in (0, 10, 30, 100, 200, steps - 1):
        t = f"{th[k]:>10.5f}" if th else f"{'-':>10}"
        print(f"  {k:>6}  {s(k):>10.3e}  {ox[k]:>10.5f}  {t}")
    print(f"  test accuracy: optax {ox_acc:.1%}" + (f", torch {th_acc:.1%}" if th else ""))
    if th:
        print(f"  torch lr set by {how}; max |lr - schedule(k)| over all updates: {lr_err:.1e}")


def _demo_bench(n=10**6) -> None:
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched

    s = lrsched.warmup_cosine(1.0, 10_000, 100)
    o = optax.warmup_cosine_decay_schedule(0.0, 1.0, 100, 10_000)
    oj = jax.jit(o)
    rows = [
        ("one call, Python int step", "lrsched schedule(k)", timeit(lambda: s(5000), number=20_000, repeat=3)),
        ("", "optax schedule, eager", timeit(lambda: float(o(5000)), number=10, repeat=3)),
        ("", "optax schedule, jit", timeit(lambda: float(oj(5000)), number=300, repeat=3)),
    ]
    big = lrsched.warmup_cosine(1.0, n, n // 100)
    obig = optax.warmup_cosine_decay_schedule(0.0, 1.0, n // 100, n)
    odense = jax.jit(lambda: obig(jnp.arange(n)))
    rows += [
        (f"{n:,} steps, dense", "lrsched.evaluate (jax)", timeit(lambda: lrsched.evaluate(big, n), number=3, repeat=3)),
        (
            "",
            "lrsched.evaluate (numpy)",
            timeit(lambda: lrsched.evaluate(big, n, backend="numpy"), number=1, repeat=3),
        ),
        ("", "optax, jit over jnp.arange", timeit(odense, number=3, repeat=3)),
    ]
    print(f"  {'':<28}{'':<28}{'time':>10}  {'/ lrsched':>9}")
    base = rows[0][2]
    for what, who, t in rows:
        base = t if what else base
        print(f"  {what:<28}{who:<28}{fmt_time(t):>10}  {t / base:>8.1f}x")
    print("  (median of 3 on this machine; the full suite with peers and ratios: lrsched bench)")


def _demo(args) -> int:
    import time

    import numpy as np

    import lrsched

    t0 = time.perf_counter()
    print("lrsched demo: one schedule object for Python, NumPy, JAX, PyTorch and optax\n")
    print("1. Compose schedules (a sparkline of each over 1000 steps)")
    schedules = _demo_schedules()
    for name, s in schedules.items():
        print(f"  {name:<14} {sparkline(lrsched.evaluate(s, 1000, backend='numpy'), 50)}")
    print(f"  the last one is {schedules['join + cycle']!r}")

    print("\n2. One schedule, three backends: Python float, NumPy array, JAX under jit")
    import jax
    import jax.numpy as jnp

    s = schedules["warmup_cosine"]
    steps = [0, 50, 100, 500, 999, 5000]
    npv, jxv = s(np.array(steps)), np.asarray(jax.jit(s)(jnp.array(steps)))
    print(f"  {'step':>6}  {'python':>12}  {'numpy':>12}  {'jax (jit)':>12}")
    for k, b, c in zip(steps, npv, jxv):
        print(f"  {k:>6}  {s(k):>12.6e}  {b:>12.6e}  {c:>12.6e}")

    print("\n3. Gallery")
    _demo_gallery(schedules, args.output)
    print("\n4. The same schedule drives optax and PyTorch")
    _demo_train()
    print("\n5. Speed")
    _demo_bench()
    print(f"\ndone in {time.perf_counter() - t0:.1f} s")
    return 0
