"""Compile time of ``lrsched.evaluate`` (its first call, caches cleared) as schedules grow: nesting
depth of warmup / clip / scale, and the number of pieces in a join."""

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

    rows = [row(GROUP, d, "nesting depth", first_call(nested(d), 100_000)) for d in depths]
    for p in pieces:
        s = lrsched.join([lrsched.cosine(1.0, 0.0, 100)] * p, [100 * i for i in range(1, p)])
        rows.append(row(GROUP, p, "join pieces", first_call(s, 100 * p)))
    return rows
