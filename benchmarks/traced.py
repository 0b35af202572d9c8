"""A traced scalar step, as optax passes its ``count``: the sum of ``s(k)`` over ``length`` steps in a
``lax.scan`` inside a jitted function that takes the first step as its argument. Three long
schedules, each beside its one-piece version: a join of cosines, a piecewise_constant with as many
boundaries, and a join alternating cosine and linear pieces of varied length; lrsched against optax.
Compile + first run, and run time.

A sample is ten calls in a row. A program launched right after a much slower one (optax's join of
1000 pieces takes milliseconds) starts with cold caches and costs some 10-40 µs more on this
machine, whatever its number of pieces (one piece pays it as well). So each P-piece schedule is also
timed round-robin beside its one-piece version alone, in a row of its own ("beside one piece"), which
gives the cost of its pieces: its time over the one piece's ("P pieces / one piece")"""

from __future__ import annotations

from lrsched._timing import compare, once

from ._common import row

GROUP = "traced scan"


def plan(quick: bool, full: bool) -> list[dict]:
    return [{"pieces": (1, 100) if quick else (1, 1000), "length": 1000}]


def _lengths(p):
    return [5 + (7 * i) % 17 for i in range(p)]


def _cases(p):
    """{kind: (lrsched schedule, optax schedule)} with ``p`` pieces each."""
    import itertools

    import optax

    import lrsched

    cosine_bounds = [10 * i for i in range(1, p)]
    scales = {10 * i: 0.999 for i in range(1, p + 1)}
    lengths = _lengths(p)
    bounds = list(itertools.accumulate(lengths))[:-1]
    ls_mixed, ox_mixed = [], []
    for i, n in enumerate(lengths):
        if i % 2:
            ls_mixed.append(lrsched.linear(0.1, 1.0, n))
            ox_mixed.append(optax.linear_schedule(0.1, 1.0, n))
        else:
            ls_mixed.append(lrsched.cosine(1.0, 0.1, n))
            ox_mixed.append(optax.cosine_decay_schedule(1.0, n, alpha=0.1))
    return {
        "join of cosines": (
            lrsched.join([lrsched.cosine(1.0, 0.0, 10)] * p, cosine_bounds),
            optax.join_schedules([optax.cosine_decay_schedule(1.0, 10)] * p, cosine_bounds),
        ),
        "piecewise_constant": (
            lrsched.piecewise_constant(1.0, scales),
            optax.piecewise_constant_schedule(1.0, scales),
        ),
        "join of cosine/linear, varied lengths": (
            lrsched.join(ls_mixed, bounds),
            optax.join_schedules(ox_mixed, bounds),
        ),
    }


def summed(s, length: int):
    """A jitted ``count -> sum(s(count + i) for i < length)``, the loop a ``lax.scan``."""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def f(count):
        def body(acc, i):
            return acc + jnp.asarray(s(count + i), acc.dtype), None

        return jax.lax.scan(body, jnp.zeros((), jnp.float32), jnp.arange(length))[0]

    return f


def run(pieces=(1, 1000), length: int = 1000) -> list[dict]:
    import jax.numpy as jnp

    count = jnp.asarray(0, jnp.int32)
    rows = []
    one = {kind: summed(s, length) for kind, (s, _) in _cases(1).items()}
    for p in pieces:
        for kind, (s, o) in _cases(p).items():
            f_ls, f_ox = summed(s, length), summed(o, length)
            c_ls, c_ox = once(lambda f=f_ls: f(count)), once(lambda f=f_ox: f(count))
            t = compare({"ls": lambda f=f_ls: f(count), "ox": lambda f=f_ox: f(count)}, repeat=7, number=10)
            rows.append(row(GROUP, p, f"lrsched {kind}", t["ls"], compile_seconds=c_ls))
            rows.append(row(GROUP, p, f"optax {kind}", t["ox"], "optax", t["ox"] / t["ls"], compile_seconds=c_ox))
            if p > 1:
                f1 = one[kind]
                once(lambda f=f1: f(count))
                u = compare({"one": lambda f=f1: f(count), "ls": lambda f=f_ls: f(count)}, repeat=15, number=10)
                name = f"lrsched {kind}, beside one piece"
                rows.append(row(GROUP, p, name, u["ls"], over_one=u["ls"] / u["one"], one_seconds=u["one"]))
    return rows
