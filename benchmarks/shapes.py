"""Dense evaluation of optax's other schedules over ``n`` steps: each built by
``lrsched.compat.optax`` with optax's arguments and evaluated with ``lrsched.evaluate``, against
optax's own jitted over ``jnp.arange`` (or under ``jax.vmap`` where it takes only a scalar count),
timed round-robin in pairs. These are the shapes whose dense program once took a general power, a
search or a sine per step (a polynomial's power, a staircase, a few boundaries, a cosine's
exponent)."""

from __future__ import annotations

from lrsched._timing import compare

from ._common import row

GROUP = "dense optax shapes"


def plan(quick: bool, full: bool) -> list[dict]:
    return [{"n": 10**5 if quick else 10**6}]


def _builders(n: int) -> dict:
    """Name -> a builder taking optax's schedule module (optax itself, or lrsched's mirror)."""
    return {
        "polynomial_schedule, power 2, transition_begin": lambda m: m.polynomial_schedule(
            1.0, 0.0, 2.0, n, transition_begin=n // 10
        ),
        "exponential_decay, staircase": lambda m: m.exponential_decay(1.0, n // 10, 0.5, staircase=True),
        "exponential_decay": lambda m: m.exponential_decay(1.0, n // 10, 0.5),
        "exponential_decay, transition_begin, end_value": lambda m: m.exponential_decay(
            1.0, n // 10, 0.5, transition_begin=n // 10, end_value=0.01
        ),
        "piecewise_constant_schedule, 2 boundaries": lambda m: m.piecewise_constant_schedule(
            1.0, {n // 3: 0.5, 2 * n // 3: 0.2}
        ),
        "cosine_decay_schedule, exponent 2": lambda m: m.cosine_decay_schedule(1.0, n, 0.1, exponent=2.0),
        "piecewise_interpolate_schedule, cosine": lambda m: m.piecewise_interpolate_schedule(
            "cosine", 1.0, {n // 4: 0.5, n // 2: 2.0, 3 * n // 4: 0.1}
        ),
    }


def run(n: int, repeat: int = 9) -> list[dict]:
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched
    import lrsched.compat.optax as mirror

    steps = jnp.arange(n)
    rows = []
    for name, build in _builders(n).items():
        s, o = build(mirror), jax.jit(build(optax))
        try:
            jax.block_until_ready(o(steps[:2]))
        except (TypeError, ValueError):  # a schedule of a scalar count only: the best is a vmap
            o = jax.jit(jax.vmap(build(optax)))
        t = compare({"ls": lambda s=s: lrsched.evaluate(s, n), "ox": lambda o=o: o(steps)}, repeat=repeat)
        rows.append(row(GROUP, n, f"lrsched.evaluate, {name}", t["ls"]))
        rows.append(row(GROUP, n, f"optax, jit over jnp.arange, {name}", t["ox"], "optax", t["ox"] / t["ls"]))
    return rows
