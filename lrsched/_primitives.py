"""Primitive schedules: constant, ramps of many shapes, exponential, inverse-time, inverse-sqrt,
piecewise constant and piecewise linear, and wrapped user functions.

Each formula exists once and is written against the namespace ``xp`` (see ``_backend``). Step
arithmetic is done on the integer step before any float cast: the fraction left in a phase of
``n`` steps is ``(n - min(k, n)) / n``, which is exact at both ends and keeps float32 accurate.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

from . import _validate as V
from ._backend import PY, fit, step_max
from ._schedule import Schedule, register_node

_HALF_PI = math.pi / 2


# --------------------------------------------------------------------------------------------
# constant
# --------------------------------------------------------------------------------------------
class Constant(Schedule):
    _values = ("value",)
    _kind = "constant"
    _npos = 1

    def _eval(self, k, xp):
        return self.value


def constant(value) -> Schedule:
    """The same value at every step.

    Args:
        value: the value (a float, or a JAX array for batched/traced use).

    Example:
        >>> import lrsched
        >>> lrsched.constant(0.1)(12345)
        0.1
    """
    return Constant._make(value=V.value("value", value))


register_node(Constant, constant)


# --------------------------------------------------------------------------------------------
# ramps
# --------------------------------------------------------------------------------------------
# Each shape maps (left, done) to the weights of ``start`` and ``end``, where
# ``left = (n - min(k, n)) / n`` and ``done = min(k, n) / n`` are the fractions of the phase still
# to go and already gone. Both weights come from the formula (not ``1 - w``) wherever that keeps
# the ends exact and the value accurate in float32.
def _shape_linear(xp, left, done, p):
    return left, done


def _shape_cosine(xp, left, done, p):
    # 0.5 * (1 + cos(pi * done)) == sin(pi/2 * left)**2, without the cancellation near the end.
    s = xp.sin(_HALF_PI * left)
    if not p:  # exponent 1 (no exponent leaf): both weights exact
        c = xp.sin(_HALF_PI * done)
        return s * s, c * c
    w = (s * s) ** p[0]
    return w, 1.0 - w


def _shape_polynomial(xp, left, done, p):
    if not p:  # power 1 (no power leaf) is linear
        return left, done
    w = left ** p[0]
    return w, 1.0 - w


def _shape_sqrt(xp, left, done, p):
    # 1 - sqrt(done) == left / (1 + sqrt(done)), accurate as done -> 1
    r = xp.sqrt(done)
    return left / (1.0 + r), r


def _shape_rex(xp, left, done, p):
    (alpha,) = p
    den = (1.0 - alpha) + alpha * left
    return left / den, (1.0 - alpha) * done / den


def _shape_tanh(xp, left, done, p):
    lower, upper = p
    x = lower * left + upper * done
    # (1 -+ tanh x) / 2 == 1 / (1 + exp(+-2x)), with no cancellation as tanh x -> 1; exp(-2|x|) <= 1
    e = xp.exp(-2.0 * abs(x))
    a, b = 1.0 / (1.0 + e), e / (1.0 + e)
    return xp.where(x >= 0, b, a), xp.where(x >= 0, a, b)


# shape -> (formula, ((param name, default), ...))
SHAPES: dict[str, tuple[Callable | None, tuple[tuple[str, float], ...]]] = {
    "linear": (_shape_linear, ()),
    "cosine": (_shape_cosine, (("exponent", 1.0),)),
    "exponential": (None, ()),
    "polynomial": (_shape_polynomial, (("power", 1.0),)),
    "sqrt": (_shape_sqrt, ()),
    "rex": (_shape_rex, (("alpha", 0.5),)),
    "tanh": (_shape_tanh, (("lower", -7.0), ("upper", 3.0))),
}


def ramp_value(xp, shape, params, start, end, k, n):
    """The value of a ramp from ``start`` (at 0) to ``end`` (at ``n`` and after) at step ``k >= 0``."""
    if n == 0:
        return end
    static = type(k) is int or type(k) is float  # a Python step (also the step-0 probe of warmup)
    if static and k >= n:
        return end
    never = not static and fit(n, k) is None  # n is past every step k's integer dtype holds
    if never:  # n - k = (hi - k) + (n - hi): the first part in k's integers, the second a float
        hi = step_max(k)
        left, done = ((hi - k) + float(n - hi)) / float(n), k / float(n)
    else:
        n = n if static else fit(n, k)  # a float next to float steps
        m = min(k, n) if static else xp.minimum(k, n)
        left, done = (n - m) / n, m / n
    if shape == "exponential":  # geometric: start * (end / start) ** done
        v = start * (end / start) ** done
    else:
        # the weights depend on the step alone (and shape parameters): plain math for a Python step
        ws, we = SHAPES[shape][0](PY if static and not params else xp, left, done, params)
        v = start * ws + end * we
    if shape in _INEXACT_END and not never:  # these only approach ``end``: hold it exactly from ``n`` on
        v = xp.where(k >= n, end, v)
    return v


# Shapes whose formula at ``k == n`` is not exactly ``end`` (tanh stops short of it, as in timm,
# where the step after the last one is the minimum itself; a geometric ramp rounds).
_INEXACT_END = ("exponential", "tanh")


# A cosine exponent or polynomial power of exactly 1.0 given as a Python number is not stored
# as a leaf: the formula then takes its exact, fast form (under jit too). Any other value, or a
# JAX array, is a leaf like every other value.
_UNIT_OPTIONAL = ("exponent", "power")


def shape_params(shape, params: Mapping[str, Any], *, where="shape"):
    """Validate a shape name and its parameters; return the parameter leaves in canonical order."""
    V.choice(where, shape, tuple(SHAPES))
    spec = SHAPES[shape][1]
    names = {n for n, _ in spec}
    for n in params:
        if n not in names:
            known = ", ".join(sorted(names)) or "none"
            raise TypeError(f"{n}={V.show(params[n])}: not a parameter of {where}={V.show(shape)} (it takes: {known})")
    out = []
    for n, default in spec:
        v = V.value(n, params.get(n, default))
        if n in _UNIT_OPTIONAL and V.is_plain(v) and not v > 0:
            raise ValueError(f"{n}={V.show(v)}: must be > 0")
        if n == "alpha" and V.is_plain(v) and not 0.0 <= v < 1.0:
            raise ValueError(f"alpha={V.show(v)}: must be in [0, 1)")
        if n in _UNIT_OPTIONAL and V.is_plain(v) and v == 1.0:
            continue
        out.append(v)
    if shape == "tanh" and V.is_plain(out[0]) and V.is_plain(out[1]) and not out[0] < out[1]:
        raise ValueError(f"lower={V.show(out[0])}, upper={V.show(out[1])}: lower must be < upper")
    return tuple(out)


def param_names(shape, params) -> list[str]:
    names = [n for n, _ in SHAPES[shape][1]]
    return names if len(names) == len(params) else [n for n in names if n not in _UNIT_OPTIONAL]


def check_endpoints(shape, start, end):
    if shape == "exponential" and V.is_plain(start) and V.is_plain(end) and not start * end > 0:
        raise ValueError(
            f"start={V.show(start)}, end={V.show(end)}: an exponential ramp needs start and end non-zero and of one sign"
        )


class Ramp(Schedule):
    _values = ("start", "end", "params")
    _static = ("steps", "shape")
    _kind = "ramp"
    _npos = 3

    def _eval(self, k, xp):
        return ramp_value(xp, self.shape, self.params, self.start, self.end, k, self.steps)

    def _args(self):
        names = param_names(self.shape, self.params)
        return {
            "start": self.start,
            "end": self.end,
            "steps": self.steps,
            "shape": self.shape,
            **dict(zip(names, self.params)),
        }

    def _repr_call(self):
        args = self._args()
        if self.shape == "linear":
            del args["shape"]
            return "linear", args
        if self.shape == "cosine":
            del args["shape"]
            return "cosine", args
        return "ramp", args


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
    return Ramp._make(start=start, end=end, params=params, steps=steps, shape=shape)


register_node(Ramp, ramp)


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


class Exponential(Schedule):
    _values = ("start", "rate", "end")
    _static = ("steps", "staircase")
    _kind = "exponential"
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


def _grow(xp, start, rate, e):
    """``start * rate ** e`` for ``e >= 0``; growth past the float range is ``+-inf`` on every backend.

    Python catches the overflow. On arrays the exponent is made safe before the power wherever
    ``rate ** e`` would pass the largest float, and the result there is the constant ``+-inf``
    (``0`` for a zero ``start``), so nothing overflows, NumPy does not warn, and ``jax.grad``
    through a ceiling that holds such a value (``end=``, ``clip(max=)``) is 0, not NaN.
    """
    if xp.name == "python":
        try:
            return start * rate**e
        except OverflowError:
            return math.copysign(math.inf, start) if start else 0.0
    over = (rate > 1.0) & (e * xp.log(xp.where(rate > 1.0, rate, 2.0)) > _log_float_max(xp))
    v = start * rate ** xp.where(over, 0, e)
    return xp.where(over & (start != 0.0), xp.where(start > 0.0, math.inf, -math.inf), v)


def _log_float_max(xp):
    if xp.name == "jax":
        import jax.numpy as jnp

        return math.log(float(jnp.finfo(jnp.result_type(float)).max))
    return _LOG_F64_MAX


_LOG_F64_MAX = math.log(sys.float_info.max)


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


register_node(Exponential, exponential)


class InverseTime(Schedule):
    _values = ("start", "rate", "power")
    _static = ("steps", "staircase")
    _kind = "inverse_time"
    _npos = 3

    def _eval(self, k, xp):
        d = 1.0 + self.rate * _exponent(k, self.steps, self.staircase, xp)
        if self.power is None:  # the default power 1.0, stored as None (no extra leaf)
            return self.start / d
        if xp.name == "python":
            try:
                d = d**self.power
            except OverflowError:  # past the float range, as NumPy and JAX give: start / inf
                return self.start * 0.0
            return self.start / d
        return self.start / d**self.power

    def _args(self):
        args = {"start": self.start, "rate": self.rate, "steps": self.steps, "staircase": self.staircase}
        if self.power is not None:
            args["power"] = self.power
        return args


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


register_node(InverseTime, inverse_time)


class InverseSqrt(Schedule):
    _values = ("start",)
    _static = ("timescale",)
    _kind = "inverse_sqrt"
    _npos = 2

    def _eval(self, k, xp):
        ts = self.timescale if xp.name == "python" else float(self.timescale)  # k + ts may not fit k's dtype
        return self.start * xp.sqrt(ts / (k + ts))


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


register_node(InverseSqrt, inverse_sqrt)


# --------------------------------------------------------------------------------------------
# piecewise
# --------------------------------------------------------------------------------------------
def _pairs(name, mapping):
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


class PiecewiseConstant(Schedule):
    _values = ("start", "scales")
    _static = ("boundaries",)
    _kind = "piecewise_constant"
    _npos = 2

    def _eval(self, k, xp):
        v = self.start
        if xp.name == "python":
            for b, s in zip(self.boundaries, self.scales):
                if k < b:
                    break
                v = v * s
            return v
        hi = step_max(k)
        bounds = [b for b in self.boundaries if hi is None or b <= hi]  # the later ones are never reached
        if not bounds:
            return v
        if xp.name == "jax":
            from ._gather import staircase

            out = staircase(v, self.scales[: len(bounds)], bounds, k, xp)
            if out is not NotImplemented:
                return out
        for b, s in zip(bounds, self.scales):
            v = xp.where(k >= fit(b, k), v * s, v)
        return v

    def _args(self):
        return {"start": self.start, "scales": [[b, s] for b, s in zip(self.boundaries, self.scales)]}


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
    pairs = _pairs("scales", scales)
    return PiecewiseConstant._make(
        start=start, scales=tuple(s for _, s in pairs), boundaries=tuple(b for b, _ in pairs)
    )


register_node(PiecewiseConstant, piecewise_constant)


def piecewise_linear(points, shape="linear") -> Schedule:
    """Interpolates between ``points`` (step -> value) with ``shape``; holds the first and last values.

    Built as a :func:`~lrsched.join` of ramps, so its repr reads as that join.

    Example:
        >>> import lrsched
        >>> s = lrsched.piecewise_linear({0: 0.0, 10: 1.0, 30: 0.0})
        >>> s(5), s(10), s(20), s(99)
        (0.5, 1.0, 0.5, 0.0)
    """
    from ._combinators import join

    pairs = _pairs("points", points)
    if not pairs:
        raise ValueError(f"points={V.show(points)}: needs at least one point")
    shape_params(shape, {})
    pieces: list[Schedule] = [constant(pairs[0][1])]
    for (s0, v0), (s1, v1) in zip(pairs, pairs[1:]):
        pieces.append(ramp(v0, v1, s1 - s0, shape))
    return join(pieces, [b for b, _ in pairs[:-1]]) if len(pieces) > 1 else pieces[0]
