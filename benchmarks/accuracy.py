"""float32 accuracy of a warmup + cosine over ``n`` steps: the largest relative error against the
float64 formula, lrsched against optax."""

from __future__ import annotations

from ._common import numpy_formula, row, wc_args

GROUP = "float32 accuracy"


def plan(quick: bool, full: bool) -> list[dict]:
    return [{"n": 10**6 if quick else 10**7}]


def run(n: int = 10**7) -> list[dict]:
    import jax
    import numpy as np
    import optax

    import lrsched

    peak, total, warm, end = wc_args(n)
    ref = numpy_formula(n)
    s = lrsched.warmup_cosine(peak, total, warm, end=end)
    x = np.asarray(lrsched.evaluate(s, n, dtype="float32"), dtype=np.float64)
    o = jax.jit(optax.warmup_cosine_decay_schedule(0.0, peak, warm, total, end))
    y = np.asarray(o(jax.numpy.arange(n)), dtype=np.float64)
    mask = ref > 0
    e_ls = float(np.max(np.abs(x[mask] - ref[mask]) / ref[mask]))
    e_ox = float(np.max(np.abs(y[mask] - ref[mask]) / ref[mask]))
    return [
        row(GROUP, n, "lrsched max rel. error", None, error=e_ls),
        row(GROUP, n, "optax max rel. error", None, "optax", e_ox / e_ls if e_ls else None, error=e_ox),
    ]
