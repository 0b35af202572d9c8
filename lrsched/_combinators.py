"""Combinators: warmup, join, chain, clip, shift, per_epoch, and arithmetic (``cycle`` is in ``_cycle``)."""

from __future__ import annotations

import bisect
import math
import numbers

from . import _validate as V
from ._backend import fit, step_max
from ._gather import join_value
from ._primitives import Constant, constant, ramp_value, shape_params
from ._schedule import Schedule, register_node


# --------------------------------------------------------------------------------------------
# warmup
# --------------------------------------------------------------------------------------------
class Warmup(Schedule):
    _values = ("start",)
    _children = ("schedule",)
    _static = ("steps", "shape")
    _kind = "warmup"
    _npos = 2

    def _eval(self, k, xp):
        n, child = self.steps, self.schedule
        if n == 0:
            return child._eval(k, xp)
        # A static step (a Python number; on the array paths only the step-0 probe below) takes
        # one branch, so nested warmups cost linear, not exponential, work.
        if xp.name == "python" or type(k) is int:
            if k < n:
                return ramp_value(xp, self.shape, _WARMUP_PARAMS[self.shape], self.start, child._eval(0, xp), k, n)
            return child._eval(k - n, xp)
        if xp.name == "jax" and type(child) in (Join, Warmup):  # nested phases: one lookup for all
            v = join_value(self, k, xp)
            if v is not NotImplemented:
                return v
        up = ramp_value(xp, self.shape, _WARMUP_PARAMS[self.shape], self.start, child._eval(0, xp), k, n)
        n = fit(n, k)
        if n is None:  # k's integer dtype never reaches the end of the warmup
            return up
        return xp.where(k < n, up, child._eval(xp.maximum(k - n, 0), xp))

    def _args(self):
        return {"schedule": self.schedule, "steps": self.steps, "start": self.start, "shape": self.shape}


_WARMUP_PARAMS: dict[str, tuple] = {}


def _first_value(s) -> float | None:
    """``s(0)`` when it is plain arithmetic; ``None`` with array leaves or a user function inside
    (building a schedule never calls one)."""
    from ._fn import Fn

    todo = [s]
    while todo:
        node = todo.pop()
        if isinstance(node, Fn) or not node._plain:
            return None
        for name in node._children:
            c = node.__dict__[name]
            todo.extend(c if type(c) is tuple else (c,))
    return s(0)


def warmup(schedule, steps, *, start=0.0, shape="linear") -> Schedule:
    """Ramps from ``start`` to ``schedule(0)`` over ``steps`` steps, then runs ``schedule(k - steps)``.

    Args:
        schedule: what runs after the warmup.
        steps: warmup length (0 means no warmup).
        start: the value at step 0.
        shape: the ramp's shape (any shape of :func:`~lrsched.ramp`, with its default parameters).

    Example:
        >>> import lrsched
        >>> s = lrsched.warmup(lrsched.constant(1.0), 4)
        >>> [s(k) for k in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    V.schedule("schedule", schedule)
    steps = V.steps("steps", steps)
    start = V.value("start", start)
    if shape not in _WARMUP_PARAMS:
        _WARMUP_PARAMS[shape] = shape_params(shape, {})
    if shape == "exponential" and V.is_plain(start) and not start != 0:
        raise ValueError(f"start={V.show(start)}: an exponential warmup needs a non-zero start")
    if shape == "exponential" and V.is_plain(start):
        first = _first_value(schedule)  # a geometric ramp to schedule(0) needs it of start's sign
        if first is not None and not start * first > 0:
            raise ValueError(
                f"start={V.show(start)}: an exponential warmup needs schedule(0)={V.show(first)} of the same sign"
            )
    return Warmup._make(schedule=schedule, start=start, steps=steps, shape=shape)


register_node(Warmup, warmup)


# --------------------------------------------------------------------------------------------
# join
# --------------------------------------------------------------------------------------------
class Join(Schedule):
    _children = ("schedules",)
    _static = ("boundaries",)
    _kind = "join"
    _npos = 2

    def _eval(self, k, xp):
        pieces, bounds = self.schedules, self.boundaries
        if xp.name == "python" or type(k) is int:
            i = bisect.bisect_right(bounds, k)
            if i:
                k = k - bounds[i - 1]
            return pieces[i]._eval(k, xp)
        if xp.name == "jax":  # one lookup and one formula per kind of piece
            v = join_value(self, k, xp)
            if v is not NotImplemented:
                return v
        out = pieces[0]._eval(k, xp)
        for b, piece in zip(bounds, pieces[1:]):
            b = fit(b, k)
            if b is None:  # sorted: this piece and the later ones are never reached
                break
            out = xp.where(k >= b, piece._eval(xp.maximum(k - b, 0), xp), out)
        return out

    def _args(self):
        return {"schedules": list(self.schedules), "boundaries": list(self.boundaries)}


def join(schedules, boundaries) -> Schedule:
    """Runs ``schedules[0]``, then ``schedules[i + 1]`` from ``boundaries[i]`` on, with re-based steps.

    Piece ``i + 1`` is in force for ``k >= boundaries[i]`` and sees ``k - boundaries[i]``
    (as optax ``join_schedules`` and torch ``SequentialLR``). Equal boundaries skip a piece.

    Args:
        schedules: the pieces, at least one.
        boundaries: ``len(schedules) - 1`` non-decreasing steps, each ``>= 0``.

    Example:
        >>> import lrsched
        >>> s = lrsched.join([lrsched.constant(1.0), lrsched.linear(1.0, 0.0, 10)], [5])
        >>> s(4), s(5), s(10)
        (1.0, 1.0, 0.5)
    """
    if isinstance(schedules, Schedule) or not isinstance(schedules, (list, tuple)):
        raise TypeError(f"schedules={V.show(schedules)}: expected a list of schedules")
    if not isinstance(boundaries, (list, tuple)):
        raise TypeError(f"boundaries={V.show(boundaries)}: expected a list of steps")
    if not schedules:
        raise ValueError("schedules=[]: needs at least one schedule")
    for i, s in enumerate(schedules):
        V.schedule(f"schedules[{i}]", s)
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"boundaries={V.show(list(boundaries))}: needs len(schedules) - 1 = {len(schedules) - 1} entries, got {len(boundaries)}"
        )
    bounds = tuple(V.steps(f"boundaries[{i}]", b) for i, b in enumerate(boundaries))
    for i in range(1, len(bounds)):
        if bounds[i] < bounds[i - 1]:
            raise ValueError(f"boundaries={V.show(list(boundaries))}: must be non-decreasing")
    if not bounds:
        return schedules[0]
    return Join._make(schedules=tuple(schedules), boundaries=bounds)


register_node(Join, join)


# --------------------------------------------------------------------------------------------
# chain, clip, shift, per_epoch
# --------------------------------------------------------------------------------------------
class Chain(Schedule):
    _children = ("schedules",)
    _kind = "chain"

    def _eval(self, k, xp):
        it = iter(self.schedules)
        v = next(it)._eval(k, xp)
        for s in it:
            v = v * s._eval(k, xp)
        return v

    def _repr_call(self):
        return "chain", {"*": list(self.schedules)}

    def _args(self):
        return {"schedules": list(self.schedules)}


def chain(*schedules) -> Schedule:
    """The product of the schedules (torch ``ChainedScheduler`` of multiplicative schedulers).

    Example:
        >>> import lrsched
        >>> lrsched.chain(lrsched.constant(0.5), lrsched.linear(1.0, 0.0, 10))(5)
        0.25
    """
    if len(schedules) == 1 and isinstance(schedules[0], (list, tuple)):
        schedules = tuple(schedules[0])
    if not schedules:
        raise ValueError("schedules=(): chain needs at least one schedule")
    for i, s in enumerate(schedules):
        V.schedule(f"schedules[{i}]", s)
    return Chain._make(schedules=tuple(schedules))


register_node(Chain, lambda schedules: chain(*schedules) if isinstance(schedules, list) else chain(schedules))


class Clip(Schedule):
    _values = ("min", "max")
    _children = ("schedule",)
    _kind = "clip"
    _npos = 1

    def _eval(self, k, xp):
        v = self.schedule._eval(k, xp)
        if self.min is not None:
            v = xp.maximum(v, self.min)
        if self.max is not None:
            v = xp.minimum(v, self.max)
        return v

    def _args(self):
        return {"schedule": self.schedule, "min": self.min, "max": self.max}


def clip(schedule, min=None, max=None) -> Schedule:  # noqa: A002 - the contract's names
    """``schedule`` bounded below by ``min`` and above by ``max`` (either may be ``None``).

    Example:
        >>> import lrsched
        >>> lrsched.clip(lrsched.linear(0.0, 1.0, 10), min=0.2, max=0.5)(1), lrsched.clip(lrsched.linear(0.0, 1.0, 10), max=0.5)(9)
        (0.2, 0.5)
    """
    V.schedule("schedule", schedule)
    lo = V.value("min", min, allow_none=True)
    hi = V.value("max", max, allow_none=True)
    if V.is_plain(lo) and V.is_plain(hi) and lo > hi:
        raise ValueError(f"min={V.show(lo)}, max={V.show(hi)}: min must be <= max")
    return Clip._make(schedule=schedule, min=lo, max=hi)


register_node(Clip, clip)


class Shift(Schedule):
    _children = ("schedule",)
    _static = ("steps",)
    _kind = "shift"
    _npos = 2

    def _eval(self, k, xp):
        d = self.steps
        if d == 0:
            return self.schedule._eval(k, xp)
        d = fit(d, k)
        if d is None:  # never reached: the schedule's first value throughout
            return self.schedule._eval(xp.minimum(k, 0), xp)
        hi = step_max(k)
        if d < 0 and hi is not None:
            # k - d must fit k's integer dtype: the re-based step holds at its largest value
            if hi + d < 0:
                return self.schedule._eval(xp.minimum(k, 0) + hi, xp)
            k = xp.minimum(k, hi + d)
        return self.schedule._eval(xp.maximum(k - d, 0), xp)


def shift(schedule, steps) -> Schedule:
    """``schedule(max(k - steps, 0))``: delays the schedule by ``steps`` (a negative ``steps`` advances).

    Example:
        >>> import lrsched
        >>> s = lrsched.shift(lrsched.linear(0.0, 1.0, 10), 5)
        >>> s(3), s(10)
        (0.0, 0.5)
    """
    V.schedule("schedule", schedule)
    return Shift._make(schedule=schedule, steps=V.steps("steps", steps, allow_negative=True))


register_node(Shift, shift)


class PerEpoch(Schedule):
    _children = ("schedule",)
    _static = ("steps_per_epoch",)
    _kind = "per_epoch"
    _npos = 2

    def _eval(self, k, xp):
        spe = fit(self.steps_per_epoch, k)
        if spe is None:  # an epoch longer than any step k's integer dtype holds: epoch 0
            return self.schedule._eval(xp.minimum(k, 0), xp)
        return self.schedule._eval(k // spe, xp)


def per_epoch(schedule, steps_per_epoch) -> Schedule:
    """A schedule written in epochs, evaluated per update: ``schedule(k // steps_per_epoch)``.

    Example:
        >>> import lrsched
        >>> s = lrsched.per_epoch(lrsched.exponential(1.0, 0.5), 100)
        >>> s(99), s(100), s(250)
        (1.0, 0.5, 0.25)
    """
    V.schedule("schedule", schedule)
    spe = V.steps("steps_per_epoch", steps_per_epoch, positive=True, allow_float=False)
    return PerEpoch._make(schedule=schedule, steps_per_epoch=spe)


register_node(PerEpoch, per_epoch)


# --------------------------------------------------------------------------------------------
# arithmetic
# --------------------------------------------------------------------------------------------
_OPS = {
    "add": (lambda xp, a, b: a + b, "+"),
    "sub": (lambda xp, a, b: a - b, "-"),
    "mul": (lambda xp, a, b: a * b, "*"),
    "div": (lambda xp, a, b: _div(a, b) if xp.name == "python" else a / b, "/"),
    "minimum": (lambda xp, a, b: xp.minimum(a, b), None),
    "maximum": (lambda xp, a, b: xp.maximum(a, b), None),
}


def _div(a, b):
    """``a / b`` on Python floats with IEEE results where ``b`` is zero, as NumPy and JAX give."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


class BinOp(Schedule):
    _children = ("a", "b")
    _static = ("op",)
    _kind = "binop"

    def _eval(self, k, xp):
        return _OPS[self.op][0](xp, self.a._eval(k, xp), self.b._eval(k, xp))

    def _args(self):
        return {"op": self.op, "a": self.a, "b": self.b}


def _operand(name, x):
    if isinstance(x, Schedule):
        return x
    if (isinstance(x, numbers.Real) and not isinstance(x, bool)) or type(x).__module__.startswith("jax"):
        with V.renamed(value=name):  # the operand is the caller's argument, not constant's value
            return constant(x)
    V.not_a_batch(name, x)
    raise TypeError(f"{name}={V.show(x)}: expected a Schedule or a real number")


def binop(op, a, b) -> Schedule:
    """``a <op> b`` for op in add, sub, mul, div, minimum, maximum; numbers become constants.

    ``div`` by a schedule that reaches zero gives IEEE ``+-inf`` (or NaN for ``0 / 0``) at those
    steps on every backend, a Python step included.
    """
    V.choice("op", op, tuple(_OPS))
    a, b = _operand("a", a), _operand("b", b)
    if op == "div" and isinstance(b, Constant) and V.is_plain(b.value) and b.value == 0.0:
        raise ValueError("b=0.0: division of a schedule by zero")
    return BinOp._make(a=a, b=b, op=op)


register_node(BinOp, binop)


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
