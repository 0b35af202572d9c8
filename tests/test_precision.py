"""Precision at scale: every primitive, combinator and recipe near steps 1e6, 1e8, 2**31 - 1 and 2**40.

Each schedule is built with durations of the same magnitude as the steps it is evaluated at, so
that every phase is actually in force there. The reference is written here from the formulas of
the API contract and the peers (torch ``OneCycleLR`` / ``CyclicLR``, fairseq ``tri_stage``), with
exact step arithmetic in :class:`fractions.Fraction` and the transcendental functions in
:mod:`decimal` at 60 digits (a cosine is ``(1 + cos(pi * t)) / 2`` by its Taylor series: the
cancellation near the end of a phase costs digits the reference has to spare).

Backends and bounds:

* Python ``int`` steps and NumPy ``int64`` steps (float64): relative error <= 1e-12;
* JAX ``int32`` steps (float32), up to 2**31 - 1: relative error <= 1e-6 (values below 1e-30
  compared absolutely); a geometric decay has the float32 condition number of ``exp`` and a
  fractional clock puts the re-based step in float32 (see ``case``: ``span`` and ``clock``);
* JAX with x64 (``int64`` steps, float64) at 2**40: relative error <= 1e-12;
* ``lrsched.evaluate`` over windows of 1000 steps ending at 1e8, 2**31 - 1 (float32) and 2**40 (x64).

The documented limits of int32 steps (README, "Guarantees") are asserted at the end.
"""

from __future__ import annotations

import decimal
import itertools
import math
import random
from decimal import Decimal
from fractions import Fraction
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched as L

I32 = 2**31 - 1
SCALES = {"1e6": 10**6, "1e8": 10**8, "int32max": I32, "2**40": 2**40}
SCALES_INT32 = ("1e6", "1e8", "int32max")

RTOL64 = 1e-12
RTOL32 = 1e-6
TINY32 = 1e-30  # below this a float32 value is compared absolutely (float32's normal range ends at 1.2e-38)

# ============================================================================================
# the reference: Fraction steps, Decimal values
# ============================================================================================
_CTX = decimal.Context(prec=60, Emin=-(10**6), Emax=10**6)
PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899")


def D(x) -> Decimal:
    """An exact rational (int, float, Fraction) as a Decimal in the 60-digit context."""
    f = Fraction(x)
    return Decimal(f.numerator) / Decimal(f.denominator)


def _cos(x: Decimal) -> Decimal:
    # Taylor series, |x| <= pi here; terms fall below 1e-70 well before 60 of them
    term, total, x2, i = Decimal(1), Decimal(1), x * x, 0
    while abs(term) > Decimal("1e-75"):
        term = -term * x2 / ((2 * i + 1) * (2 * i + 2))
        total += term
        i += 1
    return total


def _pow(a: Decimal, b: Decimal) -> Decimal:
    if b == 0:
        return Decimal(1)
    if a == 0:
        return Decimal(0)
    return (b * a.ln()).exp()


def _tanh(x: Decimal) -> Decimal:
    e = (2 * x).exp()
    return (e - 1) / (e + 1)


def r_constant(v):
    return lambda k: D(v)


def r_ramp(start, end, n, shape="linear", **p):
    """``start`` at 0 to ``end`` at ``n`` (held after), ``t = k / n`` the fraction done."""
    n = Fraction(n)

    def f(k):
        s, e = D(start), D(end)
        if k >= n:
            return e
        t = D(Fraction(k) / n)
        if shape == "linear":
            return s + (e - s) * t
        if shape == "cosine":
            return e + (s - e) * _pow((1 + _cos(PI * t)) / 2, D(p.get("exponent", 1.0)))
        if shape == "exponential":
            return s * _pow(e / s, t)
        if shape == "polynomial":  # optax polynomial_schedule: (init - end) * (1 - t) ** power + end
            return e + (s - e) * _pow(1 - t, D(p.get("power", 1.0)))
        if shape == "sqrt":  # the 1-sqrt cooldown, arXiv:2405.18392
            return e + (s - e) * (1 - t.sqrt())
        if shape == "rex":  # arXiv:2107.04197: (1 - t) / ((1 - a) + a (1 - t))
            a = D(p.get("alpha", 0.5))
            return e + (s - e) * (1 - t) / ((1 - a) + a * (1 - t))
        if shape == "tanh":  # timm tanh_lr: lo + (hi - lo) / 2 * (1 - tanh(lb (1 - t) + ub t))
            lb, ub = D(p.get("lower", -7.0)), D(p.get("upper", 3.0))
            return e + (s - e) * (1 - _tanh(lb * (1 - t) + ub * t)) / 2
        raise AssertionError(shape)

    return f


def r_exponential(start, rate, n=1, staircase=False, end=None):
    def f(k):
        e = Fraction(k // n) if staircase else Fraction(k) / n
        v = D(start) * _pow(D(rate), D(e))
        if end is not None:
            v = max(v, D(end)) if rate < 1 else min(v, D(end))
        return v

    return f


def r_inverse_time(start, rate, n=1, staircase=False):
    def f(k):
        e = Fraction(k // n) if staircase else Fraction(k) / n
        return D(start) / (1 + D(rate) * D(e))

    return f


def r_inverse_sqrt(start, ts):
    return lambda k: D(start) * D(Fraction(ts) / (k + ts)).sqrt()


def r_piecewise_constant(start, scales):
    def f(k):
        v = D(start)
        for b in sorted(scales):
            if k >= b:
                v *= D(scales[b])
        return v

    return f


def r_piecewise_linear(points):
    xs = sorted(points)

    def f(k):
        if k < xs[0]:
            return D(points[xs[0]])
        for a, b in itertools.pairwise(xs):
            if k < b:
                return D(points[a]) + (D(points[b]) - D(points[a])) * D(Fraction(k - a, b - a))
        return D(points[xs[-1]])

    return f


def r_warmup(g, n, start=0.0):
    def f(k):
        if k < n:
            return D(start) + (g(Fraction(0)) - D(start)) * D(Fraction(k) / n)
        return g(k - n)

    return f


def r_join(gs, bounds):
    def f(k):
        i = sum(1 for b in bounds if k >= b)
        return gs[i](k - bounds[i - 1] if i else k)

    return f


def r_cycle(g, period, period_mult=1, decay=1.0, limit=None):
    """Cycle ``c`` lasts ``period * period_mult**c`` steps, runs ``g`` on a clock stretched to fit."""

    def f(k):
        if period_mult == 1:
            c = k // period
            if limit is not None and c >= limit:
                c, local = limit - 1, Fraction(period)
            else:
                local = k - c * period
            pc = period
        else:
            c, begin, pc, mult = 0, 0, Fraction(period), Fraction(repr(period_mult))  # the decimal it prints as
            while k >= begin + pc and (limit is None or c < limit - 1):
                begin, pc, c = begin + pc, pc * mult, c + 1
            local = min(k - begin, Fraction(pc))
        return _pow(D(decay), D(c)) * g(Fraction(local) * period / pc)

    return f


def r_shift(g, d):
    return lambda k: g(max(k - d, 0))


def r_per_epoch(g, spe):
    return lambda k: g(Fraction(k // spe))


def r_warmup_decay(shape, peak, total, warm, start=0.0, end=0.0):
    def f(k):
        if k < warm:
            return D(start) + (D(peak) - D(start)) * D(Fraction(k) / warm)
        if k >= total:
            return D(end)
        t = D(Fraction(k - warm, total - warm))
        if shape == "cosine":
            return D(end) + (D(peak) - D(end)) * (1 + _cos(PI * t)) / 2
        return D(peak) + (D(end) - D(peak)) * t

    return f


def r_wsd(peak, total, warm, decay, start=0.0, end=0.0):
    def f(k):
        if k < warm:
            return D(start) + (D(peak) - D(start)) * D(Fraction(k) / warm)
        if k < total - decay:
            return D(peak)
        t = Fraction(k - (total - decay), decay)
        if t >= 1:
            return D(end)
        return D(end) + (D(peak) - D(end)) * (1 - D(t).sqrt())

    return f


def r_one_cycle(peak, total, pct=0.3, div=25.0, final_div=1e4, anneal="cosine", three=False):
    # torch/optim/lr_scheduler.py OneCycleLR: initial = max_lr / div_factor, min = initial /
    # final_div_factor; phase ends float(pct * T) - 1 (three-phase: float(2 * pct * T) - 2) and
    # T - 1; a phase is in force while step <= its end; pct = (step - start) / (end - start)
    initial = peak / div
    low = initial / final_div
    if three:
        phases = [
            (float(pct * total) - 1, initial, peak),
            (float(2 * pct * total) - 2, peak, initial),
            (total - 1, initial, low),
        ]
    else:
        phases = [(float(pct * total) - 1, initial, peak), (float(total) - 1, peak, low)]

    def f(k):
        k = min(Fraction(k), Fraction(total - 1))  # lrsched holds the end where torch stops
        begin = Fraction(0)
        for i, (stop, a, b) in enumerate(phases):
            stop = Fraction(stop)
            if k <= stop or i == len(phases) - 1:
                t = D((k - begin) / (stop - begin))
                if anneal == "cosine":
                    return D(b) + (D(a) - D(b)) / 2 * (_cos(PI * t) + 1)
                return (D(b) - D(a)) * t + D(a)
            begin = stop
        raise AssertionError

    return f


def r_cyclic(low, high, up, down, mode="triangular", gamma=1.0):
    # torch/optim/lr_scheduler.py CyclicLR.get_lr: cycle = floor(1 + k / total), x = 1 + k / total - cycle
    def f(k):
        total = up + down
        cyc = math.floor(1 + Fraction(k, total))
        x = 1 + Fraction(k, total) - cyc
        ratio = Fraction(up, total)
        sf = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        if mode == "triangular2":
            scale = D(Fraction(1, 2 ** (cyc - 1)))
        elif mode == "exp_range":
            scale = _pow(D(gamma), D(k))
        else:
            scale = Decimal(1)
        return D(low) + (D(high) - D(low)) * D(sf) * scale

    return f


def r_noam(peak, w):
    def f(k):
        if k < w:
            return D(peak) * D(Fraction(k, w))
        return D(peak) * D(Fraction(w) / k).sqrt()

    return f


def r_tri_stage(peak, w, hold, decay, init_scale=0.01, final_scale=0.01):
    # fairseq/optim/lr_scheduler/tri_stage_lr_scheduler.py: linear warmup from init_lr, hold,
    # peak * exp(-decay_factor * t) with decay_factor = -log(final_lr_scale) / decay_steps
    def f(k):
        init = D(init_scale) * D(peak)
        if k < w:
            return init + (D(peak) - init) * D(Fraction(k, w))
        if k < w + hold:
            return D(peak)
        if k < w + hold + decay:
            factor = -D(final_scale).ln() / decay
            return D(peak) * (-factor * D(k - w - hold)).exp()
        return D(peak) * D(final_scale)

    return f


# ============================================================================================
# the cases: each builds (schedule, reference, steps that matter) for a scale N
# ============================================================================================
CASES = {}
# A float64 fractional clock is good to an ulp or two of the phase's length, so a value near zero at
# the end of a stretched cycle is within 1e-15 of the peak rather than 1e-12 of itself (README,
# "Guarantees"): those cases get this absolute floor, in units of RTOL64 * peak, on float64 paths.
CLOCK64 = {}
FLOOR64 = 1e-3


def case(name, span=0.0, clock=0.0):
    """Register a case.

    ``span`` bounds ``|ln(value / start)|`` of a geometric decay: ``v0 * r ** (k / n)`` computed in
    float32 carries the rounding of its exponent (2**-24 relative) times that, so a value ``e**-s``
    down from its start is good to about ``s`` float32 roundings (the condition number of ``exp``).

    ``clock`` is the peak value of a schedule whose re-based steps are fractional (a cycle with
    ``period_mult=2`` stretches its later cycles' steps; one_cycle's phase ends fall between
    steps): in float32 such a step is good to 2**-24 of its size, so past 2**24 steps the value
    is within 1e-6 of the peak rather than 1e-6 of a value near zero.
    """

    def deco(f):
        CASES[name] = (f, span, clock)
        return f

    return deco


@case("constant")
def _(N):
    return L.constant(0.3), r_constant(0.3), []


def _ramp_case(shape, start, end, **p):
    def build(N):
        return L.ramp(start, end, N, shape, **p), r_ramp(start, end, N, shape, **p), [N // 2]

    return build


for _shape, _p in [
    ("linear", {}),
    ("cosine", {}),
    ("cosine", {"exponent": 2.0}),
    ("polynomial", {"power": 2.0}),
    ("sqrt", {}),
    ("rex", {"alpha": 0.3}),
    ("tanh", {}),
]:
    _name = "ramp_" + _shape + "".join(f"_{k}{v:g}" for k, v in _p.items())
    case(_name)(_ramp_case(_shape, 1.5, 0.01, **_p))
case("ramp_exponential", span=math.log(150.0))(_ramp_case("exponential", 1.5, 0.01))
case("ramp_cosine_to_zero")(_ramp_case("cosine", 2.0, 0.0))
case("ramp_cosine_up")(_ramp_case("cosine", 0.0, 1.0))
case("ramp_linear_to_zero")(_ramp_case("linear", 1.0, 0.0))


@case("linear")
def _(N):
    return L.linear(0.0, 2.0, N), r_ramp(0.0, 2.0, N), []


@case("cosine")
def _(N):
    return L.cosine(2.0, 0.0, N), r_ramp(2.0, 0.0, N, "cosine"), []


@case("exponential", span=6 * math.log(2))
def _(N):
    n = N // 6 + 7
    return L.exponential(1.0, 0.5, n), r_exponential(1.0, 0.5, n), [n, 3 * n]


@case("exponential_staircase", span=6 * math.log(2))
def _(N):
    n = N // 6 + 7
    return L.exponential(1.0, 0.5, n, staircase=True), r_exponential(1.0, 0.5, n, True), [n, 2 * n, 5 * n]


@case("exponential_end", span=math.log(20))
def _(N):
    n = N // 6 + 7
    return L.exponential(1.0, 0.5, n, end=0.05), r_exponential(1.0, 0.5, n, end=0.05), [n, 4 * n, 5 * n]


@case("exponential_staircase_end", span=math.log(20))
def _(N):
    n = N // 6 + 7
    s = L.exponential(1.0, 0.5, n, staircase=True, end=0.05)
    return s, r_exponential(1.0, 0.5, n, True, 0.05), [n, 4 * n, 5 * n]


@case("exponential_growth_end", span=math.log(100))
def _(N):
    n = N // 8 + 3
    s = L.exponential(0.01, 2.0, n, end=1.0)
    return s, r_exponential(0.01, 2.0, n, end=1.0), [n, 6 * n, 7 * n]


@case("inverse_time")
def _(N):
    n = N // 4 + 1
    return L.inverse_time(1.0, 3.0, n), r_inverse_time(1.0, 3.0, n), [n]


@case("inverse_time_staircase")
def _(N):
    n = N // 4 + 1
    return L.inverse_time(1.0, 3.0, n, staircase=True), r_inverse_time(1.0, 3.0, n, True), [n, 2 * n, 3 * n]


@case("inverse_sqrt")
def _(N):
    ts = N // 100 + 3
    return L.inverse_sqrt(1.0, ts), r_inverse_sqrt(1.0, ts), [ts]


@case("piecewise_constant")
def _(N):
    scales = {N // 4: 0.5, N // 2: 0.1, N - 1: 0.3}
    return L.piecewise_constant(1.0, scales), r_piecewise_constant(1.0, scales), list(scales)


@case("piecewise_linear")
def _(N):
    points = {0: 0.0, N // 10: 1.0, N // 2: 0.5, N: 0.01}
    return L.piecewise_linear(points), r_piecewise_linear(points), list(points)


@case("warmup")
def _(N):
    w = N // 10
    s = L.warmup(L.cosine(1.0, 0.0, N - w), w, start=0.01)
    return s, r_warmup(r_ramp(1.0, 0.0, N - w, "cosine"), w, 0.01), [w]


@case("join")
def _(N):
    a = N // 3
    s = L.join([L.linear(0.0, 1.0, a), L.cosine(1.0, 0.1, a), L.constant(0.1)], [a, 2 * a])
    ref = r_join([r_ramp(0.0, 1.0, a), r_ramp(1.0, 0.1, a, "cosine"), r_constant(0.1)], [a, 2 * a])
    return s, ref, [a, 2 * a]


@case("cycle", span=math.log(0.7) * -8)
def _(N):
    p = N // 7 + 5
    s = L.cycle(L.cosine(1.0, 0.0, p), p, decay=0.7)
    return s, r_cycle(r_ramp(1.0, 0.0, p, "cosine"), p, 1, 0.7), [p, 3 * p, 6 * p]


@case("cycle_limit")
def _(N):
    p = N // 4 + 1
    s = L.cycle(L.linear(1.0, 0.1, p), p, decay=0.5, limit=3)
    return s, r_cycle(r_ramp(1.0, 0.1, p), p, 1, 0.5, 3), [p, 2 * p, 3 * p]


@case("cycle_mult2", clock=1.0)
def _(N):
    p = N // 15
    s = L.cycle(L.cosine(1.0, 0.0, p), p, period_mult=2)
    return s, r_cycle(r_ramp(1.0, 0.0, p, "cosine"), p, 2), [p, 3 * p, 7 * p]


@case("cycle_mult2_limit", clock=1.0)
def _(N):
    p = N // 7
    s = L.cycle(L.linear(1.0, 0.0, p), p, period_mult=2, decay=0.5, limit=2)
    return s, r_cycle(r_ramp(1.0, 0.0, p), p, 2, 0.5, 2), [p, 3 * p]


@case("shift")
def _(N):
    d = N // 3
    s = L.shift(L.cosine(1.0, 0.0, N - d), d)
    return s, r_shift(r_ramp(1.0, 0.0, N - d, "cosine"), d), [d]


@case("shift_advance")
def _(N):
    d = N // 3
    s = L.shift(L.cosine(1.0, 0.0, N), -d)
    return s, r_shift(r_ramp(1.0, 0.0, N, "cosine"), -d), [N - d]


@case("per_epoch", span=16 * math.log(2))
def _(N):
    spe = N // 64 + 1
    s = L.per_epoch(L.exponential(1.0, 0.5, 4), spe)
    return s, r_per_epoch(r_exponential(1.0, 0.5, 4), spe), [spe, 10 * spe]


@case("warmup_cosine")
def _(N):
    w = N // 20
    s = L.warmup_cosine(1.0, N, w, start=0.01, end=1e-3)
    return s, r_warmup_decay("cosine", 1.0, N, w, 0.01, 1e-3), [w]


@case("warmup_cosine_to_zero")
def _(N):
    w = N // 20
    return L.warmup_cosine(1.0, N, w), r_warmup_decay("cosine", 1.0, N, w), [w]


@case("warmup_linear")
def _(N):
    w = N // 20
    return L.warmup_linear(1.0, N, w, end=0.01), r_warmup_decay("linear", 1.0, N, w, end=0.01), [w]


@case("wsd")
def _(N):
    w, d = N // 20, N // 5
    return L.wsd(1.0, N, w, d, end=0.001), r_wsd(1.0, N, w, d, end=0.001), [w, N - d]


@case("one_cycle", clock=1.0)
def _(N):
    return L.one_cycle(1.0, N), r_one_cycle(1.0, N), [int(0.3 * N)]


@case("one_cycle_linear", clock=1.0)
def _(N):
    return L.one_cycle(1.0, N, anneal="linear"), r_one_cycle(1.0, N, anneal="linear"), [int(0.3 * N)]


@case("one_cycle_three_phase", clock=1.0)
def _(N):
    s = L.one_cycle(1.0, N, pct_start=0.25, three_phase=True)
    return s, r_one_cycle(1.0, N, pct=0.25, three=True), [int(0.25 * N), int(0.5 * N)]


def _cycle_starts(p, m, n):
    """The first integer step of cycles 1 .. n - 1 (exact: a float ``m`` is a rational)."""
    begin, pc, out = Fraction(0), Fraction(p), []
    for _ in range(n - 1):
        begin, pc = begin + pc, pc * Fraction(m)
        out.append(math.ceil(begin))
    return out


# A float period_mult from just above 1 to 1.5: cycle starts are non-integer (and the closed form
# p * (m**c - 1) / (m - 1) cancels when m is close to 1), the clocks fractional.
for _m in (1.00001, 1.0001, 1.001, 1.01, 1.1, 1.5):

    def _float_mult_case(N, m=_m):
        p = N // 7 + 5
        s = L.cycle(L.cosine(1.0, 0.0, p), p, period_mult=m, decay=0.9)
        return s, r_cycle(r_ramp(1.0, 0.0, p, "cosine"), p, m, 0.9), [b for b in _cycle_starts(p, m, 7) if b <= N]

    case(f"cycle_mult{_m:g}", span=-7 * math.log(0.9), clock=1.0)(_float_mult_case)
    CLOCK64[f"cycle_mult{_m:g}"] = FLOOR64


CLOCK64["cycle_mult1.001_limit"] = CLOCK64["sgdr_mult1.0001"] = FLOOR64


@case("cycle_mult1.001_limit", clock=1.0)
def _(N):
    p = N // 9 + 3
    s = L.cycle(L.linear(1.0, 0.0, p), p, period_mult=1.001, limit=3)
    return s, r_cycle(r_ramp(1.0, 0.0, p), p, 1.001, 1.0, 3), _cycle_starts(p, 1.001, 4)


@case("sgdr_mult1.0001", clock=1.0)
def _(N):
    w, p = N // 20, N // 9 + 1
    s = L.sgdr(1.0, p, period_mult=1.0001, warmup_steps=w)
    ref = r_warmup(r_cycle(r_ramp(1.0, 0.0, p, "cosine"), p, 1.0001), w)
    return s, ref, [w] + [w + b for b in _cycle_starts(p, 1.0001, 6)]


@case("sgdr", span=-8 * math.log(0.8))
def _(N):
    p, w = N // 8 + 1, N // 100
    s = L.sgdr(1.0, p, decay=0.8, end=0.01, warmup_steps=w)
    ref = r_warmup(r_cycle(r_ramp(1.0, 0.01, p, "cosine"), p, 1, 0.8), w)
    return s, ref, [w, w + p, w + 5 * p]


@case("sgdr_mult2", span=-4 * math.log(0.8), clock=1.0)
def _(N):
    p, w = N // 16, N // 100
    s = L.sgdr(1.0, p, period_mult=2, decay=0.8, warmup_steps=w)
    ref = r_warmup(r_cycle(r_ramp(1.0, 0.0, p, "cosine"), p, 2, 0.8), w)
    return s, ref, [w, w + p, w + 3 * p, w + 7 * p]


@case("cyclic")
def _(N):
    up, down = N // 10 + 1, N // 5 + 3
    s = L.cyclic(0.1, 1.0, up, down)
    return s, r_cyclic(0.1, 1.0, up, down), [up, up + down]


@case("cyclic_triangular2", span=3 * math.log(2))
def _(N):
    up, down = N // 6, N // 6
    s = L.cyclic(0.1, 1.0, up, down, mode="triangular2")
    return s, r_cyclic(0.1, 1.0, up, down, "triangular2"), [up, 2 * up, 3 * up]


def _gamma(N):
    # gamma ** N is about exp(-4), with gamma a float32 (so the float32 path rounds no leaf)
    return float(np.float32(1.0 - 4.0 / N))


@case("cyclic_exp_range", span=4.0)
def _(N):
    up, down, g = N // 10 + 1, N // 10 + 1, _gamma(N)
    s = L.cyclic(0.1, 1.0, up, down, mode="exp_range", gamma=g)
    return s, r_cyclic(0.1, 1.0, up, down, "exp_range", g), [up, up + down]


@case("noam")
def _(N):
    w = N // 100 + 1
    return L.noam(1.0, w), r_noam(1.0, w), [w]


@case("tri_stage", span=math.log(100))
def _(N):
    w, h, d = N // 10, N // 5, N // 2
    return L.tri_stage(1.0, w, h, d), r_tri_stage(1.0, w, h, d), [w, w + h, w + h + d]


# ============================================================================================
# steps and reference values
# ============================================================================================
NSTEPS = 48


def _steps(N, marks, top):
    """Ends, each mark and its neighbours, the middles between marks, and 16 seeded random steps."""
    ks = {0, 1, 2, N // 2, N - 2, N - 1, N, top}
    edges = sorted({0, N, *marks})
    for m in marks:
        ks |= {m - 1, m, m + 1}
    for a, b in itertools.pairwise(edges):
        ks.add((a + b) // 2)
    rng = random.Random(N)
    ks |= {rng.randrange(0, N + 1) for _ in range(16)}
    ks = sorted(k for k in ks if 0 <= k <= top)
    assert len(ks) <= NSTEPS
    return ks + [top] * (NSTEPS - len(ks))  # one length for all: JAX's eager ops compile once per shape


@cache
def _fixture(name, scale, top=None):
    N = SCALES[scale]
    build, span, clock = CASES[name]
    s, ref, marks = build(N)
    top = N if top is None else top
    ks = _steps(N, marks, top)
    with decimal.localcontext(_CTX):
        want = [ref(Fraction(k)) for k in ks]
    return s, ks, want, span, clock


def _check(got, ks, want, rtol, what, span=0.0, floor=0.0):
    """|got - want| <= rtol * ((1 + span) * |want| + floor) at every step, and no NaN or inf."""
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == (len(ks),), what
    assert np.all(np.isfinite(got)), f"{what}: non-finite values {got[~np.isfinite(got)]}"
    bad = []
    with decimal.localcontext(_CTX):
        for k, g, w in zip(ks, got, want):
            err = abs(D(float(g)) - w)
            bound = D(rtol) * (D(1.0 + span) * abs(w) + D(floor))
            if not err <= bound:
                bad.append((k, float(g), float(w), float(err / abs(w)) if w else float(err)))
    assert not bad, f"{what}: {len(bad)} of {len(ks)} steps off; (step, got, want, rel) e.g. {bad[:4]}"


def _params(scales):
    return [(n, sc) for n in sorted(CASES) for sc in scales]


# ============================================================================================
# pointwise paths
# ============================================================================================
@pytest.mark.parametrize("name,scale", _params(SCALES))
def test_python_int_steps(name, scale):
    s, ks, want, _, _ = _fixture(name, scale)
    got = []
    for k in ks:
        v = s(k)
        assert type(v) is float
        got.append(v)
    _check(got, ks, want, RTOL64, f"{name} python @ {scale}", floor=CLOCK64.get(name, 0.0))


@pytest.mark.parametrize("name,scale", _params(SCALES))
def test_numpy_int64_steps(name, scale):
    s, ks, want, _, _ = _fixture(name, scale)
    got = s(np.asarray(ks, dtype=np.int64))
    assert got.dtype == np.float64
    _check(got, ks, want, RTOL64, f"{name} numpy @ {scale}", floor=CLOCK64.get(name, 0.0))


@pytest.mark.parametrize("name,scale", _params(SCALES_INT32))
def test_jax_int32_steps(name, scale):
    s, ks, want, span, clock = _fixture(name, scale)
    k = jnp.asarray(ks, dtype=jnp.int32)
    assert k.dtype == jnp.int32
    got = s(k)
    assert got.dtype == jnp.float32
    _check(got, ks, want, RTOL32, f"{name} jax int32 @ {scale}", span=span, floor=clock + TINY32)
    if scale == "int32max":  # the same under jit (the steps a traced argument; XLA fuses the formula)
        _check(jax.jit(s)(k), ks, want, RTOL32, f"{name} jit int32 @ {scale}", span=span, floor=clock + TINY32)


@pytest.mark.parametrize("name,scale", _params(["2**40"]))
def test_jax_x64_steps(name, scale):
    s, ks, want, _, _ = _fixture(name, scale)
    with jax.enable_x64(True):
        k = jnp.asarray(ks, dtype=jnp.int64)
        got = s(k)
        assert got.dtype == jnp.float64
        _check(got, ks, want, RTOL64, f"{name} jax x64 @ {scale}", floor=CLOCK64.get(name, 0.0))


# ============================================================================================
# dense evaluation over windows
# ============================================================================================
WINDOW = 1000


def _window_fixture(name, scale):
    N = SCALES[scale]
    build, span, clock = CASES[name]
    s, ref, _ = build(N)
    ks = list(range(N - WINDOW + 1, N + 1))
    with decimal.localcontext(_CTX):
        want = [ref(Fraction(k)) for k in ks[::10]] + [ref(Fraction(ks[-1]))]
    return s, ks, want, span, clock


@pytest.mark.parametrize("name,scale", _params(["1e8", "int32max"]))  # (below 2**24 float32 steps are exact)
def test_evaluate_window_float32(name, scale):
    s, ks, want, span, clock = _window_fixture(name, scale)
    got = L.evaluate(s, WINDOW, start=ks[0])
    assert got.dtype == jnp.float32 and got.shape == (WINDOW,)
    got = np.asarray(got, dtype=np.float64)
    assert np.all(np.isfinite(got))
    sub = ks[::10] + [ks[-1]]
    _check(
        np.concatenate([got[::10], got[-1:]]),
        sub,
        want,
        RTOL32,
        f"{name} evaluate @ {scale}",
        span=span,
        floor=clock + TINY32,
    )
    # every step of the window against the float64 NumPy path (checked above against the reference)
    ref64 = s(np.asarray(ks, dtype=np.int64))
    bound = RTOL32 * ((1.0 + span) * np.abs(ref64) + clock + TINY32)
    assert np.all(np.abs(got - ref64) <= bound), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_evaluate_window_x64(name):
    s, ks, want, _, _ = _window_fixture(name, "2**40")
    with jax.enable_x64(True):
        got = L.evaluate(s, WINDOW, start=ks[0])
        assert got.dtype == jnp.float64
    got = np.asarray(got)
    _check(
        np.concatenate([got[::10], got[-1:]]),
        ks[::10] + [ks[-1]],
        want,
        RTOL64,
        f"{name} evaluate x64 @ 2**40",
        floor=CLOCK64.get(name, 0.0),
    )
    np.testing.assert_allclose(L.evaluate(s, WINDOW, start=ks[0], backend="numpy"), got, rtol=RTOL64, atol=0)


# ============================================================================================
# the limits of JAX's 32-bit steps (README, "Guarantees")
# ============================================================================================
BIG = 2**40


def _long_durations():
    """Schedules with durations past 2**31 - 1: int32 steps never reach those phases."""
    p = 3 * 2**30  # a cycle (and a limit * period) past int32
    return {
        "ramp": (L.cosine(1.0, 0.01, BIG), r_ramp(1.0, 0.01, BIG, "cosine")),
        "ramp_tanh": (L.ramp(1.0, 0.01, BIG, "tanh"), r_ramp(1.0, 0.01, BIG, "tanh")),
        "ramp_just_past": (L.linear(1.0, 0.0, I32 + 1), r_ramp(1.0, 0.0, I32 + 1)),
        "exponential": (L.exponential(1.0, 0.5, 2**32), r_exponential(1.0, 0.5, 2**32)),
        "exponential_staircase": (L.exponential(1.0, 0.5, 2**32, staircase=True), r_exponential(1.0, 0.5, 2**32, True)),
        "inverse_time": (L.inverse_time(1.0, 2.0, BIG), r_inverse_time(1.0, 2.0, BIG)),
        "inverse_sqrt": (L.inverse_sqrt(1.0, 2**33), r_inverse_sqrt(1.0, 2**33)),
        "piecewise_constant": (
            L.piecewise_constant(1.0, {2**30: 0.5, 2**32: 0.1}),
            r_piecewise_constant(1.0, {2**30: 0.5, 2**32: 0.1}),
        ),
        "warmup": (L.warmup(L.constant(1.0), 2**35, start=0.5), r_warmup(r_constant(1.0), 2**35, 0.5)),
        "join": (
            L.join([L.linear(1.0, 0.5, 2**30), L.cosine(0.5, 0.1, 2**33), L.constant(0.0)], [2**30, 2**30 + 2**33]),
            r_join(
                [r_ramp(1.0, 0.5, 2**30), r_ramp(0.5, 0.1, 2**33, "cosine"), r_constant(0.0)], [2**30, 2**30 + 2**33]
            ),
        ),
        "cycle": (L.cycle(L.linear(1.0, 0.0, p), p), r_cycle(r_ramp(1.0, 0.0, p), p)),
        "cycle_limit": (
            L.cycle(L.linear(1.0, 0.0, 2**30), 2**30, limit=3),
            r_cycle(r_ramp(1.0, 0.0, 2**30), 2**30, limit=3),
        ),
        "cycle_mult2_limit": (
            L.cycle(L.linear(1.0, 0.0, 2**30), 2**30, period_mult=2, limit=2),
            r_cycle(r_ramp(1.0, 0.0, 2**30), 2**30, 2, limit=2),
        ),
        "cycle_mult2_long": (L.cycle(L.linear(1.0, 0.0, p), p, period_mult=2), r_cycle(r_ramp(1.0, 0.0, p), p, 2)),
        "shift": (L.shift(L.linear(1.0, 0.0, 10), 2**33), r_shift(r_ramp(1.0, 0.0, 10), 2**33)),
        "per_epoch": (L.per_epoch(L.exponential(1.0, 0.5), 2**33), r_per_epoch(r_exponential(1.0, 0.5), 2**33)),
        "wsd": (L.wsd(1.0, BIG, 2**20, 2**38), r_wsd(1.0, BIG, 2**20, 2**38)),
    }


@pytest.mark.parametrize("name", sorted(_long_durations()))
def test_durations_past_int32_on_int32_steps(name):
    # int32 steps stop at 2**31 - 1: a phase that starts later is never in force, and a phase
    # that ends later is part-way (its n - k is done in floats, never in overflowing int32)
    s, ref = _long_durations()[name]
    clock = 1.0 if "mult2" in name else 0.0  # a stretched (float) clock: see ``case``
    ks = [0, 1, 2**24 + 1, 2**30 - 1, 2**30, 2**30 + 1, 2**31 - 2, I32]
    with decimal.localcontext(_CTX):
        want = [ref(Fraction(k)) for k in ks]
    k32 = jnp.asarray(ks, dtype=jnp.int32)
    _check(s(k32), ks, want, RTOL32, f"{name} int32", floor=clock + TINY32)
    _check(s(np.asarray(ks, dtype=np.int64)), ks, want, RTOL64, f"{name} numpy")
    got = L.evaluate(s, WINDOW, start=I32 - WINDOW + 1)
    _check(np.asarray(got)[-1:], ks[-1:], want[-1:], RTOL32, f"{name} evaluate", floor=clock + TINY32)
    np.testing.assert_allclose(np.asarray(got), s(np.arange(I32 - WINDOW + 1, I32 + 1)), rtol=2 * RTOL32, atol=TINY32)


def test_shift_that_advances_saturates_on_int32_steps():
    # shift(s, -d) runs s at k + d, which int32 cannot hold for k > 2**31 - 1 - d: there the
    # re-based step holds at 2**31 - 1 (documented); NumPy and 64-bit JAX run s at k + d
    n, d = 2**32, 1000
    s = L.shift(L.linear(0.0, 1.0, n), -d)
    ks = np.asarray([I32 - 2 * d, I32 - d, I32 - d + 1, I32], dtype=np.int64)
    exact = (ks + d) / n
    held = np.minimum(ks + d, I32) / n
    np.testing.assert_allclose(s(ks), exact, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(s(jnp.asarray(ks, dtype=jnp.int32))), held, rtol=RTOL32)
    assert np.asarray(s(jnp.asarray(ks, dtype=jnp.int32)))[-1] < np.float32(exact[-1])
    with jax.enable_x64(True):
        np.testing.assert_allclose(np.asarray(s(jnp.asarray(ks))), exact, rtol=1e-15)
    # a shift by more than int32 holds: every step sees 2**31 - 1
    far = L.shift(L.linear(0.0, 1.0, 2**33), -(2**32))
    np.testing.assert_allclose(
        np.asarray(far(jnp.asarray([0, 5, I32], dtype=jnp.int32))), [I32 / 2**33] * 3, rtol=RTOL32
    )


def test_evaluate_past_int32_needs_x64():
    s = L.warmup_cosine(1.0, 2**32, 2**20)
    with pytest.raises(ValueError, match=r"start=2147482648, num_steps=1001: steps past 2147483647"):
        L.evaluate(s, WINDOW + 1, start=I32 - WINDOW + 1)
    with pytest.raises(ValueError, match="jax_enable_x64"):
        L.evaluate(s, 10, start=2**33)
    L.evaluate(s, WINDOW, start=I32 - WINDOW + 1)  # the last int32 window is fine
    ks = list(range(2**33, 2**33 + WINDOW))
    ref = r_warmup_decay("cosine", 1.0, 2**32, 2**20)
    with decimal.localcontext(_CTX):
        want = [ref(Fraction(k)) for k in ks]
    _check(L.evaluate(s, WINDOW, start=2**33, backend="numpy"), ks, want, RTOL64, "numpy past int32")
    with jax.enable_x64(True):
        _check(L.evaluate(s, WINDOW, start=2**33), ks, want, RTOL64, "x64 past int32")


def test_float32_steps_with_durations_past_int32():
    # next to float steps a duration is a float, as it would be anyway: no int32 conversion
    ks = [0.0, 2.5, 2.0**30 + 0.5, 2.0**40]
    for s, ref in [
        (L.cosine(1.0, 0.0, BIG), r_ramp(1.0, 0.0, BIG, "cosine")),
        (
            L.join([L.constant(1.0), L.linear(1.0, 0.0, 2**36)], [2**35]),
            r_join([r_constant(1.0), r_ramp(1.0, 0.0, 2**36)], [2**35]),
        ),
        (L.exponential(1.0, 0.5, 2**36), r_exponential(1.0, 0.5, 2**36)),
    ]:
        with decimal.localcontext(_CTX):
            want = [ref(Fraction(k)) for k in ks]
        _check(s(jnp.asarray(ks, dtype=jnp.float32)), ks, want, RTOL32, f"{s!r} float32", floor=TINY32)
        _check(s(np.asarray(ks)), ks, want, RTOL64, f"{s!r} float64")


def test_float32_steps_are_rounded_to_float32():
    # a float32 step, and a boundary it meets, are rounded to float32 (exact only up to 2**24);
    # int32 steps are exact up to 2**31 - 1, so only they see a boundary at 2**24 + 1 where it is
    s = L.piecewise_constant(1.0, {2**24 + 1: 0.5})
    assert float(s(jnp.int32(2**24 + 1))) == 0.5 and float(s(jnp.int32(2**24))) == 1.0
    assert float(s(jnp.float32(2**24))) == 0.5  # 2**24 + 1 rounds to 2**24 in float32
    assert s(np.float64(2**24)) == 1.0 and s(2**24) == 1.0


@pytest.mark.parametrize("n", [7, 1000, 10**6, 2**31 - 1])
def test_cosine_weights_from_one_sine_are_accurate_at_both_ends(n):
    """A cosine's weights come from one sine (of the smaller fraction, with the other weight 1
    minus it): a value near either end, rising from 0 or falling to 0, keeps its relative accuracy."""
    ks = sorted(k for k in {0, 1, 2, 3, n // 2, n // 2 + 1, n - 3, n - 2, n - 1, n} if 0 <= k <= n)
    rising, falling = L.cosine(0.0, 1.0, n), L.cosine(1.0, 0.0, n)
    for k in ks:
        up = math.sin(math.pi / 2 * (k / n)) ** 2  # float64 reference, from the fraction done
        down = math.sin(math.pi / 2 * ((n - k) / n)) ** 2
        assert rising(k) == pytest.approx(up, rel=1e-14, abs=0.0)
        assert falling(k) == pytest.approx(down, rel=1e-14, abs=0.0)
        assert float(rising(np.int64(k))) == pytest.approx(up, rel=1e-14, abs=0.0)
    got = np.asarray(jax.jit(rising)(jnp.asarray(ks, dtype=jnp.int32)), dtype=np.float64)
    want = np.array([math.sin(math.pi / 2 * (k / n)) ** 2 for k in ks])
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=0.0)
    assert rising(0) == 0.0 and rising(n) == 1.0 and falling(0) == 1.0 and falling(n) == 0.0


@pytest.mark.parametrize("x64", [False, True])
def test_the_flat_loops_count_of_cycles_is_exact(x64):
    """A cycle's index in the one-loop dense path is ``k // q``, found without an integer division
    (a float estimate corrected by the remainder): exact over the whole range of the step dtype,
    at and around every kind of edge, for periods below and above where the estimate is used."""
    from lrsched._quarter_sine import QUARTER_SINE

    rng = np.random.default_rng(7)
    with jax.enable_x64(x64):
        dtype, hi = (np.int64, 2**63 - 1) if x64 else (np.int32, 2**31 - 1)
        count = jax.jit(QUARTER_SINE.count_div, static_argnums=1)
        for q in (1, 7, 1000, 1023, 1024, 1025, 8191, 8192, 99_999, 2**20 + 3, 2**30, 2**31 - 1):
            top = (hi // q) * q
            edges = [0, 1, q - 1, q, q + 1, 2 * q - 1, 2 * q, top - 1, top, min(top + 1, hi), hi - 1, hi]
            ks = np.concatenate([rng.integers(0, hi, 20_000, dtype=np.int64, endpoint=True), edges]).astype(dtype)
            got = np.asarray(count(jnp.asarray(ks), q))
            np.testing.assert_array_equal(got, ks // q, err_msg=f"q={q}")


def test_the_flat_loops_decay_power():
    """``d ** c`` of a cycle's decay in the one-loop path: one exponential per step, the sign of an
    odd power of a negative decay, and 1 at c = 0 even for a decay of 0."""
    from lrsched._quarter_sine import QUARTER_SINE

    c = np.arange(0, 60, dtype=np.int32)
    for d in (0.8, 0.5, -0.7, 0.0, 1.3, 1.0):
        got = np.asarray(jax.jit(QUARTER_SINE.power_of_count)(jnp.float32(d), jnp.asarray(c)), dtype=np.float64)
        want = np.array([float(np.float32(d)) ** int(i) for i in c])  # float64, of the float32 decay
        np.testing.assert_allclose(got, want, rtol=4e-6, atol=1e-37, err_msg=f"d={d}")


@pytest.mark.parametrize("e", [2.0, 3.0, 0.5, 1.7])
@pytest.mark.parametrize("n", [7, 1000, 10**6])
def test_a_cosine_with_an_exponent_keeps_its_relative_accuracy_at_both_ends(e, n):
    """A cosine ramp's weights with an exponent, ``(sin(pi/2 * left)**2) ** e`` and one minus it,
    near both ends: rising from 0 the end's weight is ``1 - (1 - t)**e`` for a small ``t``, which
    the formula takes without the cancellation of ``1 - w`` (from the binomial sum, or
    ``-expm1(e * log1p(-t))``). On float32 it had been off by 1.5-6% of itself a step after 0."""
    ks = sorted(k for k in {0, 1, 2, 3, n // 2, n - 3, n - 2, n - 1, n} if 0 <= k <= n)
    rising, falling = L.cosine(0.0, 1.0, n, exponent=e), L.cosine(1.0, 0.0, n, exponent=e)

    def up(k):  # float64, accurate at both ends: from the smaller fraction's sine
        if k <= n - k:
            return -math.expm1(e * math.log1p(-(math.sin(math.pi / 2 * (k / n)) ** 2)))
        return 1.0 - (math.sin(math.pi / 2 * ((n - k) / n)) ** 2) ** e

    def down(k):
        if k <= n - k:
            return math.exp(e * math.log1p(-(math.sin(math.pi / 2 * (k / n)) ** 2)))
        return (math.sin(math.pi / 2 * ((n - k) / n)) ** 2) ** e

    for k in ks:
        assert rising(k) == pytest.approx(up(k), rel=1e-13, abs=0.0)
        assert falling(k) == pytest.approx(down(k), rel=1e-13, abs=0.0)
    want = np.array([up(k) for k in ks])
    got = {
        "numpy": rising(np.asarray(ks)),
        "jit": jax.jit(rising)(jnp.asarray(ks, dtype=jnp.int32)),
        "evaluate": np.asarray(L.evaluate(rising, n + 1))[ks],
    }
    for name, v in got.items():
        np.testing.assert_allclose(
            np.asarray(v, np.float64), want, rtol=3e-6 if name != "numpy" else 1e-13, err_msg=name
        )
