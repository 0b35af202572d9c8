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


def steps(name: str, v, *, positive: bool = False, allow_negative: bool = False, allow_float: bool = True):
    """A duration fixed at build time: a Python int (or a finite float where fractional steps are meaningful)."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, numbers.Real)) or _is_jax_array(v):
        raise TypeError(f"{name}={v!r}: expected a Python int")
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
        raise ValueError(f"{name}={v!r}: must be > 0")
    if not allow_negative and v < 0:
        raise ValueError(f"{name}={v!r}: must be >= 0")
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
