"""timm's schedulers (``timm/scheduler/*_lr.py``) as lrsched schedules.

Each function takes the scheduler's own arguments, without the optimizer, plus a keyword-only
``lr=1.0``: the optimizer's base lr (timm's ``base_values``; ``1.0`` gives the multiplier).
The returned schedule's value at ``t`` is timm's ``_get_lr(t)``:

* ``t_in_epochs=False`` (timm's ``step_update(num_updates)`` after every update): ``t`` is the
  update index, so ``schedule(k)`` is the lr of update ``k``, counting from 0, the lrsched
  convention.
* ``t_in_epochs=True`` (the default, ``step(epoch)`` at each epoch end): ``t`` is the epoch.
  Pass ``steps_per_epoch=`` to get a per-update schedule that changes at epoch boundaries
  (``lrsched.per_epoch``), or evaluate the schedule at epoch numbers yourself.

Before the first ``step``/``step_update`` call timm's lr is the one set at construction: the base
lr, or ``warmup_lr_init`` with a warmup. That equals ``_get_lr(0)`` everywhere except in three
cases, where ``schedule(0)`` is ``_get_lr(0)``: ``tanh_lr`` without warmup (``_get_lr(0)`` is
``lr_min + (lr - lr_min) * (1 - tanh(lb)) / 2``, within 1e-6 of ``lr`` for the default ``lb``),
``multi_step_lr`` with a milestone ``<= 1`` and no warmup (its milestones apply one step
early, see there), and ``cycle_limit=0`` without warmup in ``cosine_lr``, ``tanh_lr`` and
``poly_lr`` (``_get_lr(0)`` is ``lr_min``, while timm's first update or epoch runs at ``lr``).

timm's noise (``noise_range_t``) draws a random perturbation per step; asking for it raises
``ValueError``, since a schedule here is a deterministic function. ``noise_pct``,
``noise_std``, ``noise_seed`` and ``initialize`` are accepted and have no effect.
"""

from __future__ import annotations

import itertools
import math
import numbers

from .. import _validate as V
from .._combinators import join, shift, warmup
from .._cycle import cycle, cycle_start, per_epoch
from .._node import Schedule, constant
from .._primitives import exponential, linear, piecewise_constant, ramp
from .._warps import decay_count, k_decay

__all__ = ["cosine_lr", "decay_count", "k_decay", "multi_step_lr", "poly_lr", "step_lr", "tanh_lr"]

_FAR = 2**62  # cycle ends beyond this are never reached by an int64 step counter


# --------------------------------------------------------------------------------------------
# shared pieces
# --------------------------------------------------------------------------------------------
def _no_noise(noise_range_t):
    if noise_range_t is not None:
        raise ValueError(
            f"noise_range_t={V.show(noise_range_t)}: timm's lr noise is a random draw per step; an "
            "lrsched schedule is a deterministic function of the step, so noise is not supported"
        )


def _clock(s, t_in_epochs, steps_per_epoch):
    if not isinstance(t_in_epochs, bool):
        raise TypeError(f"t_in_epochs={V.show(t_in_epochs)}: expected a bool")
    if steps_per_epoch is None:
        return s
    if not t_in_epochs:
        raise ValueError(
            f"steps_per_epoch={V.show(steps_per_epoch)}: only meaningful with t_in_epochs=True "
            "(with t_in_epochs=False the schedule already counts updates)"
        )
    return per_epoch(s, steps_per_epoch)


def _flag(name, v):
    if not isinstance(v, bool):
        raise TypeError(f"{name}={V.show(v)}: expected a bool")
    return v


def _with_warmup(body, lr, warmup_t, warmup_lr_init, warmup_prefix):
    """timm's linear warmup from ``warmup_lr_init`` to the base lr over ``warmup_t`` steps.

    With ``warmup_prefix`` the body starts after the warmup (``t - warmup_t``); without it the
    body keeps its own clock and the warmup simply overwrites its first ``warmup_t`` steps.
    """
    warmup_t = V.steps("warmup_t", warmup_t)
    warmup_lr_init = V.value("warmup_lr_init", warmup_lr_init)
    _flag("warmup_prefix", warmup_prefix)
    if warmup_t == 0:
        return body
    after = body if warmup_prefix else shift(body, -warmup_t)
    return join([linear(warmup_lr_init, lr, warmup_t), after], [warmup_t])


def _cycle_mul(cycle_mul):
    if isinstance(cycle_mul, bool) or not isinstance(cycle_mul, numbers.Real):
        raise TypeError(f"cycle_mul={V.show(cycle_mul)}: expected a number >= 1")
    if not float(cycle_mul) >= 1.0:
        raise ValueError(
            f"cycle_mul={V.show(cycle_mul)}: must be >= 1 (shrinking cycles end in a math domain error in timm)"
        )
    with V.renamed(period_mult="cycle_mul"):  # cycle's own bounds (finite, < 2**63), under timm's name
        cycle(constant(0.0), 1, period_mult=cycle_mul)
    return cycle_mul


def _limit_start(c, cycle_limit):
    """The step at which cycle number ``cycle_limit`` of the cycle node ``c`` starts (None if out
    of reach), read from the same start table that ``c`` finds its cycles in, so that the hold
    at ``lr_min`` takes over exactly where ``c`` would restart."""
    p, m = c.period, c.period_mult
    if m == 1:
        b = p * cycle_limit
    elif isinstance(m, int):
        starts = c._table()[0]
        b = starts[cycle_limit] if cycle_limit < len(starts) else None
    else:  # the exact start the cycle itself places its restarts by, rounded to a float
        b = cycle_start(p, m, cycle_limit)
        b = None if b == math.inf else b
    return b if b is not None and b <= _FAR else None


def _annealing(shape, params, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, kd, lr):
    """Cycles of ``lr_min + (lr * cycle_decay**i - lr_min) * w(t_curr / t_i)``, then ``lr_min``.

    timm decays only the top of each cycle, not ``lr_min``; when both matter the value is
    written as the sum of a decaying part from ``lr`` to 0 and a steady part from 0 to ``lr_min``.
    """
    t_initial = V.steps("t_initial", t_initial, positive=True)
    lr_min = V.value("lr_min", lr_min)
    if V.is_plain(lr_min) and lr_min < 0:
        raise ValueError(f"lr_min={V.show(lr_min)}: must be >= 0")
    cycle_mul = _cycle_mul(cycle_mul)
    cycle_decay = V.value("cycle_decay", cycle_decay)
    cycle_limit = V.steps("cycle_limit", cycle_limit, allow_float=False)
    if kd is not None:
        kd = V.value("k_decay", kd, positive=True)

    def one(start, end):
        r = ramp(start, end, t_initial, shape, **params)
        if kd is None or (V.is_plain(kd) and kd == 1.0):
            return r
        return k_decay(r, t_initial, kd)

    def cycles(start, end, decay):
        return cycle(one(start, end), t_initial, period_mult=cycle_mul, decay=decay)

    if cycle_limit == 0:
        return constant(lr_min)
    if (V.is_plain(cycle_decay) and cycle_decay == 1.0) or (V.is_plain(lr_min) and lr_min == 0.0):
        body = first = cycles(lr, lr_min, cycle_decay)
    else:
        first = cycles(lr, 0.0, cycle_decay)
        body = first + cycles(0.0, lr_min, 1.0)
    end = _limit_start(first, cycle_limit)
    if end is None:
        return body
    return join([body, constant(lr_min)], [end])


# --------------------------------------------------------------------------------------------
# the schedulers
# --------------------------------------------------------------------------------------------
def cosine_lr(
    t_initial,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0,
    warmup_prefix=False,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    k_decay=1.0,
    initialize=True,
    *,
    lr=1.0,
    steps_per_epoch=None,
) -> Schedule:
    r"""timm ``CosineLRScheduler``: cosine annealing with restarts, warmup and k-decay.

    Outside the warmup, in cycle ``i`` of length ``t_i = t_initial * cycle_mul**i`` at
    position ``t_curr`` within it:

    .. math::
        \mathrm{lr}(t) = \mathrm{lr\_min} + \tfrac12 (\mathrm{lr}\,\gamma^{i} - \mathrm{lr\_min})
        \left(1 + \cos\left(\pi\, t_{curr}^{k} / t_i^{k}\right)\right), \qquad \gamma = \text{cycle\_decay}

    for ``i < cycle_limit``, and ``lr_min`` from cycle ``cycle_limit`` on. Note timm's default
    ``cycle_limit=1``: one cosine of ``t_initial`` steps, then ``lr_min`` for good (raise
    ``cycle_limit`` for restarts). ``cycle_decay`` scales only the top of each cycle.

    The warmup goes linearly from ``warmup_lr_init`` (at ``t = 0``) towards ``lr`` (reached at
    ``t = warmup_t``). With ``warmup_prefix=False`` (timm's default here) the cosine keeps its own
    clock, so the warmup replaces its first ``warmup_t`` steps and the value drops at the join
    (the surprise of timm issue #1242); with ``warmup_prefix=True`` the cosine starts after the
    warmup, at ``t - warmup_t``, and ends at ``warmup_t + t_initial``.

    ``t`` is the update index with ``t_in_epochs=False`` and the epoch otherwise (see the module
    docstring; ``steps_per_epoch=`` turns an epoch schedule into a per-update one).

    With a non-integer ``cycle_mul`` timm finds the cycle with a floating-point logarithm, which
    can land one cycle early exactly at a restart step (giving that cycle's end instead of the
    restart); lrsched finds cycles exactly. ``cycle_mul`` must be ``>= 1`` here.

    Args:
        t_initial: the first cycle's length (> 0).
        lr_min: the floor, >= 0.
        cycle_mul: growth of each cycle's length (>= 1).
        cycle_decay: factor on the top of each later cycle.
        cycle_limit: number of cycles before holding ``lr_min`` (0: ``lr_min`` after warmup;
            without warmup timm's first update or epoch still runs at ``lr``, see the module).
        warmup_t: warmup length (0: none).
        warmup_lr_init: the value at ``t = 0`` of the warmup.
        warmup_prefix: run the warmup before the cosine instead of over its start.
        t_in_epochs: whether ``t`` counts epochs (timm's ``step``) or updates (``step_update``).
        noise_range_t: must be ``None`` (noise is not supported).
        noise_pct: ignored.
        noise_std: ignored.
        noise_seed: ignored.
        k_decay: the k-decay exponent (> 0; 1.0 is the plain cosine).
        initialize: ignored (it concerns the optimizer's param groups).
        lr: the optimizer's base lr.
        steps_per_epoch: with ``t_in_epochs=True``, evaluate per update at epoch granularity.

    Example:
        >>> from lrsched.compat import timm
        >>> s = timm.cosine_lr(100, lr_min=0.01, warmup_t=10, warmup_lr_init=0.001,
        ...                    warmup_prefix=True, t_in_epochs=False, lr=0.1)
        >>> s(0), s(10), round(s(60), 6), s(110), s(500)
        (0.001, 0.1, 0.055, 0.01, 0.01)
    """
    _no_noise(noise_range_t)
    lr = V.value("lr", lr)
    body = _annealing("cosine", {}, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, k_decay, lr)
    s = _with_warmup(body, lr, warmup_t, warmup_lr_init, warmup_prefix)
    return _clock(s, t_in_epochs, steps_per_epoch)


def tanh_lr(
    t_initial,
    lb=-7.0,
    ub=3.0,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0,
    warmup_prefix=False,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    initialize=True,
    *,
    lr=1.0,
    steps_per_epoch=None,
) -> Schedule:
    r"""timm ``TanhLRScheduler``: hyperbolic-tangent annealing with restarts and warmup.

    Outside the warmup, in cycle ``i`` (length ``t_i``, position ``t_curr``, ``r = t_curr / t_i``):

    .. math::
        \mathrm{lr}(t) = \mathrm{lr\_min} + \tfrac12 (\mathrm{lr}\,\gamma^{i} - \mathrm{lr\_min})
        \left(1 - \tanh(\mathrm{lb}\,(1 - r) + \mathrm{ub}\, r)\right)

    for ``i < cycle_limit`` and ``lr_min`` from then on. The curve starts about ``lr * 1e-6``
    below ``lr`` and stops short of ``lr_min`` (``tanh(3)`` is not 1), so the step after the last
    cycle drops to ``lr_min`` exactly, as in timm.

    The warmup is linear from ``warmup_lr_init``. With ``warmup_prefix=True`` it reaches ``lr``
    and the curve starts after it; with ``warmup_prefix=False`` (the default) it reaches the
    curve's own value at ``t = warmup_t``, where the curve continues on its own clock.

    Cycles, ``t``, epochs and noise are as in :func:`cosine_lr`.

    Args:
        t_initial: the first cycle's length (> 0).
        lb: the tanh argument at the start of a cycle.
        ub: the tanh argument at its end (> ``lb``).
        lr_min: the floor, >= 0.
        cycle_mul: growth of each cycle's length (>= 1).
        cycle_decay: factor on the top of each later cycle.
        cycle_limit: number of cycles before holding ``lr_min``.
        warmup_t: warmup length (0: none).
        warmup_lr_init: the value at ``t = 0`` of the warmup (>= 0).
        warmup_prefix: run the warmup before the curve instead of over its start.
        t_in_epochs: whether ``t`` counts epochs or updates.
        noise_range_t: must be ``None``.
        noise_pct: ignored.
        noise_std: ignored.
        noise_seed: ignored.
        initialize: ignored.
        lr: the optimizer's base lr.
        steps_per_epoch: with ``t_in_epochs=True``, evaluate per update at epoch granularity.

    Reference: Hsueh et al., *Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
    Classification*, https://arxiv.org/abs/1806.01593.

    Example:
        >>> from lrsched.compat import timm
        >>> s = timm.tanh_lr(100, lb=-3.0, ub=3.0, t_in_epochs=False)
        >>> round(s(0), 6), s(50), round(s(99), 4), s(100)
        (0.997527, 0.5, 0.0028, 0.0)
    """
    _no_noise(noise_range_t)
    lr = V.value("lr", lr)
    lb = V.value("lb", lb)
    ub = V.value("ub", ub)
    if V.is_plain(lb) and V.is_plain(ub) and not lb < ub:
        raise ValueError(f"lb={V.show(lb)}, ub={V.show(ub)}: lb must be < ub")
    params = {"lower": lb, "upper": ub}
    body = _annealing("tanh", params, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, None, lr)
    wlr = V.value("warmup_lr_init", warmup_lr_init)
    if V.is_plain(wlr) and wlr < 0:
        raise ValueError(f"warmup_lr_init={V.show(wlr)}: must be >= 0")
    wt = V.steps("warmup_t", warmup_t)
    if wt and not _flag("warmup_prefix", warmup_prefix):
        # timm: the warmup ends at _get_lr(warmup_t), the curve's value on its own clock
        s = warmup(shift(body, -wt), wt, start=wlr)
    else:
        s = _with_warmup(body, lr, wt, wlr, warmup_prefix)
    return _clock(s, t_in_epochs, steps_per_epoch)


def poly_lr(
    t_initial,
    power=0.5,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0,
    warmup_prefix=False,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    k_decay=1.0,
    initialize=True,
    *,
    lr=1.0,
    steps_per_epoch=None,
) -> Schedule:
    r"""timm ``PolyLRScheduler``: polynomial decay with restarts, warmup and k-decay.

    Outside the warmup, in cycle ``i`` (length ``t_i``, position ``t_curr``):

    .. math::
        \mathrm{lr}(t) = \mathrm{lr\_min} + (\mathrm{lr}\,\gamma^{i} - \mathrm{lr\_min})
        \left(1 - t_{curr}^{k} / t_i^{k}\right)^{p}

    for ``i < cycle_limit`` and ``lr_min`` from then on. Warmup, cycles, ``t``, epochs and
    noise are as in :func:`cosine_lr` (the warmup reaches ``lr``).

    Args:
        t_initial: the first cycle's length (> 0).
        power: the exponent ``p`` (> 0; timm's default 0.5).
        lr_min: the floor, >= 0.
        cycle_mul: growth of each cycle's length (>= 1).
        cycle_decay: factor on the top of each later cycle.
        cycle_limit: number of cycles before holding ``lr_min``.
        warmup_t: warmup length (0: none).
        warmup_lr_init: the value at ``t = 0`` of the warmup.
        warmup_prefix: run the warmup before the decay instead of over its start.
        t_in_epochs: whether ``t`` counts epochs or updates.
        noise_range_t: must be ``None``.
        noise_pct: ignored.
        noise_std: ignored.
        noise_seed: ignored.
        k_decay: the k-decay exponent (> 0).
        initialize: ignored.
        lr: the optimizer's base lr.
        steps_per_epoch: with ``t_in_epochs=True``, evaluate per update at epoch granularity.

    Example:
        >>> from lrsched.compat import timm
        >>> s = timm.poly_lr(100, power=2.0, t_in_epochs=False)
        >>> s(0), s(50), s(100)
        (1.0, 0.25, 0.0)
    """
    _no_noise(noise_range_t)
    lr = V.value("lr", lr)
    params = {"power": V.value("power", power)}
    body = _annealing("polynomial", params, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, k_decay, lr)
    s = _with_warmup(body, lr, warmup_t, warmup_lr_init, warmup_prefix)
    return _clock(s, t_in_epochs, steps_per_epoch)


def step_lr(
    decay_t,
    decay_rate=1.0,
    warmup_t=0,
    warmup_lr_init=0,
    warmup_prefix=True,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    initialize=True,
    *,
    lr=1.0,
    steps_per_epoch=None,
) -> Schedule:
    r"""timm ``StepLRScheduler``: ``lr * decay_rate ** (t // decay_t)`` after a linear warmup.

    .. math:: \mathrm{lr}(t) = \mathrm{lr} \cdot r^{\lfloor t' / d \rfloor}, \qquad
        t' = t - \text{warmup\_t} \text{ with warmup\_prefix (the default here), else } t

    The warmup is linear from ``warmup_lr_init`` towards ``lr``. ``decay_t`` may be fractional
    (``create_scheduler_v2(decay_epochs=2.4)`` passes one): timm counts ``t // decay_t`` in
    Python floats, and so does this schedule on every backend, 32-bit JAX steps included (see
    :func:`decay_count`). ``t``, epochs and noise are as in :func:`cosine_lr`.

    Args:
        decay_t: the period between decays (> 0).
        decay_rate: the factor per period (> 0).
        warmup_t: warmup length (0: none).
        warmup_lr_init: the value at ``t = 0`` of the warmup.
        warmup_prefix: start the decay clock after the warmup.
        t_in_epochs: whether ``t`` counts epochs or updates.
        noise_range_t: must be ``None``.
        noise_pct: ignored.
        noise_std: ignored.
        noise_seed: ignored.
        initialize: ignored.
        lr: the optimizer's base lr.
        steps_per_epoch: with ``t_in_epochs=True``, evaluate per update at epoch granularity.

    Example:
        >>> from lrsched.compat import timm
        >>> s = timm.step_lr(30, 0.1, lr=1.0)
        >>> s(29), round(s(30), 12), round(s(65), 12)
        (1.0, 0.1, 0.01)
    """
    _no_noise(noise_range_t)
    lr = V.value("lr", lr)
    decay_t = V.steps("decay_t", decay_t, positive=True)
    decay_rate = V.value("decay_rate", decay_rate, positive=True)
    if isinstance(decay_t, int):
        body = exponential(lr, decay_rate, decay_t, staircase=True)
    else:
        body = decay_count(exponential(lr, decay_rate, 1, staircase=True), decay_t)
    s = _with_warmup(body, lr, warmup_t, warmup_lr_init, warmup_prefix)
    return _clock(s, t_in_epochs, steps_per_epoch)


def multi_step_lr(
    decay_t,
    decay_rate=1.0,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=True,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    initialize=True,
    *,
    lr=1.0,
    steps_per_epoch=None,
) -> Schedule:
    r"""timm ``MultiStepLRScheduler``: ``lr * decay_rate ** n(t)``, milestones one step early.

    ``n(t)`` is timm's ``bisect_right(decay_t, t + 1)``: the number of milestones ``m`` with
    ``m <= t + 1``. So milestone ``m`` takes effect at ``t = m - 1``, one step (epoch) before
    ``torch.optim.lr_scheduler.MultiStepLR`` would apply it. timm keeps this deliberately for
    compatibility with existing recipes (issues #2745, #2753, #2806), and so does this function:
    with ``decay_t=[30, 60]`` the lr drops at ``t = 29`` and ``t = 59``. A milestone ``<= 1``
    applies from ``t = 0`` (so ``schedule(0)`` is already decayed, while timm's lr before its
    first ``step`` call is still ``lr``). Repeated milestones apply the rate once each.

    ``t'`` is ``t - warmup_t`` with ``warmup_prefix`` (the default here), else ``t``; the warmup
    is linear from ``warmup_lr_init`` towards ``lr``. ``t``, epochs and noise are as in
    :func:`cosine_lr`.

    Args:
        decay_t: the milestones, sorted (a list of steps).
        decay_rate: the factor per milestone (> 0).
        warmup_t: warmup length (0: none).
        warmup_lr_init: the value at ``t = 0`` of the warmup.
        warmup_prefix: start the milestone clock after the warmup.
        t_in_epochs: whether ``t`` counts epochs or updates.
        noise_range_t: must be ``None``.
        noise_pct: ignored.
        noise_std: ignored.
        noise_seed: ignored.
        initialize: ignored.
        lr: the optimizer's base lr.
        steps_per_epoch: with ``t_in_epochs=True``, evaluate per update at epoch granularity.

    Example:
        >>> from lrsched.compat import timm
        >>> s = timm.multi_step_lr([30, 60], 0.1)
        >>> s(28), round(s(29), 12), round(s(59), 12)
        (1.0, 0.1, 0.01)
    """
    _no_noise(noise_range_t)
    lr = V.value("lr", lr)
    if isinstance(decay_t, (str, bytes)) or not isinstance(decay_t, (list, tuple)):
        raise TypeError(f"decay_t={V.show(decay_t)}: expected a list of milestones")
    ms = [V.steps(f"decay_t[{i}]", m, allow_negative=True) for i, m in enumerate(decay_t)]
    if any(b < a for a, b in itertools.pairwise(ms)):
        raise ValueError(f"decay_t={V.show(list(decay_t))}: must be sorted (timm bisects it)")
    decay_rate = V.value("decay_rate", decay_rate, positive=True)
    counts: dict = {}
    for m in ms:
        b = max(m - 1, 0)  # milestone m counts once t + 1 >= m
        counts[b] = counts.get(b, 0) + 1
    scales = [(b, decay_rate if c == 1 else decay_rate**c) for b, c in counts.items()]
    body = piecewise_constant(lr, scales)
    s = _with_warmup(body, lr, warmup_t, warmup_lr_init, warmup_prefix)
    return _clock(s, t_in_epochs, steps_per_epoch)
