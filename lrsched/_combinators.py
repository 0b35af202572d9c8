"""Combinators: warmup, join, chain, clip, shift and per_epoch (``cycle`` is in ``_cycle``,
arithmetic in ``_node``)."""

from __future__ import annotations

import bisect
import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _tables as T
from . import _validate as V
from ._backend import JX, NP, fit, python_step, step_max
from ._gather import join_value
from ._node import LIN, Schedule, concat_roles, schedule_arg
from ._once import first_value
from ._quarter_sine import QUARTER_SINE
from ._ramps import SHAPES, ramp_value, shape_params
from ._tables import dense, layout


# --------------------------------------------------------------------------------------------
# warmup
# --------------------------------------------------------------------------------------------
class Warmup(Schedule, kind="warmup"):
    _values = ("start",)
    _children = ("schedule",)
    _static = ("steps", "shape")
    _npos = 2

    def _eval(self, k, xp):
        n, child = self.steps, self.schedule
        if n == 0:
            return child._eval(k, xp)
        # A static step (a Python number; on the array paths only the step-0 probe below) takes
        # one branch, so nested warmups cost linear, not exponential, work.
        if xp.static or python_step(k):
            if k < n:
                return ramp_value(xp, self.shape, _WARMUP_PARAMS[self.shape], self.start, first_value(child, xp), k, n)
            return child._eval(k - n, xp)
        if xp.compiled and isinstance(child, (Join, Warmup)):  # nested phases: one lookup for all
            v = join_value(self, k, xp)
            if v is not NotImplemented:
                return v
        up = ramp_value(xp, self.shape, _WARMUP_PARAMS[self.shape], self.start, first_value(child, xp), k, n)
        n = fit(n, k)
        if n is None:  # k's integer dtype never reaches the end of the warmup
            return up
        return xp.where(k < n, up, child._eval(xp.maximum(k - n, 0), xp))

    def _layout(self, start, n, xp):
        if isinstance(self.steps, float):
            return None
        return T.split((self.steps,), start, n, lambda i: self.schedule if i else None, xp)

    def _dense(self, start, n, xp, lay):
        w = self.steps
        if lay is None:
            return T.pointwise(self, start, n, xp)
        parts = []
        for i, a, m, sub in T.pieces((w,), start, lay):
            if i == 0:  # the ramp up needs only the schedule's first value, not the whole subtree
                first = first_value(self.schedule, xp)
                params = _WARMUP_PARAMS[self.shape]
                if self.shape != "exponential" and isinstance(a, int) and m <= T.STATIC_WEIGHTS:
                    # weights of step counts alone: float64 constants, not a formula to trace and compile
                    def weights(txp, a=a, m=m, params=params):
                        return T.ramp_weights(self.shape, params, w, a, m, m, txp)

                    ws, we = T.table(weights, static=True, xp=xp)
                    parts.append(self.start * ws + first * we)
                else:
                    up = ramp_value(xp, self.shape, params, self.start, first, xp.arange(a, m), w)
                    parts.append(xp.full(up, m))
            else:
                parts.append(dense(self.schedule, a, m, xp, sub))
        return xp.concat(parts)

    def _past_ramp(self, lay) -> bool:
        """Whether the window (``lay`` from :meth:`_layout`) is past the ramp up: the schedule's own."""
        return lay is not None and len(lay) == 1 and lay[0][0] == 1

    def _repeats(self, lay):
        return self._past_ramp(lay) and self.schedule._repeats(lay[0][3])

    def _one_loop(self, lay):
        return super()._one_loop(lay) or (self._past_ramp(lay) and self.schedule._one_loop(lay[0][3]))

    def _flat(self, budget):
        if not isinstance(self.steps, int) or self.shape != "linear" or self.steps > 2**31 - 1:
            return -1
        return self.schedule._flat(budget - 1)

    def _phases(self, at):
        n = self.steps
        if n > 0:
            at.mark(n)
        at.walk(self.schedule, lambda x: n + x, n)

    def _roles(self):
        return None if self.shape == "exponential" else concat_roles((self.schedule,), [LIN])

    def _atoms(self, start, stop, out):
        if not self.steps:
            return self.schedule._atoms(start, stop, out)
        out.append((start, _RampUp(self)))
        b = start + self.steps
        if stop is None or b < stop:
            self.schedule._atoms(b, stop, out)


class _RampUp:
    """A warmup's ramp as a piece of a traced lookup: a ramp whose end is the schedule's first value."""

    def __init__(self, w):
        self.w = w

    def _ramp_key(self):
        return self.w.shape, len(_WARMUP_PARAMS[self.w.shape]), self.w.steps

    def _ramp_values(self, xp):
        w = self.w
        return (w.start, first_value(w.schedule, xp), *_WARMUP_PARAMS[w.shape])


_WARMUP_PARAMS: dict[str, tuple] = {}


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
    schedule_arg("schedule", schedule)
    steps = V.steps("steps", steps)
    start = V.value("start", start)
    if shape not in _WARMUP_PARAMS:
        _WARMUP_PARAMS[shape] = shape_params(shape, {})
    if shape == "exponential" and V.is_plain(start) and not start != 0:
        raise ValueError(f"start={V.show(start)}: an exponential warmup needs a non-zero start")
    if shape == "exponential" and V.is_plain(start):
        first = schedule._first()  # a geometric ramp to schedule(0) needs it of start's sign
        if first is not None and not start * first > 0:
            raise ValueError(
                f"start={V.show(start)}: an exponential warmup needs schedule(0)={V.show(first)} of the same sign"
            )
    return Warmup._make(schedule=schedule, start=start, steps=steps, shape=shape)


# --------------------------------------------------------------------------------------------
# join
# --------------------------------------------------------------------------------------------
class Join(Schedule, kind="join"):
    _children = ("schedules",)
    _static = ("boundaries",)
    _npos = 2

    def _eval(self, k, xp):
        pieces, bounds = self.schedules, self.boundaries
        if xp.static or python_step(k):
            i = bisect.bisect_right(bounds, k)
            if i:
                k = k - bounds[i - 1]
            return pieces[i]._eval(k, xp)
        if xp.compiled:  # one lookup and one formula per kind of piece
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

    def _layout(self, start, n, xp):
        if any(isinstance(b, float) for b in self.boundaries):
            return None
        lay = T.split(self.boundaries, start, n, lambda i: self.schedules[i], xp)
        if xp.compiled and len(lay) > MAX_PARTS and self._parts(lay, xp) > MAX_PARTS:
            return None
        return lay

    def _parts(self, lay, xp) -> int:
        """How many parts :meth:`_dense` would build: a run of like whole ramps counts once."""
        count, prev = 0, None
        for i, first, m, _ in lay:
            key = self._run_key(i, 0 if first else None, m, xp)
            if key is None or key != prev:
                count += 1
            prev = key
        return count

    def _dense(self, start, n, xp, lay):
        if lay is None:
            return T.pointwise(self, start, n, xp)
        fused = self._dense_like(start, n, xp, lay)
        if fused is not None:
            return fused
        parts, run = [], []
        for i, a, m, sub in T.pieces(self.boundaries, start, lay):
            key = self._run_key(i, a, m, xp)
            if run and (key is None or key != run[0][0]):
                parts.append(self._dense_run(run, xp))
                run = []
            if key is None:
                parts.append(dense(self.schedules[i], a, m, xp, sub))
            else:
                run.append((key, i, sub))
        if run:
            parts.append(self._dense_run(run, xp))
        return xp.concat(parts)

    def _dense_like(self, start, n, xp, lay):
        """A window over a few ramps of one shape (one_cycle's two cosines) on JAX: one formula over
        the steps, its constants (the piece's first step, length and ends) selected per step, so a
        loop with one ramp formula writes the output; no part per piece, no concatenation. None
        where that does not apply."""
        keys = self._like_keys(lay, xp)
        if keys is None:
            return None
        shape = keys[0][0]
        k = xp.arange(start, n)
        const = None  # (first step, steps, 1 / steps, start value, end value) of each step's piece
        for (i, _, _, _), (_, _, steps) in zip(lay, keys):
            c = (self.boundaries[i - 1] if i else 0, steps, 1.0 / steps, *self.schedules[i]._ramp_values(xp)[:2])
            if const is None:
                const = c
            else:
                at = k >= c[0]
                const = tuple(xp.where(at, x, y) for x, y in zip(c, const))
        assert const is not None
        base, steps, inv, a, b = const
        m = xp.minimum(k - base, steps)
        if shape == "cosine":  # fractions by the piece's reciprocal, not a division per step: the
            # one-sine form reads only the smaller one, and stays exact at both ends
            return xp.full(QUARTER_SINE.cosine_value(a, b, steps - m, m, steps, inv), n)
        ws, we = SHAPES[shape][0](xp, steps - m, m, steps, ())
        return xp.full(a * ws + b * we, n)

    def _like_keys(self, lay, xp):
        """The ramp keys of the few pieces a window touches, where :meth:`_dense_like` writes it
        as one formula; None where it does not."""
        if not xp.compiled or lay is None or not 1 < len(lay) <= T.FEW:
            return None
        keys = [self.schedules[i]._ramp_key() for i, _, _, _ in lay]
        if keys[0] is None:
            return None
        shape, params, _ = keys[0]
        if params or shape in ("exponential", "tanh") or any(r is None or r[:2] != (shape, 0) for r in keys):
            return None
        if any(not isinstance(r[2], int) or not 0 < r[2] <= xp.step_hi for r in keys):
            return None
        return keys

    def _one_loop(self, lay):
        if lay is not None and len(lay) == 1:  # inside one piece: that piece's own
            i, _, _, sub = lay[0]
            return self.schedules[i]._one_loop(sub)
        return super()._one_loop(lay) or self._like_keys(lay, JX) is not None

    def _run_key(self, i, a, m, xp):
        """Pieces that are whole ramps of one shape and length share their weights: a run key."""
        r = self.schedules[i]._ramp_key()
        if r is None or r[1] or r[0] in ("exponential", "tanh"):
            return None
        steps = r[2]
        if not isinstance(steps, int) or steps == 0 or not isinstance(a, int) or a != 0 or steps > xp.step_hi:
            return None
        return (r[0], steps, m)

    def _dense_run(self, run, xp):
        """Consecutive ramp pieces of one shape and length: one set of weights, an outer product."""
        (shape, steps, m), i0, sub = run[0]
        if len(run) == 1:
            return dense(self.schedules[i0], 0, m, xp, sub)
        active = T.active(steps, 0, m)
        if m <= T.STATIC_WEIGHTS:  # weights depend on step counts alone: float64 constants, once
            ws, we = T.table(lambda txp: T.ramp_weights(shape, (), steps, 0, m, active, txp), static=True, xp=xp)
        else:
            ws, we = T.ramp_weights(shape, (), steps, 0, m, active, xp)
        ends = [self.schedules[i]._ramp_values(xp)[:2] for _, i, _ in run]
        if xp is NP:  # each piece as Ramp._dense writes it, so a run cut by a chunk gives the same values
            return np.concatenate([a * ws + b * we for a, b in ends])
        # (pieces, 2) @ (2, steps): a product XLA keeps as one op, so the gathered values are not
        # re-selected from hundreds of scalars at every step as a fused broadcast would do
        packed = T.TABLES.packed if xp is JX else None
        if packed is not None and all(id(a) in packed[1] and id(b) in packed[1] for a, b in ends):
            at = packed[1]
            table = packed[0][np.array([[at[id(a)], at[id(b)]] for a, b in ends])]
        else:
            table = xp.stack([xp.stack([xp.asarray(a), xp.asarray(b)]) for a, b in ends])
        weights = xp.stack([xp.asarray(ws), xp.asarray(we)])
        return jnp.matmul(table, weights, precision=lax.Precision.HIGHEST).reshape(-1)  # no TF32 on a GPU

    def _flat(self, budget):
        if any(isinstance(b, float) or b > 2**31 - 1 for b in self.boundaries):
            return -1
        for c in self.schedules:
            budget = c._flat(budget)
            if budget < 0:
                return -1
        return budget

    def _phases(self, at):
        edges = (0, *self.boundaries)
        for i, piece in enumerate(self.schedules):
            b0 = edges[i]
            b1 = self.boundaries[i] if i < len(self.boundaries) else math.inf
            if b1 <= b0:  # a piece of no steps
                continue
            if i:
                at.mark(b0)
            at.walk(piece, lambda x, b0=b0: b0 + x, b0, b1)

    def _roles(self):
        return concat_roles(self.schedules)

    def _atoms(self, start, stop, out):
        bounds = (0, *self.boundaries)
        for i, piece in enumerate(self.schedules):
            b = start + bounds[i]
            if stop is not None and b >= stop:
                break
            nxt = start + self.boundaries[i] if i < len(self.boundaries) else stop
            if stop is not None and nxt is not None:
                nxt = min(nxt, stop)
            if nxt is not None and nxt == b:  # a zero-length piece is skipped
                continue
            piece._atoms(b, nxt, out)


MAX_PARTS = 64
"""On JAX, a join whose window would be built from more separately evaluated parts than this is
evaluated pointwise instead, where a step finds its piece with one ``searchsorted`` and one formula
per kind of piece: the compiled program then stays the same size however many pieces there are
(one sub-program per piece made XLA's compile of a 10,000-piece join run out of memory)."""


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
        schedule_arg(f"schedules[{i}]", s)
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


# --------------------------------------------------------------------------------------------
# chain, clip, shift, per_epoch
# --------------------------------------------------------------------------------------------
class Chain(Schedule, kind="chain"):
    _children = ("schedules",)

    def _eval(self, k, xp):
        it = iter(self.schedules)
        v = next(it)._eval(k, xp)
        for s in it:
            v = v * s._eval(k, xp)
        return v

    def _layout(self, start, n, xp):
        return tuple(layout(c, start, n, xp) for c in self.schedules)

    def _dense(self, start, n, xp, lay):
        it = zip(self.schedules, lay)
        c, sub = next(it)
        v = dense(c, start, n, xp, sub)
        for c, sub in it:
            v = v * dense(c, start, n, xp, sub)
        return v


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
        schedule_arg(f"schedules[{i}]", s)
    return Chain._make(schedules=tuple(schedules))


class Clip(Schedule, kind="clip"):
    _values = ("min", "max")
    _children = ("schedule",)
    _npos = 1

    def _eval(self, k, xp):
        return self._bound(self.schedule._eval(k, xp), xp)

    def _bound(self, v, xp):
        if self.min is not None:
            v = xp.maximum(v, self.min)
        if self.max is not None:
            v = xp.minimum(v, self.max)
        return v

    def _layout(self, start, n, xp):
        return layout(self.schedule, start, n, xp)

    def _dense(self, start, n, xp, lay):
        return self._bound(dense(self.schedule, start, n, xp, lay), xp)


def clip(schedule, min=None, max=None) -> Schedule:  # noqa: A002 - the contract's names
    """``schedule`` bounded below by ``min`` and above by ``max`` (either may be ``None``).

    Example:
        >>> import lrsched
        >>> lrsched.clip(lrsched.linear(0.0, 1.0, 10), min=0.2, max=0.5)(1), lrsched.clip(lrsched.linear(0.0, 1.0, 10), max=0.5)(9)
        (0.2, 0.5)
    """
    schedule_arg("schedule", schedule)
    lo = V.value("min", min, allow_none=True)
    hi = V.value("max", max, allow_none=True)
    if V.is_plain(lo) and V.is_plain(hi) and lo > hi:
        raise ValueError(f"min={V.show(lo)}, max={V.show(hi)}: min must be <= max")
    return Clip._make(schedule=schedule, min=lo, max=hi)


class Shift(Schedule, kind="shift"):
    _children = ("schedule",)
    _static = ("steps",)
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

    def _layout(self, start, n, xp):
        d = self.steps
        if isinstance(d, float):
            return None
        if d <= 0:  # a delay of -d steps is the child at start - d, while those steps fit the backend
            return (layout(self.schedule, start - d, n, xp),) if start - d + n - 1 <= xp.step_hi else None
        return T.split((d,), start, n, lambda i: self.schedule if i else None, xp)

    def _dense(self, start, n, xp, lay):
        d = self.steps
        if lay is None:
            return T.pointwise(self, start, n, xp)
        if d <= 0:
            return dense(self.schedule, start - d, n, xp, lay[0])
        parts = []
        for i, a, m, sub in T.pieces((d,), start, lay):
            parts.append(
                xp.full(self.schedule._eval(xp.arange(0, 1), xp), m) if i == 0 else dense(self.schedule, a, m, xp, sub)
            )
        return xp.concat(parts)

    def _flat(self, budget):
        # a delay of a whole number of steps is one clamp of the step before the schedule's formula
        # (a constant first part beside the schedule's would be a pad, a second pass over the output)
        d = self.steps
        if not isinstance(d, int) or not 0 <= d <= 2**31 - 1:
            return -1
        return self.schedule._flat(budget - 1)

    def _phases(self, at):
        d = self.steps
        if d > 0:
            at.mark(d)
        at.walk(self.schedule, lambda x: x + d, max(d, 0))

    def _roles(self):
        return self.schedule._roles()


def shift(schedule, steps) -> Schedule:
    """``schedule(max(k - steps, 0))``: delays the schedule by ``steps`` (a negative ``steps`` advances).

    Example:
        >>> import lrsched
        >>> s = lrsched.shift(lrsched.linear(0.0, 1.0, 10), 5)
        >>> s(3), s(10)
        (0.0, 0.5)
    """
    schedule_arg("schedule", schedule)
    return Shift._make(schedule=schedule, steps=V.steps("steps", steps, allow_negative=True))
