"""Plots of schedules, and the phase boundaries found by walking a schedule's tree.

Matplotlib is an optional extra: it is imported inside :func:`plot`, never by ``import lrsched``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from . import _validate as V
from ._schedule import Schedule

MAX_MARKS = 100  # more phase boundaries than this in the plotted range are not marked at all
_MAX_WORK = 100_000  # nodes and cycles visited while looking for them


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
    work = [0]
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

    work[0] += 1
    if work[0] > _MAX_WORK:
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
        if work[0] > _MAX_WORK:
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


def _items(schedules):
    if isinstance(schedules, Schedule):
        return [(None, schedules)]
    if isinstance(schedules, Mapping):
        if not schedules:
            raise ValueError("schedules={}: needs at least one schedule")
        items = []
        for label, s in schedules.items():
            if not isinstance(label, str):
                raise TypeError(f"schedules[{V.show(label)}]: labels must be strings")
            V.schedule(f"schedules[{label!r}]", s)
            items.append((label, s))
        return items
    raise TypeError(f"schedules={V.show(schedules)}: expected a Schedule or a dict label -> Schedule")


def _values(s: Schedule, num_steps: int, start: int):
    import numpy as np

    from ._evaluate import Stack, evaluate

    if isinstance(s, Stack):
        raise TypeError(f"schedules={V.show(s)}: a stacked schedule; plot its members as a dict label -> schedule")
    if s._plain:
        return evaluate(s, num_steps, start=start, backend="numpy")
    return np.asarray(evaluate(s, num_steps, start=start, backend="jax"), dtype=np.float64)


def axes(ax, who: str):
    """``ax`` checked to be a matplotlib ``Axes``, or the current one (``plt.gca()``) for ``None``;
    matplotlib is imported here, and its absence named for ``who``."""
    try:
        import matplotlib.axes
    except ImportError:
        raise ImportError(f"{who} needs matplotlib: pip install 'lrsched[plot]'") from None
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.gcf()
        if not fig.axes and fig.get_layout_engine() is None:
            # a fresh default figure: lay it out so the y label and long tick labels are not cut off
            fig.set_layout_engine("constrained")
        return plt.gca()
    if not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax={V.show(ax)}: expected a matplotlib Axes")
    return ax


def plot(schedules, num_steps, *, ax=None, log_y=False, start=0):
    """Plot one schedule, or several from a dict label -> schedule, over ``num_steps`` steps.

    Each curve is drawn from :func:`lrsched.evaluate` (NumPy backend) at steps ``start ..
    start + num_steps - 1``; the steps where a phase begins (see the list below) are marked with
    light dotted vertical lines in the curve's colour: join boundaries, warmup ends, cycle
    starts, ramp ends, ``piecewise_constant`` boundaries, offset by the joins, warmups, shifts and
    cycles around them. When more than 100 fall in the range, none is marked. With ``log_y`` the
    y axis is logarithmic and values <= 0 are left out of the curve.

    Matplotlib is an optional extra (``pip install 'lrsched[plot]'``); it is imported here only.

    Args:
        schedules: a :class:`Schedule`, or a dict mapping labels to schedules (a legend is drawn).
        num_steps: how many steps to plot (>= 1).
        ax: the matplotlib ``Axes`` to draw into (default: the current axes, ``plt.gca()``; a
            fresh current figure gets matplotlib's constrained layout, so no label is cut off).
        log_y: a logarithmic y axis.
        start: the first step plotted (>= 0).

    Returns:
        The ``Axes``.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import lrsched
        >>> fig, ax = plt.subplots()
        >>> ax = lrsched.plot({"wsd": lrsched.wsd(1.0, 100, 10, 20)}, 100, ax=ax)
        >>> [float(x) for x in ax.lines[0].get_ydata()[[0, 10, 50]]]
        [0.0, 1.0, 1.0]
        >>> sorted(float(line.get_xdata()[0]) for line in ax.lines[1:])  # warmup end, decay start
        [10.0, 80.0]
        >>> plt.close(fig)
    """
    items = _items(schedules)
    num_steps = V.steps("num_steps", num_steps, positive=True, allow_float=False)
    start = V.steps("start", start, allow_float=False)
    if not isinstance(log_y, bool):
        raise TypeError(f"log_y={V.show(log_y)}: expected a bool")
    ax = axes(ax, "lrsched.plot")
    import numpy as np

    steps = np.arange(start, start + num_steps)
    curves = [(label, s, _values(s, num_steps, start)) for label, s in items]
    if log_y and not any(np.any(y > 0) for _, _, y in curves):
        raise ValueError(f"log_y=True: no value is > 0 in steps {start}..{start + num_steps - 1}")
    for label, s, y in curves:
        (line,) = ax.plot(steps, y, label=label, linewidth=1.6)
        line.set_gid("lrsched-schedule")
        for b in phase_boundaries(s, start, start + num_steps) or ():
            mark = ax.axvline(b, color=line.get_color(), alpha=0.4, linestyle=":", linewidth=0.9, zorder=0.5)
            mark.set_gid("lrsched-boundary")
    if log_y:
        ax.set_yscale("log", nonpositive="mask")
    if num_steps > 1:
        ax.set_xlim(start, start + num_steps - 1)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if len(items) > 1 or items[0][0] is not None:
        ax.legend()
    return ax
