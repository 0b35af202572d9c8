"""torch's ``CyclicLR`` and ``OneCycleLR``, for the lr and for the momentum they cycle with it.

Part of :mod:`lrsched.compat.torch` (import them from there). Reference formulas: PyTorch's
``torch/optim/lr_scheduler.py``.
"""

from __future__ import annotations

import math
import numbers

from .. import _validate as V
from .._fn import fn
from .._node import Schedule
from .._recipes import _one_cycle_ends, _torch_phases, cyclic, one_cycle

_ANNEAL = {"cos": "cosine", "linear": "linear"}


def _callable(name, f):
    if not callable(f):
        raise TypeError(f"{name}={V.show(f)}: expected a callable (one function: build one schedule per param group)")
    return f


class _ByCycle:
    """``scale_fn(cycle)`` with torch ``CyclicLR``'s 1-based cycle number ``floor(1 + k / total)``."""

    def __init__(self, scale_fn, total):
        self.scale_fn, self.total = scale_fn, total

    def __call__(self, k):
        if isinstance(k, numbers.Real):
            return self.scale_fn(math.floor(1 + k / self.total))
        return self.scale_fn(k // self.total + 1)

    def __repr__(self):
        return f"by_cycle({getattr(self.scale_fn, '__qualname__', self.scale_fn)!r}, {self.total!r})"


def _cyclic(low, high, step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode):
    if scale_fn is None:
        return cyclic(low, high, step_size_up, step_size_down, mode=mode, gamma=gamma)
    _callable("scale_fn", scale_fn)
    V.choice("scale_mode", scale_mode, ("cycle", "iterations"))
    shape = cyclic(0.0, 1.0, step_size_up, step_size_down)  # the triangle 0 -> 1 -> 0
    up = V.steps("step_size_up", step_size_up, positive=True)
    total = up + (up if step_size_down is None else V.steps("step_size_down", step_size_down, positive=True))
    amplitude = fn(scale_fn if scale_mode == "iterations" else _ByCycle(scale_fn, total))
    return shape * amplitude * (high - low) + low


def _momenta(base_momentum, max_momentum):
    """The momentum bounds are checked where the lr ignores them (the momentum schedule uses them)."""
    return V.value("base_momentum", base_momentum), V.value("max_momentum", max_momentum)


def cyclic_lr(
    base_lr,
    max_lr,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
    scale_fn=None,
    scale_mode="cycle",
    cycle_momentum=True,
    base_momentum=0.8,
    max_momentum=0.9,
) -> Schedule:
    """torch ``CyclicLR``: triangles from ``base_lr`` up to ``max_lr`` and back.

    Modes as torch: ``"triangular"``, ``"triangular2"`` (amplitude halved each cycle),
    ``"exp_range"`` (amplitude times ``gamma ** k``). A custom ``scale_fn`` (``mode`` then ignored)
    gets the 1-based cycle number (``scale_mode="cycle"``) or the step (``"iterations"``); it
    must accept arrays for NumPy/JAX steps (built on :func:`lrsched.fn`). torch sets the lr from
    ``base_lr``, so there is no ``lr`` argument.

    Args:
        base_lr, max_lr: the bounds (``base_lr`` at step 0).
        step_size_up, step_size_down: steps up and down (down defaults to up).
        mode, gamma: the amplitude policy and the ``exp_range`` factor per step.
        scale_fn, scale_mode: a custom amplitude policy and what it is evaluated on.
        cycle_momentum, base_momentum, max_momentum: unused here; see :func:`cyclic_momentum`.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.cyclic_lr(0.1, 1.1, step_size_up=5, mode="triangular2")
        >>> s(0), s(5), s(10), s(15)
        (0.1, 1.1, 0.1, 0.6)
    """
    base_lr, max_lr = V.value("base_lr", base_lr), V.value("max_lr", max_lr)
    _momenta(base_momentum, max_momentum)
    return _cyclic(base_lr, max_lr, step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode)


def cyclic_momentum(
    base_lr,
    max_lr,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
    scale_fn=None,
    scale_mode="cycle",
    cycle_momentum=True,
    base_momentum=0.8,
    max_momentum=0.9,
) -> Schedule:
    """The momentum torch ``CyclicLR`` sets (``momentum``, or ``betas[0]`` for Adam-like optimizers).

    It cycles inversely to the lr, from ``max_momentum`` towards ``base_momentum`` where the lr
    peaks, with the same scaling. Drive it with ``ScheduleLR(..., key="momentum")`` (or ``"beta1"``).

    Args:
        base_lr, max_lr, step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode: as
            :func:`cyclic_lr`.
        cycle_momentum: must be ``True`` (with ``False`` torch leaves the momentum alone).
        base_momentum, max_momentum: the momentum at the lr's peak and at its base (step 0).

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.cyclic_momentum(0.1, 1.0, step_size_up=4)
        >>> s(0), round(s(2), 12), s(4)
        (0.9, 0.85, 0.8)
    """
    if cycle_momentum is not True:
        raise ValueError(f"cycle_momentum={V.show(cycle_momentum)}: torch cycles the momentum only when it is True")
    V.value("base_lr", base_lr), V.value("max_lr", max_lr)
    low, high = V.value("max_momentum", max_momentum), V.value("base_momentum", base_momentum)
    return _cyclic(low, high, step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode)


def _one_cycle_args(total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase):
    if total_steps is not None:
        total = V.steps("total_steps", total_steps, positive=True, allow_float=False)
    elif epochs is not None and steps_per_epoch is not None:
        total = V.steps("epochs", epochs, positive=True, allow_float=False) * V.steps(
            "steps_per_epoch", steps_per_epoch, positive=True, allow_float=False
        )
    else:
        raise ValueError(
            f"total_steps={V.show(total_steps)}, epochs={V.show(epochs)}, steps_per_epoch={V.show(steps_per_epoch)}: "
            "give total_steps, or both epochs and steps_per_epoch"
        )
    pct_start = V.value("pct_start", pct_start)
    if V.is_plain(pct_start) and not 0.0 < pct_start < 1.0:
        raise ValueError(f"pct_start={V.show(pct_start)}: must be in (0, 1)")
    if not isinstance(three_phase, bool):
        raise TypeError(f"three_phase={V.show(three_phase)}: expected a bool")
    return total, pct_start, _ANNEAL[V.choice("anneal_strategy", anneal_strategy, tuple(_ANNEAL))]


def one_cycle_lr(
    max_lr,
    total_steps=None,
    epochs=None,
    steps_per_epoch=None,
    pct_start=0.3,
    anneal_strategy="cos",
    cycle_momentum=True,
    base_momentum=0.85,
    max_momentum=0.95,
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
) -> Schedule:
    """torch ``OneCycleLR``: from ``max_lr / div_factor`` up to ``max_lr``, then down to
    ``max_lr / div_factor / final_div_factor``.

    torch's phase ends are kept (this is :func:`lrsched.one_cycle`): the peak at step
    ``pct_start * total_steps - 1``, the end at ``total_steps - 1`` (three-phase: back to the
    start at ``2 * pct_start * total_steps - 2``), between steps or before step 0 as they fall.
    Past ``total_steps - 1`` the value holds, where torch raises on a further step (the lr it
    sets at ``total_steps``, after the last update, extrapolates the anneal). Settings where
    torch's phases overlap (``three_phase`` with ``pct_start > 0.5``) raise ``ValueError``.

    Args:
        max_lr: the peak.
        total_steps, epochs, steps_per_epoch: ``total_steps``, or ``epochs * steps_per_epoch``.
        pct_start: fraction of the cycle spent going up, in ``(0, 1)``.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        cycle_momentum, base_momentum, max_momentum: unused here; see :func:`one_cycle_momentum`.
        div_factor, final_div_factor: ``max_lr / initial lr`` and ``initial lr / final lr``.
        three_phase: go back to the initial lr before the final anneal.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.one_cycle_lr(1.0, total_steps=101, pct_start=0.5, anneal_strategy="linear", div_factor=10.0)
        >>> round(s(0), 9), s(49.5), round(s(100), 9)
        (0.1, 1.0, 1e-05)
    """
    max_lr = V.value("max_lr", max_lr)
    _momenta(base_momentum, max_momentum)
    total, pct_start, anneal = _one_cycle_args(
        total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase
    )
    return one_cycle(
        max_lr,
        total,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        anneal=anneal,
        three_phase=three_phase,
    )


def one_cycle_momentum(
    max_lr,
    total_steps=None,
    epochs=None,
    steps_per_epoch=None,
    pct_start=0.3,
    anneal_strategy="cos",
    cycle_momentum=True,
    base_momentum=0.85,
    max_momentum=0.95,
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
) -> Schedule:
    """The momentum torch ``OneCycleLR`` sets (``momentum``, or ``betas[0]`` for Adam-like optimizers).

    It moves inversely to the lr, with its phases and anneal: ``max_momentum`` down to
    ``base_momentum`` at the lr's peak, then back (three-phase: back in the second phase).

    Args:
        max_lr, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, div_factor,
            final_div_factor, three_phase: as :func:`one_cycle_lr`.
        cycle_momentum: must be ``True`` (with ``False`` torch leaves the momentum alone).
        base_momentum, max_momentum: the momentum at the lr's peak and at its ends.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.one_cycle_momentum(1.0, total_steps=101, pct_start=0.5, anneal_strategy="linear")
        >>> s(0), round(s(49.5), 12), round(s(100), 12)
        (0.95, 0.85, 0.95)
    """
    if cycle_momentum is not True:
        raise ValueError(f"cycle_momentum={V.show(cycle_momentum)}: torch cycles the momentum only when it is True")
    V.value("max_lr", max_lr), V.value("div_factor", div_factor), V.value("final_div_factor", final_div_factor)
    total, pct_start, anneal = _one_cycle_args(
        total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase
    )
    top, bottom = V.value("max_momentum", max_momentum), V.value("base_momentum", base_momentum)
    values = [top, bottom, top, top] if three_phase else [top, bottom, top]
    return _torch_phases(values, _one_cycle_ends(total, pct_start, three_phase), anneal)
