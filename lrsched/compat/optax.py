"""optax's schedules (``optax.schedules``, optax 0.2.x) as lrsched schedules.

Every schedule of ``optax.schedules`` is here with optax's name, parameter order and defaults, and
gives optax's values at every step (the formulas are those of ``optax/schedules/_schedule.py`` and
``optax/schedules/_join.py``). ``inject_hyperparams``, ``inject_stateful_hyperparams``, their
states, ``WrappedSchedule`` and the ``Schedule`` / ``StatefulSchedule`` types are not schedules and
are not mirrored: an lrsched schedule is already a valid optax schedule, so
``optax.inject_hyperparams(optax.adam)(learning_rate=s)`` works with any schedule built here.

Where optax quietly turns bad input into something else (a negative ``transition_begin``
becoming 0, a non-positive ``transition_steps`` or a zero ``decay_rate`` in ``exponential_decay``
becoming a constant, unsorted or too many ``join_schedules`` boundaries), these functions raise
:class:`ValueError` instead. The one degenerate case optax documents as a result, a
``polynomial_schedule`` / ``linear_schedule`` with ``transition_steps=0`` holding ``init_value``,
is followed (and so is ``warmup_constant_schedule(..., warmup_steps=0)``, built on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .. import _validate as V
from .._combinators import join, shift, warmup
from .._node import Schedule, constant
from .._primitives import exponential, piecewise_constant, ramp
from .._recipes import piecewise_linear

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


# the names of optax's arguments for those of the builders they are passed to
_VALUE_NAMES = {"start": "init_value", "end": "end_value", "value": "init_value"}


def _begin(transition_begin) -> int:
    return V.steps("transition_begin", transition_begin)


def _delayed(s: Schedule, begin) -> Schedule:
    """``s`` held at ``s(0)`` for ``begin`` steps (optax's ``transition_begin``)."""
    return shift(s, begin) if begin else s


def constant_schedule(value) -> Schedule:
    """``value`` at every step (``optax.constant_schedule``).

    Args:
        value: the value held.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> ox.constant_schedule(5.0)(100)
        5.0
    """
    return constant(value)


def polynomial_schedule(init_value, end_value, power, transition_steps, transition_begin=0) -> Schedule:
    r"""Polynomial transition from ``init_value`` to ``end_value`` (``optax.polynomial_schedule``).

    .. math:: v(t) = (I - E) \left(1 - \frac{\min(\max(t - B, 0), T)}{T}\right)^{P} + E

    Args:
        init_value: value up to ``transition_begin``.
        end_value: value from ``transition_begin + transition_steps`` on.
        power: exponent of the transition (> 0).
        transition_steps: length of the transition. ``0`` holds ``init_value`` for ever, as
            optax documents; a negative value raises (optax treats it as ``0``).
        transition_begin: steps to hold ``init_value`` first (>= 0; optax turns a negative
            value into 0, this raises).

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.polynomial_schedule(1.0, 0.0, 2.0, 10, transition_begin=5)
        >>> s(5), s(10), s(15)
        (1.0, 0.25, 0.0)
    """
    transition_steps = V.steps("transition_steps", transition_steps)
    begin = _begin(transition_begin)
    with V.renamed(**_VALUE_NAMES):
        if transition_steps == 0:  # optax: "the value is held fixed at init_value"
            V.value("end_value", end_value)
            V.value("power", power, positive=True)
            return constant(init_value)
        return _delayed(ramp(init_value, end_value, transition_steps, "polynomial", power=power), begin)


def linear_schedule(init_value, end_value, transition_steps, transition_begin=0) -> Schedule:
    """Linear transition from ``init_value`` to ``end_value`` (``optax.linear_schedule``).

    ``polynomial_schedule`` with ``power=1``; the same rules for ``transition_steps=0`` and
    ``transition_begin``.

    Args:
        init_value: value up to ``transition_begin``.
        end_value: value from ``transition_begin + transition_steps`` on.
        transition_steps: length of the transition (``0`` holds ``init_value``).
        transition_begin: steps to hold ``init_value`` first (>= 0).

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.linear_schedule(1.0, 0.0, 10)
        >>> s(0), s(5), s(20)
        (1.0, 0.5, 0.0)
    """
    transition_steps = V.steps("transition_steps", transition_steps)
    begin = _begin(transition_begin)
    with V.renamed(**_VALUE_NAMES):
        if transition_steps == 0:
            V.value("end_value", end_value)
            return constant(init_value)
        return _delayed(ramp(init_value, end_value, transition_steps, "linear"), begin)


def _boundaries_and_scales(boundaries_and_scales, *, integer=False):
    """Sorted ``(boundary, scale)`` pairs; boundaries >= 0, scales >= 0 (optax checks the scales)."""
    if boundaries_and_scales is None:
        return []
    if not isinstance(boundaries_and_scales, Mapping):
        raise TypeError(
            f"boundaries_and_scales={V.show(boundaries_and_scales)}: expected a dict {{step: scale}} or None"
        )
    pairs = []
    for b, s in boundaries_and_scales.items():
        where = f"boundaries_and_scales[{V.show(b)}]"
        b = V.steps(where, b, allow_float=not integer)
        s = V.value(where, s)
        if V.is_plain(s) and s < 0:
            raise ValueError(f"{where}={V.show(s)}: scale factors must be >= 0")
        pairs.append((b, s))
    pairs.sort(key=lambda p: p[0])
    return pairs


def piecewise_constant_schedule(init_value, boundaries_and_scales=None) -> Schedule:
    """``init_value`` times every scale whose boundary ``b`` has been reached, ``t >= b``
    (``optax.piecewise_constant_schedule``).

    Args:
        init_value: value before the first boundary.
        boundaries_and_scales: ``{step: scale}`` (scales >= 0, steps >= 0), or ``None``.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.piecewise_constant_schedule(1.0, {100: 0.5, 200: 0.5})
        >>> s(99), s(100), s(250)
        (1.0, 0.5, 0.25)
    """
    init_value = V.value("init_value", init_value)
    pairs = _boundaries_and_scales(boundaries_and_scales)
    return piecewise_constant(init_value, pairs)


def exponential_decay(
    init_value, transition_steps, decay_rate, transition_begin=0, staircase=False, end_value=None
) -> Schedule:
    r"""Exponential decay ``init_value * decay_rate ** ((t - transition_begin) / transition_steps)``
    after ``transition_begin`` steps at ``init_value`` (``optax.exponential_decay``).

    ``end_value`` bounds every value, ``init_value`` included: from below when
    ``decay_rate < 1``, from above otherwise, as in optax.

    Args:
        init_value: the initial value.
        transition_steps: the number of steps per factor ``decay_rate`` (> 0; optax turns a
            non-positive value into a constant schedule, this raises).
        decay_rate: the factor (> 0; optax turns 0 into a constant schedule, this raises).
        transition_begin: steps to hold ``init_value`` first (>= 0).
        staircase: decay in whole multiples of ``transition_steps``.
        end_value: the bound, or ``None``.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.exponential_decay(1.0, 10, 0.5, transition_begin=5, staircase=True)
        >>> s(5), s(14), s(15), s(35)
        (1.0, 1.0, 0.5, 0.125)
    """
    transition_steps = V.steps("transition_steps", transition_steps, positive=True)
    decay_rate = V.value("decay_rate", decay_rate, positive=True)
    begin = _begin(transition_begin)
    if not isinstance(staircase, bool):
        raise TypeError(f"staircase={V.show(staircase)}: expected a bool")
    with V.renamed(**_VALUE_NAMES):
        s = exponential(init_value, decay_rate, transition_steps, staircase=staircase, end=end_value)
    return _delayed(s, begin)


def cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0) -> Schedule:
    r"""Cosine decay from ``init_value`` to ``alpha * init_value`` over ``decay_steps`` steps
    (``optax.cosine_decay_schedule``).

    .. math:: v(t) = I \left((1 - \alpha) \left(\tfrac12 (1 + \cos(\pi \min(t, T) / T))\right)^{p} + \alpha\right)

    Args:
        init_value: the initial value.
        decay_steps: length of the decay (> 0, as optax requires).
        alpha: the final value as a fraction of ``init_value``.
        exponent: the exponent ``p`` of the cosine factor (> 0).

    Reference: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.cosine_decay_schedule(1.0, 100, alpha=0.1)
        >>> s(0), round(s(50), 12), s(100), s(1000)
        (1.0, 0.55, 0.1, 0.1)
    """
    decay_steps = V.steps("decay_steps", decay_steps, positive=True)
    init_value = V.value("init_value", init_value)
    alpha = V.value("alpha", alpha)
    return ramp(init_value, init_value * alpha, decay_steps, "cosine", exponent=exponent)


def piecewise_interpolate_schedule(interpolate_type, init_value, boundaries_and_scales=None) -> Schedule:
    """Interpolates between the running products of the scales (``optax.piecewise_interpolate_schedule``).

    The value at boundary ``b_i`` is ``init_value * s_1 * ... * s_i``; between boundaries it is
    interpolated linearly or with a half cosine, and after the last one it holds. A boundary at 0
    replaces the starting value, as in optax.

    Args:
        interpolate_type: ``"linear"`` or ``"cosine"``.
        init_value: the value at step 0.
        boundaries_and_scales: ``{step: scale}`` with integer steps >= 0 and scales >= 0, or ``None``.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.piecewise_interpolate_schedule("linear", 1.0, {4: 0.5, 8: 0.5})
        >>> s(2), s(4), s(6), s(100)
        (0.75, 0.5, 0.375, 0.25)
    """
    V.choice("interpolate_type", interpolate_type, ("linear", "cosine"))
    init_value = V.value("init_value", init_value)
    pairs = _boundaries_and_scales(boundaries_and_scales, integer=True)
    points = {0: init_value}
    v = init_value
    for b, s in pairs:
        v = v * s
        points[b] = v
    return piecewise_linear(points, interpolate_type)


def _onecycle_points(transition_steps, fractions, scales):
    """optax's boundary dict ``{int(pct * T): scale, ..., T: scale}``; coinciding boundaries
    raise (optax's dict would keep one scale and drop a phase)."""
    keys = [int(pct * transition_steps) for _, pct in fractions] + [transition_steps]
    names = [f"{n}={V.show(pct)}" for n, pct in fractions] + [f"transition_steps={V.show(transition_steps)}"]
    for i in range(1, len(keys)):
        if keys[i] in keys[:i]:
            j = keys.index(keys[i])
            raise ValueError(
                f"{names[j]}, {names[i]}: two phase boundaries fall on step {keys[i]} "
                f"with transition_steps={V.show(transition_steps)} (optax would silently drop a phase)"
            )
    return dict(zip(keys, scales))


def _check_pct(name, v, lo, hi):
    v = V.value(name, v)
    if not lo <= v <= hi:
        raise ValueError(f"{name}={V.show(v)}: must be in [{V.show(lo)}, {V.show(hi)}]")
    return v


def linear_onecycle_schedule(
    transition_steps, peak_value, pct_start=0.3, pct_final=0.85, div_factor=25.0, final_div_factor=1e4
) -> Schedule:
    """Three linear phases (``optax.linear_onecycle_schedule``): from ``peak_value / div_factor``
    up to ``peak_value`` at ``int(pct_start * T)``, back down at ``int(pct_final * T)``, then to
    ``peak_value / div_factor / final_div_factor`` at ``T``.

    Args:
        transition_steps: ``T``, the whole length (> 0).
        peak_value: the peak.
        pct_start: fraction of ``T`` spent going up (in ``[0, 1]``).
        pct_final: fraction of ``T`` at which the way down ends (in ``[pct_start, 1]``).
        div_factor: the start is ``peak_value / div_factor`` (> 0).
        final_div_factor: the end is the start divided by this (> 0).

    Phase boundaries that coincide after ``int()`` raise (optax keeps only one of them).

    Reference: Smith & Topin, https://arxiv.org/abs/1708.07120.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.linear_onecycle_schedule(100, 1.0, div_factor=10.0)
        >>> s(0), s(30), s(85), round(s(100), 9)
        (0.1, 1.0, 0.1, 1e-05)
    """
    transition_steps = V.steps("transition_steps", transition_steps, positive=True, allow_float=False)
    pct_start = _check_pct("pct_start", pct_start, 0.0, 1.0)
    pct_final = _check_pct("pct_final", pct_final, pct_start, 1.0)
    peak_value = V.value("peak_value", peak_value)
    div_factor = V.value("div_factor", div_factor, positive=True)
    final_div_factor = V.value("final_div_factor", final_div_factor, positive=True)
    scales = _onecycle_points(
        transition_steps,
        [("pct_start", pct_start), ("pct_final", pct_final)],
        [div_factor, 1.0 / div_factor, 1.0 / final_div_factor],
    )
    return piecewise_interpolate_schedule("linear", peak_value / div_factor, scales)


def cosine_onecycle_schedule(
    transition_steps, peak_value, pct_start=0.3, div_factor=25.0, final_div_factor=1e4
) -> Schedule:
    """The one-cycle schedule with cosine phases (``optax.cosine_onecycle_schedule``): from
    ``peak_value / div_factor`` up to ``peak_value`` at ``int(pct_start * T)``, then down to
    ``peak_value / (div_factor * final_div_factor)`` at ``T``.

    Args:
        transition_steps: ``T``, the whole length (> 0).
        peak_value: the peak.
        pct_start: fraction of ``T`` spent going up (in ``[0, 1)``).
        div_factor: the start is ``peak_value / div_factor`` (> 0).
        final_div_factor: the end is ``peak_value / (div_factor * final_div_factor)`` (> 0).

    Reference: Smith & Topin, https://arxiv.org/abs/1708.07120.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.cosine_onecycle_schedule(100, 1.0, div_factor=10.0)
        >>> s(0), s(30), round(s(65), 9), round(s(100), 9)
        (0.1, 1.0, 0.500005, 1e-05)
    """
    transition_steps = V.steps("transition_steps", transition_steps, positive=True, allow_float=False)
    pct_start = _check_pct("pct_start", pct_start, 0.0, 1.0)
    peak_value = V.value("peak_value", peak_value)
    div_factor = V.value("div_factor", div_factor, positive=True)
    final_div_factor = V.value("final_div_factor", final_div_factor, positive=True)
    scales = _onecycle_points(
        transition_steps,
        [("pct_start", pct_start)],
        [div_factor, 1.0 / (div_factor * final_div_factor)],
    )
    return piecewise_interpolate_schedule("cosine", peak_value / div_factor, scales)


def join_schedules(schedules, boundaries) -> Schedule:
    """Runs ``schedules[0]``, then ``schedules[i + 1]`` from ``boundaries[i]`` on, with the step
    counted from that boundary (``optax.join_schedules``).

    This is :func:`lrsched.join`. The pieces must be lrsched schedules (wrap a plain function
    with :func:`lrsched.fn`). Where optax accepts anything, this raises: boundaries must number
    ``len(schedules) - 1`` (optax ignores extra ones), be ``>= 0`` and non-decreasing.

    Args:
        schedules: the pieces.
        boundaries: the steps at which each next piece takes over.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.join_schedules([ox.constant_schedule(1.0), ox.linear_schedule(1.0, 0.0, 10)], [5])
        >>> s(4), s(5), s(10)
        (1.0, 1.0, 0.5)
    """
    if isinstance(schedules, Schedule) or not isinstance(schedules, Iterable):
        raise TypeError(f"schedules={V.show(schedules)}: expected a list of schedules")
    if isinstance(boundaries, (str, bytes)) or not isinstance(boundaries, Iterable):
        raise TypeError(f"boundaries={V.show(boundaries)}: expected a list of steps")
    return join(list(schedules), list(boundaries))


def warmup_constant_schedule(init_value, peak_value, warmup_steps) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value``, then ``peak_value``
    (``optax.warmup_constant_schedule``).

    It is ``linear_schedule(init_value, peak_value, warmup_steps)``, so ``warmup_steps=0`` holds
    ``init_value``, as in optax.

    Args:
        init_value: value at step 0.
        peak_value: value from ``warmup_steps`` on.
        warmup_steps: warmup length (>= 0).

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.warmup_constant_schedule(0.0, 1.0, 10)
        >>> s(5), s(100)
        (0.5, 1.0)
    """
    V.steps("warmup_steps", warmup_steps)
    with V.renamed(end_value="peak_value", transition_steps="warmup_steps"):
        return linear_schedule(init_value, peak_value, warmup_steps)


def _end_or_zero(peak, end):
    """optax's cosine end: ``alpha = end / peak``, so a zero peak gives 0 whatever ``end`` is."""
    if V.is_plain(peak):
        return 0.0 if peak == 0.0 else end
    import jax.numpy as jnp

    return jnp.where(peak == 0.0, 0.0, end)


def warmup_cosine_decay_schedule(
    init_value, peak_value, warmup_steps, decay_steps, end_value=0.0, exponent=1.0
) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value``, then cosine decay to ``end_value``
    (``optax.warmup_cosine_decay_schedule``).

    ``decay_steps`` is the length of the whole schedule, warmup included: the cosine lasts
    ``decay_steps - warmup_steps`` steps (> 0, as optax requires). With ``peak_value == 0`` the
    decay is 0 whatever ``end_value`` is, as in optax.

    Args:
        init_value: value at step 0.
        peak_value: value at the end of the warmup.
        warmup_steps: warmup length (>= 0).
        decay_steps: total length, warmup included.
        end_value: value from ``decay_steps`` on.
        exponent: exponent of the cosine factor (> 0).

    Reference: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110)
        >>> s(5), s(10), round(s(60), 12), s(110)
        (0.5, 1.0, 0.5, 0.0)
    """
    warmup_steps = V.steps("warmup_steps", warmup_steps)
    decay_steps = V.steps("decay_steps", decay_steps)
    if not decay_steps > warmup_steps:
        raise ValueError(
            f"decay_steps={V.show(decay_steps)}: must be > warmup_steps={V.show(warmup_steps)} "
            "(decay_steps counts the warmup; the cosine lasts decay_steps - warmup_steps steps)"
        )
    peak_value = V.value("peak_value", peak_value)
    end_value = V.value("end_value", end_value)
    body = ramp(
        peak_value, _end_or_zero(peak_value, end_value), decay_steps - warmup_steps, "cosine", exponent=exponent
    )
    with V.renamed(**_VALUE_NAMES):
        return warmup(body, warmup_steps, start=init_value)


def warmup_exponential_decay_schedule(
    init_value,
    peak_value,
    warmup_steps,
    transition_steps,
    decay_rate,
    transition_begin=0,
    staircase=False,
    end_value=None,
) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value``, then :func:`exponential_decay`
    from ``peak_value`` (``optax.warmup_exponential_decay_schedule``).

    The warmup ramps to ``peak_value`` itself, even where ``end_value`` bounds the decay's
    first value, as in optax.

    Args:
        init_value: value at step 0.
        peak_value: value at the end of the warmup.
        warmup_steps: warmup length (>= 0).
        transition_steps: steps per factor ``decay_rate`` (> 0).
        decay_rate: the factor (> 0).
        transition_begin: steps to hold ``peak_value`` after the warmup (>= 0).
        staircase: decay in whole multiples of ``transition_steps``.
        end_value: bound of the decay, or ``None``.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> s = ox.warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5)
        >>> s(5), s(10), s(30)
        (0.5, 1.0, 0.25)
    """
    warmup_steps = V.steps("warmup_steps", warmup_steps)
    with V.renamed(init_value="peak_value"):
        decay = exponential_decay(peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value)
    if warmup_steps == 0:
        V.value("init_value", init_value)
        return decay
    with V.renamed(start="init_value", end="peak_value"):
        warm = ramp(init_value, peak_value, warmup_steps, "linear")
    return join([warm, decay], [warmup_steps])


def sgdr_schedule(cosine_kwargs) -> Schedule:
    """Warm restarts: one :func:`warmup_cosine_decay_schedule` per entry of ``cosine_kwargs``,
    each taking over when the previous one's ``decay_steps`` are done (``optax.sgdr_schedule``).

    Args:
        cosine_kwargs: the keyword arguments of each cycle's ``warmup_cosine_decay_schedule``
            (at least one).

    Reference: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983.

    Example:
        >>> from lrsched.compat import optax as ox
        >>> cyc = dict(init_value=0.0, peak_value=1.0, warmup_steps=0, decay_steps=10)
        >>> s = ox.sgdr_schedule([cyc, cyc])
        >>> s(0), round(s(5), 12), s(10), round(s(15), 12)
        (1.0, 0.5, 1.0, 0.5)
    """
    if isinstance(cosine_kwargs, Mapping) or not isinstance(cosine_kwargs, Iterable):
        raise TypeError(f"cosine_kwargs={V.show(cosine_kwargs)}: expected a list of dicts")
    pieces, bounds, step = [], [], 0
    for i, kw in enumerate(cosine_kwargs):
        if not isinstance(kw, Mapping):
            raise TypeError(
                f"cosine_kwargs[{i}]={V.show(kw)}: expected a dict of warmup_cosine_decay_schedule arguments"
            )
        if "decay_steps" not in kw:
            raise ValueError(f"cosine_kwargs[{i}]={V.show(dict(kw))}: needs decay_steps")
        pieces.append(warmup_cosine_decay_schedule(**kw))
        step += V.steps(f"cosine_kwargs[{i}]['decay_steps']", kw["decay_steps"])
        bounds.append(step)
    if not pieces:
        raise ValueError(f"cosine_kwargs={V.show(cosine_kwargs)}: needs at least one cycle")
    return join(pieces, bounds[:-1])
