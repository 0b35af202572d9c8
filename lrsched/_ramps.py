"""The ramp shapes: one formula per shape over the steps of a phase left and done, its
parameters and their checks, and the value of a ramp at a step.

Step arithmetic is done on the integer step before any float cast: the fraction left in a phase of
``n`` steps is ``(n - min(k, n)) / n``, which is exact at both ends and keeps float32 accurate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from . import _validate as V
from ._backend import PY, fit, python_step, smaller_sine_square, step_max


# A formula gets the steps ``rest = n - min(k, n)`` still to go and ``m = min(k, n)`` already gone
# in a phase of ``n``, so ``left = rest / n`` and ``done = m / n`` are the fractions. Both weights
# come from the formula (not ``1 - w``) wherever that keeps the ends exact and the value accurate
# in float32. Each formula divides only what it uses, once: under XLA a quotient read twice is not
# fused into its readers, and a traced join's lookup would be recomputed for each of them.
def _shape_linear(xp, rest, m, n, p):
    return rest / n, m / n


def _shape_cosine(xp, rest, m, n, p):
    # 0.5 * (1 + cos(pi * done)) == sin(pi/2 * left)**2, without the cancellation near the end.
    if not p:  # exponent 1 (no exponent leaf): both weights exact
        return xp.cosine_weights(rest, m, n)
    # (sin(pi/2 * left)**2) ** e and 1 minus it, both from the sine of the smaller fraction
    # (t = sin(pi/2 * f)**2 <= 1/2), without the cancellation of 1 - w near a weight of 1: past
    # the middle the start's weight is t ** e; before it the start's weight is (1 - t) ** e =
    # exp(u) and the end's is -expm1(u), with u = e * log1p(-t)
    e = p[0]
    small, t = smaller_sine_square(xp.sin, xp.minimum, rest, m, n)
    late = xp.where(small, t, 1.0) ** e  # (1.0 where unused: no 0 ** e, whose gradient in e is NaN)
    if type(e) is float and e in (2.0, 3.0, 4.0):  # a plain integer exponent: no transcendental
        # 1 - (1 - t)**e as its binomial sum in Horner form, every partial sum positive for t <= 1/2
        j = int(e)
        acc = 1.0
        for i in range(j - 1, 0, -1):
            acc = math.comb(j, i) - t * acc
        early, other = (1.0 - t) ** e, t * acc
    else:
        u = e * xp.log1p(-t)
        early, other = xp.exp(u), -xp.expm1(u)
    return xp.where(small, late, early), xp.where(small, 1.0 - late, other)


def _shape_polynomial(xp, rest, m, n, p):
    if not p:  # power 1 (no power leaf) is linear
        return rest / n, m / n
    left = rest / n
    # a power of 0.5 compiled in as a constant (see ``Schedule._shaping``) is a square root
    # (XLA keeps a general power for it, 15x the cost); a power of 2 it makes a product itself
    w = xp.sqrt(left) if type(p[0]) is float and p[0] == 0.5 and not xp.static else left ** p[0]
    return w, 1.0 - w


def _shape_sqrt(xp, rest, m, n, p):
    # w = 1 - sqrt(done) solves w * (2 - w) == left. From w0 = 1 - s (exact for s = sqrt(done) >=
    # 1/2) one Newton step on that equation, w0 - (w0 * (2 - w0) - left) / (2 * s), corrects s's
    # rounding against the accurate ``left`` and keeps w accurate as done -> 1 (where 1 - s alone
    # loses the digits). 1 / (2 s) is taken as (1 + w0) / 2: its error, w0**2 relative, multiplies
    # a correction that is itself a rounding of s. No division per step: a vector divide took
    # 40% of a wsd's dense loop.
    s = xp.sqrt(m / n)
    w0 = 1.0 - s
    return w0 - (w0 * (1.0 + s) - rest / n) * (0.5 + 0.5 * w0), s


def _shape_rex(xp, rest, m, n, p):
    (alpha,) = p
    left = rest / n
    den = (1.0 - alpha) + alpha * left
    return left / den, (1.0 - alpha) * (m / n) / den


def _shape_tanh(xp, rest, m, n, p):
    lower, upper = p
    left, done = rest / n, m / n
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
    static = python_step(k)  # a Python step (also the step-0 probe of warmup)
    if static and k >= n:
        return end
    if static and k == 0 and shape in EXACT_START:  # weights exactly (1, 0): the start itself
        return start
    never = not static and fit(n, k) is None  # n is past every step k's integer dtype holds
    if never:  # n - k = (hi - k) + (n - hi): the first part in k's integers, the second a float
        hi = step_max(k)
        rest, m, n = (hi - k) + float(n - hi), k, float(n)
    else:
        n = n if static else fit(n, k)  # a float next to float steps
        m = min(k, n) if static else xp.minimum(k, n)
        rest = n - m
    if shape == "exponential":  # geometric: start * (end / start) ** done
        v = start * (end / start) ** (m / n)
    elif shape == "cosine" and not params and not static and hasattr(xp, "cosine_value"):
        v = xp.cosine_value(start, end, rest, m, n)  # the dense loop's form: one product per step
    else:
        # the weights depend on the step alone (and shape parameters): plain math for a Python step
        ws, we = SHAPES[shape][0](PY if static and not params else xp, rest, m, n, params)
        v = start * ws + end * we
    if shape in INEXACT_END and not never:  # these only approach ``end``: hold it exactly from ``n`` on
        v = xp.where(k >= n, end, v)
    return v


# Shapes whose weights at step 0 are exactly (1, 0) for any parameter (a tanh ramp starts short of
# its start, as in timm; a rex ramp's denominator at 0 is (1 - alpha) + alpha, rounded).
EXACT_START = ("linear", "cosine", "exponential", "polynomial", "sqrt")

# Shapes whose formula at ``k == n`` is not exactly ``end`` (tanh stops short of it, as in timm,
# where the step after the last one is the minimum itself; a geometric ramp rounds).
INEXACT_END = ("exponential", "tanh")


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


# Every shape parameter, each a field of a ramp (None where its shape does not take it, or for a
# unit exponent or power, which is not stored); a ramp's params are the ones set, in this order.
PARAM_FIELDS = tuple(dict.fromkeys(n for _, spec in SHAPES.values() for n, _ in spec))
PARAM_UNITS = {n: 1.0 for n in _UNIT_OPTIONAL}
