"""Keras 3's learning-rate schedules (``keras.optimizers.schedules``) as lrsched schedules.

Each class becomes a snake_case function with the class's parameter names, order and defaults
(``ExponentialDecay(...)`` is ``exponential_decay(...)``); ``schedule(k)`` equals the Keras
object called on step ``k``. ``name`` is accepted for drop-in use and ignored (it names Keras
ops). The formulas are those of ``keras/src/optimizers/schedules/learning_rate_schedule.py``.

Two Keras conventions differ from optax's and bite when porting:

* ``piecewise_constant_decay`` keeps ``values[i]`` while ``step <= boundaries[i]``: the switch
  happens at ``boundaries[i] + 1`` (optax switches at the boundary itself).
* ``cosine_decay``'s ``decay_steps`` does not count its warmup: the decay ends at
  ``warmup_steps + decay_steps`` (optax's ``warmup_cosine_decay_schedule`` counts it).

Keras does not check most arguments; these functions raise where Keras would silently give NaN,
an infinity or a schedule that runs backwards (each case is in the function's docstring).
"""

from __future__ import annotations

from .. import _validate as V
from .._combinators import join, shift, warmup
from .._cycle import cycle as _cycle
from .._node import Schedule, constant
from .._primitives import exponential, inverse_time, ramp

__all__ = [
    "cosine_decay",
    "cosine_decay_restarts",
    "exponential_decay",
    "inverse_time_decay",
    "piecewise_constant_decay",
    "polynomial_decay",
]


def _name(name):
    if not isinstance(name, str):
        raise TypeError(f"name={V.show(name)}: expected a string")


def _bool(name, v):
    if not isinstance(v, bool):
        raise TypeError(f"{name}={V.show(v)}: expected a bool")
    return v


def exponential_decay(
    initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"
) -> Schedule:
    r"""``initial_learning_rate * decay_rate ** (step / decay_steps)`` (Keras ``ExponentialDecay``).

    Args:
        initial_learning_rate: the value at step 0.
        decay_steps: steps per factor ``decay_rate`` (> 0, as Keras requires).
        decay_rate: the factor (> 0; Keras gives NaN for a negative one).
        staircase: decay in whole multiples of ``decay_steps``.
        name: ignored.

    Example:
        >>> from lrsched.compat import keras as kc
        >>> s = kc.exponential_decay(1.0, 10, 0.5, staircase=True)
        >>> s(9), s(10), s(25)
        (1.0, 0.5, 0.25)
    """
    _name(name)
    decay_steps = V.steps("decay_steps", decay_steps, positive=True)
    decay_rate = V.value("decay_rate", decay_rate, positive=True)
    with V.renamed(start="initial_learning_rate"):
        return exponential(initial_learning_rate, decay_rate, decay_steps, staircase=_bool("staircase", staircase))


def piecewise_constant_decay(boundaries, values, name="PiecewiseConstant") -> Schedule:
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i + 1]`` while
    ``boundaries[i] < step <= boundaries[i + 1]``, ``values[-1]`` after (Keras ``PiecewiseConstantDecay``).

    For integer steps each value takes over at ``boundaries[i] + 1``; this is a
    :func:`lrsched.join` of constants with those boundaries.

    Args:
        boundaries: integer steps >= 0, non-decreasing (Keras does not sort them and sums
            overlapping ranges; this raises instead).
        values: ``len(boundaries) + 1`` values.
        name: ignored.

    Example:
        >>> from lrsched.compat import keras as kc
        >>> s = kc.piecewise_constant_decay([100, 200], [1.0, 0.5, 0.1])
        >>> s(100), s(101), s(200), s(201)
        (1.0, 0.5, 0.5, 0.1)
    """
    _name(name)
    if isinstance(boundaries, (str, bytes)) or not hasattr(boundaries, "__len__"):
        raise TypeError(f"boundaries={V.show(boundaries)}: expected a list of steps")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"values={V.show(values)}: expected a list of values")
    if len(boundaries) != len(values) - 1:
        raise ValueError(
            f"boundaries={V.show(list(boundaries))}: needs len(values) - 1 = {len(values) - 1} entries, got {len(boundaries)}"
        )
    bounds = []
    for i, b in enumerate(boundaries):
        b = V.steps(f"boundaries[{i}]", b)
        if not isinstance(b, int):
            raise TypeError(f"boundaries[{i}]={V.show(b)}: expected an integer step")
        bounds.append(b + 1)  # Keras: the next value once step > boundary
    pieces = [constant(V.value(f"values[{i}]", v)) for i, v in enumerate(values)]
    return join(pieces, bounds)


def polynomial_decay(
    initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False, name="PolynomialDecay"
) -> Schedule:
    r"""Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` (Keras ``PolynomialDecay``).

    .. math:: v(k) = (I - E) \left(1 - \frac{\min(k, D)}{D}\right)^{p} + E

    With ``cycle=True``, ``D`` becomes ``decay_steps * ceil(k / decay_steps)`` (1 at step 0): the
    value falls to ``E`` at every multiple ``m * decay_steps`` and jumps back up after it, each
    time to a lower value. Writing ``m = ceil(k / decay_steps)`` and ``j = k - (m - 1) * decay_steps``,
    ``(1 - k / (m D))^p = m^{-p} ((D - j) / D)^p``, so the cycling form is a restarted polynomial
    ramp (:func:`lrsched.cycle`) times the staircase ``m^{-p}`` (:func:`lrsched.inverse_time` with
    ``power=p``), after the first step. It matches Keras at integer steps.

    Args:
        initial_learning_rate: value at step 0.
        decay_steps: length of the decay (> 0, as Keras requires).
        end_learning_rate: the final value.
        power: exponent of the decay (> 0; Keras gives an infinity at the end for a negative one).
        cycle: restart as described above.
        name: ignored.

    Example:
        >>> from lrsched.compat import keras as kc
        >>> s = kc.polynomial_decay(1.0, 10, 0.0, power=2.0)
        >>> s(5), s(10), s(20)
        (0.25, 0.0, 0.0)
        >>> c = kc.polynomial_decay(1.0, 10, 0.0, cycle=True)
        >>> c(10), c(15)
        (0.0, 0.25)
    """
    _name(name)
    decay_steps = V.steps("decay_steps", decay_steps, positive=True)
    initial = V.value("initial_learning_rate", initial_learning_rate)
    end = V.value("end_learning_rate", end_learning_rate)
    if not _bool("cycle", cycle):
        return ramp(initial, end, decay_steps, "polynomial", power=power)
    # k >= 1 (re-based by the join to t = k - 1): window c = t // D, step j = t - c * D + 1 in it
    restart = _cycle(shift(ramp(1.0, 0.0, decay_steps, "polynomial", power=power), -1), decay_steps)
    stair = inverse_time(1.0, 1.0, decay_steps, staircase=True, power=power)
    return join([constant(initial), (initial - end) * (restart * stair) + end], [1])


def inverse_time_decay(
    initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"
) -> Schedule:
    r"""``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (Keras ``InverseTimeDecay``).

    Args:
        initial_learning_rate: value at step 0.
        decay_steps: the time unit of ``decay_rate`` (> 0, as Keras requires).
        decay_rate: (>= 0; Keras divides by zero for a negative one).
        staircase: use whole units of ``decay_steps``.
        name: ignored.

    Example:
        >>> from lrsched.compat import keras as kc
        >>> s = kc.inverse_time_decay(1.0, 10, 0.5)
        >>> s(0), s(20)
        (1.0, 0.5)
    """
    _name(name)
    decay_steps = V.steps("decay_steps", decay_steps, positive=True)
    decay_rate = V.value("decay_rate", decay_rate, nonneg=True)
    with V.renamed(start="initial_learning_rate"):
        return inverse_time(initial_learning_rate, decay_rate, decay_steps, staircase=_bool("staircase", staircase))


def cosine_decay(
    initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None, warmup_steps=0
) -> Schedule:
    r"""Cosine decay with an optional linear warmup (Keras 3 ``CosineDecay``).

    Without ``warmup_target``: a half cosine from ``initial_learning_rate`` to
    ``alpha * initial_learning_rate`` over ``decay_steps`` steps. With it: a linear warmup from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps`` steps, then a half cosine
    from ``warmup_target`` to ``alpha * warmup_target`` over ``decay_steps`` more steps (the
    warmup is not counted in ``decay_steps``, unlike optax).

    Args:
        initial_learning_rate: value at step 0.
        decay_steps: length of the cosine (> 0, as Keras requires).
        alpha: the final value as a fraction of the value the cosine starts from.
        name: ignored.
        warmup_target: the value the warmup reaches, or ``None`` for no warmup.
        warmup_steps: warmup length (>= 0; used only with ``warmup_target``).

    Reference: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983; Goyal et al.,
    https://arxiv.org/abs/1706.02677.

    Example:
        >>> from lrsched.compat import keras as kc
        >>> s = kc.cosine_decay(0.0, 100, warmup_target=1.0, warmup_steps=10)
        >>> s(5), s(10), round(s(60), 12), s(110)
        (0.5, 1.0, 0.5, 0.0)
    """
    _name(name)
    decay_steps = V.steps("decay_steps", decay_steps, positive=True)
    warmup_steps = V.steps("warmup_steps", warmup_steps)
    alpha = V.value("alpha", alpha)
    initial = V.value("initial_learning_rate", initial_learning_rate)
    if warmup_target is None:
        return ramp(initial, initial * alpha, decay_steps, "cosine")
    target = V.value("warmup_target", warmup_target)
    return warmup(ramp(target, target * alpha, decay_steps, "cosine"), warmup_steps, start=initial)


def cosine_decay_restarts(
    initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"
) -> Schedule:
    r"""Cosine decay with warm restarts (Keras ``CosineDecayRestarts``, SGDR).

    Cycle ``i`` lasts ``first_decay_steps * t_mul**i`` steps; in it the value goes from
    ``I * (alpha + (1 - alpha) * m_mul**i)`` down to ``I * alpha``:

    .. math:: v = I \left(\alpha + (1 - \alpha)\, m^{i}\, \tfrac12 (1 + \cos \pi f)\right)

    with ``f`` the fraction of cycle ``i`` done. This is :func:`lrsched.cycle` over a cosine,
    plus the floor ``I * alpha``. lrsched finds the cycle index exactly (in integers for an
    integer ``t_mul``); Keras takes the floor of a float logarithm, which can put a step that
    starts a cycle at the end of the previous one when the logarithm rounds down.

    Args:
        initial_learning_rate: ``I``.
        first_decay_steps: the first cycle's length (> 0, as Keras requires).
        t_mul: growth of each cycle's length (>= 1; Keras gives NaN once cycles shorter than
            1 step have all passed for ``t_mul < 1``).
        m_mul: factor on each cycle's amplitude.
        alpha: the floor as a fraction of ``I``.
        name: ignored.

    Reference: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983.

    Example:
        >>> from lrsched.compat import keras as kc
        >>> s = kc.cosine_decay_restarts(1.0, 10, t_mul=2.0, m_mul=0.5)
        >>> s(0), round(s(5), 12), s(10), round(s(20), 12), s(30)
        (1.0, 0.5, 0.5, 0.25, 0.25)
    """
    _name(name)
    first = V.steps("first_decay_steps", first_decay_steps, positive=True)
    t_mul = V.value("t_mul", t_mul)
    if not V.is_plain(t_mul):
        raise TypeError(f"t_mul={V.show(t_mul)}: expected a Python number (it sets the cycle lengths)")
    if t_mul < 1.0:
        raise ValueError(f"t_mul={V.show(t_mul)}: must be >= 1")
    initial = V.value("initial_learning_rate", initial_learning_rate)
    alpha = V.value("alpha", alpha)
    floor = initial * alpha
    wave = ramp(initial - floor, 0.0, first, "cosine")
    with V.renamed(period_mult="t_mul", decay="m_mul"):
        return _cycle(wave, first, period_mult=t_mul, decay=m_mul) + floor
