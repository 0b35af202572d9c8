"""The ``lrsched`` command line."""

from __future__ import annotations

import argparse
import sys


def _demo(args) -> int:
    import numpy as np

    import lrsched

    total, warm = 1000, 100
    s = lrsched.warmup_cosine(1e-3, total, warm, end=1e-5)
    print(f"schedule: {s!r}\n")
    steps = [0, 50, 100, 250, 500, 750, 999, 1000, 5000]

    import jax
    import jax.numpy as jnp

    py = [s(k) for k in steps]
    npv = s(np.array(steps))
    jxv = np.asarray(jax.jit(s)(jnp.array(steps)))
    print(f"{'step':>6} {'python':>14} {'numpy':>14} {'jax (jit)':>14}")
    for k, a, b, c in zip(steps, py, npv, jxv):
        print(f"{k:>6} {a:>14.6e} {b:>14.6e} {c:>14.6e}")

    import optax

    # the same schedule as an optax learning rate: least squares on a tiny random problem
    key = jax.random.PRNGKey(0)
    ka, kb = jax.random.split(key)
    a = jax.random.normal(ka, (64, 8))
    w_true = jax.random.normal(kb, (8,))
    b = a @ w_true
    opt = optax.adam(lrsched.warmup_cosine(0.1, 200, 20))
    w = jnp.zeros(8)
    state = opt.init(w)

    def loss(w):
        return jnp.mean((a @ w - b) ** 2)

    @jax.jit
    def update(w, state):
        val, g = jax.value_and_grad(loss)(w)
        upd, state = opt.update(g, state, w)
        return optax.apply_updates(w, upd), state, val

    print("\noptax.adam(lrsched.warmup_cosine(0.1, 200, 20)) on least squares:")
    for i in range(200):
        w, state, val = update(w, state)
        if i in (0, 19, 50, 100, 199):
            print(f"  update {i:>3}: loss {float(val):.3e}")
    print(f"  final loss {float(loss(w)):.3e}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lrsched", description="Learning-rate schedules as pure functions.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="compose a schedule and run it on every backend and in optax")
    d.set_defaults(func=_demo)
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
