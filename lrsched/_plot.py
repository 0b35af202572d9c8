"""Plots of schedules, and the phase boundaries found by walking a schedule's tree.

Matplotlib is an optional extra: it is imported inside :func:`plot`, never by ``import lrsched``.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import _validate as V
from ._evaluate import evaluate
from ._inspect import phase_boundaries
from ._node import Schedule, schedule_arg
from ._stack import Stack


def _items(schedules):
    if isinstance(schedules, Schedule):
        return [(None, schedules)]
    if isinstance(schedules, Stack):  # a batch: one curve per member, labelled by its index
        return [(f"[{i}]", s) for i, s in enumerate(schedules.schedules)]
    if isinstance(schedules, Mapping):
        if not schedules:
            raise ValueError("schedules={}: needs at least one schedule")
        items = []
        for label, s in schedules.items():
            if not isinstance(label, str):
                raise TypeError(f"schedules[{V.show(label)}]: labels must be strings")
            schedule_arg(f"schedules[{label!r}]", s)
            items.append((label, s))
        return items
    raise TypeError(f"schedules={V.show(schedules)}: expected a Schedule, a batch or a dict label -> Schedule")


def _values(s: Schedule, num_steps: int, start: int):
    import numpy as np

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
