"""Compile time as schedules grow (first calls, caches cleared): nesting depth of warmup / clip /
scale, and the number of pieces in a join; on both paths, ``lrsched.evaluate`` and a jitted call
at a traced step (as a training step calls it)."""

from __future__ import annotations

from lrsched._timing import once

from ._common import row

GROUP = "compile"


def plan(quick: bool, full: bool) -> list[dict]:
    return [{"depths": (1, 4, 16), "pieces": (10, 100) if quick else (10, 100, 1000)}]


def run(depths=(1, 4, 16), pieces=(10, 100, 1000)) -> list[dict]:
    import jax

    import lrsched

    def nested(depth):
        s = lrsched.cosine(1.0, 0.0, 1000)
        for _ in range(depth):
            s = lrsched.warmup(lrsched.clip(s * 0.9, min=1e-4), 10)
        return s

    def first_call(s, n):
        jax.clear_caches()
        return once(lambda: lrsched.evaluate(s, n))

    def first_jit(s):
        jax.clear_caches()
        step = jax.numpy.int32(3)
        return once(lambda: jax.jit(lambda k: s(k))(step))

    rows = []
    for d in depths:
        rows.append(row(GROUP, d, "nesting depth", first_call(nested(d), 100_000)))
        rows.append(row(GROUP, d, "nesting depth, jitted call at a traced step", first_jit(nested(d))))
    for p in pieces:
        s = lrsched.join([lrsched.cosine(1.0, 0.0, 100)] * p, [100 * i for i in range(1, p)])
        rows.append(row(GROUP, p, "join pieces", first_call(s, 100 * p)))
        rows.append(row(GROUP, p, "join pieces, jitted call at a traced step", first_jit(s)))
    return rows
