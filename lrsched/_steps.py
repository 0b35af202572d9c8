"""Steps as each backend takes them, and a schedule evaluated at a NumPy or JAX step.

Python steps must be finite and >= 0; NumPy steps become int64 or float64, JAX steps a signed
integer or float array the formulas can do arithmetic on; large NumPy arrays are evaluated a chunk
at a time, so the temporaries of the formulas stay those of one chunk.
"""

from __future__ import annotations

import sys

import jax.numpy as jnp
import numpy as np

from . import _validate as V
from ._backend import JX, NP, is_jax, is_real

FLOAT_MAX = sys.float_info.max


def bad_python_step(k):
    if k != k or k < 0:
        raise ValueError(f"step={V.show(k)}: must be >= 0")
    shown = f"<int of {k.bit_length()} bits>" if type(k) is int else repr(k)
    raise ValueError(f"step={shown}: must be finite (at most {V.show(FLOAT_MAX)})")


def _numpy_steps(k, shape=None):
    """NumPy steps as int64 or float64. Unsigned steps past 2**63 - 1 hold there (a duration is
    at most that, so every phase has been reached); a non-finite float step raises (its message
    names ``shape``, the whole array's when ``k`` is a chunk of it)."""
    k = np.asarray(k)
    kind = k.dtype.kind
    if kind == "u" and k.dtype.itemsize == 8:
        k = np.minimum(k, np.uint64(_I64_MAX))
    if kind in "iu":
        return np.maximum(k.astype(np.int64, copy=False), 0)
    if kind != "f":
        raise TypeError(f"step={V.show(k)}: expected an integer or float array, got dtype {k.dtype}")
    k = k.astype(np.float64, copy=False)
    if not np.isfinite(k).all():
        bad = k[~np.isfinite(k)].flat[0]
        shape = k.shape if shape is None else shape
        raise ValueError(f"step={V.show(float(bad))}: must be finite (in a step array of shape {shape})")
    return np.maximum(k, 0.0)


_I64_MAX = 2**63 - 1


def _jax_steps(k):
    """JAX steps as a signed integer or float array that the formulas can do arithmetic on.

    Unsigned steps become signed: exactly, into int64, when x64 is on; otherwise ``uint32`` steps
    past 2**31 - 1 hold there, as int32 steps stop there. Narrow ints widen to int32 and narrow
    floats to float32. An infinite float step evaluates as the largest finite step of its dtype
    (the schedule's final held value, since every duration is at most 2**63 - 1); a NaN step gives
    NaN (a traced array cannot raise).
    """

    k = jnp.asarray(k)
    dt = k.dtype
    if jnp.issubdtype(dt, jnp.integer):
        wide = jnp.dtype(jnp.result_type(int))  # int64 with x64, else int32
        if jnp.issubdtype(dt, jnp.unsignedinteger) and dt.itemsize >= wide.itemsize:
            k = jnp.minimum(k, jnp.asarray(jnp.iinfo(wide).max, dtype=dt))
        if dt.itemsize < 4 or jnp.issubdtype(dt, jnp.unsignedinteger):
            k = k.astype(wide if jnp.issubdtype(dt, jnp.unsignedinteger) else jnp.int32)
        return jnp.maximum(k, 0)
    if not jnp.issubdtype(dt, jnp.floating):
        raise TypeError(f"step={V.show(k)}: expected an integer or float array, got dtype {dt}")
    if dt.itemsize < 4:
        k = k.astype(jnp.float32)
    top = jnp.finfo(k.dtype).max
    return jnp.where(k > top, top, jnp.maximum(k, 0))


def call_array(s, k):
    """Evaluate ``s`` at a NumPy or JAX step (or at a Python step when ``s`` has array leaves)."""
    if isinstance(k, bool) or (isinstance(k, np.ndarray) and k.dtype == bool) or isinstance(k, np.bool_):
        raise TypeError(f"step={V.show(k)}: expected an integer or float step, not a bool")
    if s._plain and isinstance(k, (np.ndarray, np.generic)):
        k = np.asarray(k)
        if k.size > NUMPY_CHUNK:
            return _call_numpy_chunked(s, k)
        k = _numpy_steps(k)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # IEEE, as Python and JAX give
            res = np.asarray(s._eval(k, NP), dtype=np.float64)
        if res.shape != k.shape:
            res = np.broadcast_to(res, k.shape).copy()
        return res
    if is_real(k) or isinstance(k, (np.ndarray, np.generic)) or is_jax(k):
        if isinstance(k, (np.ndarray, np.generic)):
            k = _numpy_steps(k)
            if jnp.dtype(jnp.result_type(int)).itemsize < 8:  # 32-bit JAX: int steps stop at 2**31 - 1
                k = np.minimum(k, 2**31 - 1).astype(np.int32) if k.dtype.kind == "i" else k.astype(np.float32)
        elif not is_jax(k) and not 0 <= k <= FLOAT_MAX:  # a Python number
            bad_python_step(k)
        k = _jax_steps(k)
        out = jnp.asarray(s._eval(k, JX), dtype=jnp.result_type(float))
        if jnp.issubdtype(k.dtype, jnp.floating):  # a NaN step gives NaN, whatever the branches say
            out = jnp.where(jnp.isnan(k), jnp.nan, out)
        return jnp.broadcast_to(out, k.shape)
    if k is None:  # Keras calls a plain callable learning rate with no argument
        raise TypeError(
            "step=None: a Schedule is called with the step, schedule(k); Keras optimizers call a plain callable "
            "learning rate without one: pass lrsched.keras.KerasSchedule(schedule) instead"
        )
    raise TypeError(f"step={V.show(k)}: expected a Python number, a NumPy array or a JAX array, got {type(k).__name__}")


NUMPY_CHUNK = 1 << 20  # steps per chunk where NumPy evaluates a large array: bounded temporaries


def _call_numpy_chunked(s, k: np.ndarray):
    """A large NumPy step array, a chunk at a time into one float64 array: the temporaries of the
    formulas are those of one chunk. Every formula is elementwise, so the values are those of one
    pass over the whole array."""
    flat = k.reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # IEEE, as Python and JAX give
        for a in range(0, flat.size, NUMPY_CHUNK):
            out[a : a + NUMPY_CHUNK] = s._eval(_numpy_steps(flat[a : a + NUMPY_CHUNK], k.shape), NP)
    return out.reshape(k.shape)
