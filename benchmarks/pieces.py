"""A join of 1, 10, 100, 1000 cosines evaluated densely over ``n`` steps: lrsched.evaluate against
optax ``join_schedules`` jitted over ``jnp.arange``; run time and compile (first call) time."""

from __future__ import annotations

from lrsched._timing import compare, once

from ._common import cosine_join, row

GROUP = "join pieces"


def plan(quick: bool, full: bool) -> list[dict]:
    if quick:
        return [{"n": 10**5, "counts": (1, 10, 100)}]
    return [{"n": 10**6, "counts": (1, 10, 100, 1000)}]


def run(n: int, counts=(1, 10, 100, 1000)) -> list[dict]:
    import jax
    import jax.numpy as jnp

    import lrsched

    steps = jnp.arange(n)
    rows, base = [], None
    for p in counts:
        s, o = cosine_join(p, n // p)
        o = jax.jit(o)
        c_ls = once(lambda s=s: lrsched.evaluate(s, n))
        c_ox = once(lambda o=o: o(steps))
        t = compare({"ls": lambda s=s: lrsched.evaluate(s, n), "ox": lambda o=o: o(steps)}, repeat=5)
        base = base or t["ls"]
        rows.append(row(GROUP, p, "lrsched.evaluate", t["ls"], None, t["ls"] / base, compile_seconds=c_ls))
        rows.append(
            row(GROUP, p, "optax.join_schedules (jit)", t["ox"], "optax", t["ox"] / t["ls"], compile_seconds=c_ox)
        )
    return rows
