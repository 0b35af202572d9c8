"""The schedule inside a training step: ``optax.adamw`` on a small MLP with the schedule as its
learning rate, one jitted update with the step count traced (optax keeps it in the optimizer
state), for a join of 1, 10, 100, 1000 cosines: lrsched against optax ``join_schedules``; time per
update and compile time."""

from __future__ import annotations

import time

from lrsched._timing import compare

from ._common import cosine_join, row

GROUP = "train step"


def plan(quick: bool, full: bool) -> list[dict]:
    return [{"counts": (1, 10, 100) if quick else (1, 10, 100, 1000), "total": 10_000}]


def _mlp(sizes, seed=0):
    import jax

    keys = jax.random.split(jax.random.PRNGKey(seed), len(sizes) - 1)
    return [(jax.random.normal(k, (a, b)) / a**0.5, jax.numpy.zeros(b)) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def _compiled_update(lr, params, x, y):
    """(the compiled update, its compile seconds, its arguments) for ``optax.adamw(lr)``."""
    import jax
    import optax

    opt = optax.adamw(lr)

    def loss(p):
        h = x
        for w, b in p[:-1]:
            h = jax.nn.relu(h @ w + b[None, :])
        w, b = p[-1]
        return optax.softmax_cross_entropy_with_integer_labels(h @ w + b[None, :], y).mean()

    def update(p, state):
        g = jax.grad(loss)(p)
        u, state = opt.update(g, state, p)
        return optax.apply_updates(p, u), state

    state = opt.init(params)
    t = time.perf_counter()
    compiled = jax.jit(update).lower(params, state).compile()
    return compiled, time.perf_counter() - t, (params, state)


def run(counts=(1, 10, 100, 1000), total: int = 10_000, sizes=(32, 64, 64, 10), batch: int = 64) -> list[dict]:
    import jax
    import jax.numpy as jnp

    params = _mlp(sizes)
    x = jax.random.normal(jax.random.PRNGKey(1), (batch, sizes[0]))
    y = jnp.arange(batch) % sizes[-1]
    rows = []
    for p in counts:
        s, o = cosine_join(p, total // p)
        f_ls, c_ls, a_ls = _compiled_update(s, params, x, y)
        f_ox, c_ox, a_ox = _compiled_update(o, params, x, y)
        # the count is an argument of the compiled update, so every call does one full update
        t = compare({"ls": lambda f=f_ls, a=a_ls: f(*a), "ox": lambda f=f_ox, a=a_ox: f(*a)}, repeat=7, number=20)
        rows.append(row(GROUP, p, "lrsched join, adamw update", t["ls"], compile_seconds=c_ls))
        rows.append(
            row(
                GROUP,
                p,
                "optax.join_schedules, adamw update",
                t["ox"],
                "optax",
                t["ox"] / t["ls"],
                compile_seconds=c_ox,
            )
        )
    return rows
