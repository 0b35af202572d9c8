"""The three numeric namespaces a schedule formula is written against.

Every formula in lrsched is written once, against a namespace argument ``xp``. Three namespaces
implement it, each with the same operations:

* :data:`PY` over :mod:`math` and builtins, for Python numbers (the path a PyTorch training loop
  takes: no NumPy or JAX call, so a call costs well under a microsecond);
* :data:`NP` over NumPy, for NumPy scalars and arrays (float64 results);
* :data:`JX` over ``jax.numpy``, for JAX arrays and tracers (works under ``jit``/``vmap``/``grad``).

Elementwise: ``cos sin exp log log1p expm1 sqrt tanh floor minimum maximum where divide``, and
``cosine_weights`` (a cosine ramp's two weights, from one sine);
tables: ``searchsorted_right take stack asarray``; dense evaluation: ``arange full concat``, the
float type ``float`` and ``step_hi`` (the largest integer step). Two flags say what kind of
computation a namespace runs, so a formula never compares names:

* ``static``: plain Python scalars (a branch may be taken on a value);
* ``compiled``: an XLA program, where evaluating every piece of a join costs compile time and
  run time at every step, and one gathered lookup is cheap (JAX).

Operators (``+ - * / // **``) work the same on all three, so formulas use them directly.
Importing lrsched imports JAX (a run-time dependency, needed to register schedules as pytrees);
the Python namespace never calls it.
"""

from __future__ import annotations

import bisect
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _ieee_divide(a, b):
    """``a / b`` on Python floats with IEEE results where ``b`` is zero, as NumPy and JAX give."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


class _Python:
    """Plain Python arithmetic: scalars in, scalars out, no NumPy or JAX."""

    name = "python"
    static = True
    compiled = False
    float = float
    cos = staticmethod(math.cos)
    sin = staticmethod(math.sin)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    log1p = staticmethod(math.log1p)
    expm1 = staticmethod(math.expm1)
    sqrt = staticmethod(math.sqrt)
    tanh = staticmethod(math.tanh)
    floor = staticmethod(math.floor)
    minimum = staticmethod(min)
    maximum = staticmethod(max)
    divide = staticmethod(_ieee_divide)

    @staticmethod
    def where(cond, a, b):
        return a if cond else b

    @staticmethod
    def searchsorted_right(table, k):
        return bisect.bisect_right(table, k)

    @staticmethod
    def take(table, i):
        return table[i]


class _NumPy:
    """NumPy ufuncs over float64/int64 arrays (the elementwise functions are set below)."""

    name = "numpy"
    static = False
    compiled = False
    float = np.float64
    step_hi = 2**63 - 1

    @staticmethod
    def searchsorted_right(table, k):
        return np.searchsorted(np.asarray(table), k, side="right")

    @staticmethod
    def take(table, i):
        return np.asarray(table)[i]

    @staticmethod
    def arange(start, n):
        return np.arange(start, start + n, dtype=np.int64)

    @staticmethod
    def full(v, n):
        return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))

    @staticmethod
    def concat(parts):
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def x64() -> bool:
    """Whether JAX's 64-bit mode is on (int64 steps and float64 values by default)."""
    return bool(jax.config.read("jax_enable_x64"))


class _Jax:
    """``jax.numpy``, for JAX arrays and tracers (the elementwise functions are set below)."""

    name = "jax"
    static = False
    compiled = True

    @property
    def float(self):
        return jnp.result_type(float)

    @property
    def step_hi(self) -> int:
        """The largest step JAX's integer steps hold (int32 unless x64 is enabled)."""
        return 2**63 - 1 if x64() else 2**31 - 1

    @staticmethod
    def searchsorted_right(table, k):
        k = jnp.asarray(k)
        if not isinstance(table, jax.Array) and jnp.issubdtype(k.dtype, jnp.integer):
            table = np.asarray(table)
            if table.dtype.kind == "f":  # an integer step k reaches an entry b once k >= ceil(b)
                info = np.iinfo(k.dtype)
                up = np.ceil(table)
                table = np.maximum(up[up <= info.max], info.min).astype(np.int64)  # later ones: never
            found = _bucketed_search(table, k)
            if found is not None:
                return found
        return jnp.searchsorted(jnp.asarray(table, dtype=k.dtype), k, side="right", method="scan_unrolled")

    @staticmethod
    def take(table, i):
        # every index is in range by construction: a clamp, not JAX's wrap and fill checks
        return jnp.take(jnp.asarray(table), i, axis=0, mode="clip")

    @staticmethod
    def arange(start, n):
        dt = jnp.int64 if x64() else jnp.int32
        return lax.iota(dt, n) + jnp.asarray(start, dt)

    @staticmethod
    def full(v, n):
        return jnp.broadcast_to(jnp.asarray(v, dtype=jnp.result_type(float)), (n,))

    @staticmethod
    def concat(parts):
        return parts[0] if len(parts) == 1 else jnp.concatenate(parts)


# the array namespaces: the module's own function of each name
_ARRAY_OPS = (
    *("cos", "sin", "exp", "log", "log1p", "expm1", "sqrt", "tanh", "floor", "minimum", "maximum"),
    *("where", "stack", "asarray", "divide"),
)
for _cls, _mod in ((_NumPy, np), (_Jax, jnp)):
    for _op in _ARRAY_OPS:
        setattr(_cls, _op, staticmethod(getattr(_mod, _op)))

HALF_PI = math.pi / 2  # the constant every cosine's angle is a multiple of


def smaller_sine_square(sin, minimum, rest, m, n, inv=None):
    """``(rest <= m, sin(pi/2 * f)**2)`` for the smaller ``f`` of the fractions ``left = rest / n``
    and ``done = m / n`` of a phase of ``n = rest + m`` steps, with one sine (``sin`` need only hold
    on [0, pi/4]) and one division, or a product by ``inv = 1 / n`` where it is given: the square
    is at most 1/2 and accurate to its last bits, so the weight that is 1 minus it does not cancel."""
    f = minimum(rest, m)
    t = sin(HALF_PI * (f / n if inv is None else f * inv))
    return rest <= m, t * t


def cosine_weights_of(sin, minimum, where):
    """A namespace's ``cosine_weights``, of its ``sin`` (which need only hold on [0, pi/4])."""

    def cosine_weights(rest, m, n):
        """``(sin(pi/2 * left)**2, sin(pi/2 * done)**2)`` for the fractions ``left = rest / n`` and
        ``done = m / n`` of a phase of ``n = rest + m`` steps: the smaller fraction's weight from
        :func:`smaller_sine_square`, the other 1 minus it. Exact at the ends (1 and 0)."""
        small, t2 = smaller_sine_square(sin, minimum, rest, m, n)
        other = 1.0 - t2
        return where(small, t2, other), where(small, other, t2)

    return staticmethod(cosine_weights)


def _python_cosine_weights(rest, m, n):
    """:func:`cosine_weights_of` on Python numbers, with a branch instead of selects."""
    t = math.sin(HALF_PI * ((rest if rest <= m else m) / n))
    t2 = t * t
    return (t2, 1.0 - t2) if rest <= m else (1.0 - t2, t2)


_Python.cosine_weights = staticmethod(_python_cosine_weights)  # type: ignore[attr-defined]
_NumPy.cosine_weights = cosine_weights_of(np.sin, np.minimum, np.where)  # type: ignore[attr-defined]
_Jax.cosine_weights = cosine_weights_of(jnp.sin, jnp.minimum, jnp.where)  # type: ignore[attr-defined]

PY = _Python()
NP = _NumPy()
JX = _Jax()


# --------------------------------------------------------------------------------------------
# a sorted table of steps, searched in constant time at a traced integer step
# --------------------------------------------------------------------------------------------
_PER_BUCKET = 4  # entries a bucket may hold at most
_MAX_BUCKETS = 1 << 14


def _bucketed_search(table: np.ndarray, k):
    """``searchsorted(table, k, side="right")`` for a concrete sorted table of integer steps (>= 0)
    and integer steps ``k >= 0``, in a few operations however long the table is, with one gather
    per step: the steps are cut into buckets of ``2**s`` (``s`` chosen so that no bucket holds
    more than a few entries), and a constant row per bucket holds how many entries lie before it
    and its own entries, which are compared with ``k``. Where the last entry is below the number
    of buckets allowed, a bucket is one step and its row the answer itself. A binary search
    instead costs a loop of ``log2(len)`` dependent steps at every step. ``None`` where no bucket
    size fits (the caller searches)."""
    n = table.size
    if n == 0:
        return jnp.zeros(k.shape, jnp.int32)
    if table.dtype.kind not in "iu" or table[0] < 0:
        return None
    plan = _buckets(table, int(jnp.iinfo(k.dtype).max))
    if plan is None:
        return None
    shift, rows = plan
    j = jnp.minimum(k >> shift, rows.shape[0] - 1)
    row = jnp.take(jnp.asarray(rows, dtype=k.dtype), j, axis=0, mode="clip")
    if rows.shape[1] == 1:
        return row[..., 0].astype(jnp.int32)
    found = row[..., 0]
    for c in range(1, rows.shape[1]):  # a sum of a few compares (a reduce is not fused into its reader)
        found = found + (row[..., c] <= k).astype(k.dtype)
    # a pad in the last bucket is reached only past every entry: at most n
    return jnp.minimum(found, n).astype(jnp.int32)


def _buckets(table: np.ndarray, hi: int):
    """``(shift, one row per bucket)`` for steps up to ``hi``, or ``None``. With a bucket per step
    (``shift`` 0) a row is the count of entries up to that step; otherwise the count of entries
    before the bucket, then the bucket's entries, padded with a step past the bucket (at most
    ``hi``)."""
    top = int(table[-1])
    if top < _MAX_BUCKETS:
        return 0, np.searchsorted(table, np.arange(top + 1), side="right")[:, None]
    for shift in range(max(top.bit_length() - 14, 1), 64):
        buckets = (top >> shift) + 1
        if buckets > _MAX_BUCKETS:
            continue
        counts = np.bincount((table >> shift).astype(np.int64), minlength=buckets)
        width = int(counts.max())
        if width > _PER_BUCKET:
            return None  # larger buckets only hold more
        first = np.arange(buckets, dtype=np.int64) << shift
        before = np.searchsorted(table, first - 1, side="right")
        pad = np.minimum(first + (1 << shift), hi)
        rows = np.empty((buckets, 1 + width), dtype=np.int64)
        rows[:, 0] = before
        for c in range(width):
            rows[:, 1 + c] = np.where(c < counts, table[np.minimum(before + c, table.size - 1)], pad)
        return shift, rows
    return None


def is_jax(x) -> bool:
    """Whether ``x`` is a JAX array or tracer."""
    return isinstance(x, (jax.Array, jax.core.Tracer))


def is_traced(x) -> bool:
    """Whether ``x`` is a JAX tracer (a value known only when the program runs)."""
    return isinstance(x, jax.core.Tracer)


def python_step(k) -> bool:
    """Whether the step ``k`` is a Python number: a formula may branch on it, on any backend
    (a Python step, or the step-0 probe of a warmup's first value)."""
    t = type(k)
    return t is int or t is float


def integer_steps(k) -> bool:
    """Whether the steps ``k`` are integers (a Python int, or an array of an integer dtype)."""
    return type(k) is int or getattr(getattr(k, "dtype", None), "kind", "f") in "iu"


def is_real(x) -> bool:
    """A real number that is not a bool (a Python, NumPy or 0-d value)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


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
