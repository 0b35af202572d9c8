"""scikit-learn's step-size schedules (``SGDClassifier``/``SGDRegressor`` and the ``sgd`` solver
of ``MLPClassifier``/``MLPRegressor``) as lrsched schedules.

The two families count time differently, and each function says how its counter maps to
lrsched's update count ``k`` (the value used by update ``k``, counting from 0):

* **SGD estimators** (``sklearn/linear_model/_sgd_fast.pyx.tp``, ``_plain_sgd``) update the
  weights once per training sample, with a counter ``t`` that starts at 1 and grows by one per
  sample. So update ``k`` is sample ``k`` and ``t = k + 1``. Across ``fit``/``partial_fit``
  calls ``t`` resumes from the estimator's ``t_`` (which grows by ``n_iter_ * n_samples``);
  to continue a schedule from there, use ``lrsched.shift(s, -(int(est.t_) - 1))``.
* **MLP with** ``solver="sgd"`` (``sklearn/neural_network/_stochastic_optimizers.py``) updates
  once per mini-batch but changes the lr only at the end of each epoch, from ``t_``, the number
  of samples seen so far (``SGDOptimizer.iteration_ends(time_step)``). So these schedules need
  the number of training samples and the batch size, and hold their value through each epoch.
"""

from __future__ import annotations

import math
import numbers

from .. import _validate as V
from .._cycle import per_epoch
from .._node import Schedule
from .._node import constant as _constant
from .._plateau import Plateau
from .._primitives import inverse_time

__all__ = ["adaptive", "constant", "invscaling", "mlp_adaptive", "mlp_invscaling", "optimal", "optimal_t0"]


def constant(eta0=0.01) -> Schedule:
    """``learning_rate="constant"``: ``eta0`` at every update (``learning_rate_init`` for an MLP).

    Args:
        eta0: the step size (> 0).

    Example:
        >>> from lrsched.compat import sklearn
        >>> sklearn.constant(0.05)(1000)
        0.05
    """
    return _constant(V.value("eta0", eta0, positive=True))


# gradient of each SGD loss at y = 1, p = -typw, written from the loss formulas in
# sklearn/linear_model/_sgd_fast.pyx.tp (cy_gradient(y, p)) and sklearn/_loss/loss.py
# (half binomial: expit(p) - y; half squared error: p - y; huber: p - y clipped to +-epsilon).
def _dloss(loss, p, y, eps):
    if loss == "hinge":
        return -y if p * y <= 1.0 else 0.0
    if loss == "perceptron":
        return -y if p * y <= 0.0 else 0.0
    if loss == "squared_hinge":
        z = 1.0 - p * y
        return -2.0 * y * z if z > 0 else 0.0
    if loss == "modified_huber":
        z = p * y
        if z >= 1.0:
            return 0.0
        return 2.0 * (1.0 - z) * -y if z >= -1.0 else -4.0 * y
    if loss == "log_loss":
        return 1.0 / (1.0 + math.exp(-p)) - y
    if loss == "squared_error":
        return p - y
    if loss == "huber":
        d = p - y
        return d if abs(d) <= eps else math.copysign(eps, d)
    if loss == "epsilon_insensitive":
        return -1.0 if y - p > eps else (1.0 if p - y > eps else 0.0)
    # squared_epsilon_insensitive
    z = y - p
    return -2.0 * (z - eps) if z > eps else (2.0 * (-z - eps) if z < -eps else 0.0)


_LOSSES = (
    "hinge",
    "log_loss",
    "modified_huber",
    "squared_hinge",
    "perceptron",
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
)


def _alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha={V.show(alpha)}: expected a Python number (it fixes the schedule's time scale)")
    alpha = float(alpha)
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha={V.show(alpha)}: must be > 0 for learning_rate='optimal'")
    return alpha


def optimal_t0(alpha=0.0001, loss="hinge", epsilon=0.1) -> float:
    r"""scikit-learn's offset ``t0`` (``optimal_init``) for ``learning_rate="optimal"``.

    From ``_plain_sgd``: with ``typw = sqrt(1 / sqrt(alpha))`` (a typical weight norm),

    .. math::
        \eta_0 = \frac{\mathrm{typw}}{\max(1, \ell'(y{=}1, p{=}-\mathrm{typw}))}, \qquad
        t_0 = \frac{1}{\eta_0\, \alpha}

    so that the first sample's step is ``eta_0``. Every loss scikit-learn offers has a gradient
    ``<= 0`` there (the prediction is below the target), so ``t0 = alpha ** -0.75`` for all of
    them; the loss is taken into account anyway, as scikit-learn does.

    Args:
        alpha: the regularization strength (> 0).
        loss: the estimator's ``loss`` name.
        epsilon: the estimator's ``epsilon`` (for the huber and epsilon-insensitive losses).

    Example:
        >>> from lrsched.compat import sklearn
        >>> round(sklearn.optimal_t0(1e-4), 6)
        1000.0
    """
    alpha = _alpha(alpha)
    V.choice("loss", loss, _LOSSES)
    eps = V.value("epsilon", epsilon, nonneg=True)
    typw = math.sqrt(1.0 / math.sqrt(alpha))
    eta0 = typw / max(1.0, _dloss(loss, -typw, 1.0, eps))
    return 1.0 / (eta0 * alpha)


def optimal(alpha=0.0001, t0=None, loss="hinge", epsilon=0.1) -> Schedule:
    r"""``learning_rate="optimal"`` of the SGD estimators (their default for classification).

    .. math:: \eta(k) = \frac{1}{\alpha\, (t_0 + t - 1)} = \frac{1}{\alpha\, (t_0 + k)}

    with ``t = k + 1`` the sample counter (one update per sample) and ``t0`` from
    :func:`optimal_t0` (scikit-learn's heuristic, Bottou's SGD) unless given. This is
    ``lrsched.inverse_time(1 / (alpha * t0), 1.0, t0)``.

    Args:
        alpha: the estimator's ``alpha`` (> 0, a Python number).
        t0: the offset, or ``None`` for scikit-learn's heuristic.
        loss: the estimator's ``loss`` (used by the heuristic).
        epsilon: the estimator's ``epsilon`` (used by the heuristic).

    Reference: Bottou, *Stochastic Gradient Descent Tricks* (2012),
    https://leon.bottou.org/publications/pdf/tricks-2012.pdf.

    Example:
        >>> from lrsched.compat import sklearn
        >>> s = sklearn.optimal(alpha=1e-4, t0=1000.0)
        >>> s(0), s(1000)
        (10.0, 5.0)
    """
    alpha = _alpha(alpha)
    if t0 is None:
        t0 = optimal_t0(alpha, loss, epsilon)
    else:  # the heuristic is not used, its arguments are still checked
        V.choice("loss", loss, _LOSSES)
        V.value("epsilon", epsilon, nonneg=True)
    t0 = V.steps("t0", t0, positive=True)
    return inverse_time(1.0 / (alpha * t0), 1.0, t0)


def _power(name, v):
    v = V.value(name, v)
    if V.is_plain(v) and v < 0:
        raise ValueError(f"{name}={V.show(v)}: must be >= 0 (a growing step size is not supported)")
    return v


def invscaling(eta0=0.01, power_t=0.25) -> Schedule:
    r"""``learning_rate="invscaling"`` of the SGD estimators.

    .. math:: \eta(k) = \frac{\eta_0}{t^{p}} = \frac{\eta_0}{(1 + k)^{p}}

    with ``t = k + 1`` the sample counter (one update per sample). The default ``power_t=0.25``
    is ``SGDRegressor``'s; ``SGDClassifier`` defaults to 0.5. This is
    ``lrsched.inverse_time(eta0, 1.0, power=power_t)``.

    Args:
        eta0: the initial step size (> 0).
        power_t: the exponent (>= 0).

    Example:
        >>> from lrsched.compat import sklearn
        >>> s = sklearn.invscaling(1.0, power_t=0.5)
        >>> s(0), s(3), s(99)
        (1.0, 0.5, 0.1)
    """
    eta0 = V.value("eta0", eta0, positive=True)
    power_t = _power("power_t", power_t)
    if V.is_plain(power_t) and power_t == 0.0:
        return _constant(eta0)
    return inverse_time(eta0, 1.0, power=power_t)


def _batches(n_samples, batch_size):
    n = V.steps("n_samples", n_samples, positive=True, allow_float=False)
    if batch_size == "auto":
        b = min(200, n)
    else:
        b = V.steps("batch_size", batch_size, positive=True, allow_float=False)
        b = min(b, n)  # scikit-learn clips it to n_samples (with a warning)
    return n, -(-n // b)


def mlp_invscaling(learning_rate_init=0.001, power_t=0.5, *, n_samples, batch_size="auto") -> Schedule:
    r"""``learning_rate="invscaling"`` of ``MLPClassifier``/``MLPRegressor`` with ``solver="sgd"``.

    The MLP sets its lr at the end of each epoch from ``t_``, the number of samples seen
    (``learning_rate_init / (t_ + 1) ** power_t``), and keeps it through the next epoch. With
    ``B = ceil(n_samples / batch_size)`` updates per epoch, update ``k`` is in epoch
    ``j = k // B`` (from 0), which starts with ``t_ = j * n_samples``:

    .. math:: \eta(k) = \frac{\eta_0}{(1 + n\, \lfloor k / B \rfloor)^{p}}

    The first epoch runs at ``learning_rate_init``. This is
    ``lrsched.per_epoch(lrsched.inverse_time(learning_rate_init, n_samples, power=power_t), B)``.

    Args:
        learning_rate_init: the first epoch's lr (> 0).
        power_t: the exponent (>= 0).
        n_samples: training samples per epoch (with ``early_stopping``, the training split only).
        batch_size: the estimator's ``batch_size``: an int (clipped to ``n_samples``, as
            scikit-learn does) or ``"auto"`` (``min(200, n_samples)``).

    Example:
        >>> from lrsched.compat import sklearn
        >>> s = sklearn.mlp_invscaling(1.0, 0.5, n_samples=3, batch_size=2)
        >>> s(0), s(1), s(2), s(4)
        (1.0, 1.0, 0.5, 0.3779644730092272)
    """
    eta0 = V.value("learning_rate_init", learning_rate_init, positive=True)
    power_t = _power("power_t", power_t)
    n, per = _batches(n_samples, batch_size)
    if V.is_plain(power_t) and power_t == 0.0:
        return _constant(eta0)
    return per_epoch(inverse_time(eta0, float(n), power=power_t), per)


def _tol(tol):
    if tol is None:
        raise ValueError(
            "tol=None: scikit-learn then never counts an epoch as bad, so the step size never changes; "
            "use constant(eta0)"
        )
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol={V.show(tol)}: expected a real number, got {type(tol).__name__}")
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol={V.show(tol)}: must be a number >= 0")
    return float(tol)


def _no_change(n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n_iter_no_change={V.show(n)}: must be an int >= 1")
    return int(n)


def adaptive(eta0=0.01, n_iter_no_change=5, tol=1e-3, early_stopping=False) -> Plateau:
    """``learning_rate="adaptive"`` of the SGD estimators, as a :class:`lrsched.Plateau`.

    The step size starts at ``eta0`` and is divided by 5 at the end of an epoch once
    ``n_iter_no_change`` epochs in a row have been bad (``_plain_sgd``). An epoch is bad when
    its metric is not better than the best so far by ``tol``: the mean training objective (loss
    plus penalty) is ``> best - tol``, or with ``early_stopping`` the validation score is
    ``< best + tol``; the best is the running minimum (maximum), improvement or not. The count
    restarts after each division. That is ``Plateau(0.2, n_iter_no_change - 1,
    threshold=tol, threshold_mode="abs", rule="sklearn", base=eta0)`` (``mode="max"`` with
    ``early_stopping``), fed once per epoch. Its ``state.level`` is the step size; the counter
    is epochs, whatever the number of updates (samples) in each.

    scikit-learn stops training, instead of dividing, when a division is due and the step size
    is already ``<= 1e-6``; a plateau does not stop anything and keeps dividing.

    Use it as ``ScheduleLR(opt, lrsched.constant(eta0), plateau=adaptive(...))`` with
    ``sched.observe(metric)`` at each epoch's end, or drive it yourself with
    ``state = p.update(state, metric)`` and ``p.apply(state, eta0)``.

    Args:
        eta0: the initial step size (> 0).
        n_iter_no_change: bad epochs in a row that trigger a division (an int >= 1).
        tol: the improvement an epoch must make (>= 0; ``None`` is refused: it disables the rule).
        early_stopping: monitor a validation score (higher is better) instead of the objective.

    Example:
        >>> from lrsched.compat import sklearn
        >>> p = sklearn.adaptive(eta0=0.1, n_iter_no_change=2, tol=0.01)
        >>> state = p.init()
        >>> for objective in [1.0, 0.995, 0.999]:
        ...     state = p.update(state, objective)
        >>> round(p.apply(state, 0.1), 12)
        0.02
    """
    eta0 = V.value("eta0", eta0, positive=True)
    if not V.is_plain(eta0):
        raise TypeError(f"eta0={V.show(eta0)}: expected a Python number (a plateau's base)")
    if not isinstance(early_stopping, bool):
        raise TypeError(f"early_stopping={V.show(early_stopping)}: expected a bool")
    return Plateau(
        0.2,
        _no_change(n_iter_no_change) - 1,
        mode="max" if early_stopping else "min",
        threshold=_tol(tol),
        threshold_mode="abs",
        rule="sklearn",
        base=eta0,
    )


def mlp_adaptive(learning_rate_init=0.001, n_iter_no_change=10, tol=1e-4, early_stopping=False) -> Plateau:
    """``learning_rate="adaptive"`` of ``MLPClassifier``/``MLPRegressor`` (``solver="sgd"``), as a Plateau.

    Like :func:`adaptive`, with the MLP's own count: the lr is divided by 5 when the number of
    bad epochs in a row *exceeds* ``n_iter_no_change`` (``_no_improvement_count >
    n_iter_no_change`` in ``_fit_stochastic``, then ``SGDOptimizer.trigger_stopping``), so one
    epoch later than the SGD estimators. The metric is the epoch's training loss
    (``loss_curve_``), or with ``early_stopping`` the validation score. That is
    ``Plateau(0.2, n_iter_no_change, threshold=tol, threshold_mode="abs", rule="sklearn",
    base=learning_rate_init)``, fed once per epoch; the lr holds through each epoch's updates.

    Training stops instead of dividing once the lr is ``<= 1e-6``; a plateau keeps dividing.

    Args:
        learning_rate_init: the initial lr (> 0).
        n_iter_no_change: bad epochs tolerated; one more triggers a division (an int >= 1).
        tol: the improvement an epoch must make (>= 0).
        early_stopping: monitor the validation score (higher is better) instead of the loss.

    Example:
        >>> from lrsched.compat import sklearn
        >>> p = sklearn.mlp_adaptive(0.1, n_iter_no_change=1, tol=0.01)
        >>> state = p.init()
        >>> for loss in [1.0, 0.995, 0.999]:
        ...     state = p.update(state, loss)
        >>> round(p.apply(state, 0.1), 12)
        0.02
    """
    lr = V.value("learning_rate_init", learning_rate_init, positive=True)
    if not V.is_plain(lr):
        raise TypeError(f"learning_rate_init={V.show(lr)}: expected a Python number (a plateau's base)")
    if not isinstance(early_stopping, bool):
        raise TypeError(f"early_stopping={V.show(early_stopping)}: expected a bool")
    return Plateau(
        0.2,
        _no_change(n_iter_no_change),
        mode="max" if early_stopping else "min",
        threshold=_tol(tol),
        threshold_mode="abs",
        rule="sklearn",
        base=lr,
    )
