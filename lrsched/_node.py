"""The :class:`Schedule` type and the protocol every node implements.

A node class declares its fields once, as class attributes:

* ``_values``: float leaves (learning rates, rates, factors, exponents): a Python float, ``None``,
  a tuple or a step -> value dict of them, or a JAX array. These are the pytree leaves.
* ``_children``: child schedules (a :class:`Schedule` or a tuple of them); pytree sub-nodes.
* ``_static``: structure fixed at build time (step counts, shape names, callables).
* ``_defaults``: fields the node stores as ``None`` when the builder's argument has its default
  value (the formula then takes its exact, fast form), with that default.

The fields are the builder's own arguments. A class is registered when it is defined (``class
Ramp(Schedule, kind="ramp")``): as a JAX pytree over its leaves and children, and under its kind for
``from_dict``, which rebuilds it through its builder, the module-level function of that name.
``==``, ``hash``, ``repr`` and serialisation follow from the fields with no per-class code.

Beside its formula ``_eval(k, xp)``, a node implements these hooks, each with a default:

* ``_layout(start, n, xp)`` and ``_dense(start, n, xp, lay)``: values over a window of steps
  (default: the formula over steps made in the computation; see ``_tables``);
* ``_flat(budget)``: whether the node is one cheap elementwise expression over the steps, and
  ``_repeats(lay)``: whether a window of it is instead written faster from values computed once;
* ``_phases(at)``: where its phases begin, and how its clock maps its children's steps to its own
  (default: the children share its clock; see ``_inspect``);
* ``_atoms(start, stop, out)``, ``_ramp_key()``, ``_ramp_values(xp)``: how a traced step finds
  its piece (see ``_gather``);
* ``_first()``: its value at step 0 where that is known without calling user code;
* ``_serialise()`` and ``_repr_call()``: its document and the call its repr shows.
"""

from __future__ import annotations

import inspect
import numbers
import sys
from typing import TYPE_CHECKING, Any, ClassVar

import jax

from . import _validate as V
from ._backend import PY, is_jax, is_real
from ._once import once
from ._steps import FLOAT_MAX as _FLOAT_MAX
from ._steps import bad_python_step, call_array
from ._tables import dense, flat_loop, layout

KINDS: dict[str, type] = {}  # serialised kind -> node class, filled as each class is defined
LIN, PAR = "lin", "par"  # a leaf the value is linear in, or one that shapes it (see ``_roles``)


def _leaf_plain(v) -> bool:
    if v is None or type(v) is float:
        return True
    if type(v) is tuple:
        return all(_leaf_plain(x) for x in v)
    if type(v) is dict:
        return all(_leaf_plain(x) for x in v.values())
    return False


def _same(a, b) -> bool:
    """Structural equality of field values; arrays compare by identity."""
    if type(a) is float or type(b) is float:
        return type(a) is type(b) and (a == b or (a != a and b != b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is dict and type(b) is dict:
        return list(a) == list(b) and all(_same(a[x], b[x]) for x in a)
    if isinstance(a, Schedule) and isinstance(b, Schedule):
        return a == b
    if isinstance(a, (int, str, type(None))) and isinstance(b, (int, str, type(None))):
        return type(a) is type(b) and a == b
    return a is b


def _hashable(v):
    return tuple(v.items()) if type(v) is dict else v


def _as_tuple(x):
    if x is None:
        return ()
    return x if type(x) is tuple else (x,)


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
    _defaults: ClassVar[dict[str, Any]] = {}
    # the value fields that shape the formula (a cosine's exponent, a polynomial's power): a dense
    # evaluation compiles their plain values in (a power of 2 is then a product, 0.5 a square root)
    _shaping: ClassVar[tuple[str, ...]] = ()
    _kind: ClassVar[str] = ""
    _builder: ClassVar[str] = ""  # the builder's name in the class's module
    _shown_as: ClassVar[str] = ""  # the name the repr calls (default: the kind)
    _npos: ClassVar[int] = 0  # how many leading builder arguments the repr writes positionally
    _plain: bool

    if TYPE_CHECKING:  # fields live in the instance dict, declared per node class by name

        def __getattr__(self, name: str) -> Any: ...

    def __init_subclass__(cls, *, kind: str | None = None, builder: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if kind is None:
            return
        fields = cls._values + cls._children + cls._static
        if len(set(fields)) != len(fields):
            raise TypeError(f"{cls.__name__}: a field is declared twice in {fields}")
        if not set(cls._defaults) <= set(fields):
            raise TypeError(f"{cls.__name__}: _defaults names {sorted(set(cls._defaults) - set(fields))}, not fields")
        if kind in KINDS:
            raise TypeError(f"kind={kind!r}: already the kind of {KINDS[kind].__qualname__}")
        cls._kind = kind
        cls._builder = builder or kind
        cls._shown_as = cls.__dict__.get("_shown_as") or kind
        KINDS[kind] = cls
        _register_pytree(cls)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def _make(cls, **fields):
        """Create a node without validation (builders validate before calling this)."""
        self = object.__new__(cls)
        self.__dict__.update(fields)
        self._settle()
        return self

    def _settle(self):
        d = self.__dict__
        d["_plain"] = all(_leaf_plain(d[n]) for n in self._values) and all(
            getattr(c, "_plain", False) for n in self._children for c in _as_tuple(d[n])
        )
        self._derive()

    def _derive(self):
        """Set what the formula reads that follows from the fields (after build and unflatten)."""

    @classmethod
    def build(cls):
        """The builder that validates arguments and makes this node (what ``from_dict`` calls)."""
        return getattr(sys.modules[cls.__module__], cls._builder)

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
            if not 0 <= k <= _FLOAT_MAX:  # inline: this is the path a training loop takes
                bad_python_step(k)
            return float(self._eval(k, PY))
        return once(call_array, self, k)

    # -- hooks with defaults ------------------------------------------------------------------
    def _layout(self, start: int, n: int, xp):
        """What a dense window of ``n`` steps from ``start`` decides from ``start`` (hashable)."""
        return None

    def _dense(self, start, n: int, xp, lay):
        """Values at steps ``start .. start + n - 1`` (``lay`` from :meth:`_layout`)."""
        return xp.full(self._eval(xp.arange(start, n), xp), n)

    def _flat(self, budget: int) -> int:
        """What is left of ``budget`` after this node written as one elementwise expression over
        the steps (linear, sqrt, cosine and constant pieces); negative where it is not one."""
        return -1

    def _one_loop(self, lay) -> bool:
        """Whether a compiled window (``lay`` from :meth:`_layout`) is one elementwise loop over
        its steps: a formula of a few pieces (see ``_flat``), not tables, parts or repeated values."""
        return flat_loop(self, lay)

    def _repeats(self, lay) -> bool:
        """Whether the window (``lay`` from :meth:`_layout`) repeats values computed once, so that
        ``_dense`` writes it faster than the node's formula at every step would (see ``_flat``)."""
        return False

    def _phases(self, at) -> None:
        """Report the steps where a phase begins to ``at`` (see ``_inspect``); by default the
        children run on this node's clock."""
        for child in self._child_nodes():
            at.walk(child)

    def _atoms(self, start, stop, out) -> None:
        """Append ``(first step, piece)`` for each piece in force on ``[start, stop)``."""
        out.append((start, self))

    def _ramp_key(self):
        """``(shape, number of parameters, length)`` where this piece is a ramp, else ``None``."""
        return None

    def _roles(self) -> list[str] | None:
        """Per leaf (in ``tree_leaves`` order) whether the value is linear in it (``LIN``: a peak,
        a floor) or shaped by it (``PAR``); ``None`` where the value is not linear in its ``LIN``
        leaves (a product, a clip, a geometric piece). A sweep over ``LIN`` leaves computes the
        weights once (see ``_sweep``)."""
        return None

    def _first(self):
        """``self(0)`` when it is plain arithmetic; ``None`` with array leaves or a user function
        inside (building a schedule never calls one)."""
        if not self._plain or any(c._first() is None for c in self._child_nodes()):
            return None
        return self._eval(0, PY)

    def _serialise(self) -> dict:
        return {"type": self._kind, **{n: _encode(n, v) for n, v in self._args().items()}}

    def _repr_call(self):
        return self._shown_as, self._args()

    # -- structure ----------------------------------------------------------------------------
    def _fields(self):
        d = self.__dict__
        return {n: d[n] for n in self._values + self._children + self._static}

    def _child_nodes(self):
        d = self.__dict__
        return [c for n in self._children for c in _as_tuple(d[n])]

    def _args(self) -> dict[str, Any]:
        """The builder's arguments that rebuild this node, in the builder's order (a field stored
        as ``None`` for its default gives the default)."""
        fields, named, extra = self._fields(), *_signature(type(self))
        out = {}
        for n in named:
            if n in fields:
                v = fields[n]
                out[n] = self._defaults[n] if v is None and n in self._defaults else v
        if extra:  # the builder takes **keywords: the other fields that are set
            out.update((n, v) for n, v in fields.items() if n not in out and v is not None)
        return out

    def _key(self):
        return (type(self), tuple((n, _hashable(v)) for n, v in self._fields().items()))

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
        h = self.__dict__.get("_hash")
        if h is None:  # immutable: hashed once (a join of 100,000 pieces is a key of evaluate's cache)
            h = self.__dict__["_hash"] = hash(self._key())
        return h

    def __repr__(self):
        name, args = self._repr_call()
        params = _parameters(type(self))
        parts = []
        for i, (n, v) in enumerate(args.items()):
            p = params.get(n)
            if p is not None and p.kind is inspect.Parameter.VAR_POSITIONAL:
                parts.extend(_fmt(x) for x in v)
            elif i < self._npos:
                parts.append(_fmt(v))
            elif p is None or p.default is inspect.Parameter.empty or not _equal_default(v, p.default):
                parts.append(f"{n}={_fmt(v)}")
        return f"{name}({', '.join(parts)})"

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


# --------------------------------------------------------------------------------------------
# registration, signatures, repr and encoding (generic over the declared fields)
# --------------------------------------------------------------------------------------------
def _register_pytree(cls):
    dynamic, static = cls._values + cls._children, cls._static

    def flatten_with_keys(node):
        d = node.__dict__
        return tuple((jax.tree_util.GetAttrKey(n), d[n]) for n in dynamic), tuple(d[n] for n in static)

    def flatten(node):
        d = node.__dict__
        return tuple(d[n] for n in dynamic), tuple(d[n] for n in static)

    def unflatten(aux, leaves):
        self = object.__new__(cls)
        d = self.__dict__
        d.update(zip(dynamic, leaves))
        d.update(zip(static, aux))
        self._settle()
        return self

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)


def shaping_leaves(s: Schedule, count: int) -> list[int]:
    """The positions, in ``tree_leaves`` order (each node's value fields, then its children, as
    the nodes flatten), of the leaves of ``s``'s shaping fields (see ``Schedule._shaping``); none
    where the walk does not account for all ``count`` leaves."""
    out: list[int] = []
    at = 0

    def walk(node):
        nonlocal at
        d = node.__dict__
        for f in node._values:
            n = len(jax.tree_util.tree_leaves(d[f]))
            if f in node._shaping:
                out.extend(range(at, at + n))
            at += n
        for f in node._children:
            for c in _as_tuple(d[f]):
                walk(c)

    walk(s)
    return out if at == count else []


_SIGNATURES: dict[type, tuple] = {}


def _parameters(cls) -> dict[str, inspect.Parameter]:
    sig = _SIGNATURES.get(cls)
    if sig is None:
        params = dict(inspect.signature(cls.build()).parameters)
        named = tuple(n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_KEYWORD)
        extra = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        sig = _SIGNATURES[cls] = (params, named, extra)
    return sig[0]


def _signature(cls) -> tuple[tuple[str, ...], bool]:
    _parameters(cls)
    return _SIGNATURES[cls][1:]


def _fmt(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if type(v) is dict:
        return "{" + ", ".join(f"{_fmt(a)}: {_fmt(b)}" for a, b in v.items()) + "}"
    if callable(v) and not isinstance(v, (type, Schedule)):
        return getattr(v, "__qualname__", None) or repr(v)
    return repr(v)


def _equal_default(v, d) -> bool:
    if type(v) is float or type(d) is float:
        return is_real(v) and is_real(d) and float(v) == float(d)
    return v is d or (type(v) is type(d) and v == d)


def _encode(name, v):
    if isinstance(v, Schedule):
        return v._serialise()
    if isinstance(v, (list, tuple)):
        return [_encode(name, x) for x in v]
    if type(v) is dict:  # a step -> value mapping, as [step, value] pairs (a step may be fractional)
        return [[b, _encode(f"{name}[{b}]", x)] for b, x in v.items()]
    if v is None or isinstance(v, (bool, int, str, float)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={V.show(v)}: only schedules with scalar float values serialise") from None


def concat_roles(children, own=()):
    """The roles of a node with leaves of roles ``own`` before the leaves of ``children``."""
    out = list(own)
    for c in children:
        r = c._roles()
        if r is None:
            return None
        out += r
    return out


def schedule_arg(name: str, v):
    """``v`` checked to be a schedule (the caller's argument ``name``)."""
    if not isinstance(v, Schedule):
        not_a_batch(name, v)
        raise TypeError(f"{name}={V.show(v)}: expected an lrsched.Schedule, got {type(v).__name__}")
    return v


def not_a_batch(name: str, v) -> None:
    """Refuse a batch from ``lrsched.stack`` where a schedule is needed, saying what to do instead."""
    if getattr(type(v), "_batch", False):
        raise TypeError(
            f"{name}=<a batch of {v.size} schedules>: a batch from lrsched.stack is not a schedule; "
            "compose the schedules first, then stack them"
        )


# --------------------------------------------------------------------------------------------
# constant and arithmetic: what numbers in an expression become
# --------------------------------------------------------------------------------------------
class Constant(Schedule, kind="constant"):
    _values = ("value",)
    _npos = 1

    def _eval(self, k, xp):
        return self.value

    def _flat(self, budget):
        return budget - 1

    def _roles(self):
        return [LIN]

    def _first(self):
        return self.value if self._plain else None


def constant(value) -> Schedule:
    """The same value at every step.

    Args:
        value: the value (a float, or a JAX array for batched/traced use).

    Example:
        >>> import lrsched
        >>> lrsched.constant(0.1)(12345)
        0.1
    """
    return Constant._make(value=V.value("value", value))


# op -> (formula, infix symbol or None)
OPS = {
    "add": (lambda xp, a, b: a + b, "+"),
    "sub": (lambda xp, a, b: a - b, "-"),
    "mul": (lambda xp, a, b: a * b, "*"),
    "div": (lambda xp, a, b: xp.divide(a, b), "/"),
    "minimum": (lambda xp, a, b: xp.minimum(a, b), None),
    "maximum": (lambda xp, a, b: xp.maximum(a, b), None),
}


class BinOp(Schedule, kind="binop"):
    _children = ("a", "b")
    _static = ("op",)

    def _eval(self, k, xp):
        return OPS[self.op][0](xp, self.a._eval(k, xp), self.b._eval(k, xp))

    def _layout(self, start, n, xp):
        return layout(self.a, start, n, xp), layout(self.b, start, n, xp)

    def _dense(self, start, n, xp, lay):
        return OPS[self.op][0](xp, dense(self.a, start, n, xp, lay[0]), dense(self.b, start, n, xp, lay[1]))

    def _roles(self):
        if self.op not in ("add", "sub"):
            return None
        return concat_roles((self.a, self.b))

    def __repr__(self):  # infix, as the expression was written
        sym = OPS[self.op][1]
        a, b = (x.value if type(x) is Constant else x for x in (self.a, self.b))
        if sym is None:
            return f"{self.op}({_fmt(a)}, {_fmt(b)})"
        if type(self.a) is Constant and type(self.b) is Constant:
            a = self.a  # two plain numbers would evaluate to a number, not to this node
        return f"({_fmt(a)} {sym} {_fmt(b)})"


def _operand(name, x):
    if isinstance(x, Schedule):
        return x
    if is_real(x) or is_jax(x):
        with V.renamed(value=name):  # the operand is the caller's argument, not constant's value
            return constant(x)
    not_a_batch(name, x)
    raise TypeError(f"{name}={V.show(x)}: expected a Schedule or a real number")


def binop(op, a, b) -> Schedule:
    """``a <op> b`` for op in add, sub, mul, div, minimum, maximum; numbers become constants.

    ``div`` by a schedule that reaches zero gives IEEE ``+-inf`` (or NaN for ``0 / 0``) at those
    steps on every backend, a Python step included.
    """
    V.choice("op", op, tuple(OPS))
    a, b = _operand("a", a), _operand("b", b)
    if op == "div" and isinstance(b, Constant) and V.is_plain(b.value) and b.value == 0.0:
        raise ValueError("b=0.0: division of a schedule by zero")
    return BinOp._make(a=a, b=b, op=op)


def _binop(op, a, b):
    try:
        return binop(op, a, b)
    except TypeError:
        if not isinstance(a, (Schedule, numbers.Real)) or not isinstance(b, (Schedule, numbers.Real)):
            return NotImplemented
        raise


def minimum(a, b) -> Schedule:
    """The smaller of two schedules (or a schedule and a number) at every step.

    Example:
        >>> import lrsched
        >>> lrsched.minimum(lrsched.linear(0.0, 1.0, 10), 0.3)(5)
        0.3
    """
    return binop("minimum", a, b)


def maximum(a, b) -> Schedule:
    """The larger of two schedules (or a schedule and a number) at every step.

    Example:
        >>> import lrsched
        >>> lrsched.maximum(lrsched.linear(0.0, 1.0, 10), 0.3)(1)
        0.3
    """
    return binop("maximum", a, b)
