"""The three numeric namespaces a schedule formula is written against.

Every formula in lrsched is written once, against a small namespace argument ``xp`` that offers
``cos``, ``sin``, ``exp``, ``log``, ``sqrt``, ``tanh``, ``where``, ``minimum``, ``maximum``,
``floor`` and ``searchsorted``. Three namespaces implement it:

* :data:`PY` over :mod:`math` and builtins, for Python numbers (the path a PyTorch training loop
  takes: no NumPy or JAX call, so a call costs a few hundred nanoseconds);
* :data:`NP` over NumPy, for NumPy scalars and arrays (float64 results);
* :data:`JX` over ``jax.numpy``, for JAX arrays and tracers (works under ``jit``/``vmap``/``grad``).

Operators (``+ - * / // **``) work the same on all three, so formulas use them directly.
"""

from __future__ import annotations

import bisect
import math

import numpy as np


class _Python:
    """Plain Python arithmetic: scalars in, scalars out, no NumPy or JAX."""

    name = "python"
    cos = staticmethod(math.cos)
    sin = staticmethod(math.sin)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    tanh = staticmethod(math.tanh)
    floor = staticmethod(math.floor)
    minimum = staticmethod(min)
    maximum = staticmethod(max)

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    @staticmethod
    def searchsorted_right(table, k):
        return bisect.bisect_right(table, k)

    @staticmethod
    def take(table, i):
        return table[i]

    @staticmethod
    def zero():
        return 0


class _NumPy:
    """NumPy ufuncs over float64/int64 arrays."""

    name = "numpy"
    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    floor = staticmethod(np.floor)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    where = staticmethod(np.where)
    stack = staticmethod(np.stack)
    asarray = staticmethod(np.asarray)

    @staticmethod
    def searchsorted_right(table, k):
        return np.searchsorted(np.asarray(table), k, side="right")

    @staticmethod
    def take(table, i):
        return np.asarray(table)[i]

    @staticmethod
    def zero():
        return np.int64(0)


class _Jax:
    """``jax.numpy``; imported on first use so that the Python path never touches JAX."""

    name = "jax"

    def __getattr__(self, item):
        import jax.numpy as jnp

        ops = {
            "cos": jnp.cos,
            "sin": jnp.sin,
            "exp": jnp.exp,
            "log": jnp.log,
            "sqrt": jnp.sqrt,
            "tanh": jnp.tanh,
            "floor": jnp.floor,
            "minimum": jnp.minimum,
            "maximum": jnp.maximum,
            "where": jnp.where,
            "stack": jnp.stack,
            "asarray": jnp.asarray,
        }
        if item not in ops:
            raise AttributeError(item)
        setattr(self, item, ops[item])
        return ops[item]

    @staticmethod
    def searchsorted_right(table, k):
        import jax.numpy as jnp

        k = jnp.asarray(k)
        return jnp.searchsorted(jnp.asarray(table, dtype=k.dtype), k, side="right")

    @staticmethod
    def take(table, i):
        import jax.numpy as jnp

        return jnp.asarray(table)[i]

    @staticmethod
    def zero():
        import jax.numpy as jnp

        return jnp.zeros((), dtype=jnp.int32)


PY = _Python()
NP = _NumPy()
JX = _Jax()

_INT_MAX: dict = {}


def step_max(k):
    """The largest step an integer array ``k`` can hold; ``None`` for Python numbers and float arrays."""
    dt = getattr(k, "dtype", None)
    if dt is None:
        return None
    hi = _INT_MAX.get(dt, False)
    if hi is False:
        dt_np = np.dtype(dt)
        hi = _INT_MAX[dt] = int(np.iinfo(dt_np).max) if dt_np.kind in "iu" else None
    return hi


def fit(b, k):
    """The static step ``b`` (a duration or boundary) as an operand next to the steps ``k``.

    * next to a Python number, or an integer array that can hold it: ``b`` itself;
    * next to a float array: ``float(b)``, what it becomes there anyway (JAX cannot convert a
      Python int past int32 on its own);
    * next to an integer array that cannot hold it (past 2**31 - 1 on JAX's int32 steps):
      ``None``. Such a ``b`` is never reached, and must not meet ``k`` in integer arithmetic.
    """
    if getattr(k, "dtype", None) is None:
        return b
    hi = step_max(k)
    if hi is None:
        return float(b)
    return b if b <= hi else None
