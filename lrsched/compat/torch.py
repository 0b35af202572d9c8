"""PyTorch's ``torch.optim.lr_scheduler`` as pure lrsched schedules (torch is never imported).

Each function keeps the scheduler's parameter names and defaults, drops the optimizer and
``last_epoch`` (resuming is ``lrsched.torch.ScheduleLR``'s job) and takes a keyword-only
``lr=1.0``, the param group's initial lr (``cyclic_lr``, ``one_cycle_lr`` keep torch's own).
``schedule(k)`` is what torch's scheduler has set after ``k`` calls of ``scheduler.step()``:
the lr of the ``(k + 1)``-th ``optimizer.step()``. Where torch recurses on the group's current
lr, this is the closed form of the recursion. torch's surprises are kept, each documented.
Reference formulas: PyTorch's ``torch/optim/lr_scheduler.py`` and ``torch/optim/swa_utils.py``.
"""

from __future__ import annotations

import itertools
import numbers
import threading
from collections import Counter

import numpy as np

from .. import _validate as V
from .._combinators import chain, join
from .._cycle import cycle
from .._fn import fn
from .._node import Schedule, constant, schedule_arg
from .._primitives import cosine, exponential, linear, piecewise_constant, ramp
from ._torch_cyclic import _ANNEAL, _callable
from ._torch_cyclic import cyclic_lr as cyclic_lr
from ._torch_cyclic import cyclic_momentum as cyclic_momentum
from ._torch_cyclic import one_cycle_lr as one_cycle_lr
from ._torch_cyclic import one_cycle_momentum as one_cycle_momentum
from ._torch_plateau import reduce_lr_on_plateau as reduce_lr_on_plateau

__all__ = [
    "chained_scheduler",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "cyclic_lr",
    "cyclic_momentum",
    "exponential_lr",
    "lambda_lr",
    "linear_lr",
    "multi_step_lr",
    "multiplicative_lr",
    "one_cycle_lr",
    "one_cycle_momentum",
    "polynomial_lr",
    "reduce_lr_on_plateau",
    "sequential_lr",
    "step_lr",
    "swa_lr",
]


def _times_lr(schedule, lr):
    return schedule if V.is_plain(lr) and lr == 1.0 else schedule * lr


def _factor(name, v, *, low_open=False):
    v = V.value(name, v)
    if V.is_plain(v) and not (0.0 < v <= 1.0 if low_open else 0.0 <= v <= 1.0):
        raise ValueError(f"{name}={V.show(v)}: must be in {'(0, 1]' if low_open else '[0, 1]'}")
    return v


def _schedules(name, schedulers):
    if isinstance(schedulers, Schedule) or not isinstance(schedulers, (list, tuple)):
        raise TypeError(f"{name}={V.show(schedulers)}: expected a list of schedules")
    if not schedulers:
        raise ValueError(f"{name}=[]: needs at least one schedule")
    return [schedule_arg(f"{name}[{i}]", s) for i, s in enumerate(schedulers)]


def lambda_lr(lr_lambda, *, lr=1.0) -> Schedule:
    """torch ``LambdaLR``: ``lr * lr_lambda(k)``.

    ``lr_lambda`` gets a Python int, or a NumPy/JAX array of steps (write it with operators to
    use it under ``jit``). Built on :func:`lrsched.fn`: serialisable after :func:`lrsched.register`.

    Args:
        lr_lambda: ``step -> factor`` (one function; torch's list of one per group is not taken).
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.lambda_lr(lambda k: 0.95**k, lr=0.1)
        >>> s(0), round(s(2), 6)
        (0.1, 0.09025)
    """
    return _times_lr(fn(_callable("lr_lambda", lr_lambda)), V.value("lr", lr))


class _RunningProduct:
    """``lr_lambda(1) * ... * lr_lambda(k)``, multiplied left to right from 1.0.

    Memory stays bounded for any step: the product is kept at the furthest step reached and at
    every ``_every``-th step (at most ``_KEEP`` of those; when full, every other one is dropped
    and the spacing doubles). A step beyond the furthest one continues from it; an earlier step
    continues from the kept product just below it, repeating the same multiplications in the
    same order, so every value is bit-identical to a plain running product. A lock guards the
    kept state, so one instance may be called from several threads.
    """

    _KEEP = 2048

    def __init__(self, lr_lambda, every=4096):
        self.lr_lambda = lr_lambda
        self._every = every
        self._marks = [1.0]  # the product at steps 0, every, 2 * every, ...
        self._step, self._value = 0, 1.0  # the furthest step reached; torch's step 0 leaves the lr alone
        self._lock = threading.Lock()

    def _run(self, j, p, k):
        f = self.lr_lambda
        for i in range(j + 1, k + 1):
            p = p * f(i)
        return p

    def _extend(self, k):
        j, p = self._step, self._value
        while j < k:
            nxt = min(k, (j // self._every + 1) * self._every)
            p = self._run(j, p, nxt)
            j = nxt
            if j % self._every == 0:
                self._marks.append(p)
                if len(self._marks) > self._KEEP:
                    del self._marks[1::2]
                    self._every *= 2
            self._step, self._value = j, p
        return p

    def _from(self, j, p, k):
        """The product at ``k`` from the known product ``p`` at ``j <= k`` (or from a closer one)."""
        if k >= self._step:
            return self._extend(k)
        i = k // self._every
        if i * self._every > j:
            j, p = i * self._every, self._marks[i]
        return self._run(j, p, k)

    def __call__(self, k):
        if isinstance(k, numbers.Real):
            with self._lock:
                return self._from(0, 1.0, int(k))
        try:
            steps = np.floor(np.asarray(k)).astype(np.int64)
        except TypeError:  # a JAX tracer: the product's length is not known when tracing
            raise TypeError(
                "multiplicative_lr: a running product of lr_lambda(1..k) needs concrete steps; "
                "it cannot be traced by jax.jit (use lambda_lr with the product in closed form)"
            ) from None
        unique, where = np.unique(steps, return_inverse=True)
        values = np.empty(unique.shape, dtype=np.float64)
        with self._lock:  # ascending steps: one walk, each continuing from the last
            j, p = 0, 1.0
            for n, k in enumerate(unique.tolist()):
                j, p = k, self._from(j, p, k)
                values[n] = p
        return values[where.reshape(steps.shape)]

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self):
        return f"running_product({getattr(self.lr_lambda, '__qualname__', self.lr_lambda)!r})"


def multiplicative_lr(lr_lambda, *, lr=1.0) -> Schedule:
    """torch ``MultiplicativeLR``: ``lr * lr_lambda(1) * lr_lambda(2) * ... * lr_lambda(k)``.

    As in torch, ``lr_lambda(0)`` is not used at step 0. The running product is multiplied in
    torch's order, so the factor is bit-identical to torch's lr with ``lr=1.0``. A new step costs
    one ``lr_lambda`` call per step past the furthest one reached; memory stays bounded (the
    product is kept at a few thousand checkpoints), and an earlier step is recomputed from the
    checkpoint below it (``lr_lambda`` is then called again for those steps, so it should be
    pure). One schedule may be called from several threads. It works on Python numbers and NumPy
    arrays (fractional steps are floored), not under ``jax.jit`` (write the product in closed
    form with :func:`lambda_lr`), and is built on :func:`lrsched.fn`. A later piece of torch's
    ``SequentialLR`` differs: see :func:`sequential_lr`.

    Args:
        lr_lambda: ``epoch -> factor``, called with Python ints ``1, 2, ...``.
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.multiplicative_lr(lambda k: 0.5, lr=1.0)
        >>> s(0), s(1), s(3)
        (1.0, 0.5, 0.125)
    """
    return _times_lr(fn(_RunningProduct(_callable("lr_lambda", lr_lambda))), V.value("lr", lr))


def step_lr(step_size, gamma=0.1, *, lr=1.0) -> Schedule:
    """torch ``StepLR``: ``lr * gamma ** (k // step_size)``.

    Args:
        step_size, gamma: steps between decays (> 0) and factor per decay (> 0).
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.step_lr(30, gamma=0.1, lr=0.5)
        >>> s(29), s(30), round(s(60), 9)
        (0.5, 0.05, 0.005)
    """
    lr, gamma = V.value("lr", lr), V.value("gamma", gamma, positive=True)
    return exponential(lr, gamma, V.steps("step_size", step_size, positive=True, allow_float=False), staircase=True)


def multi_step_lr(milestones, gamma=0.1, *, lr=1.0) -> Schedule:
    """torch ``MultiStepLR``: ``lr`` times ``gamma`` for every milestone reached (``k >= m``).

    As torch (which keeps milestones in a ``Counter``), a milestone listed ``n`` times decays by
    ``gamma ** n`` at once; a milestone at 0 already applies at step 0; order does not matter.

    Args:
        milestones, gamma: steps (ints >= 0) where the lr is multiplied by ``gamma``, and ``gamma``.
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.multi_step_lr([30, 80, 80], gamma=0.5)
        >>> s(29), s(30), s(80)
        (1.0, 0.5, 0.125)
    """
    if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
        raise TypeError(f"milestones={V.show(milestones)}: expected a list of steps")
    lr, gamma = V.value("lr", lr), V.value("gamma", gamma)
    counts = Counter(V.steps(f"milestones[{i}]", m, allow_float=False) for i, m in enumerate(milestones))
    return piecewise_constant(lr, {m: gamma**n for m, n in sorted(counts.items())})


def constant_lr(factor=1.0 / 3, total_iters=5, *, lr=1.0) -> Schedule:
    """torch ``ConstantLR``: ``lr * factor`` for ``k < total_iters``, then ``lr``.

    Surprise kept: with ``total_iters=0`` torch applies the factor at step 0 and never removes
    it (``lr * factor`` for ever). With ``factor=0`` torch fails at ``total_iters``; here ``lr``.

    Args:
        factor, total_iters: the multiplier (in ``[0, 1]``) and how many steps it lasts.
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.constant_lr(0.5, total_iters=4, lr=0.1)
        >>> s(3), s(4)
        (0.05, 0.1)
    """
    lr, factor = V.value("lr", lr), _factor("factor", factor)
    total_iters = V.steps("total_iters", total_iters, allow_float=False)
    if total_iters == 0:
        return constant(lr * factor)
    return join([constant(lr * factor), constant(lr)], [total_iters])


def linear_lr(start_factor=1.0 / 3, end_factor=1.0, total_iters=5, *, lr=1.0) -> Schedule:
    """torch ``LinearLR``: factor linear from ``start_factor`` to ``end_factor`` in ``total_iters`` steps.

    Surprise kept: with ``total_iters=0`` torch applies ``start_factor`` at step 0 and never
    moves again, so the value is ``lr * start_factor`` for ever (not ``end_factor``).

    Args:
        start_factor, end_factor: factors at step 0 (in ``(0, 1]``) and from ``total_iters`` on.
        total_iters: length of the ramp.
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.linear_lr(0.25, 1.0, total_iters=3, lr=0.4)
        >>> s(0), s(1), s(3), s(9)
        (0.1, 0.2, 0.4, 0.4)
    """
    lr = V.value("lr", lr)
    start_factor = _factor("start_factor", start_factor, low_open=True)
    end_factor = _factor("end_factor", end_factor)
    total_iters = V.steps("total_iters", total_iters, allow_float=False)
    if total_iters == 0:
        return constant(lr * start_factor)
    return linear(lr * start_factor, lr * end_factor, total_iters)


def exponential_lr(gamma, *, lr=1.0) -> Schedule:
    """torch ``ExponentialLR``: ``lr * gamma ** k``.

    Args:
        gamma: factor per step (> 0).
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> T.exponential_lr(0.5, lr=2.0)(3)
        0.25
    """
    return exponential(V.value("lr", lr), V.value("gamma", gamma, positive=True))


def polynomial_lr(total_iters=5, power=1.0, *, lr=1.0) -> Schedule:
    """torch ``PolynomialLR``: ``lr * (1 - min(k, total_iters) / total_iters) ** power``.

    The value reaches 0 at ``total_iters`` and stays there. Surprise kept: with
    ``total_iters=0`` torch never changes the lr, so the value is ``lr`` for ever.

    Args:
        total_iters, power: length of the decay and the polynomial's power (> 0).
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.polynomial_lr(total_iters=4, power=2.0)
        >>> s(0), s(2), s(4), s(9)
        (1.0, 0.25, 0.0, 0.0)
    """
    lr = V.value("lr", lr)
    total_iters = V.steps("total_iters", total_iters, allow_float=False)
    power = V.value("power", power, positive=True)
    if total_iters == 0:
        return constant(lr)
    return ramp(lr, 0.0, total_iters, "polynomial", power=power)


def cosine_annealing_lr(T_max, eta_min=0.0, *, lr=1.0) -> Schedule:
    r"""torch ``CosineAnnealingLR``: ``eta_min + (lr - eta_min) * (1 + cos(pi * k / T_max)) / 2``.

    Surprise kept: the value is **not** held at ``eta_min`` after ``T_max``: torch keeps following
    the cosine, back up to ``lr`` at ``2 * T_max``, with period ``2 * T_max`` (a cycle of the
    half-cosine down joined with the half-cosine up). ``lrsched.cosine`` is the decay that holds.

    Args:
        T_max: half-period: steps from ``lr`` down to ``eta_min`` (> 0).
        eta_min: the lowest value.
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.cosine_annealing_lr(10, lr=1.0)
        >>> [round(s(k), 12) for k in (0, 5, 10, 15, 20)]
        [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    lr, eta_min = V.value("lr", lr), V.value("eta_min", eta_min)
    T_max = V.steps("T_max", T_max, positive=True)
    return cycle(join([cosine(lr, eta_min, T_max), cosine(eta_min, lr, T_max)], [T_max]), 2 * T_max)


def cosine_annealing_warm_restarts(T_0, T_mult=1, eta_min=0.0, *, lr=1.0) -> Schedule:
    """torch ``CosineAnnealingWarmRestarts`` (SGDR): a cosine from ``lr`` towards ``eta_min``,
    restarted after ``T_0`` steps, each cycle ``T_mult`` times longer: within a cycle of length
    ``T_i`` it is ``eta_min + (lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2`` and never quite
    reaches ``eta_min``. This is :func:`lrsched.cycle` of a cosine with ``period_mult=T_mult``.

    Args:
        T_0, T_mult: the first cycle's length (int > 0) and its growth (int >= 1).
        eta_min: the value the cosine heads to.
        lr: the param group's initial lr.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.cosine_annealing_warm_restarts(10, T_mult=2)
        >>> [round(s(k), 12) for k in (5, 10, 20, 30)]
        [0.5, 1.0, 0.5, 1.0]
    """
    lr, eta_min = V.value("lr", lr), V.value("eta_min", eta_min)
    T_0 = V.steps("T_0", T_0, positive=True, allow_float=False)
    T_mult = V.steps("T_mult", T_mult, positive=True, allow_float=False)
    return cycle(cosine(lr, eta_min, T_0), T_0, period_mult=T_mult)


def sequential_lr(schedulers, milestones) -> Schedule:
    """torch ``SequentialLR``: ``schedulers[i + 1]`` takes over at ``milestones[i]``, from its own step 0.

    At a milestone torch restarts the incoming scheduler at its step 0 from the group's initial
    lr, so each piece sees ``k - milestone``: this is :func:`lrsched.join` (build every piece with
    the group's ``lr``). Two later torch pieces read the lr the previous piece left instead: a
    ``MultiplicativeLR`` starts from it times ``lr_lambda(0)``, and ``SWALR`` anneals from it
    (give :func:`swa_lr` ``lr=previous(milestone - 1)``). A later ``ConstantLR`` with
    ``total_iters=0`` restarts at torch's closed form, ``lr``, not ``lr * factor``.

    Args:
        schedulers: the pieces (lrsched schedules, e.g. from this module).
        milestones: ``len(schedulers) - 1`` non-decreasing steps.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.sequential_lr([T.linear_lr(0.5, total_iters=2), T.exponential_lr(0.5)], milestones=[2])
        >>> [s(k) for k in range(5)]
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """
    schedulers = _schedules("schedulers", schedulers)
    if not isinstance(milestones, (list, tuple)):
        raise TypeError(f"milestones={V.show(milestones)}: expected a list of steps")
    if len(milestones) != len(schedulers) - 1:
        raise ValueError(
            f"milestones={V.show(list(milestones))}: needs len(schedulers) - 1 = {len(schedulers) - 1} entries, "
            f"got {len(milestones)}"
        )
    steps = [V.steps(f"milestones[{i}]", m, allow_float=False) for i, m in enumerate(milestones)]
    if any(b < a for a, b in itertools.pairwise(steps)):
        raise ValueError(f"milestones={V.show(list(milestones))}: must be non-decreasing")
    return join(schedulers, steps)


def chained_scheduler(schedulers, *, lr=1.0) -> Schedule:
    """torch ``ChainedScheduler``: every member steps the same param group, one after another.

    Where each member multiplies the group's current lr by its own step-to-step ratio
    (``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``ConstantLR``, ``LinearLR``,
    ``PolynomialLR``, ``MultiplicativeLR``, and ``CosineAnnealingLR`` with ``eta_min=0`` up to
    ``T_max``) torch's lr is ``lr`` times the product of the members' factors, which is what this
    gives: ``product(members) / lr ** (n - 1)``, for members all built with this ``lr``.

    Elsewhere torch's chain is not a product and the values differ: ``LambdaLR``, ``CyclicLR``,
    ``OneCycleLR`` and ``CosineAnnealingWarmRestarts`` set the lr from the initial lr, discarding
    the members before them; ``CosineAnnealingLR`` with ``eta_min != 0`` scales ``lr - eta_min``,
    and past ``T_max`` its restart step adds an amount computed from the initial lr; ``SWALR``
    interpolates towards ``swa_lr``.

    Args:
        schedulers: the members, built with the same ``lr``.
        lr: the param group's initial lr (the one the members were built with).

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.chained_scheduler([T.constant_lr(0.1, total_iters=2, lr=0.5), T.exponential_lr(0.5, lr=0.5)], lr=0.5)
        >>> round(s(1), 12), s(2)
        (0.025, 0.125)
    """
    schedulers = _schedules("schedulers", schedulers)
    lr = V.value("lr", lr)
    product = chain(*schedulers)
    if len(schedulers) == 1 or (V.is_plain(lr) and lr in (0.0, 1.0)):
        return product if len(schedulers) > 1 else schedulers[0]
    return product / lr ** (len(schedulers) - 1)


def swa_lr(swa_lr, anneal_epochs=10, anneal_strategy="cos", *, lr=1.0) -> Schedule:
    r"""torch ``SWALR`` (``torch.optim.swa_utils``): anneals from ``lr`` to ``swa_lr`` over
    ``anneal_epochs`` steps, then holds ``swa_lr``.

    torch writes it as a recursion: each step recovers the lr it started from as
    ``(lr_prev - a_prev * swa_lr) / (1 - a_prev)`` and sets ``swa_lr * a + that * (1 - a)``,
    with ``a = anneal(min(k / anneal_epochs, 1))``; by induction that start is always ``lr``, so

    .. math:: v(k) = \mathrm{lr} + (\mathrm{swa\_lr} - \mathrm{lr})\, a(\min(k / E, 1)), \quad
        a(t) = t \text{ (linear) or } (1 - \cos \pi t) / 2 \text{ (cos)}

    and ``anneal_epochs=0`` gives ``swa_lr`` from step 0. Hand-overs: as a later piece of torch's
    ``SequentialLR`` it anneals from the previous piece's value at ``milestone - 1`` (pass that as
    ``lr``); built at the start and first stepped later by hand (torch's docs example), it starts
    from the lr found then and its first step already uses ``a(1 / E)`` (shift it by ``-1``).

    Args:
        swa_lr, anneal_epochs: the value annealed to, and the anneal's length (int >= 0).
        anneal_strategy: ``"cos"`` or ``"linear"``.
        lr: the lr the anneal starts from.

    Example:
        >>> from lrsched.compat import torch as T
        >>> s = T.swa_lr(0.05, anneal_epochs=4, anneal_strategy="linear", lr=0.25)
        >>> [round(s(k), 12) for k in range(6)]
        [0.25, 0.2, 0.15, 0.1, 0.05, 0.05]
    """
    lr, target = V.value("lr", lr), V.value("swa_lr", swa_lr)
    epochs = V.steps("anneal_epochs", anneal_epochs, allow_float=False)
    return ramp(lr, target, epochs, _ANNEAL[V.choice("anneal_strategy", anneal_strategy, tuple(_ANNEAL))])
