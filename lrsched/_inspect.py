"""Phase boundaries: the steps where a schedule's phases begin, found from its structure.

``boundaries`` (public) and the plots' boundary marks walk a schedule's nodes: each knows where
its own phases begin and how its clock maps its children's steps to its own.
"""

from __future__ import annotations

import math

from . import _validate as V
from ._schedule import Schedule

MAX_MARKS = 100  # more phase boundaries than this in the plotted range are not marked at all
_MAX_WORK = 100_000  # nodes and cycles visited while looking for them (plus 10 per boundary asked for)


class _TooMany(Exception):
    pass


def phase_boundaries(schedule: Schedule, start: int, stop: int, *, limit: int = MAX_MARKS):
    """The steps in ``(start, stop)`` where a phase of ``schedule`` begins, sorted; ``None`` when
    there are more than ``limit`` of them.

    Found from the schedule's structure, not its values: each boundary of a ``join``, the end of
    a ``warmup``, the start of every ``cycle`` (and the step where a limited cycle stops), the end
    of every ramp, each boundary of a ``piecewise_constant`` and the start of a delayed ``shift``,
    each offset by the joins, warmups, shifts, cycles and ``per_epoch`` clocks around it. Values
    may be fractional (``one_cycle`` puts its peak between steps).
    """
    out: set[float] = set()
    work = [0, _MAX_WORK + 10 * limit]  # nodes and cycles visited, and the most allowed
    try:
        _walk(schedule, lambda x: x, start, stop, out, limit, work)
    except _TooMany:
        return None
    return sorted(out)


def _walk(s, to_abs, lo, hi, out, limit, work):
    """Collect the boundaries of ``s`` into ``out``; ``s`` sees local step ``x`` at absolute step
    ``to_abs(x)`` (increasing) and is in force on the absolute window ``(lo, hi)``."""
    from . import _combinators as C
    from . import _cycle as Y
    from . import _primitives as P
    from . import _warps as W

    work[0] += 1
    if work[0] > work[1]:
        raise _TooMany

    def mark(x):
        a = to_abs(x)
        if lo < a < hi:
            out.add(float(a) if isinstance(a, float) and not a.is_integer() else int(a))
            if len(out) > limit:
                raise _TooMany

    def within(x0, x1):
        """The absolute window of the local range [x0, x1) intersected with (lo, hi), or None."""
        a0 = to_abs(x0)
        a1 = hi if x1 == math.inf else to_abs(x1)
        if a1 <= a0 or a1 <= lo or a0 >= hi:
            return None
        return max(lo, a0), min(hi, a1)

    if isinstance(s, C.Join):
        edges = [0, *s.boundaries]
        for i, piece in enumerate(s.schedules):
            b0 = edges[i]
            b1 = s.boundaries[i] if i < len(s.boundaries) else math.inf
            win = within(b0, b1)
            if win is None:
                continue
            if i:
                mark(b0)
            _walk(piece, lambda x, b0=b0: to_abs(b0 + x), *win, out, limit, work)
    elif isinstance(s, C.Warmup):
        n = s.steps
        if n > 0:
            mark(n)
        win = within(n, math.inf)
        if win is not None:
            _walk(s.schedule, lambda x: to_abs(n + x), *win, out, limit, work)
    elif isinstance(s, C.Shift):
        d = s.steps
        if d > 0:
            mark(d)
        win = within(max(d, 0), math.inf)
        if win is not None:
            _walk(s.schedule, lambda x: to_abs(x + d), *win, out, limit, work)
    elif isinstance(s, C.PerEpoch):
        e = s.steps_per_epoch
        _walk(s.schedule, lambda x: to_abs(math.ceil(x) * e), lo, hi, out, limit, work)
    elif isinstance(s, Y.Cycle):
        _walk_cycle(s, to_abs, lo, hi, out, limit, work, mark, within)
    elif isinstance(s, (C.Chain, C.Clip, C.BinOp)):
        for name in s._children:
            kids = s.__dict__[name]
            for child in kids if isinstance(kids, tuple) else (kids,):
                _walk(child, to_abs, lo, hi, out, limit, work)
    elif isinstance(s, W.KDecay):
        # the child sees n * (t / n) ** k for t <= n, then n: its step x is at t = n * (x / n) ** (1 / k)
        n, k = s.steps, s.k
        if type(k) is float and n > 0:
            end = to_abs(n)  # the child's steps up to n (its phases ending at n included) fall in (0, n]
            if end > lo:
                top = min(hi, end + 0.5)
                _walk(s.schedule, lambda x: to_abs(n * (min(x, n) / n) ** (1.0 / k)), lo, top, out, limit, work)
    elif isinstance(s, W.DecayCount):
        d = s.decay_t  # the child sees t // d: its step x starts at t = x * d
        _walk(s.schedule, lambda x: to_abs(math.ceil(x) * d), lo, hi, out, limit, work)
    elif isinstance(s, P.Exponential) and s.staircase:
        j = 1  # a staircase steps at every multiple of its unit
        while to_abs(j * s.steps) < hi:
            work[0] += 1
            if work[0] > work[1]:
                raise _TooMany
            mark(j * s.steps)
            j += 1
    elif isinstance(s, P.Ramp):
        if s.steps > 0:
            mark(s.steps)
    elif isinstance(s, P.PiecewiseConstant):
        for b in s.boundaries:
            mark(b)


def _walk_cycle(s, to_abs, lo, hi, out, limit, work, mark, within):
    from ._cycle import cycle_start

    p, m, lim = s.period, s.period_mult, s.limit
    c, begin = 0, 0
    while lim is None or c < lim:
        work[0] += 1
        if work[0] > work[1]:
            raise _TooMany
        if isinstance(m, float):  # the start the cycle itself restarts at
            begin = cycle_start(p, m, c)
        if to_abs(begin) >= hi:
            return
        pc = p * m**c
        if c:
            mark(begin)
        win = within(begin, begin + pc)
        if win is not None:
            _walk(s.schedule, lambda x, b=begin, r=pc / p: to_abs(b + x * r), *win, out, limit, work)
        if not isinstance(m, float):
            begin = begin + pc
        c += 1
    if isinstance(m, float):
        begin = cycle_start(p, m, c)
    mark(begin)  # the last cycle's end: the value holds from here on


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
    V.schedule("schedule", schedule)
    num_steps = V.steps("num_steps", num_steps, positive=True, allow_float=False)
    start = V.steps("start", start, allow_float=False)
    found = phase_boundaries(schedule, start, start + num_steps, limit=_MAX_BOUNDARIES)
    if found is None:
        raise ValueError(
            f"num_steps={num_steps}: more than {_MAX_BOUNDARIES:,} phase boundaries in the window; ask for a shorter one"
        )
    return found
