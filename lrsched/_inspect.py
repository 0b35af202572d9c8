"""Phase boundaries: the steps where a schedule's phases begin, found from its structure.

``boundaries`` (public) and the plots' boundary marks walk a schedule's nodes: each knows where
its own phases begin and how its clock maps its children's steps to its own.
"""

from __future__ import annotations

import math

from . import _validate as V
from ._node import schedule_arg

MAX_MARKS = 100  # more phase boundaries than this in the plotted range are not marked at all
_MAX_WORK = 100_000  # nodes and cycles visited while looking for them (plus 10 per boundary asked for)


class _TooMany(Exception):
    pass


def phase_boundaries(schedule, start: int, stop: int, *, limit: int = MAX_MARKS):
    """The steps in ``(start, stop)`` where a phase of ``schedule`` begins, sorted; ``None`` when
    there are more than ``limit`` of them.

    Found from the schedule's structure, not its values: each node reports its own phases through
    its ``_phases`` hook, on a clock that maps its steps to absolute ones. Values may be fractional
    (``one_cycle`` puts its peak between steps).
    """
    out: set[float] = set()
    work = [0, _MAX_WORK + 10 * limit]  # nodes and cycles visited, and the most allowed
    try:
        _Clock(lambda x: x, start, stop, out, limit, work).visit(schedule)
    except _TooMany:
        return None
    return sorted(out)


class _Clock:
    """What a node's ``_phases`` hook reports to: the node sees local step ``x`` at absolute step
    ``to_abs(x)`` (increasing) and is in force on the absolute window ``(lo, hi)``."""

    __slots__ = ("to_abs", "lo", "hi", "out", "limit", "work")

    def __init__(self, to_abs, lo, hi, out, limit, work):
        self.to_abs, self.lo, self.hi = to_abs, lo, hi
        self.out, self.limit, self.work = out, limit, work

    def _tick(self):
        self.work[0] += 1
        if self.work[0] > self.work[1]:
            raise _TooMany

    def visit(self, node):
        self._tick()
        node._phases(self)

    def mark(self, x):
        """A phase begins at local step ``x``."""
        a = self.to_abs(x)
        if self.lo < a < self.hi:
            self.out.add(float(a) if isinstance(a, float) and not a.is_integer() else int(a))
            if len(self.out) > self.limit:
                raise _TooMany

    def past(self, x) -> bool:
        """Whether local step ``x`` is at or past the window's end (each call counts as work)."""
        self._tick()
        return self.to_abs(x) >= self.hi

    def walk(self, child, to_parent=None, x0=0, x1=math.inf, pad=0.0):
        """Visit ``child``, whose step ``y`` is this node's step ``to_parent(y)`` (default: the
        same step) and which is in force on this node's steps ``[x0, x1)`` (``pad`` past ``x1``)."""
        to_abs = self.to_abs if to_parent is None else (lambda y, f=self.to_abs, g=to_parent: f(g(y)))
        a0 = self.to_abs(x0)
        a1 = self.hi if x1 == math.inf else self.to_abs(x1) + pad
        if a1 <= a0 or a1 <= self.lo or a0 >= self.hi:
            return
        _Clock(to_abs, max(self.lo, a0), min(self.hi, a1), self.out, self.limit, self.work).visit(child)


_MAX_BOUNDARIES = 1_000_000


def boundaries(schedule, num_steps, *, start=0) -> list:
    """The sorted steps in ``(start, start + num_steps)`` where a phase of ``schedule`` begins.

    Found from the schedule's structure, not its values: a join's boundaries, a warmup's end, a
    cycle's restarts (and the step where a limited cycle stops), a ramp's end, the boundaries of a
    ``piecewise_constant``, the start of a delayed ``shift``, and the same inside ``per_epoch``
    and timm's ``k_decay`` and ``decay_count`` clocks, each placed by the clocks around it. A
    boundary that falls between steps is fractional (``one_cycle`` puts its peak there, as torch).

    Args:
        schedule: a :class:`~lrsched.Schedule`.
        num_steps: the window's length (>= 1).
        start: the window's first step (>= 0); ``start`` itself is never listed.

    Returns:
        A list of ints (and floats where a phase begins between steps).

    Example:
        >>> import lrsched
        >>> lrsched.boundaries(lrsched.sgdr(1.0, 100, period_mult=2), 1000)
        [100, 300, 700]
        >>> lrsched.boundaries(lrsched.one_cycle(1.0, 101), 101)  # torch's 0.3 * 101 - 1
        [29.299999999999997, 100]
        >>> lrsched.boundaries(lrsched.exponential(1.0, 0.5, 10, staircase=True), 35)
        [10, 20, 30]
    """
    schedule_arg("schedule", schedule)
    num_steps = V.steps("num_steps", num_steps, positive=True, allow_float=False)
    start = V.steps("start", start, allow_float=False)
    found = phase_boundaries(schedule, start, start + num_steps, limit=_MAX_BOUNDARIES)
    if found is None:
        raise ValueError(
            f"num_steps={num_steps}: more than {_MAX_BOUNDARIES:,} phase boundaries in the window; ask for a shorter one"
        )
    return found
