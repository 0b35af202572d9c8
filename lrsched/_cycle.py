"""``cycle``: restarts, with cycle starts found exactly (integer tables, or a fixed-point
recurrence for a float ``period_mult``) on every backend; and ``per_epoch``, a schedule on a
clock of epochs."""

from __future__ import annotations

import bisect
import math
import numbers

import jax.numpy as jnp
import numpy as np
from jax import lax

from . import _validate as V
from ._backend import PY, fit, integer_steps, is_traced, python_step
from ._node import Schedule, schedule_arg
from ._quarter_sine import QUARTER_SINE
from ._tables import FEW, dense, layout, pointwise

_MAX_STEP = 2**63  # cycles are tabulated up to here for an integer period_mult > 1


class Cycle(Schedule, kind="cycle"):
    _values = ("decay",)
    _children = ("schedule",)
    _static = ("period", "period_mult", "limit")
    _defaults = {"decay": 1.0}  # no decay is not stored: no leaf, no multiplication
    _npos = 2

    def _table(self):
        """Exact start step and length of each cycle, in Python ints (integer period_mult > 1)."""
        t = self.__dict__.get("_tab")
        if t is None:
            p, m, limit = self.period, self.period_mult, self.limit
            starts, periods = [0], [p]
            while starts[-1] <= _MAX_STEP and (limit is None or len(starts) <= limit):
                starts.append(starts[-1] + periods[-1])
                periods.append(periods[-1] * m)
            t = self.__dict__["_tab"] = (starts, periods)
        return t

    def _float_index(self, k, xp):
        """(cycle index, step within the cycle, cycle length) for a non-integer period_mult."""
        if xp.static:
            tab = self._ftable(k)
            if k >= tab.reach:  # past the tabulated cycles (period_mult very close to 1)
                return _closed_index(self.period, self.period_mult, self.limit, k, xp)
            c = bisect.bisect_right(tab.ceil if integer_steps(k) else tab.fstart, k) - 1
            local, pc = (k - tab.whole[c]) - tab.frac[c], tab.length[c]
            if tab.holds:  # past the last cycle: hold its end
                local = min(local, pc)
            return c, local, pc
        hi = _dtype_max(k)
        integer = hi != math.inf
        if not integer:  # float steps: float starts, tabulated up to 2**63
            hi = _MAX_STEP
        elif not is_traced(k):  # concrete steps: the cycles they reach
            hi = int(k.max()) if k.size else 0
        tab = self._ftable(hi)
        if hi >= tab.reach:
            return _closed_index(self.period, self.period_mult, self.limit, k, xp)
        ceil, whole, frac, fstart, length = tab.arrays(hi)
        if integer:  # k is in cycle c once k >= ceil(start_c); k - whole_c is exact in k's dtype
            c = xp.searchsorted_right(ceil.astype(k.dtype), k) - 1
            local = (k - xp.take(whole.astype(k.dtype), c)).astype(xp.float) - xp.take(frac, c)
        else:
            c = xp.searchsorted_right(fstart.astype(k.dtype), k) - 1
            local = (k - xp.take(whole.astype(k.dtype), c)) - xp.take(frac, c)
        pc = xp.take(length, c)
        if tab.holds:
            local = xp.minimum(local, pc)
        return c, local, pc

    def _ftable(self, hi):
        """The cycle table that covers the steps up to ``hi`` (grown by doubling, then cached)."""
        t = self.__dict__.get("_ftab")
        if t is None or (hi >= t.reach and not t.capped and t.built < _MAX_STEP):
            built = min(max(hi, 2 * t.built if t is not None else 0, 2**16), _MAX_STEP)
            t = self.__dict__["_ftab"] = _CycleTable(self.period, self.period_mult, self.limit, built)
        return t

    def _index(self, k, xp):
        """(cycle index, step within the cycle, cycle length) for ``k >= 0``."""
        p, m, limit = self.period, self.period_mult, self.limit
        if python_step(k):  # a Python step: plain arithmetic, whatever the backend
            xp = PY
        if m == 1:
            q = fit(p, k)
            if q is None:  # a cycle longer than any step k's integer dtype holds: the first one
                return xp.minimum(k, 0), k, p
            if type(p) is float and xp.compiled and integer_steps(k):
                found = _binary_fraction_index(p, limit, k, xp)
                if found is not None:
                    return found
            if limit is not None:
                end = fit(limit * p, k)
                if end is not None:
                    k = xp.minimum(k, end)
                c = xp.minimum(_count(k, q, xp), limit - 1)
            else:
                c = _count(k, q, xp)
            return c, k - c * q, p
        if isinstance(m, int):
            starts, periods = self._table()
            if limit is not None and limit < len(starts):  # (a later limit is past the table's 2**63)
                end = fit(starts[limit], k)
                if end is not None:
                    k = xp.minimum(k, end)
                starts, periods = starts[:limit], periods[:limit]
            if xp.static:
                c = bisect.bisect_right(starts, k) - 1
                return c, k - starts[c], periods[c]
            hi = _dtype_max(k)
            n = sum(1 for s in starts if s <= hi)
            starts, periods = starts[:n], [float(q) for q in periods[:n]]
            if hi == math.inf:  # float steps: a float table (its ints may pass every int dtype)
                starts = [float(s) for s in starts]
            c = xp.searchsorted_right(starts, k) - 1
            return c, k - xp.take(starts, c), xp.take(periods, c)
        return self._float_index(k, xp)

    def _eval(self, k, xp):
        c, local, pc = self._index(k, xp)
        if self.period_mult != 1:
            # exact in Python; next to an array the period is a float (as it would become anyway)
            local = local * ((self.period if type(pc) in (int, float) else float(self.period)) / pc)
        v = self.schedule._eval(local, xp)
        d = self.decay
        if d is None:  # no decay (1.0 given as a Python number is not stored as a leaf)
            return v
        power = getattr(xp, "power_of_count", None)
        return v * (d**c if power is None or python_step(c) else power(d, c))

    def _flat(self, budget):
        # a sawtooth of one integer period: the cycle is the count of whole periods, the step in
        # it what is left
        p = self.period
        if self.period_mult != 1 or not isinstance(p, int) or p > 2**31 - 1:
            return -1
        return self.schedule._flat(budget - 1)

    def _one_loop(self, lay):
        # or a few cycles of growing lengths, each step's cycle selected in the loop
        return super()._one_loop(lay) or (lay is not None and isinstance(lay[0], str) and self.schedule._flat(FEW) >= 0)

    def _repeats(self, lay):
        # whole cycles only: one cycle's values, computed once, repeated (a partial first or last
        # cycle beside them would be a concatenation, which costs more than the formula)
        return lay is not None and not isinstance(lay[0], str) and not lay[0][0] and not lay[2][0]

    def _layout(self, start, n, xp):
        """For cycles of one integer length: (steps left in the cycle the window starts inside, or
        0 at a cycle's start, and its layout; whole cycles, one cycle's layout; steps into the last
        cycle, their layout). None (pointwise) otherwise, or where the window reaches the limit."""
        p = self.period
        if not isinstance(p, int) or p > xp.step_hi:
            return None
        if self.period_mult != 1:
            return self._cycles_touched(start, n)
        if self.limit is not None and start + n > self.limit * p:
            return None
        a = start % p
        head = 0 if a == 0 else min(n, p - a)
        whole, tail = divmod(n - head, p)
        child = self.schedule
        return (
            (head, layout(child, a, head, xp) if head else None),
            (whole, layout(child, 0, p, xp) if whole else None),
            (tail, layout(child, 0, tail, xp) if tail else None),
        )

    def _dense(self, start, n, xp, lay):
        """Every whole cycle is the same values (times ``decay**c``): one cycle is evaluated once
        and repeated, so the window costs a cycle's evaluation and a broadcast, not a formula per step."""
        if lay is None:
            return pointwise(self, start, n, xp)
        if isinstance(lay[0], str):
            return self._dense_cycles(start, n, xp, *lay[1:])
        p, child, d = self.period, self.schedule, self.decay
        (head, hsub), (whole, wsub), (tail, tsub) = lay
        c0 = start // p  # the cycle the window starts in (traced with a traced start)
        a = start - c0 * p
        parts, c = [], c0
        if head:
            parts.append(self._decayed(dense(child, a, head, xp, hsub), c, xp))
            c = c + 1
        if whole:
            one = dense(child, 0, p, xp, wsub)
            fac = xp.full(1.0, whole) if d is None else d ** xp.arange(c, whole)
            parts.append((fac[:, None] * one[None, :]).reshape(-1))
            c = c + whole
        if tail:
            parts.append(self._decayed(dense(child, 0, tail, xp, tsub), c, xp))
        return xp.concat(parts)

    def _cycles_touched(self, start, n):
        """An integer ``period_mult`` > 1: ("cycles", first, last) of the few cycles the window
        touches, or None (pointwise) where they are many, or the window reaches the limit."""
        if not isinstance(self.period_mult, int):
            return None
        starts, _ = self._table()
        first = bisect.bisect_right(starts, start) - 1
        last = bisect.bisect_right(starts, start + n - 1) - 1
        if last + 1 >= len(starts) or (self.limit is not None and last >= self.limit):
            return None
        return ("cycles", first, last) if last - first < FEW else None

    def _dense_cycles(self, start, n, xp, first, last):
        """Cycles ``first .. last`` of growing lengths over the window, in one loop where the
        schedule is one elementwise expression: each step's cycle start, stretch (``period`` over
        the cycle's length) and decay are selected among the few cycles, as for a join of a few
        pieces, and the schedule's formula is taken at the stretched step."""
        child, p, d = self.schedule, self.period, self.decay
        if not xp.compiled or child._flat(FEW) < 0:
            return pointwise(self, start, n, xp)
        starts, periods = self._table()
        k = xp.arange(start, n)
        base, stretch, fac = starts[first], p / periods[first], None if d is None else d**first
        for c in range(first + 1, last + 1):
            at = k >= starts[c]
            base, stretch = xp.where(at, starts[c], base), xp.where(at, p / periods[c], stretch)
            if d is not None:
                fac = xp.where(at, d**c, fac)
        local = (k - base).astype(xp.float) * stretch
        v = child._eval(local, QUARTER_SINE)
        return xp.full(v if fac is None else v * fac, n)

    def _decayed(self, v, c, xp):
        d = self.decay
        return v if d is None else v * d ** xp.arange(c, 1)[0]

    def _phases(self, at):
        p, m, lim = self.period, self.period_mult, self.limit
        c, begin = 0, 0
        while lim is None or c < lim:
            if isinstance(m, float):  # the start the cycle itself restarts at
                begin = cycle_start(p, m, c)
            if at.past(begin):
                return
            pc = p * m**c
            if c:
                at.mark(begin)
            at.walk(self.schedule, lambda x, b=begin, r=pc / p: b + x * r, begin, begin + pc)
            if not isinstance(m, float):
                begin = begin + pc
            c += 1
        if isinstance(m, float):
            begin = cycle_start(p, m, c)
        at.mark(begin)  # the last cycle's end: the value holds from here on


def _count(k, q, xp):
    """``k // q`` for steps ``k >= 0``, by the namespace's own count where it has one (the flat
    loop's, which avoids an integer division per step)."""
    div = getattr(xp, "count_div", None)
    return k // q if div is None else div(k, q)


def _dtype_max(k):
    kind = getattr(getattr(k, "dtype", None), "kind", "f")
    if kind in "iu":
        return int(np.iinfo(k.dtype).max)
    return math.inf


_FRAC = 128  # fractional bits of the fixed-point cycle starts
_TAB_CYCLES = 2**20  # cycles tabulated at most for a non-integer period_mult


def _decimal_ratio(m):
    """A float ``period_mult`` as the decimal it prints as (``1.1`` is 11/10, not the binary
    1.100000000000000088...): (numerator, denominator). Cycle starts that are whole numbers for the
    decimal a user wrote (10 + 11 = 21 steps) are then whole numbers here too, as in every peer
    that sums its cycle lengths in floats."""
    from fractions import Fraction

    f = Fraction(repr(float(m)))
    return f.numerator, f.denominator


def _fixed(x):
    """``x`` (an int or a float, so a dyadic rational) in fixed point with ``_FRAC`` fractional bits."""
    n, d = x.as_integer_ratio()
    return (n << _FRAC) // d


class _CycleTable:
    """Cycles 0, 1, ... of a non-integer ``period_mult`` that start at or before step ``built``.

    Lengths and starts follow the recurrence ``P_{c+1} = P_c * m``, ``start_{c+1} = start_c + P_c``
    (``m`` the decimal the float prints as, see ``_decimal_ratio``) in fixed point with ``_FRAC`` fractional bits (error below 2**-80 of a cycle's length), and each
    start is split as ``whole + frac``, an int and a float in ``[0, 1)``: ``k - start_c`` is then
    an exact integer difference less a fraction, with no cancellation however far ``k`` is.
    ``reach`` is the first step the table does not cover (``inf`` once the limit's last cycle is
    listed: past it the value holds, ``holds``); ``capped`` when ``_TAB_CYCLES`` stopped it.
    """

    def __init__(self, p, m, limit, built):
        num, den = _decimal_ratio(m)
        one = 1 << _FRAC
        n_max = _TAB_CYCLES if limit is None else min(limit, _TAB_CYCLES)
        length, start, top = _fixed(p), 0, built << _FRAC
        self.whole, self.frac, self.ceil, self.fstart, self.length = [], [], [], [], []
        while start <= top and len(self.whole) < n_max:
            w = start >> _FRAC
            r = start - (w << _FRAC)
            self.whole.append(w)
            self.frac.append(r / one)
            self.ceil.append(w + (r != 0))
            self.fstart.append(start / one)
            self.length.append(length / one)
            start, length = start + length, (length * num) // den
        self.built = built
        self.holds = limit is not None and len(self.whole) == limit
        self.capped = not self.holds and len(self.whole) == _TAB_CYCLES
        self.reach = math.inf if self.holds else -(-start >> _FRAC)
        self._arrays = {}

    def arrays(self, hi):
        """NumPy (ceil, whole, frac, fstart, length) of the cycles whose first integer step is <= hi."""
        n = bisect.bisect_right(self.ceil, hi)
        a = self._arrays.get(n)
        if a is None:
            a = self._arrays[n] = (
                np.asarray(self.ceil[:n], dtype=np.int64),
                np.asarray(self.whole[:n], dtype=np.int64),
                np.asarray(self.frac[:n]),
                np.asarray(self.fstart[:n]),
                np.asarray(self.length[:n]),
            )
        return a


def cycle_start(period, period_mult, c):
    """The step where cycle ``c`` starts: ``period * (period_mult**c - 1) / (period_mult - 1)``.

    An int for an integer ``period_mult`` (and an int ``period``); for a float one, the exact value
    in fixed point (to 2**-60 of a cycle's length) rounded to the nearest float, ``inf`` past the
    float range.
    """
    m = period_mult
    if m == 1:
        return period * c
    if isinstance(m, int):
        return period * ((m**c - 1) // (m - 1))
    m = float(m)
    if c * math.log2(m) > 1100:
        return math.inf
    num, den = _decimal_ratio(m)
    one = 1 << _FRAC
    r, b, e = one, (num << _FRAC) // den, c
    while e:  # m**c by squaring, each product truncated to _FRAC bits
        if e & 1:
            r = (r * b) >> _FRAC
        b, e = (b * b) >> _FRAC, e >> 1
    try:
        pn, pd = period.as_integer_ratio()
        return (pn * (r - one) * den // (pd * (num - den))) / one
    except OverflowError:
        return math.inf


def _binary_fraction_index(p, limit, k, xp):
    """(cycle, step within it, period) of a fractional period ``p >= 1`` at integer JAX steps, in
    the steps' integers: a float is ``num / den`` exactly (``den`` a power of two), so with
    ``k = q * num + t`` and ``t * den = u * num + v`` the step is in cycle ``q * den + u``,
    ``v / den`` steps in (exact). ``k // p`` in float32 rounds the step past 2**24 and finds the
    wrong cycle. None where ``num * den`` passes int32, or for ``p < 1`` (whose cycle count may
    pass the steps' dtype): the float formula then."""
    num, den = p.as_integer_ratio()
    if num < den or num * den > 2**31 - 1:
        return None
    q, t = k // num, k % num
    u, v = (t * den) // num, (t * den) % num
    c = q * den + u
    local = v / den
    if limit is not None:  # past the last cycle: its end
        past = c >= limit
        c, local = xp.where(past, limit - 1, c), xp.where(past, p, local)
    return c, local, p


def _closed_index(p, m, limit, k, xp):
    """(cycle index, step within the cycle, cycle length) past the table, from the closed form
    ``start_c = p * expm1(c * log1p(m - 1)) / (m - 1)`` in the steps' float type. A start in one
    float is good to its own ulp, so a cycle's clock is good to about 2**-53 / (m - 1) of its length."""
    log1p, expm1, exp = xp.log1p, xp.expm1, xp.exp
    p, u = float(p), m - 1.0
    lg = math.log1p(u)
    if limit is not None:
        end = cycle_start(p, m, limit)
        if end != math.inf:
            k = xp.minimum(k, end)

    def start(c):
        return p * expm1(c * lg) / u

    c = xp.maximum(xp.floor(log1p(k * (u / p)) / lg), 0)
    c = xp.where(start(c) > k, c - 1, c)
    c = xp.where(start(c + 1) <= k, c + 1, c)
    if limit is not None:
        c = xp.minimum(c, limit - 1)
    return c, k - start(c), p * exp(c * lg)


def cycle(schedule, period, *, period_mult=1, decay=1.0, limit=None) -> Schedule:
    r"""Restarts ``schedule`` every cycle; cycle ``c`` lasts ``period * period_mult**c`` steps.

    Within cycle ``c`` (starting at step ``start_c``) the value is

    .. math:: d^{c} \cdot f\!\left((k - \mathrm{start}_c) \cdot \frac{P}{P_c}\right), \qquad P_c = P\, m^{c}

    so with ``period_mult=1`` it is ``schedule(k - start_c)``, and with a cosine of ``period``
    steps it is SGDR with ``T_mult``. After ``limit`` cycles the value holds where the last cycle
    ended. For an integer ``period_mult`` the cycle index is found exactly, in integers.

    Args:
        schedule: one cycle's schedule, written for ``period`` steps.
        period: the first cycle's length (> 0).
        period_mult: growth of each cycle's length (>= 1; an int or a float). A float is taken
            as the decimal it prints as: ``1.1`` is exactly 11/10, so ``period=10`` restarts at
            10, 21, 33.1, ... with the second restart at step 21 exactly.
        decay: factor applied per completed cycle.
        limit: number of cycles, or ``None`` for no end.

    Reference: Loshchilov & Hutter, *SGDR: Stochastic Gradient Descent with Warm Restarts*,
    https://arxiv.org/abs/1608.03983.

    Example:
        >>> import lrsched
        >>> s = lrsched.cycle(lrsched.linear(1.0, 0.0, 10), 10, period_mult=2)
        >>> s(0), s(5), s(10), s(20), s(30)
        (1.0, 0.5, 1.0, 0.5, 1.0)
    """
    schedule_arg("schedule", schedule)
    period = V.steps("period", period, positive=True)
    if isinstance(period_mult, bool) or not isinstance(period_mult, numbers.Real):
        raise TypeError(f"period_mult={V.show(period_mult)}: expected a number >= 1")
    if isinstance(period_mult, numbers.Integral) or float(period_mult).is_integer():
        period_mult = int(float(period_mult)) if not isinstance(period_mult, numbers.Integral) else int(period_mult)
    else:
        period_mult = float(period_mult)
        if not math.isfinite(period_mult):
            raise ValueError(f"period_mult={V.show(period_mult)}: must be finite")
    if period_mult < 1:
        raise ValueError(f"period_mult={V.show(period_mult)}: must be >= 1")
    if period_mult >= 2**63:  # two cycles already pass every int64 step; float tables stay finite
        raise ValueError(f"period_mult={period_mult:.6g}: must be < 2**63")
    decay = V.value("decay", decay)
    if V.is_plain(decay) and decay == 1.0:
        decay = None
    if limit is not None:
        limit = V.steps("limit", limit, positive=True, allow_float=False)
    return Cycle._make(schedule=schedule, decay=decay, period=period, period_mult=period_mult, limit=limit)


# --------------------------------------------------------------------------------------------
# epochs: a schedule on a clock that ticks once per epoch
# --------------------------------------------------------------------------------------------
class PerEpoch(Schedule, kind="per_epoch"):
    _children = ("schedule",)
    _static = ("steps_per_epoch",)
    _npos = 2

    def _eval(self, k, xp):
        spe = fit(self.steps_per_epoch, k)
        if spe is None:  # an epoch longer than any step k's integer dtype holds: epoch 0
            return self.schedule._eval(xp.minimum(k, 0), xp)
        return self.schedule._eval(k // spe, xp)

    def _layout(self, start, n, xp):
        """The epochs the window touches: (how many, the schedule's layout over them)."""
        e = self.steps_per_epoch
        first = start // e
        m = (start + n - 1) // e - first + 1
        return (m, layout(self.schedule, first, m, xp))

    def _dense(self, start, n, xp, lay):
        """The schedule over the window's epochs, once each, every value written over its
        epoch's steps: no integer division per step (XLA's CPU loops do not vectorise one)."""
        m, sub = lay
        e = self.steps_per_epoch
        if fit(e, start) is None:  # an epoch longer than any step the backend holds: epoch 0
            return xp.full(dense(self.schedule, 0, 1, xp, sub)[0], n)
        first = start // e
        values = dense(self.schedule, first, m, xp, sub)
        if m == 1:
            return xp.full(values[0], n)
        a = start - first * e  # the first epoch's steps before the window
        if not xp.compiled:  # NumPy: each epoch's value repeated over its steps in the window
            counts = np.full(m, e)
            counts[0] -= a
            counts[-1] = n - (e - a) - (m - 2) * e
            return np.repeat(values, counts)
        if m == 2:  # the window crosses one epoch boundary (an epoch may be longer than it)
            return xp.where(xp.arange(0, n) < e - a, values[0], values[1])
        # whole epochs between (so e < n and m * e < 3 n), sliced to the window
        grid = jnp.broadcast_to(values[:, None], (m, e)).reshape(m * e)
        return lax.dynamic_slice_in_dim(grid, a, n)

    def _phases(self, at):
        e = self.steps_per_epoch
        at.walk(self.schedule, lambda x: math.ceil(x) * e)

    def _roles(self):
        return self.schedule._roles()


def per_epoch(schedule, steps_per_epoch) -> Schedule:
    """A schedule written in epochs, evaluated per update: ``schedule(k // steps_per_epoch)``.

    Example:
        >>> import lrsched
        >>> s = lrsched.per_epoch(lrsched.exponential(1.0, 0.5), 100)
        >>> s(99), s(100), s(250)
        (1.0, 0.5, 0.25)
    """
    schedule_arg("schedule", schedule)
    spe = V.steps("steps_per_epoch", steps_per_epoch, positive=True, allow_float=False)
    return PerEpoch._make(schedule=schedule, steps_per_epoch=spe)
