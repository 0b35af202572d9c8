"""A sine for angles in ``[0, pi/2]`` as a polynomial, for dense evaluation on JAX.

A schedule of a few linear, sqrt or cosine pieces is evaluated in one elementwise loop; its sines
are all of angles in ``[0, pi/2]`` (a cosine ramp's ``sin(pi/2 * left)``), where a Taylor
polynomial is exact enough and far cheaper per step than XLA's general sine.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from ._backend import HALF_PI, JX, smaller_sine_square


def _sin_quarter(x):
    """``sin(x)`` for ``0 <= x <= pi/2`` (the float of pi/2 included): ``x * P(x**2)``, the Taylor
    polynomial to x**11 in float32 (cut below 6e-9 relative) or to x**21 in float64 (below 2e-18).
    Within ``y`` of pi/2 where ``1 - y**2 / 2`` rounds to 1 in the dtype, sin is 1 there and so is
    this (a cosine ramp ends exactly at its end value); relative accuracy near 0 kept."""
    wide = jnp.dtype(x.dtype).itemsize >= 8
    p = x * _horner(_SIN_COEFFS if wide else _SIN_COEFFS[:6], x * x)
    return jnp.where(HALF_PI - x <= (1e-8 if wide else 2e-4), 1.0, p)


def _horner(coeffs, t2):
    # started from the last two coefficients: XLA keeps a product by 0.0 (it is NaN at infinity),
    # which had cost every step a multiply and an add
    acc = t2 * coeffs[-1] + coeffs[-2]
    for c in reversed(coeffs[:-2]):
        acc = acc * t2 + c
    return acc


_SIN_COEFFS = tuple((-1.0) ** i / math.factorial(2 * i + 1) for i in range(11))


def _sin_eighth(x):
    """``sin(x)`` for ``0 <= x <= pi/4``: the Taylor polynomial to x**9 in float32 (cut below
    3e-9 relative) or to x**17 in float64 (below 2e-19); relative accuracy near 0 kept."""
    wide = jnp.dtype(x.dtype).itemsize >= 8
    return x * _horner(_SIN_COEFFS[:9] if wide else _SIN_COEFFS[:5], x * x)


# The float estimate of k / q is within (k / q) * 3 eps of it (the roundings of the step's cast,
# of 1 / q and of the product): for steps up to 2**31 (2**63) that is at most 0.375 once
# q >= 2**10 (2**13), so its floor is off by at most 1, and one correction by the remainder,
# either way, makes it exact.
_EXACT_BELOW_32 = 1 << 10
_EXACT_BELOW_64 = 1 << 13


class _QuarterSineJax(type(JX)):  # type: ignore[misc]
    """JAX with the sine of :func:`_sin_quarter`; only for the schedules whose ``_flat`` hook admits it."""

    sin = staticmethod(_sin_quarter)

    @staticmethod
    def cosine_value(a, b, rest, m, n, inv=None):
        """A cosine ramp's value from ``a`` to ``b`` at ``m`` steps done and ``rest`` to go: with
        ``t2 = sin(pi/2 * f)**2`` of the smaller fraction ``f`` (:func:`smaller_sine_square`, its
        angle at most pi/4: the shorter polynomial), the nearer end plus its difference to the other
        times ``t2``, one product and one sum per step (the weights' form, ``a * w0 + b * w1``,
        costs two products and the second weight). Exact at both ends, and ``t2 <= 1/2`` takes at
        most half the difference away, so there is no cancellation. ``inv``: 1 / n, where n is
        selected per step, so that no step divides."""
        small, t2 = smaller_sine_square(_sin_eighth, jnp.minimum, rest, m, n, inv)
        base, diff = jnp.where(small, b, a), jnp.where(small, a - b, b - a)
        return base + diff * t2

    @staticmethod
    def count_div(k, q):
        """``k // q`` for integer steps ``k >= 0`` and a Python int ``q > 0``, exactly, without an
        integer division: a vector of them is not vectorised on CPU, and a cycle's loop ran at
        half speed for it. The quotient estimated in floats (the steps' width) is off by at most 1
        where ``q`` is large enough for the dtype's steps, and the remainder corrects it; below
        that, a truncating division (floor for steps >= 0)."""
        if not jnp.issubdtype(k.dtype, jnp.integer):
            return k // q
        wide = jnp.dtype(k.dtype).itemsize >= 8
        if q < (_EXACT_BELOW_64 if wide else _EXACT_BELOW_32):
            return lax.div(k, jnp.asarray(q, k.dtype))
        c = jnp.floor(k.astype(jnp.float64 if wide else jnp.float32) * (1.0 / q)).astype(k.dtype)
        r = k - c * q
        return c + (r >= q).astype(k.dtype) - (r < 0).astype(k.dtype)

    @staticmethod
    def power_of_count(d, c):
        """``d ** c`` for integer counts ``c >= 0`` (a cycle's decay) with one exponential per step
        instead of a general power: ``|d| ** c`` with the sign of an odd power of a negative ``d``,
        and 1 at ``c == 0`` (also for ``d == 0``)."""
        mag = jnp.exp(c.astype(jnp.result_type(d, float)) * jnp.log(jnp.abs(d)))
        v = jnp.where(c == 0, 1.0, mag)
        return jnp.where((d < 0) & ((c & 1) == 1), -v, v)

    # a flat schedule is one select chain over its few pieces, fused into the loop that writes the
    # output; the traced join lookup (a search per step) is for joins of many pieces
    compiled = False


QUARTER_SINE = _QuarterSineJax()
