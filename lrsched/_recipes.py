"""Recipes: the schedule families people use, each built only from primitives and combinators."""

from __future__ import annotations

import itertools

from . import _validate as V
from ._combinators import join, shift, warmup
from ._cycle import cycle
from ._node import Schedule, constant
from ._primitives import exponential, inverse_sqrt, linear, pairs, ramp
from ._ramps import shape_params


def _whole(name, v, **kw):
    """A recipe's duration: a whole number of steps (``1e4`` is taken as ``10000``; ``100.5`` is refused)."""
    v = V.steps(name, v, **kw)
    if isinstance(v, float):
        raise TypeError(f"{name}={V.show(v)}: must be a whole number of steps")
    return v


def _decay_steps(total_steps, warmup_steps):
    total_steps = _whole("total_steps", total_steps)
    warmup_steps = _whole("warmup_steps", warmup_steps)
    if warmup_steps > total_steps:
        raise ValueError(f"warmup_steps={V.show(warmup_steps)}: must be <= total_steps={V.show(total_steps)}")
    return total_steps, warmup_steps


def _warmup_decay(shape, peak, total_steps, warmup_steps, start, end):
    total_steps, warmup_steps = _decay_steps(total_steps, warmup_steps)
    peak = V.value("peak", peak)
    if total_steps == warmup_steps and warmup_steps > 0:
        # no decay phase: warm up towards ``peak`` (not towards the empty decay's ``end``), then ``end``
        return join([ramp(V.value("start", start), peak, warmup_steps), constant(end)], [warmup_steps])
    return warmup(ramp(peak, end, total_steps - warmup_steps, shape), warmup_steps, start=start)


def warmup_cosine(peak, total_steps, warmup_steps, *, start=0.0, end=0.0) -> Schedule:
    """Linear warmup from ``start`` to ``peak``, then a half-cosine to ``end`` at ``total_steps``.

    ``total_steps`` includes the warmup. With ``warmup_steps == total_steps`` there is no decay:
    the warmup rises towards ``peak`` and the value is ``end`` from ``total_steps`` on.

    Args:
        peak: the value at the end of the warmup, where the cosine starts.
        total_steps: the whole length, warmup included (a whole number of steps).
        warmup_steps: the linear warmup's length (``<= total_steps``; 0 for none).
        start: the value at step 0.
        end: the value at ``total_steps`` and after.

    Reference: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983; Goyal et al.,
    https://arxiv.org/abs/1706.02677 (the linear warmup).

    Example:
        >>> import lrsched
        >>> s = lrsched.warmup_cosine(1.0, 110, 10)
        >>> [round(s(k), 12) for k in (0, 5, 10, 60, 110)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    return _warmup_decay("cosine", peak, total_steps, warmup_steps, start, end)


def warmup_linear(peak, total_steps, warmup_steps, *, start=0.0, end=0.0) -> Schedule:
    """Linear warmup from ``start`` to ``peak``, then a linear decay to ``end`` at ``total_steps``.

    Args:
        peak: the value at the end of the warmup, where the decay starts.
        total_steps: the whole length, warmup included (a whole number of steps).
        warmup_steps: the warmup's length (``<= total_steps``; 0 for none).
        start: the value at step 0.
        end: the value at ``total_steps`` and after.

    Example:
        >>> import lrsched
        >>> s = lrsched.warmup_linear(1.0, 110, 10)
        >>> s(5), s(60), s(200)
        (0.5, 0.5, 0.0)
    """
    return _warmup_decay("linear", peak, total_steps, warmup_steps, start, end)


def wsd(peak, total_steps, warmup_steps, decay_steps, *, start=0.0, end=0.0, decay_shape="sqrt") -> Schedule:
    """Warmup-stable-decay: warm up to ``peak``, hold it, then cool down to ``end`` by ``total_steps``.

    Args:
        peak: the stable value.
        total_steps: the whole length, warmup and decay included.
        warmup_steps: linear warmup length.
        decay_steps: cooldown length, an int, or a float in (0, 1) for a fraction of
            ``total_steps`` (rounded to the nearest step).
        start: value at step 0.
        end: value at ``total_steps`` and after.
        decay_shape: the cooldown's ramp shape (default ``"sqrt"``, the 1-sqrt cooldown).

    Reference: Hu et al., *MiniCPM*, https://arxiv.org/abs/2404.06395; Hägele et al.,
    https://arxiv.org/abs/2405.18392.

    Example:
        >>> import lrsched
        >>> s = lrsched.wsd(1.0, 100, 10, 20, decay_shape="linear")
        >>> s(5), s(50), s(80), s(90), s(100)
        (0.5, 1.0, 1.0, 0.5, 0.0)
    """
    total_steps, warmup_steps = _decay_steps(total_steps, warmup_steps)
    if isinstance(decay_steps, float) and not float(decay_steps).is_integer():
        if not 0.0 < decay_steps < 1.0:
            raise ValueError(
                f"decay_steps={V.show(decay_steps)}: must be a whole number of steps, or a fraction of total_steps in (0, 1)"
            )
        decay_steps = round(decay_steps * total_steps)
    decay_steps = _whole("decay_steps", decay_steps)
    stable = total_steps - warmup_steps - decay_steps
    if stable < 0:
        raise ValueError(
            f"decay_steps={V.show(decay_steps)}: warmup_steps + decay_steps must be <= total_steps={V.show(total_steps)}"
        )
    peak = V.value("peak", peak)
    shape_params(decay_shape, {}, where="decay_shape")
    body = join([constant(peak), ramp(peak, end, decay_steps, decay_shape)], [stable])
    return warmup(body, warmup_steps, start=start)


def one_cycle(
    peak,
    total_steps,
    *,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal="cosine",
    three_phase=False,
) -> Schedule:
    """The 1cycle policy, with torch ``OneCycleLR``'s phase ends.

    The value starts at ``peak / div_factor``, reaches ``peak`` at step ``pct_start * total_steps - 1``
    and anneals to ``peak / div_factor / final_div_factor`` at step ``total_steps - 1``. With
    ``three_phase`` it comes back down to the start at ``2 * pct_start * total_steps - 2`` before
    the final anneal. Phase ends may fall between steps, or before step 0 when
    ``pct_start * total_steps < 1`` (step 0 then sees the anneal part-way), exactly as in torch.

    Args:
        peak: the highest value (torch's ``max_lr``).
        total_steps: the number of updates in the cycle (a whole number, > 0).
        pct_start: the fraction of ``total_steps`` spent rising, in (0, 1).
        div_factor: ``peak / div_factor`` is the starting value.
        final_div_factor: the last value is the start divided by this.
        anneal: ``"cosine"`` or ``"linear"`` phases.
        three_phase: come back down to the start before the final anneal (fastai's variant).

    Reference: Smith & Topin, *Super-Convergence*, https://arxiv.org/abs/1708.07120.

    Example:
        >>> import lrsched
        >>> s = lrsched.one_cycle(1.0, 101, pct_start=0.5, div_factor=10.0, anneal="linear")
        >>> round(s(0), 6), s(49.5), round(s(100), 9)
        (0.1, 1.0, 1e-05)
    """
    total_steps = _whole("total_steps", total_steps, positive=True)
    peak = V.value("peak", peak)
    pct_start = V.value("pct_start", pct_start)
    if not 0.0 < pct_start < 1.0:
        raise ValueError(f"pct_start={V.show(pct_start)}: must be in (0, 1)")
    div_factor = V.value("div_factor", div_factor, positive=True)
    final_div_factor = V.value("final_div_factor", final_div_factor, positive=True)
    V.choice("anneal", anneal, ("cosine", "linear"))
    if not isinstance(three_phase, bool):
        raise TypeError(f"three_phase={V.show(three_phase)}: expected a bool")
    initial = peak / div_factor
    low = initial / final_div_factor
    values = [initial, peak, initial, low] if three_phase else [initial, peak, low]
    return _torch_phases(values, _one_cycle_ends(total_steps, pct_start, three_phase), anneal)


def _one_cycle_ends(total_steps, pct_start, three_phase):
    """torch ``OneCycleLR``'s phase ends (fractional, negative when ``pct_start * total_steps < 1``).

    From ``_schedule_phases`` in ``torch/optim/lr_scheduler.py``: ``pct_start * total_steps - 1``,
    (three-phase: ``2 * pct_start * total_steps - 2``), ``total_steps - 1``.
    """
    if three_phase:
        ends = [pct_start * total_steps - 1, 2 * pct_start * total_steps - 2, total_steps - 1]
    else:
        ends = [pct_start * total_steps - 1, total_steps - 1]
    ends = [float(e) for e in ends]
    # the phases in force from step 0 on (see _torch_phases) must advance
    live = [(s, e) for i, (s, e) in enumerate(zip([0.0] + ends[:-1], ends)) if e > 0 or i == len(ends) - 1]
    if live[0][1] <= live[0][0] or any(b <= a for (_, a), (_, b) in itertools.pairwise(live)):
        raise ValueError(
            f"pct_start={V.show(pct_start)}: with total_steps={V.show(total_steps)} the phases would not advance"
        )
    return ends


def _torch_phases(values, ends, shape) -> Schedule:
    """Ramps ``values[i] -> values[i + 1]`` over phase ``i``, phases picked as torch ``OneCycleLR`` does.

    Phase ``i`` runs from ``ends[i - 1]`` (from 0 for the first) to ``ends[i]`` and is in force for
    steps in ``(ends[i - 1], ends[i]]``; the last phase also covers every later step, holding its
    end. A phase that ends at or before step 0 is never in force and is dropped; the first phase
    in force, when it started before step 0, is shifted so that step 0 sees it part-way.
    """
    starts = [0.0] + list(ends[:-1])
    pieces: list[Schedule] = []
    bounds = []
    for i, (s, e) in enumerate(zip(starts, ends)):
        if e <= 0 and i < len(ends) - 1:
            continue
        piece = ramp(values[i], values[i + 1], e - s, shape)
        if pieces:
            bounds.append(s)
        elif s < 0:
            piece = shift(piece, s)
        pieces.append(piece)
    return join(pieces, bounds)


def sgdr(peak, period, *, period_mult=1, end=0.0, decay=1.0, warmup_steps=0, limit=None) -> Schedule:
    """Cosine annealing with warm restarts: cosine from ``peak`` to ``end`` over ``period`` steps,
    restarted with periods growing by ``period_mult`` and peaks scaled by ``decay`` per cycle,
    after an optional linear warmup.

    Args:
        peak: the first cycle's top value.
        period: the first cycle's length in steps (> 0).
        period_mult: each cycle is this much longer than the one before (>= 1; torch's ``T_mult``).
        end: the bottom of every cycle (torch's ``eta_min``).
        decay: each cycle's top is this times the previous one's.
        warmup_steps: a linear warmup from 0 to ``peak`` before the first cycle.
        limit: the number of cycles (``None``: no end); after them the value holds at ``end``.

    Reference: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983.

    Example:
        >>> import lrsched
        >>> s = lrsched.sgdr(1.0, 10, period_mult=2)
        >>> [round(s(k), 12) for k in (0, 5, 10, 20, 30)]
        [1.0, 0.5, 1.0, 0.5, 1.0]
    """
    peak = V.value("peak", peak)
    warmup_steps = _whole("warmup_steps", warmup_steps)
    one = ramp(peak, end, _whole("period", period, positive=True), "cosine")
    return warmup(cycle(one, period, period_mult=period_mult, decay=decay, limit=limit), warmup_steps)


def cyclic(low, high, step_size_up, step_size_down=None, *, mode="triangular", gamma=1.0) -> Schedule:
    """Cyclical learning rates (torch ``CyclicLR``): triangles between ``low`` and ``high``.

    Modes: ``"triangular"`` (constant amplitude), ``"triangular2"`` (amplitude halves each cycle),
    ``"exp_range"`` (amplitude scaled by ``gamma ** k``).

    Args:
        low: the bottom of each triangle (torch's ``base_lr``).
        high: the top of the first triangle (torch's ``max_lr``).
        step_size_up: steps from ``low`` up to the top (> 0).
        step_size_down: steps back down (default: ``step_size_up``).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: the per-step amplitude factor of ``"exp_range"`` (> 0).

    Reference: Smith, *Cyclical Learning Rates for Training Neural Networks*,
    https://arxiv.org/abs/1506.01186.

    Example:
        >>> import lrsched
        >>> s = lrsched.cyclic(0.1, 1.1, 10, mode="triangular2")
        >>> s(0), s(10), s(20), s(30)
        (0.1, 1.1, 0.1, 0.6)
    """
    up = _whole("step_size_up", step_size_up, positive=True)
    down = up if step_size_down is None else _whole("step_size_down", step_size_down, positive=True)
    if up + down > V.MAX_STEPS:
        raise ValueError(
            f"step_size_up={V.shown(up)}, step_size_down={V.shown(down)}: a cycle of both must be <= 2**63 - 1 steps"
        )
    V.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    gamma = V.value("gamma", gamma, positive=True)
    low, high = V.value("low", low), V.value("high", high)
    low, high = constant(low), constant(high)
    tri = join([linear(0.0, 1.0, up), linear(1.0, 0.0, down)], [up])
    tri = cycle(tri, up + down, decay=0.5 if mode == "triangular2" else 1.0)
    if mode == "exp_range":
        tri = tri * exponential(1.0, gamma)
    return low + (high - low) * tri


def noam(peak, warmup_steps) -> Schedule:
    """The Transformer schedule: linear warmup to ``peak`` at ``warmup_steps``, then ``peak * sqrt(warmup_steps / k)``.

    This is ``d_model**-0.5 * min(k * w**-1.5, k**-0.5)`` with the constant folded into ``peak``
    (``peak = (d_model * warmup_steps) ** -0.5`` gives the paper's values), counted from update 0.

    Args:
        peak: the value at ``warmup_steps``, the top.
        warmup_steps: the linear warmup's length (> 0), also the decay's time scale.

    Reference: Vaswani et al., https://arxiv.org/abs/1706.03762.

    Example:
        >>> import lrsched
        >>> s = lrsched.noam(1.0, 100)
        >>> s(50), s(100), s(400)
        (0.5, 1.0, 0.5)
    """
    peak = V.value("peak", peak)
    warmup_steps = _whole("warmup_steps", warmup_steps, positive=True)
    return warmup(inverse_sqrt(peak, warmup_steps), warmup_steps)


def tri_stage(peak, warmup_steps, hold_steps, decay_steps, *, init_scale=0.01, final_scale=0.01) -> Schedule:
    """Tri-stage (wav2vec 2.0 / fairseq): linear warmup from ``init_scale * peak``, hold ``peak``,
    exponential decay to ``final_scale * peak``, then hold that.

    Args:
        peak: the held value.
        warmup_steps: the linear warmup's length.
        hold_steps: how long ``peak`` is held.
        decay_steps: the exponential decay's length.
        init_scale: the value at step 0 is ``init_scale * peak``.
        final_scale: the value after the decay is ``final_scale * peak`` (> 0).

    Reference: Park et al., *SpecAugment*, https://arxiv.org/abs/1904.08779.

    Example:
        >>> import lrsched
        >>> s = lrsched.tri_stage(1.0, 10, 10, 10, final_scale=0.25)
        >>> s(0), s(10), s(25), s(30)
        (0.01, 1.0, 0.5, 0.25)
    """
    peak = V.value("peak", peak)
    if V.is_plain(peak) and peak == 0.0:
        raise ValueError("peak=0.0: must be non-zero (the decay to final_scale * peak is geometric)")
    init_scale = V.value("init_scale", init_scale)
    final_scale = V.value("final_scale", final_scale, positive=True)
    hold = _whole("hold_steps", hold_steps)
    decay = _whole("decay_steps", decay_steps)
    warmup_steps = _whole("warmup_steps", warmup_steps)
    body = join([constant(peak), ramp(peak, peak * final_scale, decay, "exponential")], [hold])
    return warmup(body, warmup_steps, start=peak * init_scale)


def piecewise_linear(points, shape="linear") -> Schedule:
    """Interpolates between ``points`` (step -> value) with ``shape``; holds the first and last values.

    Built as a :func:`~lrsched.join` of ramps, so its repr reads as that join.

    Example:
        >>> import lrsched
        >>> s = lrsched.piecewise_linear({0: 0.0, 10: 1.0, 30: 0.0})
        >>> s(5), s(10), s(20), s(99)
        (0.5, 1.0, 0.5, 0.0)
    """
    steps = pairs("points", points)
    if not steps:
        raise ValueError(f"points={V.show(points)}: needs at least one point")
    shape_params(shape, {})
    pieces: list[Schedule] = [constant(steps[0][1])]
    for (s0, v0), (s1, v1) in zip(steps, steps[1:]):
        pieces.append(ramp(v0, v1, s1 - s0, shape))
    return join(pieces, [b for b, _ in steps[:-1]]) if len(pieces) > 1 else pieces[0]
