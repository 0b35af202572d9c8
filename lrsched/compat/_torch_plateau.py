"""PyTorch's ``ReduceLROnPlateau`` as an lrsched :class:`~lrsched.Plateau`, quirks included."""

from __future__ import annotations

from .. import _validate as V
from .._plateau import Plateau


def reduce_lr_on_plateau(
    mode="min",
    factor=0.1,
    patience=10,
    threshold=1e-4,
    threshold_mode="rel",
    cooldown=0,
    min_lr=0.0,
    eps=1e-8,
    *,
    lr=1.0,
) -> Plateau:
    """PyTorch's ``ReduceLROnPlateau`` rule, exactly, as a :class:`~lrsched.Plateau`.

    ``ScheduleLR(opt, constant(lr), plateau=reduce_lr_on_plateau(..., lr=lr))`` writes the same
    learning rates as ``ReduceLROnPlateau(opt, ...)`` on a group whose lr is ``lr``. PyTorch's
    rule (``torch/optim/lr_scheduler.py``, ``ReduceLROnPlateau.step``, ``_is_better``,
    ``_reduce_lr``) differs from the native, sign-aware :class:`~lrsched.Plateau` in two ways,
    both kept here:

    * the relative threshold is ``metric < best * (1 - threshold)`` (``mode="min"``) and
      ``metric > best * (1 + threshold)`` (``"max"``), which is not sign-aware: with a negative
      best, a slightly worse metric counts as an improvement;
    * a reduction ``new_lr = max(old_lr * factor, min_lr)`` is applied only when
      ``old_lr - new_lr > eps``, where ``min_lr`` and ``eps`` are in lr units; that is why the
      plateau keeps its running product in lr units, starting at ``lr``.

    A list ``min_lr`` (one floor per param group) has no single-plateau form: build one
    plateau per group and pass them as a list, ``ScheduleLR(opt, ..., plateau=[...])``.

    Args:
        mode: ``"min"`` or ``"max"``.
        factor: the multiplier at each reduction, in ``[0, 1)``.
        patience: bad epochs tolerated before reducing.
        threshold: the improvement margin, >= 0.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: epochs to wait after a reduction.
        min_lr: the lower bound of the lr, >= 0.
        eps: the smallest change of the lr that is applied, >= 0.
        lr: the param group's initial lr (1.0 gives the multiplier).

    Example:
        >>> from lrsched.compat.torch import reduce_lr_on_plateau
        >>> p = reduce_lr_on_plateau(factor=0.5, patience=0, lr=0.1)
        >>> state = p.init()
        >>> for loss in [-1.0, -0.99995]:  # torch counts the second loss as better
        ...     state = p.update(state, loss)
        >>> state.best, p.apply(state, 0.1)
        (-0.99995, 0.1)
    """
    if isinstance(min_lr, (list, tuple)):
        raise TypeError(
            f"min_lr={V.show(min_lr)}: one floor per param group needs one plateau per group; "
            "pass a list of reduce_lr_on_plateau(...) to ScheduleLR(plateau=...)"
        )
    with V.renamed(min_scale="min_lr", base="lr"):
        return _plateau(factor, patience, mode, threshold, threshold_mode, cooldown, min_lr, eps, lr)


def _plateau(factor, patience, mode, threshold, threshold_mode, cooldown, min_lr, eps, lr):
    return Plateau(
        factor,
        patience,
        mode=mode,
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        min_scale=min_lr,
        rule="torch",
        eps=eps,
        base=lr,
    )
