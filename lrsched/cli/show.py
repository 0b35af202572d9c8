"""``show`` (key points and a sparkline in the terminal) and ``plot`` (an image file)."""

from __future__ import annotations

import json
import math
import os
import re

from .spec import SpecError, load_spec

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values, width: int = 64) -> str:
    """The curve as ``width`` unicode block characters (each the mean of its share of the steps)."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return ""
    cols = [c for c in np.array_split(v, min(width, v.size)) if c.size]
    means = np.array([np.mean(c) if np.all(np.isfinite(c)) else np.nan for c in cols])
    ok = np.isfinite(means)
    if not ok.any():
        return " " * len(means)
    lo, hi = float(means[ok].min()), float(means[ok].max())
    out = []
    for m in means:
        if not math.isfinite(m):
            out.append(" ")
        elif hi == lo:
            out.append(SPARKS[3])
        else:
            out.append(SPARKS[min(7, int((m - lo) / (hi - lo) * 7 + 0.5))])
    return "".join(out)


def key_points(s, num_steps: int, start: int = 0, *, max_boundaries: int = 20):
    """(rows, values, boundaries): rows are ``(step, value, notes)`` for the first and last step,
    each phase boundary, the minimum and the maximum; ``boundaries`` is None when there are too many."""
    from .._inspect import phase_boundaries
    from .._plot import _values

    y = _values(s, num_steps, start)
    stop = start + num_steps
    bounds = phase_boundaries(s, start, stop, limit=max_boundaries)
    notes: dict[int, list[str]] = {}

    def add(step, note):
        notes.setdefault(int(step), []).append(note)

    add(start, "start")
    for b in bounds or ():
        k = math.ceil(b)
        if k < stop:
            add(k, "phase" if k == b else f"phase (at {b:.10g})")
    finite = [i for i in range(len(y)) if math.isfinite(y[i])]
    if finite:
        import numpy as np

        fy = np.where(np.isfinite(y), y, np.nan)
        add(start + int(np.nanargmin(fy)), "min")
        add(start + int(np.nanargmax(fy)), "max")
    add(stop - 1, "end")
    rows = [(k, float(y[k - start]), ", ".join(dict.fromkeys(n))) for k, n in sorted(notes.items())]
    return rows, y, bounds


def show(args) -> int:
    s = load_spec(args.spec, args.set)
    rows, y, bounds = key_points(s, args.num_steps, args.start)
    print(repr(s))
    print(f"steps {args.start}..{args.start + args.num_steps - 1}")
    w = max(4, max(len(str(k)) for k, _, _ in rows))
    print(f"  {'step':>{w}}  {'value':<12}  ")
    for k, v, note in rows:
        print(f"  {k:>{w}}  {v:<12.6g}  {note}")
    if bounds is None:
        print("  (more than 20 phase boundaries: not listed)")
    print(sparkline(y, args.width))
    return 0


def plot_command(args) -> int:
    s = load_spec(args.spec, args.set)
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SpecError("plot needs matplotlib: pip install 'lrsched[plot]'") from None
    from .._plot import plot

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    plot(s, args.num_steps, ax=ax, log_y=args.log_y, start=args.start)
    title = repr(s)
    ax.set_title(title if len(title) <= 90 else title[:87] + "...", fontsize=9)
    out = args.output or _default_png(args.spec, s)
    try:
        fig.savefig(out, dpi=args.dpi)
    except (OSError, ValueError) as e:
        raise SpecError(f"-o {out}: cannot write it ({e})") from None
    print(f"wrote {os.path.abspath(out)}")
    return 0


def _default_png(spec: str, s) -> str:
    """Where ``plot`` writes without ``-o``: ``<recipe>.png``, ``<file name>.png`` or, for inline
    JSON, ``<its type>.png``, in the working directory."""
    if spec.lstrip().startswith("{"):
        stem = type(s).__name__.lower()
        try:
            t = json.loads(spec).get("type")
        except (ValueError, AttributeError):
            t = None
        if isinstance(t, str) and re.fullmatch(r"[A-Za-z0-9_.]{1,64}", t):
            stem = t
    else:
        stem = os.path.splitext(os.path.basename(spec))[0] or "schedule"
    return f"{stem}.png"
