"""A sweep over ``batch`` peak learning rates, each a warmup + cosine over ``n`` steps, evaluated
densely: one ``lrsched.stack`` + ``evaluate`` against what an optax user would write, at best
``jax.vmap`` of the schedule over the peaks, jitted, and at worst a Python loop of jitted schedules;
beside them the other form an lrsched user may write, ``jax.vmap`` of each member called at
``jnp.arange(n)`` (jitted), and the floor: writing a fresh ``(batch, n)`` array.

optax's ``warmup_cosine_decay_schedule`` takes no traced peak (it branches on it), so the vmapped
form is what it is made of: a linear warmup joined to a cosine decay.
"""

from __future__ import annotations

from lrsched._timing import compare, once, timeit

from ._common import row

GROUP = "sweep"


def plan(quick: bool, full: bool) -> list[dict]:
    if quick:
        return [{"batch": 64, "n": 10**4, "loop_probe": 4}]
    return [{"batch": 1024, "n": 10**5, "loop_probe": 16}]


def run(batch: int = 1024, n: int = 10**5, loop_probe: int = 16) -> list[dict]:
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched

    warm = max(1, n // 100)
    peaks = [1e-4 * (1.01**i) for i in range(batch)]
    b = lrsched.stack([lrsched.warmup_cosine(p, n, warm) for p in peaks])
    steps = jnp.arange(n)
    peak_array = jnp.asarray(peaks)

    @jax.jit
    def vmapped(ps):
        def one(p):
            pieces = [optax.linear_schedule(0.0, p, warm), optax.cosine_decay_schedule(p, n - warm)]
            return optax.join_schedules(pieces, [warm])(steps)

        return jax.vmap(one)(ps)

    @jax.jit
    def ls_vmapped(members):
        return jax.vmap(lambda s: s(steps))(members)

    fresh = jax.jit(lambda: jnp.full((batch, n), 0.5))
    c_ls = once(lambda: lrsched.evaluate(b, n))
    c_vm = once(lambda: vmapped(peak_array))
    c_lsvm = once(lambda: ls_vmapped(b))
    t = compare(
        {
            "ls": lambda: lrsched.evaluate(b, n),
            "vmap": lambda: vmapped(peak_array),
            "lsvm": lambda: ls_vmapped(b),
            "floor": fresh,
        },
        repeat=5,
    )

    def loop(m):
        return jnp.stack([jax.jit(optax.warmup_cosine_decay_schedule(0.0, p, warm, n))(steps) for p in peaks[:m]])

    probe = min(loop_probe, batch)
    t_loop = timeit(lambda: loop(probe), repeat=3, warmup=0) * batch / probe
    ls = t["ls"]
    return [
        row(GROUP, batch, "lrsched.stack + evaluate", ls, compile_seconds=c_ls),
        row(GROUP, batch, "lrsched, jax.vmap of s(jnp.arange(n)) (jit)", t["lsvm"], compile_seconds=c_lsvm),
        row(
            GROUP, batch, "write floor: fresh XLA array (jit jnp.full)", t["floor"], "floor", over_floor=ls / t["floor"]
        ),
        row(GROUP, batch, "optax, jax.vmap over peaks (jit)", t["vmap"], "optax", t["vmap"] / ls, compile_seconds=c_vm),
        row(GROUP, batch, "optax, Python loop (extrapolated)", t_loop, "optax", t_loop / ls),
    ]
