"""Float64 reference formulas for every primitive, combinator and recipe, and the table of cases
built from them, shared by the tests that check lrsched against an independent computation.

The references are written from the formulas in the API contract and the docstrings, in plain
:mod:`math`, the straightforward way (a cosine is ``0.5 * (1 + cos(pi * t))``), never from lrsched's
own output. Each case is ``(id, builder, reference, span)``: ``builder()`` makes the schedule,
``reference(k)`` is its value at step ``k`` as a Python float, and steps ``0..span`` and a few beyond
(:func:`int_steps`, :func:`float_steps`) cover every phase.
"""

from __future__ import annotations

import math

import numpy as np

import lrsched as L


# ============================================================================================
# references (float64, plain math)
# ============================================================================================
def _frac(k, n):
    """Fraction of a phase of ``n`` steps done at step ``k``, clamped to [0, 1]."""
    return min(max(k, 0), n) / n


def ref_ramp(start, end, n, shape="linear", **p):
    def f(k):
        if k >= n:  # "then holds end" (timm's tanh schedule also gives lr_min once its cycle is over)
            return end
        t = _frac(k, n)
        if shape == "linear":
            return start + (end - start) * t
        if shape == "cosine":
            w = (0.5 * (1.0 + math.cos(math.pi * t))) ** p.get("exponent", 1.0)
            return end + (start - end) * w
        if shape == "exponential":
            return start * (end / start) ** t
        if shape == "polynomial":  # optax polynomial_schedule: (init - end) * (1 - t)**power + end
            return end + (start - end) * (1.0 - t) ** p.get("power", 1.0)
        if shape == "sqrt":  # the "1-sqrt" cooldown (Hägele et al., arXiv:2405.18392)
            return end + (start - end) * (1.0 - math.sqrt(t))
        if shape == "rex":  # REX (Chen et al., arXiv:2107.04197): (1 - z) / ((1 - a) + a (1 - z))
            a = p.get("alpha", 0.5)
            return end + (start - end) * (1.0 - t) / ((1.0 - a) + a * (1.0 - t))
        if shape == "tanh":  # timm/scheduler/tanh_lr.py: lo + 0.5 (hi - lo) (1 - tanh(lb (1 - t) + ub t))
            lb, ub = p.get("lower", -7.0), p.get("upper", 3.0)
            return end + 0.5 * (start - end) * (1.0 - math.tanh(lb * (1.0 - t) + ub * t))
        raise AssertionError(shape)

    return f


def ref_exponential(start, rate, n=1, staircase=False, end=None):
    def f(k):
        e = math.floor(k / n) if staircase else k / n
        try:
            v = start * rate**e
        except OverflowError:  # far past a ceiling: the bound below applies
            v = math.copysign(math.inf, start)
        if end is not None:
            v = max(v, end) if rate < 1 else min(v, end)
        return v

    return f


def ref_inverse_time(start, rate, n=1, staircase=False):
    return lambda k: start / (1.0 + rate * (math.floor(k / n) if staircase else k / n))


def ref_inverse_sqrt(start, ts):
    return lambda k: start / math.sqrt((k + ts) / ts)


def ref_piecewise_constant(start, scales):
    def f(k):
        v = start
        for b in sorted(scales):
            if k >= b:
                v *= scales[b]
        return v

    return f


def ref_piecewise_linear(points, shape="linear"):
    xs = sorted(points)

    def f(k):
        if k < xs[0]:
            return points[xs[0]]
        for a, b in zip(xs, xs[1:]):
            if k < b:
                return ref_ramp(points[a], points[b], b - a, shape)(k - a)
        return points[xs[-1]]

    return f


def ref_warmup(g, n, start=0.0, shape="linear"):
    def f(k):
        if k < n:
            return ref_ramp(start, g(0), n, shape)(k)
        return g(k - n)

    return f


def ref_join(gs, bounds):
    def f(k):
        i = sum(1 for b in bounds if k >= b)
        return gs[i](k - bounds[i - 1] if i else k)

    return f


def ref_cycle(g, period, period_mult=1, decay=1.0, limit=None):
    def f(k):
        c, start, pc = 0, 0.0, float(period)
        while k >= start + pc and (limit is None or c < limit - 1):
            start += pc
            pc *= period_mult
            c += 1
        local = min(k - start, pc)  # past the last cycle: hold its end
        return decay**c * g(local * period / pc)

    return f


def ref_cyclic(low, high, up, down=None, mode="triangular", gamma=1.0):
    # torch/optim/lr_scheduler.py CyclicLR.get_lr (scale_mode "cycle" for the triangles,
    # "iterations" for exp_range)
    down = up if down is None else down

    def f(k):
        total = up + down
        ratio = up / total
        cyc = math.floor(1 + k / total)
        x = 1.0 + k / total - cyc
        sf = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        if mode == "triangular2":
            scale = 0.5 ** (cyc - 1)
        elif mode == "exp_range":
            scale = gamma**k
        else:
            scale = 1.0
        return low + (high - low) * sf * scale

    return f


def ref_warmup_decay(shape, peak, total, warm, start=0.0, end=0.0):
    def f(k):
        if k < warm:
            return start + (peak - start) * k / warm
        if k >= total:
            return end
        t = (k - warm) / (total - warm)
        if shape == "cosine":
            return end + (peak - end) * 0.5 * (1.0 + math.cos(math.pi * t))
        return peak + (end - peak) * t

    return f


def ref_wsd(peak, total, warm, decay, start=0.0, end=0.0, shape="sqrt"):
    def f(k):
        if k < warm:
            return start + (peak - start) * k / warm
        if k < total - decay:
            return peak
        return ref_ramp(peak, end, decay, shape)(k - (total - decay))

    return f


def ref_one_cycle(peak, total, pct=0.3, div=25.0, final_div=1e4, anneal="cosine", three=False):
    # torch/optim/lr_scheduler.py OneCycleLR: phase ends pct*T - 1 (and 2*pct*T - 2), T - 1
    initial = peak / div
    low = initial / final_div
    if three:
        phases = [(pct * total - 1, initial, peak), (2 * pct * total - 2, peak, initial), (total - 1, initial, low)]
    else:
        phases = [(pct * total - 1, initial, peak), (total - 1, peak, low)]

    def f(k):
        k = min(k, total - 1)
        begin = 0.0
        for i, (stop, a, b) in enumerate(phases):
            if k <= stop or i == len(phases) - 1:
                t = (k - begin) / (stop - begin)
                if anneal == "cosine":
                    return b + (a - b) / 2.0 * (math.cos(math.pi * t) + 1)
                return (b - a) * t + a
            begin = stop
        raise AssertionError

    return f


def ref_sgdr(peak, period, period_mult=1, end=0.0, decay=1.0, warm=0, limit=None):
    # SGDR (arXiv:1608.03983), as torch CosineAnnealingWarmRestarts with T_0=period, T_mult
    def f(k):
        if k < warm:
            return peak * k / warm
        k = k - warm
        c, begin, ti = 0, 0.0, float(period)
        while k >= begin + ti and (limit is None or c < limit - 1):
            begin += ti
            ti *= period_mult
            c += 1
        t = min((k - begin) / ti, 1.0)
        return decay**c * (end + (peak - end) * 0.5 * (1 + math.cos(math.pi * t)))

    return f


def ref_noam(peak, warm):
    # Vaswani et al.: d**-0.5 * min(k * w**-1.5, k**-0.5), normalised to peak at k = w
    return lambda k: peak * k / warm if k < warm else peak * math.sqrt(warm / k)


def ref_tri_stage(peak, warm, hold, decay, init_scale=0.01, final_scale=0.01):
    # fairseq/optim/lr_scheduler/tri_stage_lr_scheduler.py: decay_factor = -log(final_scale) / decay_steps
    def f(k):
        if k < warm:
            return peak * init_scale + (peak - peak * init_scale) * k / warm
        k -= warm
        if k < hold:
            return peak
        k -= hold
        if k < decay:
            return peak * math.exp(-(-math.log(final_scale) / decay) * k)
        return peak * final_scale

    return f


# ============================================================================================
# the cases: (id, builder, reference, span); steps 0..span and a few beyond are checked
# ============================================================================================
def _r(x):
    return lambda k: x


def _inv(k):
    return 1.0 / (1.0 + k)


SHAPES = [
    ("linear", {}),
    ("cosine", {}),
    ("cosine", {"exponent": 2.0}),
    ("cosine", {"exponent": 0.5}),
    ("exponential", {}),
    ("polynomial", {}),
    ("polynomial", {"power": 2.0}),
    ("polynomial", {"power": 0.5}),
    ("sqrt", {}),
    ("rex", {}),
    ("rex", {"alpha": 0.9}),
    ("tanh", {}),
    ("tanh", {"lower": -5.0, "upper": 5.0}),
]


def _shape_id(shape, p):
    return shape + "".join(f"-{k}{v}" for k, v in p.items())


PRIMITIVES = [
    ("constant", lambda: L.constant(0.3), _r(0.3), 10),
    ("constant-neg", lambda: L.constant(-2.5), _r(-2.5), 10),
    *[
        (
            f"ramp-down-{_shape_id(s, p)}",
            (lambda s=s, p=p: L.ramp(1.0, 0.01, 100, s, **p)),
            ref_ramp(1.0, 0.01, 100, s, **p),
            100,
        )
        for s, p in SHAPES
    ],
    *[
        (
            f"ramp-up-{_shape_id(s, p)}",
            (lambda s=s, p=p: L.ramp(0.02, 2.0, 37, s, **p)),
            ref_ramp(0.02, 2.0, 37, s, **p),
            37,
        )
        for s, p in SHAPES
    ],
    (
        "ramp-exponential-negative",
        lambda: L.ramp(-1.0, -0.01, 50, "exponential"),
        ref_ramp(-1.0, -0.01, 50, "exponential"),
        50,
    ),
    ("ramp-zero-steps", lambda: L.ramp(1.0, 0.25, 0, "cosine"), ref_ramp(1.0, 0.25, 0, "cosine"), 5),
    ("ramp-fractional-steps", lambda: L.ramp(1.0, 0.0, 12.5), ref_ramp(1.0, 0.0, 12.5), 14),
    ("linear", lambda: L.linear(0.0, 2.0, 50), ref_ramp(0.0, 2.0, 50), 50),
    ("cosine", lambda: L.cosine(1.0, 0.1, 80), ref_ramp(1.0, 0.1, 80, "cosine"), 80),
    (
        "cosine-exponent",
        lambda: L.cosine(1.0, 0.1, 80, exponent=3.0),
        ref_ramp(1.0, 0.1, 80, "cosine", exponent=3.0),
        80,
    ),
    ("exponential", lambda: L.exponential(2.0, 0.9, 10), ref_exponential(2.0, 0.9, 10), 100),
    (
        "exponential-staircase",
        lambda: L.exponential(2.0, 0.5, 7, staircase=True),
        ref_exponential(2.0, 0.5, 7, True),
        50,
    ),
    ("exponential-end", lambda: L.exponential(1.0, 0.8, 3, end=0.3), ref_exponential(1.0, 0.8, 3, end=0.3), 40),
    (
        "exponential-growth-end",
        lambda: L.exponential(0.1, 1.25, 2, end=1.0),
        ref_exponential(0.1, 1.25, 2, end=1.0),
        40,
    ),
    (
        "exponential-staircase-end",
        lambda: L.exponential(1.0, 0.5, 5, staircase=True, end=0.1),
        ref_exponential(1.0, 0.5, 5, True, end=0.1),
        40,
    ),
    ("exponential-default-steps", lambda: L.exponential(1.0, 0.95), ref_exponential(1.0, 0.95), 60),
    ("inverse_time", lambda: L.inverse_time(1.0, 0.5, 10), ref_inverse_time(1.0, 0.5, 10), 60),
    (
        "inverse_time-staircase",
        lambda: L.inverse_time(3.0, 2.0, 4, staircase=True),
        ref_inverse_time(3.0, 2.0, 4, True),
        30,
    ),
    ("inverse_sqrt", lambda: L.inverse_sqrt(1.0, 100), ref_inverse_sqrt(1.0, 100), 300),
    (
        "piecewise_constant",
        lambda: L.piecewise_constant(1.0, {10: 0.5, 30: 0.1, 31: 2.0}),
        ref_piecewise_constant(1.0, {10: 0.5, 30: 0.1, 31: 2.0}),
        40,
    ),
    (
        "piecewise_constant-at-0",
        lambda: L.piecewise_constant(2.0, [(0, 0.5), (5, 0.5)]),
        ref_piecewise_constant(2.0, {0: 0.5, 5: 0.5}),
        10,
    ),
    (
        "piecewise_linear",
        lambda: L.piecewise_linear({0: 0.0, 10: 1.0, 30: 0.2, 50: 0.2}),
        ref_piecewise_linear({0: 0.0, 10: 1.0, 30: 0.2, 50: 0.2}),
        60,
    ),
    (
        "piecewise_linear-late-start",
        lambda: L.piecewise_linear({5: 1.0, 15: 0.0, 20: 0.5}),
        ref_piecewise_linear({5: 1.0, 15: 0.0, 20: 0.5}),
        25,
    ),
    *[
        (
            f"piecewise_linear-{s}",
            (lambda s=s: L.piecewise_linear({0: 0.1, 8: 1.0, 20: 0.05}, shape=s)),
            ref_piecewise_linear({0: 0.1, 8: 1.0, 20: 0.05}, s),
            25,
        )
        for s in ("cosine", "exponential", "polynomial", "sqrt", "rex", "tanh")
    ],
    ("piecewise_linear-one-point", lambda: L.piecewise_linear({3: 0.7}), _r(0.7), 6),
    ("fn", lambda: L.fn(_inv), _inv, 20),
]


def _c(x):
    return L.constant(x)


COMBINATORS = [
    ("warmup", lambda: L.warmup(L.cosine(1.0, 0.0, 100), 10), ref_warmup(ref_ramp(1.0, 0.0, 100, "cosine"), 10), 115),
    (
        "warmup-start",
        lambda: L.warmup(L.linear(2.0, 1.0, 20), 5, start=0.5),
        ref_warmup(ref_ramp(2.0, 1.0, 20), 5, 0.5),
        30,
    ),
    *[
        (
            f"warmup-shape-{s}",
            (lambda s=s: L.warmup(L.exponential(1.0, 0.9), 12, start=0.01, shape=s)),
            ref_warmup(ref_exponential(1.0, 0.9), 12, 0.01, s),
            30,
        )
        for s in ("linear", "cosine", "exponential", "polynomial", "sqrt", "rex", "tanh")
    ],
    ("warmup-zero", lambda: L.warmup(L.linear(1.0, 0.0, 10), 0), ref_ramp(1.0, 0.0, 10), 12),
    (
        "join",
        lambda: L.join([_c(1.0), L.linear(1.0, 0.0, 10), _c(0.05)], [5, 15]),
        ref_join([_r(1.0), ref_ramp(1.0, 0.0, 10), _r(0.05)], [5, 15]),
        20,
    ),
    (
        "join-equal-boundaries",
        lambda: L.join([_c(1.0), _c(2.0), _c(3.0), L.linear(4.0, 5.0, 4)], [5, 5, 10]),
        ref_join([_r(1.0), _r(2.0), _r(3.0), ref_ramp(4.0, 5.0, 4)], [5, 5, 10]),
        20,
    ),
    (
        "join-zero-first",
        lambda: L.join([_c(9.0), L.linear(0.0, 1.0, 8)], [0]),
        ref_join([_r(9.0), ref_ramp(0.0, 1.0, 8)], [0]),
        10,
    ),
    (
        "join-single",
        lambda: L.join([L.linear(0.0, 1.0, 8)], []),
        ref_ramp(0.0, 1.0, 8),
        10,
    ),
    (
        "chain",
        lambda: L.chain(_c(0.5), L.linear(1.0, 0.0, 10), L.exponential(1.0, 0.9)),
        lambda k: 0.5 * ref_ramp(1.0, 0.0, 10)(k) * 0.9**k,
        12,
    ),
    (
        "clip",
        lambda: L.clip(L.linear(0.0, 1.0, 10), min=0.2, max=0.7),
        lambda k: min(max(ref_ramp(0.0, 1.0, 10)(k), 0.2), 0.7),
        12,
    ),
    ("clip-min", lambda: L.clip(L.linear(1.0, 0.0, 10), min=0.3), lambda k: max(ref_ramp(1.0, 0.0, 10)(k), 0.3), 12),
    ("clip-max", lambda: L.clip(L.linear(1.0, 0.0, 10), max=0.3), lambda k: min(ref_ramp(1.0, 0.0, 10)(k), 0.3), 12),
    ("cycle", lambda: L.cycle(L.linear(1.0, 0.0, 10), 10), ref_cycle(ref_ramp(1.0, 0.0, 10), 10), 45),
    (
        "cycle-short-schedule",
        lambda: L.cycle(L.cosine(1.0, 0.0, 7), 10),
        ref_cycle(ref_ramp(1.0, 0.0, 7, "cosine"), 10),
        45,
    ),
    (
        "cycle-mult2-decay",
        lambda: L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=2, decay=0.5),
        ref_cycle(ref_ramp(1.0, 0.0, 10), 10, 2, 0.5),
        160,
    ),
    (
        "cycle-mult3",
        lambda: L.cycle(L.cosine(1.0, 0.1, 4), 4, period_mult=3),
        ref_cycle(ref_ramp(1.0, 0.1, 4, "cosine"), 4, 3),
        170,
    ),
    (
        "cycle-mult1.5",
        lambda: L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=1.5),
        ref_cycle(ref_ramp(1.0, 0.0, 10), 10, 1.5),
        200,
    ),
    (
        "cycle-limit",
        lambda: L.cycle(L.linear(1.0, 0.0, 10), 10, decay=0.9, limit=3),
        ref_cycle(ref_ramp(1.0, 0.0, 10), 10, 1, 0.9, 3),
        45,
    ),
    (
        "cycle-mult2-limit",
        lambda: L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=2, limit=2),
        ref_cycle(ref_ramp(1.0, 0.0, 10), 10, 2, 1.0, 2),
        45,
    ),
    (
        "cycle-mult1.5-limit",
        lambda: L.cycle(L.cosine(1.0, 0.0, 8), 8, period_mult=1.5, decay=0.8, limit=3),
        ref_cycle(ref_ramp(1.0, 0.0, 8, "cosine"), 8, 1.5, 0.8, 3),
        45,
    ),
    ("shift", lambda: L.shift(L.linear(0.0, 1.0, 10), 5), lambda k: ref_ramp(0.0, 1.0, 10)(max(k - 5, 0)), 20),
    ("shift-negative", lambda: L.shift(L.linear(0.0, 1.0, 10), -4), lambda k: ref_ramp(0.0, 1.0, 10)(k + 4), 20),
    (
        "per_epoch",
        lambda: L.per_epoch(L.exponential(1.0, 0.5), 7),
        lambda k: 0.5 ** math.floor(k / 7),
        40,
    ),
    (
        "per_epoch-linear",
        lambda: L.per_epoch(L.linear(1.0, 0.0, 4), 3),
        lambda k: ref_ramp(1.0, 0.0, 4)(math.floor(k / 3)),
        20,
    ),
    (
        "add",
        lambda: L.linear(0.0, 1.0, 10) + L.cosine(1.0, 0.0, 20),
        lambda k: ref_ramp(0.0, 1.0, 10)(k) + ref_ramp(1.0, 0.0, 20, "cosine")(k),
        25,
    ),
    ("add-number", lambda: 0.25 + L.linear(0.0, 1.0, 10), lambda k: 0.25 + ref_ramp(0.0, 1.0, 10)(k), 12),
    ("sub", lambda: L.linear(0.0, 1.0, 10) - 0.1, lambda k: ref_ramp(0.0, 1.0, 10)(k) - 0.1, 12),
    ("rsub", lambda: 1.0 - L.linear(0.0, 1.0, 10), lambda k: 1.0 - ref_ramp(0.0, 1.0, 10)(k), 12),
    ("mul-number", lambda: L.linear(0.0, 1.0, 10) * 0.5, lambda k: ref_ramp(0.0, 1.0, 10)(k) * 0.5, 12),
    ("rmul-number", lambda: 3 * L.linear(0.0, 1.0, 10), lambda k: 3 * ref_ramp(0.0, 1.0, 10)(k), 12),
    (
        "mul",
        lambda: L.linear(0.0, 1.0, 10) * L.exponential(1.0, 0.9),
        lambda k: ref_ramp(0.0, 1.0, 10)(k) * 0.9**k,
        12,
    ),
    ("div-number", lambda: L.linear(0.0, 1.0, 10) / 4.0, lambda k: ref_ramp(0.0, 1.0, 10)(k) / 4.0, 12),
    ("rdiv-number", lambda: 2.0 / L.linear(1.0, 4.0, 10), lambda k: 2.0 / ref_ramp(1.0, 4.0, 10)(k), 12),
    (
        "div",
        lambda: L.linear(0.0, 1.0, 10) / L.linear(1.0, 2.0, 5),
        lambda k: ref_ramp(0.0, 1.0, 10)(k) / ref_ramp(1.0, 2.0, 5)(k),
        12,
    ),
    ("neg", lambda: -L.linear(0.0, 1.0, 10), lambda k: -ref_ramp(0.0, 1.0, 10)(k), 12),
    (
        "minimum",
        lambda: L.minimum(L.linear(0.0, 1.0, 10), L.linear(1.0, 0.0, 10)),
        lambda k: min(ref_ramp(0.0, 1.0, 10)(k), ref_ramp(1.0, 0.0, 10)(k)),
        12,
    ),
    (
        "minimum-number",
        lambda: L.minimum(0.3, L.linear(0.0, 1.0, 10)),
        lambda k: min(0.3, ref_ramp(0.0, 1.0, 10)(k)),
        12,
    ),
    (
        "maximum",
        lambda: L.maximum(L.linear(0.0, 1.0, 10), L.linear(1.0, 0.0, 10)),
        lambda k: max(ref_ramp(0.0, 1.0, 10)(k), ref_ramp(1.0, 0.0, 10)(k)),
        12,
    ),
    (
        "maximum-number",
        lambda: L.maximum(L.linear(0.0, 1.0, 10), 0.3),
        lambda k: max(ref_ramp(0.0, 1.0, 10)(k), 0.3),
        12,
    ),
]

DECAY_SHAPES = ["linear", "cosine", "exponential", "polynomial", "sqrt", "rex", "tanh"]

RECIPES = [
    ("warmup_cosine", lambda: L.warmup_cosine(1.0, 100, 10), ref_warmup_decay("cosine", 1.0, 100, 10), 110),
    (
        "warmup_cosine-start-end",
        lambda: L.warmup_cosine(2.0, 60, 7, start=0.1, end=0.05),
        ref_warmup_decay("cosine", 2.0, 60, 7, 0.1, 0.05),
        70,
    ),
    ("warmup_cosine-no-warmup", lambda: L.warmup_cosine(1.0, 30, 0), ref_warmup_decay("cosine", 1.0, 30, 0), 35),
    (
        "warmup_linear",
        lambda: L.warmup_linear(2.0, 50, 5, start=0.2, end=0.1),
        ref_warmup_decay("linear", 2.0, 50, 5, 0.2, 0.1),
        60,
    ),
    *[
        (
            f"wsd-{s}",
            (lambda s=s: L.wsd(1.0, 100, 10, 20, end=0.01, decay_shape=s)),
            ref_wsd(1.0, 100, 10, 20, end=0.01, shape=s),
            110,
        )
        for s in DECAY_SHAPES
    ],
    ("wsd-default", lambda: L.wsd(1.0, 100, 10, 20), ref_wsd(1.0, 100, 10, 20), 110),
    ("wsd-fraction", lambda: L.wsd(0.5, 200, 20, 0.15, start=0.05), ref_wsd(0.5, 200, 20, 30, start=0.05), 210),
    (
        "wsd-no-stable",
        lambda: L.wsd(1.0, 40, 10, 30, decay_shape="linear"),
        ref_wsd(1.0, 40, 10, 30, shape="linear"),
        45,
    ),
    ("wsd-no-decay", lambda: L.wsd(1.0, 40, 10, 0), ref_wsd(1.0, 40, 10, 0), 45),
    ("one_cycle", lambda: L.one_cycle(1.0, 100), ref_one_cycle(1.0, 100), 110),
    (
        "one_cycle-linear",
        lambda: L.one_cycle(0.1, 50, pct_start=0.4, div_factor=10.0, final_div_factor=100.0, anneal="linear"),
        ref_one_cycle(0.1, 50, 0.4, 10.0, 100.0, "linear"),
        55,
    ),
    (
        "one_cycle-three-phase",
        lambda: L.one_cycle(1.0, 100, three_phase=True),
        ref_one_cycle(1.0, 100, three=True),
        110,
    ),
    (
        "one_cycle-three-phase-linear",
        lambda: L.one_cycle(1.0, 80, pct_start=0.25, anneal="linear", three_phase=True),
        ref_one_cycle(1.0, 80, 0.25, anneal="linear", three=True),
        85,
    ),
    (
        "one_cycle-fractional-phase-ends",
        lambda: L.one_cycle(1.0, 15, pct_start=0.35),
        ref_one_cycle(1.0, 15, 0.35),
        20,
    ),
    ("sgdr", lambda: L.sgdr(1.0, 10), ref_sgdr(1.0, 10), 45),
    (
        "sgdr-mult2",
        lambda: L.sgdr(1.0, 10, period_mult=2, end=0.1, decay=0.5, warmup_steps=5),
        ref_sgdr(1.0, 10, 2, 0.1, 0.5, 5),
        160,
    ),
    ("sgdr-mult1.5", lambda: L.sgdr(1.0, 8, period_mult=1.5), ref_sgdr(1.0, 8, 1.5), 100),
    ("sgdr-limit", lambda: L.sgdr(1.0, 10, limit=2, end=0.2), ref_sgdr(1.0, 10, end=0.2, limit=2), 45),
    ("cyclic", lambda: L.cyclic(0.1, 1.0, 5), ref_cyclic(0.1, 1.0, 5), 40),
    ("cyclic-down", lambda: L.cyclic(0.1, 1.0, 5, 3), ref_cyclic(0.1, 1.0, 5, 3), 40),
    (
        "cyclic-triangular2",
        lambda: L.cyclic(0.1, 1.1, 4, 6, mode="triangular2"),
        ref_cyclic(0.1, 1.1, 4, 6, "triangular2"),
        60,
    ),
    (
        "cyclic-exp_range",
        lambda: L.cyclic(0.1, 1.0, 5, mode="exp_range", gamma=0.97),
        ref_cyclic(0.1, 1.0, 5, mode="exp_range", gamma=0.97),
        60,
    ),
    ("noam", lambda: L.noam(1.0, 100), ref_noam(1.0, 100), 400),
    ("tri_stage", lambda: L.tri_stage(1.0, 10, 20, 30), ref_tri_stage(1.0, 10, 20, 30), 70),
    (
        "tri_stage-scales",
        lambda: L.tri_stage(0.5, 5, 0, 10, init_scale=0.1, final_scale=0.05),
        ref_tri_stage(0.5, 5, 0, 10, 0.1, 0.05),
        20,
    ),
]

CASES = PRIMITIVES + COMBINATORS + RECIPES


def int_steps(span):
    return list(range(span + 1)) + [span + 7, 3 * span + 1, 10**5]


def float_steps(span):
    return [0.0, 0.25, 0.5, 1.5] + [span * i / 13 + 0.3 for i in range(14)] + [span + 0.5]


def padded(steps, n):
    """``steps`` with the last one repeated up to ``n`` entries: one array shape for every case,
    so the kernels eager JAX compiles for one case serve the next."""
    assert len(steps) <= n
    return list(steps) + [steps[-1]] * (n - len(steps))


def expected(ref, steps):
    return np.array([ref(k) for k in steps], dtype=np.float64)
