"""One call with a Python int step, the way a training loop asks for its learning rate: lrsched
against optax eager and jitted, for a warmup + cosine and a join of 100 cosines."""

from __future__ import annotations

from lrsched._timing import timeit

from ._common import cosine_join, row

GROUP = "python-int call"


def plan(quick: bool, full: bool) -> list[dict]:
    return [{"number": 2_000 if quick else 10_000}]


def run(number: int = 10_000) -> list[dict]:
    import jax
    import optax

    import lrsched

    s = lrsched.warmup_cosine(1.0, 10_000, 100)
    o = optax.warmup_cosine_decay_schedule(0.0, 1.0, 100, 10_000)
    j, oj100 = cosine_join(100, 100)
    oj, oj100_jit = jax.jit(o), jax.jit(oj100)
    eager = max(1, number // 500)
    t_s = timeit(lambda: s(5_000), number=number)
    t_j = timeit(lambda: j(5_050), number=number)
    t_oe = timeit(lambda: float(o(5_000)), number=eager)
    t_oj = timeit(lambda: float(oj(5_000)), number=max(1, number // 5))
    t_oj100 = timeit(lambda: float(oj100_jit(5_050)), number=max(1, number // 5))
    t_oe100 = timeit(lambda: float(oj100(5_050)), number=max(1, eager // 6))
    return [
        row(GROUP, 1, "lrsched warmup+cosine, Python int", t_s),
        row(GROUP, 1, "optax warmup+cosine, eager", t_oe, "optax", t_oe / t_s),
        row(GROUP, 1, "optax warmup+cosine, jit", t_oj, "optax", t_oj / t_s),
        row(GROUP, 1, "lrsched 100-piece join, Python int", t_j),
        row(GROUP, 1, "optax 100-piece join, eager", t_oe100, "optax", t_oe100 / t_j),
        row(GROUP, 1, "optax 100-piece join, jit", t_oj100, "optax", t_oj100 / t_j),
    ]
