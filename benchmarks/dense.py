"""Dense evaluation of a warmup + cosine over ``n`` steps: lrsched (JAX and NumPy backends) against
optax jitted over ``jnp.arange``, the formula in NumPy and a torch scheduler loop, beside the floor
of writing ``n`` values at all (a fresh XLA array, a NumPy fill); and lrsched's other common
recipes (wsd, one_cycle, sgdr) on JAX against the same floor, timed in the same run.

The floor and the JAX evaluations it is compared with are timed round-robin among themselves: a
program timed right after NumPy's heavy work (the NumPy formula allocates and writes gigabytes)
met the machine in another state, and on this machine the ratios to the floor moved from 1.3x to
1.9x with the NumPy samples in between. The peers are timed in their own round-robin with lrsched."""

from __future__ import annotations

import time

from lrsched._timing import compare

from ._common import numpy_formula, row, wc_args

GROUP = "dense warmup+cosine"


def plan(quick: bool, full: bool) -> list[dict]:
    sizes = [10**5, 10**6] if quick else [10**5, 10**6, 10**7] + ([10**8] if full else [])
    return [{"n": n} for n in sizes]


def run(n: int, torch_probe: int = 100_000) -> list[dict]:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    import lrsched

    peak, total, warm, end = wc_args(n)
    s = lrsched.warmup_cosine(peak, total, warm, end=end)
    o = jax.jit(optax.warmup_cosine_decay_schedule(0.0, peak, warm, total, end))
    steps = jnp.arange(n)
    fresh = jax.jit(lambda: jnp.full((n,), 0.5))
    others = _recipes(n)
    repeat = 9 if n <= 10**7 else 3
    # a call at 1e6 steps or fewer takes under a millisecond: many more samples, for a steady median
    floor_repeat = 41 if n <= 10**6 else repeat
    t = compare(
        {
            "ls": lambda: lrsched.evaluate(s, n),
            "lsnp": lambda: lrsched.evaluate(s, n, backend="numpy"),
            "ox": lambda: o(steps),
            "np": lambda: numpy_formula(n),
            "np floor": lambda: np.full(n, 0.5),
        },
        repeat=repeat,
    )
    recipes = {"warmup_cosine": s, **others}
    floor = compare(
        {"xla floor": fresh, **{k: (lambda r=r: lrsched.evaluate(r, n)) for k, r in recipes.items()}},
        repeat=floor_repeat,
    )
    t_torch = _torch_loop_time(peak, total, warm, end, min(torch_probe, n))
    ls, lsnp = t["ls"], t["lsnp"]
    return [
        row(GROUP, n, "lrsched.evaluate (jax)", ls),
        row(GROUP, n, "lrsched.evaluate (numpy)", lsnp),
        row(GROUP, n, "optax, jit over jnp.arange", t["ox"], "optax", t["ox"] / ls),
        row(GROUP, n, "NumPy formula", t["np"], "numpy", t["np"] / ls),
        row(
            GROUP,
            n,
            "torch SequentialLR loop (extrapolated)",
            None if t_torch is None else t_torch * n,
            "torch",
            None if t_torch is None else t_torch * n / ls,
        ),
        # a floor is not a competitor: its ratio is how far above it evaluate is (evaluate / floor)
        row(
            GROUP,
            n,
            "write floor: fresh XLA array (jit jnp.full)",
            floor["xla floor"],
            "floor",
            over_floor=floor["warmup_cosine"] / floor["xla floor"],
        ),
        row(GROUP, n, "write floor: NumPy fill (np.full)", t["np floor"], "floor", over_floor=lsnp / t["np floor"]),
        *(
            row(GROUP, n, f"lrsched.evaluate (jax), {k}", floor[k], over_floor=floor[k] / floor["xla floor"])
            for k in recipes
        ),
    ]


def _recipes(n: int) -> dict:
    """The other recipes over ``n`` steps: a 10% cooldown, a one-cycle, ten restarts of a cosine,
    four of doubling length (SGDR's T_mult = 2), ten that decay by 0.8 after a 1% warmup, and a
    cosine over 100 epochs, its value held through each epoch's steps."""
    import lrsched

    peak, total, warm, end = wc_args(n)
    return {
        "wsd": lrsched.wsd(peak, total, warm, max(1, n // 10), end=end),
        "one_cycle": lrsched.one_cycle(peak, total),
        "sgdr": lrsched.sgdr(peak, max(1, n // 10), end=end),
        "sgdr period_mult=2": lrsched.sgdr(peak, max(1, n // 15), period_mult=2, end=end),
        "sgdr decay=0.8 after a warmup": lrsched.sgdr(
            peak, max(1, n // 10), decay=0.8, warmup_steps=max(1, n // 100), end=end
        ),
        "per_epoch cosine, 100 epochs": lrsched.per_epoch(lrsched.cosine(peak, end, 100), max(1, n // 100)),
    }


def _torch_loop_time(peak, total, warm, end, steps):
    """Seconds per ``optimizer.step(); scheduler.step()`` of torch's warmup + cosine, over ``steps``
    steps; ``None`` without torch."""
    try:
        import torch
    except ImportError:
        return None
    import warnings

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=peak)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = torch.optim.lr_scheduler.SequentialLR(
            opt,
            [
                torch.optim.lr_scheduler.LinearLR(opt, 1e-8, 1.0, total_iters=warm),
                torch.optim.lr_scheduler.CosineAnnealingLR(opt, total - warm, eta_min=end),
            ],
            milestones=[warm],
        )
        t = time.perf_counter()
        for _ in range(steps):
            opt.step()
            sched.step()
        return (time.perf_counter() - t) / steps
