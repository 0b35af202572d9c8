"""Argument checks shared by every builder; each error names the argument and its value."""

from __future__ import annotations

import contextlib
import itertools
import math
import numbers
import re

import numpy as np

from ._backend import is_jax, is_traced

SHOW_LIMIT = 80


def is_plain(v) -> bool:
    """True for a value leaf that is a plain Python float (not an array or a tracer)."""
    return type(v) is float


def show(v, limit: int = SHOW_LIMIT, *, opaque: bool = False) -> str:
    """``repr(v)`` for an error message, at most ``limit`` characters (an ellipsis marks a cut).

    It never fails and never builds a huge string: a long string is cut before it is repr-ed,
    an int past the float range is written by its size, containers show their first items.
    With ``opaque=True`` an object that is not plain data is shown by its type alone (its own
    ``repr`` is never called).
    """
    r = _brief(v, 3, limit, opaque)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _brief(v, depth, limit, opaque) -> str:
    if v is None or type(v) is bool:
        return repr(v)
    if isinstance(v, float):
        return repr(float(v))
    if isinstance(v, int):
        return repr(int(v)) if -(2**64) < v < 2**64 else f"<int of {int(v).bit_length()} bits>"
    if isinstance(v, str):
        return repr(str(v[: limit + 1]))
    if isinstance(v, (bytes, bytearray)):
        return repr(bytes(v[: limit + 1]))
    if isinstance(v, (list, tuple, dict)):
        if depth == 0:
            return "[...]" if isinstance(v, list) else "(...)" if isinstance(v, tuple) else "{...}"
        items = list(itertools.islice(v.items() if isinstance(v, dict) else v, 4))
        more = ", ..." if len(v) > 4 else ""
        if isinstance(v, dict):
            return (
                "{"
                + ", ".join(
                    f"{_brief(a, depth - 1, limit, opaque)}: {_brief(b, depth - 1, limit, opaque)}" for a, b in items
                )
                + more
                + "}"
            )
        inner = ", ".join(_brief(x, depth - 1, limit, opaque) for x in items) + more
        return f"[{inner}]" if isinstance(v, list) else f"({inner})"
    if opaque:
        return f"<{type(v).__name__} object>"
    try:
        return repr(v)
    except Exception:  # a repr that fails still leaves a message
        return f"<{type(v).__name__} object>"


def value(name: str, v, *, positive: bool = False, nonneg: bool = False, allow_none: bool = False):
    """A float leaf: a Python/NumPy real number or a 0-d torch tensor (made a Python float), or
    a JAX array (kept).

    A concrete array gets the checks of a float (a real dtype, finite, the bounds) and must be a
    scalar; a JAX tracer (a leaf under ``jit``, ``vmap`` or ``grad``) passes unchecked.
    """
    if type(v) is not float:
        if v is None and allow_none:
            return None
        if isinstance(v, bool) or v is None:
            raise TypeError(f"{name}={show(v)}: expected a real number")
        if type(v).__module__.startswith("torch"):
            x = _torch_scalar(name, v)
            _bounded(name, v, x, positive, nonneg)
            return x
        if is_jax(v) or (isinstance(v, np.ndarray) and not (v.ndim == 0 and v.dtype.kind in "iuf")):
            return _array_value(name, v, positive, nonneg)
        if not isinstance(v, numbers.Real):
            raise TypeError(f"{name}={show(v)}: expected a real number, got {type(v).__name__}")
        try:
            v = float(v)
        except OverflowError:  # an int past the float range
            raise ValueError(f"{name}=<int of {int(v).bit_length()} bits>: must be finite") from None
    return _bounded(name, v, v, positive, nonneg)


def _torch_scalar(name, v) -> float:
    """A 0-d torch tensor of a real dtype as a Python float (torch itself is never imported)."""
    dtype = str(getattr(v, "dtype", ""))
    if getattr(v, "ndim", None) is None or dtype in ("torch.bool", "") or "complex" in dtype:
        raise TypeError(f"{name}={show(v)}: expected a real number, got {type(v).__name__} of dtype {dtype or None}")
    if v.ndim != 0:
        raise ValueError(f"{name}={show(v)}: expected a 0-d tensor, got shape {tuple(v.shape)}")
    return float(v.item())


def _bounded(name, v, x: float, positive, nonneg):
    """``v`` (whose value is the float ``x``) if it is finite and within the bounds asked for."""
    if not math.isfinite(x):
        raise ValueError(f"{name}={show(v)}: must be finite")
    if positive and not x > 0:
        raise ValueError(f"{name}={show(v)}: must be > 0")
    if nonneg and not x >= 0:
        raise ValueError(f"{name}={show(v)}: must be >= 0")
    return v


def _array_value(name, v, positive, nonneg):
    """A NumPy or JAX array as a value leaf: tracers pass, concrete ones are checked as floats."""
    if is_jax(v):
        if is_traced(v):
            return v
        import jax.numpy as jnp

        if not (jnp.issubdtype(v.dtype, jnp.integer) or jnp.issubdtype(v.dtype, jnp.floating)):
            raise TypeError(f"{name}={show(v)}: expected a real number, got dtype {v.dtype}")
        host = np.asarray(v, dtype=np.float64)
    else:
        if v.dtype.kind not in "iuf":
            raise TypeError(f"{name}={show(v)}: expected a real number, got dtype {v.dtype}")
        host = v
    if host.ndim != 0:
        raise ValueError(
            f"{name}={show(v)}: expected a scalar, got an array of shape {tuple(host.shape)} "
            "(a batch of schedules is made by lrsched.stack)"
        )
    return _bounded(name, v, float(host), positive, nonneg)


_NAME = re.compile(r"(^|, )([A-Za-z_]\w*)(?=(\[[^\]]*\])?=)")


@contextlib.contextmanager
def renamed(**outer):
    """Errors raised inside name the caller's arguments: ``renamed(start="init_value")`` turns a
    message ``start=nan: must be finite`` from an inner builder into ``init_value=nan: ...``.

    Only the argument names at the head of a message (before its first ``": "``) are rewritten;
    where a value shown there is a call (a schedule's repr), only the leading name is.
    """
    try:
        yield
    except (ValueError, TypeError) as e:
        if e.args and isinstance(e.args[0], str):
            msg = e.args[0]
            head, sep, rest = msg.partition(": ")
            count = 1 if ("(" in head or "{" in head) else 0

            def sub(m):
                return m.group(1) + outer.get(m.group(2), m.group(2))

            e.args = (_NAME.sub(sub, head, count=count) + sep + rest, *e.args[1:])
        raise


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
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, numbers.Real)) or is_jax(v):
        raise TypeError(f"{name}={show(v)}: expected a Python int")
    given = v
    if isinstance(v, numbers.Integral):
        v = int(v)
    else:
        if not allow_float:
            raise TypeError(f"{name}={show(v)}: expected a Python int")
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{name}={show(v)}: must be finite")
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
        raise ValueError(f"{name}={show(v)}: must be one of {', '.join(repr(o) for o in options)}")
    return v
