"""Primitive schedules: ramps of many shapes, exponential, inverse-time, inverse-sqrt and
piecewise constant (``constant`` is in ``_node``; the ramp shapes are in ``_ramps``).

Each formula exists once and is written against the namespace ``xp`` (see ``_backend``). Step
arithmetic is done on the integer step before any float cast: the fraction left in a phase of
``n`` steps is ``(n - min(k, n)) / n``, which is exact at both ends and keeps float32 accurate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from . import _tables as T
from . import _validate as V
from ._backend import fit, step_max
from ._gather import staircase
from ._node import LIN, PAR, Schedule
from ._ramps import PARAM_FIELDS, PARAM_UNITS, check_endpoints, param_names, ramp_value, shape_params


# --------------------------------------------------------------------------------------------
# ramps
# --------------------------------------------------------------------------------------------
class Ramp(Schedule, kind="ramp"):
    _values = ("start", "end", *PARAM_FIELDS)
    _shaping = PARAM_FIELDS
    _static = ("steps", "shape")
    _defaults = PARAM_UNITS  # a unit exponent or power is not stored: the formula's exact form
    _npos = 3

    def _derive(self):
        d = self.__dict__
        d["params"] = tuple(v for v in (d[n] for n in PARAM_FIELDS) if v is not None)

    def _eval(self, k, xp):
        return ramp_value(xp, self.shape, self.params, self.start, self.end, k, self.steps)

    def _repr_call(self):
        args = self._args()
        if self.shape in ("linear", "cosine"):  # as the builders of those names are called
            return args.pop("shape"), args
        return "ramp", args

    def _layout(self, start, n, xp):
        return T.active(self.steps, start, n) if isinstance(self.steps, int) else None

    def _dense(self, start, n, xp, active):
        steps = self.steps
        if not isinstance(steps, int) or steps == 0 or self.shape == "tanh" or steps > xp.step_hi:
            return T.pointwise(self, start, n, xp)
        if self.shape != "exponential":
            ws, we = T.ramp_weights(self.shape, self.params, steps, start, n, active, xp)
            return self.start * ws + self.end * we
        parts = []
        grid, rest, m = T.geometric_grid(self.start, self.end / self.start, steps, start, active, xp)
        if grid is not None:
            parts.append(grid)
        if m:
            parts.append(T.pointwise(self, rest, m, xp))
        if n - active:
            parts.append(xp.full(self.end, n - active))
        return xp.concat(parts)

    def _flat(self, budget):
        fits = isinstance(self.steps, int) and self.steps <= 2**31 - 1
        # a cosine's exponent or a polynomial's power compiled in as a constant (see ``_shaping``)
        fixed = all(type(p) is float for p in self.params)
        simple = self.shape in ("linear", "sqrt") or (self.shape in ("cosine", "polynomial") and fixed)
        cost = (T.COSINE_COST if self.shape == "cosine" else 1) + len(self.params)
        return budget - cost if fits and simple else -1

    def _phases(self, at):
        if self.steps > 0:
            at.mark(self.steps)

    def _ramp_key(self):
        return self.shape, len(self.params), self.steps

    def _roles(self):
        return None if self.shape == "exponential" else [LIN, LIN] + [PAR] * len(self.params)

    def _ramp_values(self, xp):
        return (self.start, self.end, *self.params)


def ramp(start, end, steps, shape="linear", **shape_params_) -> Schedule:
    r"""Goes from ``start`` at step 0 to ``end`` at step ``steps``, then holds ``end``.

    With ``left = (steps - min(k, steps)) / steps`` the fraction of the ramp still to go, the
    shapes are (``w`` is the weight of ``start``: ``end + (start - end) * w``):

    .. math::
        \text{linear: } w = \ell \qquad
        \text{cosine: } w = \sin^2(\tfrac{\pi}{2}\ell)^{p} = (\tfrac{1 + \cos \pi (1-\ell)}{2})^{p} \qquad
        \text{polynomial: } w = \ell^{p}

        \text{sqrt: } w = 1 - \sqrt{1-\ell} \qquad
        \text{rex: } w = \frac{\ell}{(1-\alpha) + \alpha \ell} \qquad
        \text{tanh: } w = \tfrac12 (1 - \tanh(a \ell + b (1-\ell)))

    and ``exponential`` is geometric: ``start * (end / start) ** (1 - left)``.

    Args:
        start: value at step 0.
        end: value at ``steps`` and after.
        steps: length of the ramp (``0`` gives ``end`` everywhere; a fractional length is allowed).
        shape: ``"linear"``, ``"cosine"`` (``exponent=1.0``), ``"exponential"``,
            ``"polynomial"`` (``power=1.0``), ``"sqrt"`` (the 1-sqrt cooldown),
            ``"rex"`` (``alpha=0.5``) or ``"tanh"`` (``lower=-7.0, upper=3.0``; as timm, its
            ends are within 1e-6 of ``start`` and ``end``, not equal to them).
        **shape_params: the shape's parameters.

    References:
        REX: Chen et al., *REX: Revisiting Budgeted Training with an Improved Schedule*,
        https://arxiv.org/abs/2107.04197. 1-sqrt: Hägele et al., *Scaling Laws and
        Compute-Optimal Training Beyond Fixed Training Durations*, https://arxiv.org/abs/2405.18392.

    Example:
        >>> import lrsched
        >>> s = lrsched.ramp(1.0, 0.0, 100, shape="polynomial", power=2.0)
        >>> s(0), s(50), s(100), s(1000)
        (1.0, 0.25, 0.0, 0.0)
    """
    start = V.value("start", start)
    end = V.value("end", end)
    steps = V.steps("steps", steps)
    params = shape_params(shape, shape_params_)
    check_endpoints(shape, start, end)
    named = dict(zip(param_names(shape, params), params))
    return Ramp._make(start=start, end=end, steps=steps, shape=shape, **{n: named.get(n) for n in PARAM_FIELDS})


def linear(start, end, steps) -> Schedule:
    """A linear ramp from ``start`` to ``end`` over ``steps`` steps, then ``end``.

    Example:
        >>> import lrsched
        >>> lrsched.linear(0.0, 1.0, 4)(1)
        0.25
    """
    return ramp(start, end, steps, "linear")


def cosine(start, end, steps, exponent=1.0) -> Schedule:
    r"""A half-cosine from ``start`` to ``end`` over ``steps`` steps, then ``end``.

    .. math:: v(k) = e + (s - e) \left(\tfrac12 (1 + \cos(\pi \min(k, n) / n))\right)^{p}

    Example:
        >>> import lrsched
        >>> round(lrsched.cosine(1.0, 0.0, 100)(50), 12)
        0.5
    """
    return ramp(start, end, steps, "cosine", exponent=exponent)


# --------------------------------------------------------------------------------------------
# exponential and inverse-time decay
# --------------------------------------------------------------------------------------------
def _exponent(k, steps, staircase, xp):
    n = fit(steps, k)
    if n is None:  # a unit longer than any step k's integer dtype holds: k / steps < 1
        return xp.minimum(k, 0) if staircase else k / float(steps)
    return k // n if staircase else k / n


class Exponential(Schedule, kind="exponential"):
    _values = ("start", "rate", "end")
    _static = ("steps", "staircase")
    _npos = 3

    def _eval(self, k, xp):
        e = _exponent(k, self.steps, self.staircase, xp)
        start, rate, end = self.start, self.rate, self.end
        if end is None:
            return _grow(xp, start, rate, e)
        cap = _growth_cap(xp, start, rate, end)
        if cap is not None:
            e = xp.minimum(e, cap)
        v = _grow(xp, start, rate, e)
        return xp.where(rate < 1.0, xp.maximum(v, end), xp.minimum(v, end))

    def _layout(self, start, n, xp):
        """A staircase over a few of its levels: ("levels", first, last); None otherwise."""
        steps = self.steps
        if not self.staircase or not isinstance(steps, int) or steps > xp.step_hi:
            return None
        first, last = start // steps, (start + n - 1) // steps
        return ("levels", first, last) if last - first < _LEVELS else None

    def _dense(self, start, n, xp, lay):
        if self.staircase and lay is not None and xp.compiled:
            # each level is the formula at its first step (scalars); a step selects among them,
            # with no power per step (a general power costs 15x the write of the output here)
            k = xp.arange(start, n)
            _, first, last = lay
            out = self._eval(first * self.steps, xp)
            for c in range(first + 1, last + 1):
                out = xp.where(k >= c * self.steps, self._eval(c * self.steps, xp), out)
            return xp.full(out, n)
        if self.staircase or not isinstance(self.steps, int) or self.steps > xp.step_hi:
            return T.pointwise(self, start, n, xp)
        grid, rest, m = T.geometric_grid(self.start, self.rate, self.steps, start, n, xp)
        parts = [] if grid is None else [grid]
        if m:
            parts.append(self.start * self.rate ** (xp.arange(rest, m) / self.steps))
        v = xp.concat(parts)
        if self.end is not None:
            v = xp.where(self.rate < 1.0, xp.maximum(v, self.end), xp.minimum(v, self.end))
        return xp.full(v, n)

    def _phases(self, at):
        if self.staircase:  # a step at every multiple of its unit
            j = 1
            while not at.past(j * self.steps):
                at.mark(j * self.steps)
                j += 1


_LEVELS = 16  # levels of a staircase selected among per step in a dense window, at most


def _grow(xp, start, rate, e):
    """``start * rate ** e`` for ``e >= 0``; growth past the float range is ``+-inf`` on every backend.

    Python catches the overflow. On arrays the exponent is made safe before the power wherever
    ``rate ** e`` would pass the largest float, and the result there is the constant ``+-inf``
    (``0`` for a zero ``start``), so nothing overflows, NumPy does not warn, and ``jax.grad``
    through a ceiling that holds such a value (``end=``, ``clip(max=)``) is 0, not NaN.
    """
    if xp.static:
        try:
            return start * rate**e
        except OverflowError:
            return math.copysign(math.inf, start) if start else 0.0
    over = (rate > 1.0) & (e * xp.log(xp.where(rate > 1.0, rate, 2.0)) > _log_float_max(xp))
    v = start * rate ** xp.where(over, 0, e)
    return xp.where(over & (start != 0.0), xp.where(start > 0.0, math.inf, -math.inf), v)


def _log_float_max(xp):
    return math.log(float(np.finfo(xp.float).max))


def _growth_cap(xp, start, rate, end):
    """For growth towards a ceiling ``end``: an exponent one unit past the ceiling, so that
    ``rate ** e`` stays finite however far ``k`` goes (no overflow, the ceiling still applies).

    With plain float leaves it is a Python float (``None`` when the value does not grow). With
    array leaves it is computed from inputs made safe first (``inf`` where the value does not
    grow), so that ``jax.grad`` through it is finite.
    """
    if type(start) is float and type(rate) is float and type(end) is float:
        if not (rate > 1.0 and start > 0.0):
            return None
        if not end > 0.0:
            return 0.0
        return max(math.log(end / start) / math.log(rate), 0.0) + 1.0
    grow = (rate > 1.0) & (start > 0.0)
    s0 = xp.where(grow, start, 1.0)
    ratio = xp.where(end > s0, end / s0, 1.0)
    cap = xp.log(ratio) / xp.log(xp.where(grow, rate, 2.0)) + 1.0
    return xp.where(grow, cap, math.inf)


def exponential(start, rate, steps=1, *, staircase=False, end=None) -> Schedule:
    r"""Exponential decay (or growth): ``start * rate ** (k / steps)``.

    .. math:: v(k) = s \cdot r^{k / n} \quad (\text{or } r^{\lfloor k / n \rfloor} \text{ with staircase})

    Args:
        start: value at step 0.
        rate: factor per ``steps`` steps (> 0).
        steps: the number of steps over which the value changes by ``rate`` (> 0).
        staircase: change in whole steps of ``steps`` (torch ``StepLR``).
        end: a bound the value never passes: a floor when ``rate < 1``, a ceiling when ``rate > 1``.

    Example:
        >>> import lrsched
        >>> s = lrsched.exponential(1.0, 0.5, 10, staircase=True)
        >>> s(9), s(10), s(25)
        (1.0, 0.5, 0.25)
    """
    start = V.value("start", start)
    rate = V.value("rate", rate, positive=True)
    steps = V.steps("steps", steps, positive=True)
    if not isinstance(staircase, bool):
        raise TypeError(f"staircase={V.show(staircase)}: expected a bool")
    end = V.value("end", end, allow_none=True)
    return Exponential._make(start=start, rate=rate, end=end, steps=steps, staircase=staircase)


class InverseTime(Schedule, kind="inverse_time"):
    _values = ("start", "rate", "power")
    _shaping = ("power",)
    _static = ("steps", "staircase")
    _defaults = {"power": 1.0}  # the default power is not stored: the exact form, with no extra leaf
    _npos = 3

    def _eval(self, k, xp):
        d = 1.0 + self.rate * _exponent(k, self.steps, self.staircase, xp)
        if self.power is None:
            return self.start / d
        if xp.static:
            try:
                d = d**self.power
            except OverflowError:  # past the float range, as NumPy and JAX give: start / inf
                return self.start * 0.0
            return self.start / d
        return self.start / d**self.power


def inverse_time(start, rate, steps=1, *, staircase=False, power=1.0) -> Schedule:
    r"""Inverse-time decay: ``start / (1 + rate * k / steps) ** power``.

    .. math:: v(k) = \frac{s}{(1 + r\, k / n)^{p}}

    Args:
        start: value at step 0.
        rate: growth of the denominator per ``steps`` steps (>= 0).
        steps: the time unit of ``rate`` (> 0).
        staircase: use whole units, ``k // steps`` (Keras ``InverseTimeDecay``).
        power: exponent of the denominator (> 0); 1.0 is plain inverse-time decay, other
            values give Caffe's ``inv`` policy ``base_lr * (1 + gamma * k) ** -power``.

    Example:
        >>> import lrsched
        >>> lrsched.inverse_time(1.0, 0.5, 10)(20)
        0.5
        >>> lrsched.inverse_time(1.0, 1.0, 10, staircase=True, power=2.0)(25)
        0.1111111111111111
    """
    start = V.value("start", start)
    rate = V.value("rate", rate, nonneg=True)
    steps = V.steps("steps", steps, positive=True)
    if not isinstance(staircase, bool):
        raise TypeError(f"staircase={V.show(staircase)}: expected a bool")
    power = V.value("power", power, positive=True)
    if type(power) is float and power == 1.0:
        power = None
    return InverseTime._make(start=start, rate=rate, power=power, steps=steps, staircase=staircase)


class InverseSqrt(Schedule, kind="inverse_sqrt"):
    _values = ("start",)
    _static = ("timescale",)
    _npos = 2

    def _eval(self, k, xp):
        ts = self.timescale if xp.static else float(self.timescale)  # k + ts may not fit k's dtype
        return self.start * xp.sqrt(ts / (k + ts))

    def _roles(self):
        return [LIN]


def inverse_sqrt(start, timescale) -> Schedule:
    r"""Inverse square-root decay: ``start / sqrt((k + timescale) / timescale)``.

    .. math:: v(k) = s \sqrt{\frac{\tau}{k + \tau}}

    Reference: Vaswani et al., *Attention Is All You Need*, https://arxiv.org/abs/1706.03762.

    Example:
        >>> import lrsched
        >>> lrsched.inverse_sqrt(1.0, 100)(300)
        0.5
    """
    start = V.value("start", start)
    timescale = V.steps("timescale", timescale, positive=True)
    return InverseSqrt._make(start=start, timescale=timescale)


# --------------------------------------------------------------------------------------------
# piecewise constant
# --------------------------------------------------------------------------------------------
def pairs(name, mapping):
    if isinstance(mapping, Mapping):
        items = list(mapping.items())
    elif isinstance(mapping, (list, tuple)):
        items = []
        for item in mapping:
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise TypeError(
                    f"{name}={V.show(mapping)}: expected a mapping step -> value or a list of (step, value) pairs"
                )
            items.append(tuple(item))
    else:
        raise TypeError(f"{name}={V.show(mapping)}: expected a mapping step -> value")
    out = []
    for b, v in items:
        if isinstance(b, str):
            try:
                b = int(b)
            except ValueError:
                raise TypeError(f"{name}={V.show(mapping)}: step {V.show(b)} is not an integer") from None
        out.append((V.steps(f"{name}[{V.shown(b)}]", b), V.value(f"{name}[{V.shown(b)}]", v)))
    out.sort(key=lambda p: p[0])
    steps = [b for b, _ in out]
    if len(set(steps)) != len(steps):
        raise ValueError(f"{name}={V.show(mapping)}: steps must be distinct")
    return out


class PiecewiseConstant(Schedule, kind="piecewise_constant"):
    _values = ("start", "scales")  # scales: boundary -> factor, in boundary order
    _npos = 2

    def _derive(self):
        d = self.__dict__
        d["boundaries"], d["factors"] = tuple(d["scales"]), tuple(d["scales"].values())

    def _eval(self, k, xp):
        v = self.start
        if xp.static:
            for b, s in zip(self.boundaries, self.factors):
                if k < b:
                    break
                v = v * s
            return v
        hi = step_max(k)
        bounds = [b for b in self.boundaries if hi is None or b <= hi]  # the later ones are never reached
        if not bounds:
            return v
        if xp.compiled:
            out = staircase(v, self.factors[: len(bounds)], bounds, k, xp)
            if out is not NotImplemented:
                return out
        out = v
        for b, s in zip(bounds, self.factors):  # the products are scalars: one select per boundary
            v = v * s
            out = xp.where(k >= fit(b, k), v, out)
        return out

    def _flat(self, budget):
        # a few boundaries: a compare and a select each, in the loop that writes the output (a
        # search with its gathers costs more per step there)
        return budget - len(self.boundaries)

    def _phases(self, at):
        for b in self.boundaries:
            at.mark(b)


def piecewise_constant(start, scales) -> Schedule:
    """``start`` times the product of every scale whose boundary has been reached (``k >= b``).

    Args:
        start: value before the first boundary.
        scales: a mapping boundary -> multiplicative factor (or a list of ``(boundary, factor)``).

    Example:
        >>> import lrsched
        >>> s = lrsched.piecewise_constant(1.0, {10: 0.1, 20: 0.5})
        >>> s(9), s(10), s(20)
        (1.0, 0.1, 0.05)
    """
    start = V.value("start", start)
    found = pairs("scales", scales)
    return PiecewiseConstant._make(start=start, scales=dict(found))
