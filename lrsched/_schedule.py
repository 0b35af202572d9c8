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
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

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
    step 0. Schedules are JAX pytrees whose leaves are their float values, so a batch of them can
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

    def __call__(self, k):
        t = type(k)
        if (t is int or t is float) and self._plain:
            if not k >= 0:
                raise ValueError(f"step={k!r}: must be >= 0")
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


def _call_array(s: Schedule, k):
    """Evaluate ``s`` at a NumPy or JAX step (or at a Python step when ``s`` has array leaves)."""
    if isinstance(k, bool) or (isinstance(k, np.ndarray) and k.dtype == bool) or isinstance(k, np.bool_):
        raise TypeError(f"step={k!r}: expected an integer or float step, not a bool")
    if s._plain and isinstance(k, (np.ndarray, np.generic)):
        k = np.asarray(k)
        if k.dtype.kind in "iu":
            k = k.astype(np.int64, copy=False)
        elif k.dtype.kind == "f":
            k = k.astype(np.float64, copy=False)
        else:
            raise TypeError(f"step={k!r}: expected an integer or float array, got dtype {k.dtype}")
        k = np.maximum(k, 0)
        res = np.asarray(s._eval(k, NP), dtype=np.float64)
        if res.shape != k.shape:
            res = np.broadcast_to(res, k.shape).copy()
        return res
    if isinstance(k, (numbers.Real, np.ndarray, np.generic)) or _is_jax(k):
        import jax.numpy as jnp

        k = jnp.asarray(k)
        if not (jnp.issubdtype(k.dtype, jnp.integer) or jnp.issubdtype(k.dtype, jnp.floating)):
            raise TypeError(f"step={k!r}: expected an integer or float array, got dtype {k.dtype}")
        k = jnp.maximum(k, 0)
        out = jnp.asarray(s._eval(k, JX), dtype=jnp.result_type(float))
        return jnp.broadcast_to(out, k.shape)
    raise TypeError(f"step={k!r}: expected a Python number, a NumPy array or a JAX array, got {type(k).__name__}")


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
