"""Argument checks shared by every builder; each error names the argument and its value."""

from __future__ import annotations

import math
import numbers

import numpy as np


def is_plain(v) -> bool:
    """True for a value leaf that is a plain Python float (not an array or a tracer)."""
    return type(v) is float


def _is_jax_array(v) -> bool:
    mod = type(v).__module__
    return mod.startswith("jax") or mod.startswith("jaxlib")


def value(name: str, v, *, positive: bool = False, nonneg: bool = False, allow_none: bool = False):
    """A float leaf: a Python/NumPy real number (made a Python float) or a JAX array (kept)."""
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or v is None:
        raise TypeError(f"{name}={v!r}: expected a real number")
    if isinstance(v, numbers.Real) or (isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf"):
        try:
            v = float(v)
        except OverflowError:  # an int past the float range
            raise ValueError(f"{name}=<int of {int(v).bit_length()} bits>: must be finite") from None
        if not math.isfinite(v):
            raise ValueError(f"{name}={v!r}: must be finite")
        if positive and not v > 0:
            raise ValueError(f"{name}={v!r}: must be > 0")
        if nonneg and not v >= 0:
            raise ValueError(f"{name}={v!r}: must be >= 0")
        return v
    if _is_jax_array(v) or isinstance(v, np.ndarray):
        dtype = getattr(v, "dtype", None)
        if dtype is not None and np.dtype(dtype).kind not in "iuf":
            raise TypeError(f"{name}={v!r}: expected a real number, got dtype {dtype}")
        return v
    raise TypeError(f"{name}={v!r}: expected a real number, got {type(v).__name__}")


MAX_STEPS = 2**63 - 1
"""The largest duration (and the most negative shift, negated): every duration is an int64, so a
NumPy ``int64`` step meets it exactly, and it and a few of them added up stay far inside the float32
and float64 ranges, so float steps meet it as a finite number."""


def shown(v) -> str:
    """``v`` for an error message (an int past 2**64 by its size: ``str`` refuses very long ints)."""
    if isinstance(v, int) and not -(2**64) < v < 2**64:
        return f"<int of {v.bit_length()} bits>"
    return repr(v)


def steps(name: str, v, *, positive: bool = False, allow_negative: bool = False, allow_float: bool = True):
    """A duration fixed at build time: a Python int (or a finite float where fractional steps are
    meaningful), at most :data:`MAX_STEPS` in size."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, numbers.Real)) or _is_jax_array(v):
        raise TypeError(f"{name}={v!r}: expected a Python int")
    given = v
    if isinstance(v, numbers.Integral):
        v = int(v)
    else:
        if not allow_float:
            raise TypeError(f"{name}={v!r}: expected a Python int")
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{name}={v!r}: must be finite")
        if v.is_integer():
            v = int(v)
    if positive and not v > 0:
        raise ValueError(f"{name}={shown(given)}: must be > 0")
    if not allow_negative and v < 0:
        raise ValueError(f"{name}={shown(given)}: must be >= 0")
    if abs(v) > MAX_STEPS:
        bound = "between -(2**63 - 1) and 2**63 - 1" if allow_negative else "<= 2**63 - 1"
        raise ValueError(f"{name}={shown(given)}: must be {bound}")
    return v


def choice(name: str, v, options):
    if not isinstance(v, str) or v not in options:
        raise ValueError(f"{name}={v!r}: must be one of {', '.join(repr(o) for o in options)}")
    return v


def schedule(name: str, v):
    from ._schedule import Schedule

    if not isinstance(v, Schedule):
        raise TypeError(f"{name}={v!r}: expected an lrsched.Schedule, got {type(v).__name__}")
    return v
