"""The :class:`Schedule` type: an immutable ``step -> value`` function on three backends.

A node declares three kinds of fields:

* ``_values``: float leaves (learning rates, rates, factors, exponents); a Python float, ``None``,
  a tuple of them, or a JAX array. These are the pytree leaves.
* ``_children``: child schedules (a :class:`Schedule` or a tuple of them); pytree sub-nodes.
* ``_static``: structure fixed at build time (step counts, shape names, callables).

Pytree registration, ``==``, ``hash``, ``repr`` and serialisation are all derived from that split.
"""

from __future__ import annotations

import numbers
import sys
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import _validate as V
from ._backend import JX, NP, PY

_BUILDERS: dict[str, Any] = {}  # serialised type name -> builder function (filled by register_node)
_NODE_TYPES: dict[str, type] = {}


def _is_jax(x) -> bool:
    mod = type(x).__module__
    return mod.startswith("jax") or mod.startswith("jaxlib")


def _leaf_plain(v) -> bool:
    if v is None or type(v) is float:
        return True
    if type(v) is tuple:
        return all(_leaf_plain(x) for x in v)
    return False


def _same(a, b) -> bool:
    """Structural equality of field values; arrays compare by identity."""
    if type(a) is float or type(b) is float:
        return type(a) is type(b) and (a == b or (a != a and b != b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, Schedule) and isinstance(b, Schedule):
        return a == b
    if isinstance(a, (int, str, type(None))) and isinstance(b, (int, str, type(None))):
        return type(a) is type(b) and a == b
    return a is b


class Schedule:
    """A learning-rate schedule: a pure, immutable function from update count to value.

    ``schedule(k)`` is the value used by optimizer update number ``k`` (counting from 0).

    * A Python ``int`` (or ``float``) gives a Python ``float``, computed with plain arithmetic.
    * A NumPy scalar or array gives a NumPy ``float64`` array of the same shape.
    * A JAX array or tracer gives a JAX array of JAX's default float dtype; this works under
      ``jax.jit``, ``jax.vmap``, ``jax.grad`` and ``jax.lax.scan``.

    A negative Python step raises :class:`ValueError`; in an array, steps below 0 evaluate as
    step 0. A Python step must be finite (``inf``, NaN and ints past the float range raise
    :class:`ValueError`), and so must the floats of a NumPy step array. Unsigned steps are exact
    (NumPy ``uint64`` past 2**63 - 1 holds there, past every duration; JAX ``uint32`` holds at
    2**31 - 1 without x64, as ``int32`` steps do). In a JAX float array, ``inf`` evaluates as the
    largest finite step (the value the schedule holds at the end) and NaN gives NaN. Durations
    are at most 2**63 - 1. A value that grows past the float range is ``inf`` on every backend
    (no exception, no warning), and a ceiling over it (``end=``, ``clip(max=)``) gives the
    ceiling, with a gradient of 0 through it. Schedules are JAX pytrees whose leaves are their float values, so a batch of them can
    be ``vmap``-ed over and ``jax.grad`` can differentiate with respect to, say, the peak value.

    Example:
        >>> import lrsched
        >>> s = lrsched.warmup(lrsched.cosine(1.0, 0.0, 100), 10)
        >>> s(0), s(10), s(110)
        (0.0, 1.0, 0.0)
        >>> s
        warmup(cosine(1.0, 0.0, 100), 10)
    """

    _values: ClassVar[tuple[str, ...]] = ()
    _children: ClassVar[tuple[str, ...]] = ()
    _static: ClassVar[tuple[str, ...]] = ()
    _kind: ClassVar[str] = ""
    _npos: ClassVar[int] = 0  # how many leading builder arguments the repr writes positionally
    _plain: bool

    if TYPE_CHECKING:  # fields live in the instance dict, declared per node class by name

        def __getattr__(self, name: str) -> Any: ...

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def _make(cls, **fields):
        """Create a node without validation (builders validate before calling this)."""
        self = object.__new__(cls)
        d = self.__dict__
        d.update(fields)
        d["_plain"] = all(_leaf_plain(fields[n]) for n in cls._values) and all(
            c._plain for n in cls._children for c in _as_tuple(fields[n])
        )
        return self

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable")

    # -- evaluation ---------------------------------------------------------------------------
    def _eval(self, k, xp):  # pragma: no cover - every node overrides it
        raise NotImplementedError

    def __call__(self, k=None):
        t = type(k)
        if (t is int or t is float) and self._plain:
            if not 0 <= k <= _FLOAT_MAX:
                _bad_python_step(k)
            return float(self._eval(k, PY))
        return _call_array(self, k)

    # -- structure ----------------------------------------------------------------------------
    def _fields(self):
        return {n: self.__dict__[n] for n in self._values + self._children + self._static}

    def _args(self) -> dict[str, Any]:
        """The builder's keyword arguments that rebuild this node (in the builder's order)."""
        fields = self._fields()
        order = _builder_params(type(self))
        return {n: fields[n] for n in order if n in fields}

    def _key(self):
        return (type(self), tuple(self._fields().items()))

    def __eq__(self, other):
        if not isinstance(other, Schedule):
            return NotImplemented
        if type(self) is not type(other):
            return False
        a, b = self._fields(), other._fields()
        return all(_same(a[n], b[n]) for n in a)

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        if not self._plain:
            raise TypeError("a Schedule with array leaves is not hashable")
        return hash(self._key())

    def __repr__(self):
        from ._serialize import call_repr

        return call_repr(self)

    def __bool__(self):
        raise TypeError("a Schedule has no truth value; call it with a step")

    # -- arithmetic ---------------------------------------------------------------------------
    def __add__(self, other):
        return _binop("add", self, other)

    def __radd__(self, other):
        return _binop("add", other, self)

    def __sub__(self, other):
        return _binop("sub", self, other)

    def __rsub__(self, other):
        return _binop("sub", other, self)

    def __mul__(self, other):
        return _binop("mul", self, other)

    def __rmul__(self, other):
        return _binop("mul", other, self)

    def __truediv__(self, other):
        """``self / other`` at every step. Where the divisor reaches zero the value follows IEEE
        on every backend, as NumPy and JAX give: ``+-inf`` (signed by the operands), or NaN for
        ``0 / 0``; a Python step returns that float instead of raising ``ZeroDivisionError``.
        Dividing by the number (or constant) ``0.0`` is refused at build."""
        return _binop("div", self, other)

    def __rtruediv__(self, other):
        return _binop("div", other, self)

    def __neg__(self):
        return _binop("mul", self, -1.0)

    def __pos__(self):
        return self


_PARAMS: dict[type, tuple[str, ...]] = {}


def _builder_params(cls) -> tuple[str, ...]:
    order = _PARAMS.get(cls)
    if order is None:
        import inspect

        order = _PARAMS[cls] = tuple(inspect.signature(_BUILDERS[cls._kind]).parameters)
    return order


def _as_tuple(x):
    if x is None:
        return ()
    return x if type(x) is tuple else (x,)


def _binop(op, a, b):
    from ._combinators import binop

    try:
        return binop(op, a, b)
    except TypeError:
        if not isinstance(a, (Schedule, numbers.Real)) or not isinstance(b, (Schedule, numbers.Real)):
            return NotImplemented
        raise


_FLOAT_MAX = sys.float_info.max


def _bad_python_step(k):
    if k != k or k < 0:
        raise ValueError(f"step={V.show(k)}: must be >= 0")
    shown = f"<int of {k.bit_length()} bits>" if type(k) is int else repr(k)
    raise ValueError(f"step={shown}: must be finite (at most {V.show(_FLOAT_MAX)})")


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
    import jax.numpy as jnp

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


def _call_array(s: Schedule, k):
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
    if isinstance(k, (numbers.Real, np.ndarray, np.generic)) or _is_jax(k):
        import jax.numpy as jnp

        if isinstance(k, (np.ndarray, np.generic)):
            k = _numpy_steps(k)
            if jnp.dtype(jnp.result_type(int)).itemsize < 8:  # 32-bit JAX: int steps stop at 2**31 - 1
                k = np.minimum(k, 2**31 - 1).astype(np.int32) if k.dtype.kind == "i" else k.astype(np.float32)
        elif not _is_jax(k) and not 0 <= k <= _FLOAT_MAX:  # a Python number
            _bad_python_step(k)
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


def _call_numpy_chunked(s: Schedule, k: np.ndarray):
    """A large NumPy step array, a chunk at a time into one float64 array: the temporaries of the
    formulas are those of one chunk. Every formula is elementwise, so the values are those of one
    pass over the whole array."""
    flat = k.reshape(-1)
    out = np.empty(flat.shape, dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # IEEE, as Python and JAX give
        for a in range(0, flat.size, NUMPY_CHUNK):
            out[a : a + NUMPY_CHUNK] = s._eval(_numpy_steps(flat[a : a + NUMPY_CHUNK], k.shape), NP)
    return out.reshape(k.shape)


def register_node(cls, builder):
    """Register a node class as a JAX pytree and its builder for ``from_dict``."""
    import jax

    values, children, static = cls._values, cls._children, cls._static
    dynamic = values + children

    def flatten_with_keys(node):
        d = node.__dict__
        return (
            tuple((jax.tree_util.GetAttrKey(n), d[n]) for n in dynamic),
            tuple(d[n] for n in static),
        )

    def flatten(node):
        d = node.__dict__
        return tuple(d[n] for n in dynamic), tuple(d[n] for n in static)

    def unflatten(aux, leaves):
        self = object.__new__(cls)
        d = self.__dict__
        d.update(zip(dynamic, leaves))
        d.update(zip(static, aux))
        d["_plain"] = all(_leaf_plain(d[n]) for n in values) and all(
            getattr(c, "_plain", False) for n in children for c in _as_tuple(d[n])
        )
        return self

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
    _BUILDERS[cls._kind] = builder
    _NODE_TYPES[cls._kind] = cls
    return cls
