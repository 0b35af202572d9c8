"""Hugging Face transformers' schedules (``transformers.optimization``) as lrsched schedules.

Each ``get_*_schedule*`` function keeps its parameter names, order and defaults, drops the
optimizer and ``last_epoch`` (resuming is ``lrsched.torch.ScheduleLR``'s job) and takes a
keyword-only ``lr=1.0``: the optimizer's lr (``1.0`` gives transformers' multiplier itself).
``schedule(k)`` is the lr of the ``(k + 1)``-th ``optimizer.step()``, i.e. transformers'
``LambdaLR`` after ``k`` calls of ``scheduler.step()``. The formulas are those of
``transformers/optimization.py``.

Conventions that bite when porting:

* every warmup starts at 0 (``lr * k / num_warmup_steps``): update 0 has lr 0, except in
  ``get_cosine_with_min_lr_schedule_with_warmup_lr_rate``, which counts one step ahead;
* ``get_cosine_schedule_with_warmup`` (and ``..._with_min_lr``) keeps following the cosine
  after ``num_training_steps``: with the default half cycle the lr climbs back up. This is
  kept (a :func:`lrsched.cycle`); use :func:`lrsched.warmup_cosine` for a cosine that holds.
* ``get_polynomial_decay_schedule_with_warmup`` decays to ``lr_end`` in lr units, read from the
  optimizer's default lr; ``lr`` here plays that part.

Not mirrored, because they are not schedules: ``get_adafactor_schedule`` (a proxy that reads
Adafactor's own internal lr) and ``get_greedy_schedule`` (``GreedyLR``, which raises and
lowers the lr from the metric it is fed). ``get_reduce_on_plateau_schedule`` returns the
metric-driven :class:`lrsched.Plateau` of ``lrsched.compat.torch.reduce_lr_on_plateau``.
"""

from __future__ import annotations

from .. import _validate as V
from .._combinators import join, shift
from .._cycle import cycle
from .._node import Schedule, constant
from .._primitives import inverse_sqrt, ramp

__all__ = [
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_reduce_on_plateau_schedule",
    "get_scheduler",
    "get_wsd_schedule",
]


# --------------------------------------------------------------------------------------------
# shared pieces
# --------------------------------------------------------------------------------------------
def _lr(lr):
    return V.value("lr", lr)


def _steps(name, v):
    return V.steps(name, v)


def _with_warmup(body: Schedule, warmup_steps: int, lr, *, start=0.0, shape="linear", **shape_params) -> Schedule:
    """transformers' warmup: a ramp from ``start`` to ``lr`` itself (not to ``body(0)``) over
    ``warmup_steps`` steps, then ``body`` on steps counted from the end of the warmup."""
    if warmup_steps == 0:
        return body
    return join([ramp(start, lr, warmup_steps, shape, **shape_params), body], [warmup_steps])


def _cycles(num_cycles):
    v = V.value("num_cycles", num_cycles, nonneg=True)
    if not V.is_plain(v):
        raise TypeError(f"num_cycles={V.show(num_cycles)}: expected a Python number (it sets the period)")
    return v


def _wave(high, low, num_cycles, length) -> Schedule:
    """``low + (high - low) * 0.5 * (1 + cos(2 pi num_cycles t / length))``, for every ``t >= 0``:
    the periodic cosine of transformers, as half-cosine ramps down and up, cycled."""
    if num_cycles == 0:
        return constant(high)
    half = length / (2 * num_cycles)
    return cycle(join([ramp(high, low, half, "cosine"), ramp(low, high, half, "cosine")], [half]), 2 * half)


def _min_rate(min_lr, min_lr_rate, lr):
    """The floor in lr units, from exactly one of ``min_lr`` and ``min_lr_rate`` (as transformers)."""
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError(f"min_lr={V.show(min_lr)}, min_lr_rate={V.show(min_lr_rate)}: give only one of them")
    if min_lr is not None:
        return V.value("min_lr", min_lr, nonneg=True)
    if min_lr_rate is None:
        raise ValueError("min_lr=None, min_lr_rate=None: give one of them")
    return lr * V.value("min_lr_rate", min_lr_rate, nonneg=True)


# --------------------------------------------------------------------------------------------
# the schedules
# --------------------------------------------------------------------------------------------
def get_constant_schedule(*, lr=1.0) -> Schedule:
    """The optimizer's lr at every step.

    Args:
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> hf.get_constant_schedule(lr=0.1)(1000)
        0.1
    """
    return constant(_lr(lr))


def get_constant_schedule_with_warmup(num_warmup_steps, *, lr=1.0) -> Schedule:
    """Linear warmup from 0 to ``lr`` over ``num_warmup_steps`` steps, then ``lr``.

    Args:
        num_warmup_steps: warmup length (>= 0).
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_constant_schedule_with_warmup(4)
        >>> [s(k) for k in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    lr = _lr(lr)
    return _with_warmup(constant(lr), _steps("num_warmup_steps", num_warmup_steps), lr)


def get_linear_schedule_with_warmup(num_warmup_steps, num_training_steps, *, lr=1.0) -> Schedule:
    """Linear warmup from 0 to ``lr``, then a linear decay to 0 at ``num_training_steps``, then 0.

    With ``num_training_steps <= num_warmup_steps`` the lr drops to 0 right after the warmup,
    as in transformers.

    Args:
        num_warmup_steps: warmup length (>= 0).
        num_training_steps: the step at which the lr reaches 0 (warmup included).
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_linear_schedule_with_warmup(10, 110)
        >>> s(0), s(5), s(10), s(60), s(200)
        (0.0, 0.5, 1.0, 0.5, 0.0)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    t = _steps("num_training_steps", num_training_steps)
    return _with_warmup(ramp(lr, 0.0, max(t - w, 0), "linear"), w, lr)


def get_cosine_schedule_with_warmup(num_warmup_steps, num_training_steps, num_cycles=0.5, *, lr=1.0) -> Schedule:
    r"""Linear warmup from 0 to ``lr``, then ``lr * 0.5 * (1 + cos(2 pi num_cycles p))`` with
    ``p = (k - W) / max(1, T - W)``.

    The cosine is not stopped at ``num_training_steps``: past it (``p > 1``) it goes on, and with
    the default ``num_cycles=0.5`` the lr climbs back towards ``lr``, exactly as in transformers.

    Args:
        num_warmup_steps: ``W`` (>= 0).
        num_training_steps: ``T``, the total (warmup included).
        num_cycles: number of cosine periods over ``T - W`` steps (>= 0; 0.5 is a half cosine).
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_cosine_schedule_with_warmup(10, 110)
        >>> s(5), s(10), round(s(60), 12), s(110), round(s(160), 12)
        (0.5, 1.0, 0.5, 0.0, 0.5)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    t = _steps("num_training_steps", num_training_steps)
    return _with_warmup(_wave(lr, 0.0, _cycles(num_cycles), max(1, t - w)), w, lr)


def get_cosine_with_hard_restarts_schedule_with_warmup(
    num_warmup_steps, num_training_steps, num_cycles=1, *, lr=1.0
) -> Schedule:
    """Linear warmup from 0 to ``lr``, then ``num_cycles`` half cosines from ``lr`` to 0, each
    restarting at ``lr``, over ``max(1, T - W)`` steps; then 0.

    Args:
        num_warmup_steps: ``W`` (>= 0).
        num_training_steps: ``T``, the total (warmup included).
        num_cycles: the number of cosines (>= 0; may be fractional).
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_cosine_with_hard_restarts_schedule_with_warmup(0, 100, num_cycles=2)
        >>> s(0), round(s(25), 12), s(50), s(100)
        (1.0, 0.5, 1.0, 0.0)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    t = _steps("num_training_steps", num_training_steps)
    n = _cycles(num_cycles)
    d = max(1, t - w)
    if n == 0:  # cos(0): lr until the end
        restarts = constant(lr)
    else:
        restarts = cycle(ramp(lr, 0.0, d / n, "cosine"), d / n)
    return _with_warmup(join([restarts, constant(0.0)], [d]), w, lr)


def get_polynomial_decay_schedule_with_warmup(
    num_warmup_steps, num_training_steps, lr_end=1e-7, power=1.0, *, lr=1.0
) -> Schedule:
    r"""Linear warmup from 0 to ``lr``, then a polynomial decay from ``lr`` to ``lr_end`` at
    ``num_training_steps``, then ``lr_end``.

    .. math:: v(k) = (\mathit{lr} - \mathit{lr\_end}) \left(1 - \frac{k - W}{T - W}\right)^{p} + \mathit{lr\_end}

    ``lr_end`` is in lr units: transformers reads the optimizer's default lr for it; ``lr`` is that
    lr here. (For a param group whose lr differs from the optimizer's default, transformers'
    group ends at ``lr_end * group_lr / default_lr``: pass that as ``lr_end`` with ``lr=group_lr``.)
    With ``num_training_steps <= num_warmup_steps`` the lr is ``lr_end`` right after the warmup
    (transformers divides by zero at ``num_training_steps == num_warmup_steps``).

    Args:
        num_warmup_steps: ``W`` (>= 0).
        num_training_steps: ``T``, the total (warmup included).
        lr_end: the final lr (must be smaller than ``lr``, as transformers requires).
        power: exponent of the decay (> 0).
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_polynomial_decay_schedule_with_warmup(0, 10, lr_end=0.0, power=2.0)
        >>> s(0), s(5), s(10), s(20)
        (1.0, 0.25, 0.0, 0.0)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    t = _steps("num_training_steps", num_training_steps)
    lr_end = V.value("lr_end", lr_end)
    if V.is_plain(lr) and V.is_plain(lr_end) and not lr > lr_end:
        raise ValueError(f"lr_end={V.show(lr_end)}: must be smaller than lr={V.show(lr)}")
    return _with_warmup(ramp(lr, lr_end, max(t - w, 0), "polynomial", power=power), w, lr)


def get_inverse_sqrt_schedule(num_warmup_steps, timescale=None, *, lr=1.0) -> Schedule:
    r"""Linear warmup from 0 to ``lr``, then ``lr / sqrt((k - W + timescale) / timescale)``.

    Args:
        num_warmup_steps: ``W`` (>= 0).
        timescale: (> 0); ``None`` means ``num_warmup_steps``, or 10000 without warmup.
        lr: the optimizer's lr.

    Reference: Vaswani et al., https://arxiv.org/abs/1706.03762.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_inverse_sqrt_schedule(100)
        >>> s(50), s(100), s(400)
        (0.5, 1.0, 0.5)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    if timescale is None:
        timescale = w or 10_000
    return _with_warmup(inverse_sqrt(lr, _steps("timescale", timescale)), w, lr)


def get_cosine_with_min_lr_schedule_with_warmup(
    num_warmup_steps, num_training_steps, num_cycles=0.5, min_lr=None, min_lr_rate=None, *, lr=1.0
) -> Schedule:
    """:func:`get_cosine_schedule_with_warmup` whose cosine runs between ``lr`` and a floor.

    The floor is ``min_lr``, or ``min_lr_rate * lr`` (give exactly one). Like the plain cosine,
    it goes on past ``num_training_steps``.

    Args:
        num_warmup_steps: ``W`` (>= 0).
        num_training_steps: ``T``, the total (warmup included).
        num_cycles: number of cosine periods over ``T - W`` steps (>= 0).
        min_lr: the floor in lr units (>= 0).
        min_lr_rate: the floor as a fraction of ``lr`` (>= 0).
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_cosine_with_min_lr_schedule_with_warmup(0, 100, min_lr_rate=0.1)
        >>> s(0), round(s(50), 12), s(100)
        (1.0, 0.55, 0.1)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    t = _steps("num_training_steps", num_training_steps)
    floor = _min_rate(min_lr, min_lr_rate, lr)
    return _with_warmup(_wave(lr, floor, _cycles(num_cycles), max(1, t - w)), w, lr)


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    num_warmup_steps,
    num_training_steps,
    num_cycles=0.5,
    min_lr=None,
    min_lr_rate=None,
    warmup_lr_rate=None,
    *,
    lr=1.0,
) -> Schedule:
    """The cosine-with-floor schedule counted one step ahead, with an optional warmup start.

    During the warmup (``k < W``) the lr is ``lr * (k + 1) / W``, or, with ``warmup_lr_rate``,
    goes linearly from ``warmup_lr_rate * lr`` at step 0 to ``lr`` at step ``W - 1``. After it,
    the cosine of :func:`get_cosine_with_min_lr_schedule_with_warmup` is evaluated one step
    later (``p = (k - W + 1) / max(1, T - W)``), so step ``T - 1`` already has the floor.

    Args:
        num_warmup_steps: ``W`` (>= 0).
        num_training_steps: ``T``, the total (warmup included).
        num_cycles: number of cosine periods over ``T - W`` steps (>= 0).
        min_lr: the floor in lr units (>= 0).
        min_lr_rate: the floor as a fraction of ``lr`` (>= 0).
        warmup_lr_rate: the warmup's start as a fraction of ``lr`` (>= 0), or ``None``.
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(4, 104, min_lr=0.0)
        >>> s(0), s(3), round(s(53), 12), s(103)
        (0.25, 1.0, 0.5, 0.0)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    t = _steps("num_training_steps", num_training_steps)
    floor = _min_rate(min_lr, min_lr_rate, lr)
    body = shift(_wave(lr, floor, _cycles(num_cycles), max(1, t - w)), -1)
    if w == 0:
        return body
    if warmup_lr_rate is None:
        up = shift(ramp(0.0, lr, w, "linear"), -1)  # lr * (k + 1) / W
    else:
        rate = V.value("warmup_lr_rate", warmup_lr_rate, nonneg=True)
        up = ramp(lr * rate, lr, max(1, w - 1), "linear")
    return join([up, body], [w])


_WSD_SHAPES: dict[str, tuple] = {  # transformers' names -> (warmup ramp, decay ramp) as lrsched ramp shapes
    "linear": (("linear", {}), ("linear", {})),
    "cosine": (("cosine", {}), ("cosine", {})),
    # warmup 1 - sqrt(1 - p) is a polynomial ramp of power 1/2; decay 1 - sqrt(p) is "sqrt"
    "1-sqrt": (("polynomial", {"power": 0.5}), ("sqrt", {})),
}


def get_wsd_schedule(
    num_warmup_steps,
    num_decay_steps,
    num_training_steps=None,
    num_stable_steps=None,
    warmup_type="linear",
    decay_type="cosine",
    min_lr_ratio=0,
    num_cycles=0.5,
    *,
    lr=1.0,
) -> Schedule:
    """Warmup-stable-decay: warm up from ``min_lr_ratio * lr`` to ``lr``, hold ``lr``, decay back
    to ``min_lr_ratio * lr``, then hold that.

    Args:
        num_warmup_steps: warmup length (>= 0).
        num_decay_steps: decay length (>= 0).
        num_training_steps: the total; the stable phase is what the warmup and decay leave.
        num_stable_steps: the stable phase's length. If it is given, ``num_training_steps`` is
            not used (transformers warns and does the same): past ``num_warmup_steps +
            num_stable_steps + num_decay_steps`` the lr is the floor.
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        decay_type: ``"linear"``, ``"cosine"`` (with ``num_cycles`` periods) or ``"1-sqrt"``.
        min_lr_ratio: the floor as a fraction of ``lr`` (>= 0).
        num_cycles: cosine periods over the decay (0.5 is a half cosine).
        lr: the optimizer's lr.

    Reference: Hu et al., *MiniCPM*, https://arxiv.org/abs/2404.06395; Hägele et al.,
    https://arxiv.org/abs/2405.18392.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_wsd_schedule(10, 20, num_training_steps=100, decay_type="linear")
        >>> s(5), s(50), s(80), s(90), s(100)
        (0.5, 1.0, 1.0, 0.5, 0.0)
    """
    lr = _lr(lr)
    w = _steps("num_warmup_steps", num_warmup_steps)
    d = _steps("num_decay_steps", num_decay_steps)
    V.choice("warmup_type", warmup_type, tuple(_WSD_SHAPES))
    V.choice("decay_type", decay_type, tuple(_WSD_SHAPES))
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError("num_training_steps=None, num_stable_steps=None: give one of them")
    if num_stable_steps is None:
        t = _steps("num_training_steps", num_training_steps)
        s = t - w - d
        if s < 0:
            raise ValueError(f"num_training_steps={V.show(t)}: must be >= num_warmup_steps + num_decay_steps = {w + d}")
    else:  # transformers' documented rule: num_stable_steps wins, num_training_steps is unused
        s = _steps("num_stable_steps", num_stable_steps)
        if num_training_steps is not None:
            _steps("num_training_steps", num_training_steps)
    ratio = V.value("min_lr_ratio", min_lr_ratio, nonneg=True)
    n = _cycles(num_cycles)
    floor = lr * ratio
    (w_shape, w_params), _ = _WSD_SHAPES[warmup_type]
    _, (d_shape, d_params) = _WSD_SHAPES[decay_type]
    if decay_type == "cosine" and n > 0.5:  # more than a half period within the decay
        decay = _wave(lr, floor, n, max(1, d))
    elif decay_type == "cosine":  # a half cosine of max(1, d) / (2 n) steps, cut at d
        decay = constant(lr) if n == 0 else ramp(lr, floor, max(1, d) / (2 * n), "cosine")
    else:
        decay = ramp(lr, floor, max(1, d), d_shape, **d_params)
    body = join([constant(lr), decay, constant(floor)], [s, s + d])
    return _with_warmup(body, w, lr, start=floor, shape=w_shape, **w_params)


def get_reduce_on_plateau_schedule(*, lr=1.0, **kwargs):
    """torch's ``ReduceLROnPlateau`` (what transformers returns), as a metric-driven
    :class:`lrsched.Plateau`, not a schedule.

    ``lrsched.torch.ScheduleLR(opt, lrsched.constant(lr), plateau=...)`` then writes the same
    lrs as transformers' scheduler; see :func:`lrsched.compat.torch.reduce_lr_on_plateau`.

    Args:
        lr: the optimizer's lr.
        **kwargs: ``ReduceLROnPlateau``'s arguments (``mode``, ``factor``, ``patience``, ...).

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> p = hf.get_reduce_on_plateau_schedule(factor=0.5, patience=0, lr=0.1)
        >>> state = p.init()
        >>> for loss in [1.0, 2.0]:
        ...     state = p.update(state, loss)
        >>> p.apply(state, 0.1)
        0.05
    """
    from .torch import reduce_lr_on_plateau

    return reduce_lr_on_plateau(**kwargs, lr=lr)


_NAMES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
    "greedy",
)

_BY_NAME = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
}


def get_scheduler(name, num_warmup_steps=None, num_training_steps=None, scheduler_specific_kwargs=None, *, lr=1.0):
    """transformers' ``get_scheduler``: any schedule of this module by its ``SchedulerType`` name.

    The same rules as transformers: ``"constant"`` ignores every other argument,
    ``"constant_with_warmup"`` ignores ``scheduler_specific_kwargs``, ``"inverse_sqrt"`` and
    ``"warmup_stable_decay"`` do not need ``num_training_steps``, the others need both step
    counts. ``"reduce_lr_on_plateau"`` gives a :class:`lrsched.Plateau`; ``"greedy"`` raises
    (``GreedyLR`` follows the metric and has no schedule form).

    Args:
        name: a ``SchedulerType`` value (``"linear"``, ``"cosine"``, ...) or the enum itself.
        num_warmup_steps: warmup length.
        num_training_steps: total length.
        scheduler_specific_kwargs: extra arguments of the chosen schedule.
        lr: the optimizer's lr.

    Example:
        >>> from lrsched.compat import transformers as hf
        >>> s = hf.get_scheduler("linear", num_warmup_steps=10, num_training_steps=110, lr=0.1)
        >>> s(10), round(s(60), 12)
        (0.1, 0.05)
    """
    key = getattr(name, "value", name)
    if not isinstance(key, str) or key not in _NAMES:
        raise ValueError(f"name={V.show(name)}: must be one of {', '.join(repr(n) for n in _NAMES)}")
    if key == "constant":
        return get_constant_schedule(lr=lr)
    kwargs = {} if scheduler_specific_kwargs is None else dict(scheduler_specific_kwargs)
    if key == "reduce_lr_on_plateau":
        return get_reduce_on_plateau_schedule(**kwargs, lr=lr)
    if key == "greedy":
        raise ValueError(
            "name='greedy': GreedyLR raises and lowers the lr from the metric it is fed; it has no "
            "schedule form (lrsched.Plateau covers the reduce-on-plateau half)"
        )
    if num_warmup_steps is None:
        raise ValueError(f"num_warmup_steps=None: name={V.show(key)} needs num_warmup_steps")
    if key == "constant_with_warmup":
        return get_constant_schedule_with_warmup(num_warmup_steps, lr=lr)
    if key == "inverse_sqrt":
        return get_inverse_sqrt_schedule(num_warmup_steps, **kwargs, lr=lr)
    if key == "warmup_stable_decay":
        return get_wsd_schedule(num_warmup_steps, num_training_steps=num_training_steps, **kwargs, lr=lr)
    if num_training_steps is None:
        raise ValueError(f"num_training_steps=None: name={V.show(key)} needs num_training_steps")
    return _BY_NAME[key](num_warmup_steps, num_training_steps, **kwargs, lr=lr)
