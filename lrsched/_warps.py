"""Step warps: schedules whose clock is bent or counted before the child sees it.

``k_decay`` (timm's polynomial warp of a cycle's clock) and ``decay_count`` (a staircase count
of ``t // decay_t`` that 32-bit steps get exactly). They live in the core, not in
``lrsched.compat.timm``, so their configs load wherever ``lrsched`` is imported.
"""

from __future__ import annotations

import math
from fractions import Fraction

from . import _validate as V
from ._backend import fit
from ._node import PAR, Schedule, concat_roles, schedule_arg


# --------------------------------------------------------------------------------------------
# k-decay: the clock warp of Zhang & Li, used by timm's cosine and poly schedules
# --------------------------------------------------------------------------------------------
class KDecay(Schedule, kind="timm_k_decay", builder="k_decay"):
    _values = ("k",)
    _children = ("schedule",)
    _static = ("steps",)
    _shown_as = "lrsched.compat.timm.k_decay"
    _npos = 3

    def _eval(self, t, xp):
        n = fit(self.steps, t)
        if n is None:  # longer than any step t's integer dtype holds: t < steps throughout
            n = float(self.steps)
            return self.schedule._eval(n * (t / n) ** self.k, xp)
        return self.schedule._eval(n * (xp.minimum(t, n) / n) ** self.k, xp)

    def _phases(self, at):
        # the child sees n * (t / n) ** k for t <= n, then n: its step x is at t = n * (x / n) ** (1 / k);
        # its steps up to n (its phases ending at n included) fall in (0, n]
        n, power = self.steps, self.k
        if type(power) is float:  # a known exponent (not an array leaf)
            at.walk(self.schedule, lambda x: n * (min(x, n) / n) ** (1.0 / power), 0, n, pad=0.5)

    def _roles(self):
        return concat_roles((self.schedule,), [PAR])


def k_decay(schedule, steps, k) -> Schedule:
    r"""Runs ``schedule`` on the warped clock ``steps * (t / steps) ** k`` (``t <= steps``).

    With a ramp of ``steps`` steps inside, its progress ``t / n`` becomes ``(t / n) ** k``:
    that is timm's ``k_decay`` (``t_curr ** k / t_i ** k`` in ``cosine_lr.py`` and
    ``poly_lr.py``). After ``steps`` the clock holds at ``steps``.

    Args:
        schedule: what runs on the warped clock.
        steps: the length of the warped span (> 0).
        k: the exponent (> 0); ``k > 1`` keeps the value high for longer.

    Reference: Zhang & Li, *k-decay: A New Method For Learning Rate Schedule*,
    https://arxiv.org/abs/2004.05909.

    Example:
        >>> import lrsched
        >>> from lrsched.compat.timm import k_decay
        >>> s = k_decay(lrsched.linear(1.0, 0.0, 100), 100, 2.0)
        >>> s(50), s(100)
        (0.75, 0.0)
    """
    schedule_arg("schedule", schedule)
    steps = V.steps("steps", steps, positive=True)
    k = V.value("k", k, positive=True)
    return KDecay._make(schedule=schedule, k=k, steps=steps)


# --------------------------------------------------------------------------------------------
# timm's decay count t // decay_t, the same on every step dtype
# --------------------------------------------------------------------------------------------
_I32 = 2**31  # 32-bit steps (JAX's default int32, and float32) stay below this


def _small_ratio(d):
    """``(p, q, s)`` with ``floor(t / d) == max((t * q - s) // p, 0)`` for every integer
    ``0 <= t < 2**31`` and ``p * q < 2**31``, or ``None`` if no convergent of ``d`` does that.

    ``d`` is the exact value of the float. With ``d <= p / q`` (``s = 0``) the two quotients
    differ only if an integer lies in ``(t q / p, t / d]``; with ``d > p / q`` (``s = 1``, the
    largest integer below ``t q / p``) only if one lies in ``(t / d, t q / p)``. Either gap is
    at least ``1 / p`` from a multiple of ``1 / p``, so ``t * |p - q d| < d`` rules both out.
    """
    x = Fraction(d)
    h0, h1, k0, k1 = 0, 1, 1, 0  # convergents p/q of d by the continued fraction
    r = x
    while True:
        a = r.numerator // r.denominator
        h0, h1, k0, k1 = h1, a * h1 + h0, k1, a * k1 + k0
        p, q = h1, k1
        if p * q >= _I32:
            return None
        if p > 0 and (_I32 - 1) * abs(p - q * x) < x:
            return p, q, 0 if x <= Fraction(p, q) else 1
        if r == a:
            return None
        r = 1 / (r - a)


class DecayCount(Schedule, kind="timm_decay_count", builder="decay_count"):
    _children = ("schedule",)
    _static = ("decay_t",)
    _shown_as = "lrsched.compat.timm.decay_count"
    _npos = 2

    def _count(self, t, xp):
        d = self.decay_t
        dt = getattr(t, "dtype", None)
        if dt is None or dt.itemsize >= 8 or dt.kind not in "if":
            return t // d  # Python's float floor division, or NumPy's and JAX's in float64: the same
        ratio = self.__dict__.get("_ratio", False)
        if ratio is False:
            ratio = self.__dict__["_ratio"] = _small_ratio(d)
        if ratio is None:
            return t // d
        p, q, s = ratio
        u = t // p  # t = u * p + v exactly, in the step's own integers (or float32 integers)
        # past 2**31 / q the count u * q passes int32 (decay_t < 1): then it is a float32, exact to 2**24
        c = (u * q if d >= 1 else u * float(q)) + ((t - u * p) * q - s) // p
        return xp.maximum(c, 0) if s else c

    def _eval(self, t, xp):
        return self.schedule._eval(self._count(t, xp), xp)

    def _phases(self, at):
        d = self.decay_t  # the child sees t // d: its step x starts at t = x * d
        at.walk(self.schedule, lambda x: math.ceil(x) * d)

    def _roles(self):
        return self.schedule._roles()


def decay_count(schedule, decay_t) -> Schedule:
    r"""Runs ``schedule`` on the clock ``t // decay_t``, floored as Python floors a float quotient.

    That is timm's decay count (``t // self.decay_t`` in ``step_lr.py``), exact for a
    fractional ``decay_t`` too: it is ``floor(t / d)`` with ``d`` the exact value of the float
    (so ``11 // 1.1`` is 9). Python steps, NumPy and float64 JAX steps divide in float64, as
    timm does. On 32-bit JAX steps, where ``decay_t`` would become a float32 (2.4 turns into
    2.4000001, and ``12 / 2.4000001`` floors to 4), the count is done in the steps' own
    integers, ``(t * q - s) // p`` with a fraction ``p / q`` close enough to ``decay_t`` that
    every step below ``2**31`` gets the same count. A ``decay_t`` has one when it is within
    ``decay_t / (q * 2**31)`` of a fraction ``p / q`` with ``p * q < 2**31``: short decimals
    (2.4, 0.3, 1.75, 3704.31) and simple fractions (1/3) do; for others (2.123456789) the
    32-bit count is a float32 division, which can be one off next to a decay step. A count
    past 2**31 (``decay_t < 1``, far out) is a float32, exact up to 2**24.

    Args:
        schedule: what runs on the decay count (an ``exponential`` with ``steps=1``).
        decay_t: the period between decays (> 0, an int or a float).

    Example:
        >>> import lrsched
        >>> from lrsched.compat.timm import decay_count
        >>> s = decay_count(lrsched.exponential(1.0, 0.5), 2.4)
        >>> s(11), s(12)
        (0.0625, 0.03125)
    """
    schedule_arg("schedule", schedule)
    decay_t = V.steps("decay_t", decay_t, positive=True)
    return DecayCount._make(schedule=schedule, decay_t=decay_t)
