"""fairseq's lr schedulers (``fairseq/optim/lr_scheduler/*.py``) as lrsched schedules.

Each function takes the scheduler's config fields (fairseq's own names, snake_case, fairseq's
defaults) as keyword arguments; ``lr`` is fairseq's ``--lr`` (a float, or a list of one float as
in fairseq's config; fairseq's default is ``[0.25]``).

**Which value is update k's.** fairseq's trainer calls ``step_update(0)`` right after building
the scheduler (fairseq PR #727) and ``step_update(n)`` after the ``n``-th update, so update
``k`` (counting from 0, the lrsched convention) runs with the lr that ``step_update(k)`` set.
``schedule(k)`` is that value. It is not always the lr set by the constructor: with a warmup,
``polynomial_decay``'s constructor sets ``lr / warmup_updates`` but ``step_update(0)`` sets 0,
so fairseq's first update runs with lr 0.

Epoch hooks: ``fixed`` changes the lr at each epoch start (``step_begin_epoch``); give it
``updates_per_epoch``. The other schedulers here ignore epochs (their ``force_anneal`` and lr
lists are refused where they would need the optimizer's running lr).
"""

from __future__ import annotations

import numbers

from .. import _validate as V
from .._combinators import clip, join, shift, warmup
from .._cycle import cycle, per_epoch
from .._node import Schedule, constant
from .._primitives import exponential, linear, ramp
from .._primitives import inverse_sqrt as _inverse_sqrt
from .._recipes import tri_stage as _tri_stage

__all__ = ["cosine", "fixed", "inverse_sqrt", "polynomial_decay", "step", "tri_stage", "triangular"]


def _lr(lr, scheduler):
    """fairseq's ``cfg.lr``: a number or a one-element list (``lr[0]``)."""
    if isinstance(lr, (list, tuple)):
        if len(lr) != 1:
            raise ValueError(
                f"lr={V.show(list(lr))}: {scheduler} takes one learning rate (fairseq: 'Cannot use a fixed "
                "learning rate schedule'; use fixed for a list)"
            )
        lr = lr[0]
    return V.value("lr", lr)


def _updates(name, v, *, positive=False):
    return V.steps(name, v, positive=positive)


def _init_lr(warmup_init_lr, default):
    """fairseq's ``warmup_init_lr``: a negative value (the default -1) means ``default``."""
    v = V.value("warmup_init_lr", warmup_init_lr)
    if V.is_plain(v) and v < 0:
        return default
    return v


def _more(name_a, a, name_b, b):
    if V.is_plain(a) and V.is_plain(b) and not a > b:
        raise ValueError(f"{name_a}={V.show(a)}: must be more than {name_b}={V.show(b)}")


def inverse_sqrt(warmup_updates=4000, warmup_init_lr=-1.0, lr=0.25) -> Schedule:
    r"""fairseq ``inverse_sqrt``: linear warmup, then decay with the inverse square root of the update.

    .. math::
        \mathrm{lr}(k) = \begin{cases}
        \mathrm{init} + k\, (\mathrm{lr} - \mathrm{init}) / W & k < W \\
        \mathrm{lr} \sqrt{W / k} & k \ge W \end{cases}

    ``init`` is ``warmup_init_lr``, or 0 when it is negative (fairseq's default -1).
    ``warmup_updates`` must be > 0 (fairseq divides by it).

    Args:
        warmup_updates: warmup length ``W`` (> 0).
        warmup_init_lr: the lr at update 0 (negative: 0).
        lr: the peak lr, reached at update ``W``.

    Example:
        >>> from lrsched.compat import fairseq
        >>> s = fairseq.inverse_sqrt(warmup_updates=100, lr=1.0)
        >>> s(0), s(50), s(100), s(400)
        (0.0, 0.5, 1.0, 0.5)
    """
    lr = _lr(lr, "inverse_sqrt")
    w = _updates("warmup_updates", warmup_updates, positive=True)
    init = _init_lr(warmup_init_lr, 0.0)
    return warmup(_inverse_sqrt(lr, w), w, start=init)


def cosine(
    warmup_updates=0,
    warmup_init_lr=-1.0,
    lr=0.25,
    min_lr=0.0,
    t_mult=1.0,
    lr_period_updates=-1.0,
    lr_shrink=0.1,
    max_update=0,
) -> Schedule:
    r"""fairseq ``cosine`` (``cosine_lr_scheduler.py``): warmup, then cosine cycles that shrink.

    After ``warmup_updates`` updates of linear warmup from ``init`` to ``lr``, with
    ``c = k - warmup_updates`` falling in cycle ``i`` (length ``P * t_mult**i``, position
    ``t_curr``):

    .. math::
        \mathrm{lr}(k) = s^{i} \left(\mathrm{min\_lr} + \tfrac12 (\mathrm{lr} - \mathrm{min\_lr})
        (1 + \cos(\pi\, t_{curr} / t_i))\right), \qquad s = \text{lr\_shrink}

    There is no end: after each period the cosine restarts, from ``lr * lr_shrink**i`` (with
    fairseq's default ``lr_shrink=0.1`` the restart is ten times lower). ``P`` is
    ``lr_period_updates``, or ``max_update - warmup_updates`` when that is <= 0 (the default -1).
    ``init`` is ``warmup_init_lr``, or ``min_lr`` when negative.

    This is the current fairseq config (``lr`` is the top, ``min_lr`` the bottom); the old
    command line had ``--max-lr`` for the top and ``--lr`` for the bottom. With a non-integer
    ``t_mult`` fairseq finds the cycle with a floating-point logarithm that can land one cycle
    early exactly at a restart; lrsched finds it exactly. ``t_mult`` must be >= 1.

    Args:
        warmup_updates: warmup length (0: none).
        warmup_init_lr: the lr at update 0 of the warmup (negative: ``min_lr``).
        lr: the top of the first cycle (must be more than ``min_lr``).
        min_lr: the bottom of the first cycle.
        t_mult: growth of each period (>= 1).
        lr_period_updates: the first period (<= 0: from ``max_update``).
        lr_shrink: the factor per cycle on the whole cosine.
        max_update: the training length, used only when ``lr_period_updates <= 0``.

    Example:
        >>> from lrsched.compat import fairseq
        >>> s = fairseq.cosine(lr=1.0, lr_period_updates=100, lr_shrink=0.5)
        >>> [round(s(k), 12) for k in (0, 50, 100, 150)]
        [1.0, 0.5, 0.5, 0.25]
    """
    lr = _lr(lr, "cosine")
    min_lr = V.value("min_lr", min_lr)
    _more("lr", lr, "min_lr", min_lr)
    w = _updates("warmup_updates", warmup_updates)
    init = _init_lr(warmup_init_lr, min_lr)
    period = V.steps("lr_period_updates", lr_period_updates, allow_negative=True)
    if period <= 0:
        max_update = V.steps("max_update", max_update)
        period = max_update - w
        if not period > 0:
            raise ValueError(
                f"lr_period_updates={V.show(lr_period_updates)}, max_update={V.show(max_update)}: set lr_period_updates, "
                f"or max_update > warmup_updates={V.show(w)}"
            )
    if isinstance(t_mult, bool) or not isinstance(t_mult, numbers.Real):
        raise TypeError(f"t_mult={V.show(t_mult)}: expected a real number, got {type(t_mult).__name__}")
    if not float(t_mult) >= 1.0:
        raise ValueError(f"t_mult={V.show(t_mult)}: must be a number >= 1")
    lr_shrink = V.value("lr_shrink", lr_shrink)
    with V.renamed(period_mult="t_mult"):
        body = cycle(ramp(lr, min_lr, period, "cosine"), period, period_mult=t_mult, decay=lr_shrink)
    return warmup(body, w, start=init)


def polynomial_decay(
    warmup_updates=0,
    force_anneal=None,
    end_learning_rate=0.0,
    zero_lr_warmup_steps=0,
    power=1.0,
    total_num_update=1000000,
    lr=0.25,
) -> Schedule:
    r"""fairseq ``polynomial_decay``: zero phase, linear warmup, polynomial decay to ``end_learning_rate``.

    With ``Z = zero_lr_warmup_steps``, ``W = warmup_updates``, ``T = total_num_update``, the
    branches of ``step_update(k)`` in their order:

    .. math::
        \mathrm{lr}(k) = \begin{cases}
        0 & Z > 0,\ k \le Z \\
        \mathrm{lr}\, (k - Z) / W & W > 0,\ k \le W + Z \\
        \mathrm{end} & k \ge T \\
        \mathrm{end} + (\mathrm{lr} - \mathrm{end}) \left(1 - \frac{k - W - Z}{T - W - Z}\right)^{p} & \text{otherwise}
        \end{cases}

    With a warmup, update 0 runs with lr 0 (``step_update(0)``), as in fairseq. Per-epoch lr
    lists and ``force_anneal`` (which restarts the decay from the optimizer's running lr at
    each epoch) are not supported. fairseq's config defaults ``total_num_update`` to
    ``max_update``; here it defaults to the old command-line default, 1000000.

    Args:
        warmup_updates: warmup length ``W`` (0: none).
        force_anneal: must be ``None``.
        end_learning_rate: the value from ``T`` on.
        zero_lr_warmup_steps: leading updates at lr 0 (0: none).
        power: the decay exponent ``p`` (> 0).
        total_num_update: ``T``, where the decay ends (> 0).
        lr: the peak lr.

    Example:
        >>> from lrsched.compat import fairseq
        >>> s = fairseq.polynomial_decay(warmup_updates=10, total_num_update=110, lr=1.0)
        >>> s(0), s(5), s(10), s(60), s(110)
        (0.0, 0.5, 1.0, 0.5, 0.0)
    """
    if force_anneal is not None:
        raise ValueError(
            f"force_anneal={V.show(force_anneal)}: fairseq then restarts the decay from the optimizer's "
            "current lr at each epoch; that running state is not a schedule, so it is not supported"
        )
    lr = _lr(lr, "polynomial_decay")
    end = V.value("end_learning_rate", end_learning_rate)
    w = _updates("warmup_updates", warmup_updates)
    z = _updates("zero_lr_warmup_steps", zero_lr_warmup_steps)
    total = V.steps("total_num_update", total_num_update, positive=True)
    power = V.value("power", power)
    d = total - w - z
    pieces: list[Schedule] = []
    bounds: list = []
    if w > 0:
        if z > 0:
            pieces.append(constant(0.0))
            bounds.append(z)
        pieces.append(linear(0.0, lr, w))  # reaches lr at k = z + w
        start = z + w
    elif z > 0:
        pieces.append(constant(0.0))  # k <= z
        start = z + 1
    else:
        start = 0
    if d > 0:
        decay = ramp(lr, end, d, "polynomial", power=power)
        if w == 0 and z > 0:
            decay = shift(decay, -1)  # it starts at k = z + 1, one update into the decay
        pieces.append(decay)
    else:
        if w > 0:
            start += 1  # k = z + w is still the warmup's last update
        pieces.append(constant(end))
    if pieces[1:]:
        bounds.append(start)
    return join(pieces, bounds)


def tri_stage(
    warmup_steps=0,
    hold_steps=0,
    decay_steps=0,
    phase_ratio=None,
    init_lr_scale=0.01,
    final_lr_scale=0.01,
    max_update=0,
    lr=0.25,
) -> Schedule:
    r"""fairseq ``tri_stage``: linear warmup from ``lr * init_lr_scale``, hold ``lr``, exponential
    decay to ``lr * final_lr_scale``, then hold that.

    .. math::
        \mathrm{lr}(k) = \begin{cases}
        \mathrm{init} + k\, (\mathrm{lr} - \mathrm{init}) / W & k < W \\
        \mathrm{lr} & W \le k < W + H \\
        \mathrm{lr} \cdot f^{(k - W - H) / D} & W + H \le k \le W + H + D \\
        \mathrm{lr} \cdot f & \text{after}
        \end{cases}

    (fairseq writes the decay as ``exp(log(f) / D * (k - W - H))``). With ``phase_ratio``
    the three lengths are ``int(max_update * ratio)``; the ratios must add up to 1 (checked to
    1e-9, where fairseq compares floats exactly). ``decay_steps`` must end up > 0, since fairseq
    divides by it. This is :func:`lrsched.tri_stage`.

    Args:
        warmup_steps: ``W``.
        hold_steps: ``H``.
        decay_steps: ``D`` (> 0).
        phase_ratio: three fractions of ``max_update``, or ``None``.
        init_lr_scale: the warmup's start as a fraction of ``lr``.
        final_lr_scale: ``f``, the end as a fraction of ``lr`` (> 0).
        max_update: the training length, used with ``phase_ratio``.
        lr: the peak lr.

    Example:
        >>> from lrsched.compat import fairseq
        >>> s = fairseq.tri_stage(10, 10, 10, final_lr_scale=0.25, lr=1.0)
        >>> s(0), s(10), s(25), s(30), s(99)
        (0.01, 1.0, 0.5, 0.25, 0.25)
    """
    lr = _lr(lr, "tri_stage")
    if phase_ratio is not None:
        if isinstance(phase_ratio, (str, bytes)) or not isinstance(phase_ratio, (list, tuple)) or len(phase_ratio) != 3:
            raise TypeError(f"phase_ratio={V.show(phase_ratio)}: expected three fractions (warmup, hold, decay)")
        ratios = [V.value(f"phase_ratio[{i}]", r, nonneg=True) for i, r in enumerate(phase_ratio)]
        if not abs(sum(ratios) - 1.0) <= 1e-9:
            raise ValueError(f"phase_ratio={V.show(list(phase_ratio))}: the ratios must add up to 1")
        max_update = V.steps("max_update", max_update, positive=True)
        w, h, d = (int(max_update * r) for r in ratios)
    else:
        w = _updates("warmup_steps", warmup_steps)
        h = _updates("hold_steps", hold_steps)
        d = _updates("decay_steps", decay_steps)
    if not d > 0:
        raise ValueError(f"decay_steps={V.show(d)}: must be > 0 (fairseq divides by it)")
    with V.renamed(peak="lr", init_scale="init_lr_scale", final_scale="final_lr_scale"):
        return _tri_stage(lr, w, h, d, init_scale=init_lr_scale, final_scale=final_lr_scale)


def triangular(max_lr, lr_period_updates=5000.0, lr_shrink=0.1, shrink_min=False, lr=0.25) -> Schedule:
    r"""fairseq ``triangular``: triangles between ``lr`` and ``max_lr``, shrinking each cycle.

    With ``s = lr_period_updates // 2``, cycle ``c = k // (2 s)`` and ``x`` the position in the
    triangle (0 at the cycle's start and end, 1 at its middle):

    .. math::
        \mathrm{lr}(k) = \mathrm{low}_c + (\mathrm{max\_lr}\, r^{c} - \mathrm{low}_c)\, x, \qquad
        \mathrm{low}_c = \mathrm{lr}\, r^{c} \text{ if shrink\_min else } \mathrm{lr}

    with ``r = lr_shrink``. The first update runs at ``lr`` and the top is reached at ``s``.

    Args:
        max_lr: the top of the first triangle (more than ``lr``).
        lr_period_updates: one cycle's length; its half is floored, as in fairseq (>= 2).
        lr_shrink: the factor per cycle on the top.
        shrink_min: shrink the bottom too.
        lr: the bottom.

    Reference: Smith, *Cyclical Learning Rates for Training Neural Networks*,
    https://arxiv.org/abs/1506.01186.

    Example:
        >>> from lrsched.compat import fairseq
        >>> s = fairseq.triangular(1.0, lr_period_updates=20, lr_shrink=0.5, lr=0.0)
        >>> s(0), s(5), s(10), s(20), s(30)
        (0.0, 0.5, 1.0, 0.0, 0.5)
    """
    lr = _lr(lr, "triangular")
    max_lr = V.value("max_lr", max_lr)
    _more("max_lr", max_lr, "lr", lr)
    period = V.steps("lr_period_updates", lr_period_updates, positive=True)
    half = int(period // 2)
    if half < 1:
        raise ValueError(f"lr_period_updates={V.show(lr_period_updates)}: must be >= 2 (fairseq divides by its half)")
    lr_shrink = V.value("lr_shrink", lr_shrink)
    if not isinstance(shrink_min, bool):
        raise TypeError(f"shrink_min={V.show(shrink_min)}: expected a bool")

    def tri(a, b):  # a at the ends, b at the middle
        return join([linear(a, b, half), linear(b, a, half)], [half])

    if shrink_min:
        return cycle(tri(lr, max_lr), 2 * half, decay=lr_shrink)
    # the bottom stays: low * (1 - x) + top_c * x, as two cycles
    return cycle(tri(lr, 0.0), 2 * half) + cycle(tri(0.0, max_lr), 2 * half, decay=lr_shrink)


def step(
    warmup_updates=0,
    warmup_init_lr=-1.0,
    lr=0.25,
    min_lr=0.0,
    lr_deacy_period=25000,
    lr_decay=0.5,
) -> Schedule:
    r"""fairseq ``step`` (``step_lr_scheduler.py``): warmup, then decay by ``lr_decay`` every period.

    .. math::
        \mathrm{lr}(k) = \begin{cases}
        \mathrm{init} + k\, (\mathrm{lr} - \mathrm{init}) / W & k < W \\
        \max\left(\mathrm{lr} \cdot d^{\lfloor (k - W) / P \rfloor}, \mathrm{min\_lr}\right) & k \ge W
        \end{cases}

    ``lr_deacy_period`` keeps fairseq's spelling. ``init`` is ``warmup_init_lr``, or ``min_lr``
    when negative.

    Args:
        warmup_updates: warmup length ``W`` (0: none).
        warmup_init_lr: the lr at update 0 of the warmup (negative: ``min_lr``).
        lr: the lr after the warmup (more than ``min_lr``).
        min_lr: the floor (>= 0).
        lr_deacy_period: the period ``P`` (> 0).
        lr_decay: the factor ``d`` per period, in (0, 1].

    Example:
        >>> from lrsched.compat import fairseq
        >>> s = fairseq.step(lr=1.0, min_lr=0.2, lr_deacy_period=10, lr_decay=0.5)
        >>> s(9), s(10), s(20), s(30)
        (1.0, 0.5, 0.25, 0.2)
    """
    lr = _lr(lr, "step")
    min_lr = V.value("min_lr", min_lr, nonneg=True)
    _more("lr", lr, "min_lr", min_lr)
    w = _updates("warmup_updates", warmup_updates)
    init = _init_lr(warmup_init_lr, min_lr)
    period = V.steps("lr_deacy_period", lr_deacy_period, positive=True)
    decay = V.value("lr_decay", lr_decay, positive=True)
    if V.is_plain(decay) and decay > 1.0:
        raise ValueError(f"lr_decay={V.show(decay)}: must be <= 1")
    body = clip(exponential(lr, decay, period, staircase=True), min=min_lr)
    return warmup(body, w, start=init)


def fixed(force_anneal=None, lr_shrink=0.1, warmup_updates=0, lr=0.25, *, updates_per_epoch=None) -> Schedule:
    r"""fairseq ``fixed``: a per-epoch lr list, an optional forced annealing, and a warmup factor.

    In epoch ``e`` (fairseq counts epochs from 1) the lr is

    .. math::
        \mathrm{lr}_e = \begin{cases}
        \mathrm{lr}[\min(e - 1, n - 1)] & \text{no force\_anneal, or } e < \text{force\_anneal} \\
        \mathrm{lr}[n - 1] \cdot s^{\,e + 1 - \text{force\_anneal}} & e \ge \text{force\_anneal}
        \end{cases}

    (the first annealed epoch is already shrunk once), set by ``step_begin_epoch``; each update
    ``k`` then uses ``lr_e * min((k + 1) / W, 1)`` with ``W = warmup_updates`` (note the
    ``k + 1``: unlike ``polynomial_decay``, the first update is not at lr 0).

    The epoch part needs the number of updates per epoch, which fairseq learns from its data
    loader: pass ``updates_per_epoch`` whenever ``lr`` has several entries or ``force_anneal``
    is set (update ``k`` is in epoch ``k // updates_per_epoch + 1``).

    Args:
        force_anneal: the epoch from which the lr shrinks by ``lr_shrink`` per epoch, or ``None``.
        lr_shrink: the factor per epoch after ``force_anneal`` (> 0).
        warmup_updates: warmup length ``W`` (0: none).
        lr: the lr of each epoch from the first (a number or a list; the last entry holds).
        updates_per_epoch: updates per epoch (an int > 0), needed for a per-epoch lr.

    Example:
        >>> from lrsched.compat import fairseq
        >>> s = fairseq.fixed(force_anneal=3, lr_shrink=0.5, lr=[1.0, 0.8], updates_per_epoch=10)
        >>> s(0), s(10), s(20), s(30)
        (1.0, 0.8, 0.4, 0.2)
    """
    lrs = list(lr) if isinstance(lr, (list, tuple)) else [lr]
    if not lrs:
        raise ValueError("lr=[]: needs at least one learning rate")
    lrs = [V.value(f"lr[{i}]", v) for i, v in enumerate(lrs)]
    w = _updates("warmup_updates", warmup_updates)
    if force_anneal is None:
        pieces = [constant(v) for v in lrs]  # epoch j (from 0) uses lr[min(j, n - 1)]
        bounds = list(range(1, len(lrs)))
    else:
        fa = V.steps("force_anneal", force_anneal, allow_negative=True, allow_float=False)
        shrink = V.value("lr_shrink", lr_shrink, positive=True)
        j0 = max(fa - 1, 0)  # the first annealed epoch, counted from 0
        m = min(len(lrs), j0)
        pieces = [constant(v) for v in lrs[:m]]  # the last one holds until j0
        bounds = list(range(1, m)) + ([j0] if m else [])
        pieces.append(exponential(lrs[-1] * shrink ** (j0 + 2 - fa), shrink, staircase=True))
    epochs = join(pieces, bounds)
    if len(pieces) > 1 or force_anneal is not None:
        if updates_per_epoch is None:
            raise ValueError(
                "updates_per_epoch=None: this fixed schedule changes per epoch; give the number of updates per epoch"
            )
        epochs = per_epoch(epochs, updates_per_epoch)
    elif updates_per_epoch is not None:
        V.steps("updates_per_epoch", updates_per_epoch, positive=True, allow_float=False)
    if w == 0:
        return epochs
    return shift(linear(0.0, 1.0, w), -1) * epochs
