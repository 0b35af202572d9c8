"""A float ``period_mult`` close to 1 with short cycles: many cycles before the steps end.

The reference walks the cycles in 60-digit Decimal arithmetic (a float ``period_mult`` is the
decimal it prints as, exact there, as lrsched takes it), so a start and a length are known far beyond float64. Bounds: float64 paths
1e-12 relative plus 1e-15 of the peak (a value near zero at a stretched cycle's end), float32
(JAX int32 steps) 1e-6 relative plus 1e-6 of the peak (README, "Guarantees").
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched as L
from lrsched._cycle import cycle_start

I32 = 2**31 - 1
CTX = decimal.Context(prec=60)


def ref_linear_cycle(p, m, ks, limit=None):
    """``cycle(linear(1, 0, p), p, period_mult=m, limit=limit)`` at the sorted steps ``ks``."""
    out = []
    with decimal.localcontext(CTX):
        begin, pc, c, mm = Decimal(0), Decimal(p), 0, Decimal(repr(m))
        for k in ks:
            while k >= begin + pc and (limit is None or c < limit - 1):
                begin, pc, c = begin + pc, pc * mm, c + 1
            t = min(Decimal(k) - begin, pc) / pc
            out.append(1 - t)
    return out


def check(got, want, rtol, floor, what):
    got = np.asarray(got, dtype=np.float64).ravel()
    assert got.shape == (len(want),) and np.all(np.isfinite(got)), what
    with decimal.localcontext(CTX):
        bad = [
            (i, float(g), float(w))
            for i, (g, w) in enumerate(zip(got, want))
            if not abs(Decimal(float(g)) - w) <= Decimal(rtol) * (abs(w) + Decimal(floor))
        ]
    assert not bad, f"{what}: {len(bad)} of {len(want)} off, e.g. {bad[:4]}"


def steps(p, m, top, n=40):
    """Cycle starts (and the steps either side) spread up to ``top``, plus ``top`` itself."""
    ks = {0, 1, top}
    with decimal.localcontext(CTX):
        begin, pc, mm = Decimal(0), Decimal(p), Decimal(repr(m))
        marks = []
        while begin + pc <= top:
            begin, pc = begin + pc, pc * mm
            marks.append(begin)
    for b in marks[:: max(1, len(marks) // n)]:
        c = math.ceil(b)
        ks |= {c - 1, c, c + 1}
    return sorted(k for k in ks if 0 <= k <= top)


CASES = [(1000, 1.001), (10, 1.0001), (1000, 1.00001), (7, 1.01), (3, 1.1), (1, 1.5), (10, 1.0002)]


@pytest.mark.parametrize("p,m", CASES)
def test_many_cycles_float64(p, m):
    s = L.cycle(L.linear(1.0, 0.0, p), p, period_mult=m)
    ks = steps(p, m, 2**36)  # (2**20 cycles are tabulated at most)
    want = ref_linear_cycle(p, m, ks)
    check([s(k) for k in ks], want, 1e-12, 1e-3, f"python p={p} m={m}")
    check(s(np.asarray(ks, dtype=np.int64)), want, 1e-12, 1e-3, f"numpy p={p} m={m}")
    with jax.enable_x64(True):
        check(s(jnp.asarray(ks, dtype=jnp.int64)), want, 1e-12, 1e-3, f"x64 p={p} m={m}")


@pytest.mark.parametrize("p,m", CASES)
def test_many_cycles_int32(p, m):
    s = L.cycle(L.linear(1.0, 0.0, p), p, period_mult=m)
    ks = steps(p, m, I32)
    want = ref_linear_cycle(p, m, ks)
    k = jnp.asarray(ks, dtype=jnp.int32)
    check(s(k), want, 1e-6, 1.0, f"int32 p={p} m={m}")
    check(jax.jit(s)(k), want, 1e-6, 1.0, f"jit p={p} m={m}")
    check(jax.vmap(s)(k), want, 1e-6, 1.0, f"vmap p={p} m={m}")
    got = L.evaluate(s, 1000, start=I32 - 999)
    check(np.asarray(got)[::37], ref_linear_cycle(p, m, list(range(I32 - 999, I32 + 1))[::37]), 1e-6, 1.0, "evaluate")


def test_issue_examples():
    s = L.sgdr(1.0, 1000, period_mult=1.001)
    np.testing.assert_allclose(np.asarray(s(jnp.asarray([1000, 2001]))), [1.0, 1.0], rtol=1e-6)
    # sgdr(...)(3003): the cosine's last 0.000998 of 1000 steps, (1 - cos(pi * t)) / 2 near 0
    with decimal.localcontext(CTX):
        begin, pc = Decimal(1000) + Decimal(1000) * Decimal(1.001), Decimal(1000) * Decimal(1.001) ** 2
        left = (begin + pc - 3003) / pc  # the fraction of the cycle still to run
        x = float(left) * math.pi / 2
    want = math.sin(x) ** 2
    assert s(3003) == pytest.approx(want, rel=1e-9, abs=1e-15)
    assert s(np.int64(3003)) == pytest.approx(want, rel=1e-9, abs=1e-15)
    assert float(s(jnp.int32(3003))) == pytest.approx(want, abs=1e-6)
    c = L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=1.0001)
    v = float(c(jnp.asarray(I32)))
    assert 0.0 <= v <= 1.0
    check([v], ref_linear_cycle(10, 1.0001, [I32]), 1e-6, 1.0, "int32 max")


@pytest.mark.parametrize("limit", [10**7, 10**5 + 3, 10**12])
def test_limit_past_the_float_range_holds(limit):
    # cycle ``limit`` would start past every float (m**limit overflows): the limit is never
    # reached, so the cycles run on; it used to raise OverflowError on every backend
    s = L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=1.0001, limit=limit)
    ks = [0, 5, 10, 1234567, 2**31 - 1]
    want = ref_linear_cycle(10, 1.0001, ks)
    check([s(k) for k in ks], want, 1e-12, 1e-3, "python")
    check(s(np.asarray(ks)), want, 1e-12, 1e-3, "numpy")
    check(s(jnp.asarray(ks, dtype=jnp.int32)), want, 1e-6, 1.0, "int32")
    doc = L.to_dict(s)
    assert L.from_dict(doc) == s and L.from_dict(doc)(5) == s(5)


@pytest.mark.parametrize("p,m,limit", [(10, 1.0001, 3), (1000, 1.001, 50), (3, 1.5, 20), (7, 1.01, 400)])
def test_limit_holds_at_the_last_end(p, m, limit):
    s = L.cycle(L.linear(1.0, 0.0, p), p, period_mult=m, limit=limit)
    with decimal.localcontext(CTX):
        end = Decimal(p) * (Decimal(repr(m)) ** limit - 1) / (Decimal(repr(m)) - 1)
    e = math.ceil(end)
    ks = [e - 2, e - 1, e, e + 1, 2 * e, 2**31 - 1]
    want = ref_linear_cycle(p, m, ks, limit)
    check([s(k) for k in ks], want, 1e-12, 1e-3, "python")
    check(s(np.asarray(ks)), want, 1e-12, 1e-3, "numpy")
    check(s(jnp.asarray(ks, dtype=jnp.int32)), want, 1e-6, 1.0, "int32")


@pytest.mark.parametrize(
    "p,m,c", [(10, 1.0001, 7), (1000, 1.001, 3), (3, 1.5, 40), (10, 1.00001, 10**6), (7.5, 1.1, 100)]
)
def test_cycle_start_is_exact(p, m, c):
    with decimal.localcontext(decimal.Context(prec=80)):
        want = Decimal(p) * (Decimal(repr(m)) ** c - 1) / (Decimal(repr(m)) - 1)
        assert abs(Decimal(cycle_start(p, m, c)) - want) <= abs(want) * Decimal(2.0**-52)


@pytest.mark.parametrize(
    "p, m, c, want",
    [
        (10, 1.1, 2, 21),
        (100, 1.6, 2, 260),
        (10, 1.9, 1, 10),
        (10, 1.1, 3, Decimal("33.1")),
        (4, 1.25, 3, Decimal("15.25")),
    ],
)
def test_a_float_period_mult_is_the_decimal_it_prints_as(p, m, c, want):
    # 1.1 in binary is 1.100000000000000088...: 10 + 10 * m would start cycle 2 just past step 21
    assert Decimal(cycle_start(p, m, c)) == Decimal(float(want))
    s = L.cycle(L.linear(1.0, 0.0, p), p, period_mult=m)
    k = math.ceil(want)
    restart = k == want
    for v in (s(k), float(s(np.asarray([k]))[0]), float(jax.jit(s)(jnp.asarray([k]))[0])):
        assert (v == 1.0) == restart, (k, v)


def test_cycle_start_integer_and_overflow():
    assert cycle_start(10, 2, 5) == 310 and type(cycle_start(10, 2, 5)) is int
    assert cycle_start(10, 1, 5) == 50
    assert cycle_start(10, 1.0001, 10**7) == math.inf
    assert cycle_start(10, 1.5, 10**18) == math.inf


@pytest.mark.parametrize("p", [7.75, 2.5, 1.125, 1000.5])
@pytest.mark.parametrize("limit", [None, 3, 10**8])
@pytest.mark.parametrize("start", [0, 2**24 - 20, 12_345_678, 2**31 - 61])
def test_a_fractional_period_at_int32_steps_past_float32(p, limit, start):
    """Cycle c of a period p starts at c * p, counted exactly: k // p in float32 rounds an int32
    step past 2**24 and found the wrong cycle (a period of 7.75 near 2**31 held one value)."""
    s = L.cycle(L.linear(1.0, 0.0, math.floor(p)), p, limit=limit)
    ks = np.arange(start, start + 60)

    def exact(k):  # in fractions: the cycle and the step within it
        c = math.floor(k / Decimal(p))
        if limit is not None and c >= limit:
            c, local = limit - 1, Decimal(p)
        else:
            local = k - c * Decimal(p)
        return max(0.0, 1.0 - float(local) / math.floor(p))

    want = np.array([exact(int(k)) for k in ks])
    np.testing.assert_allclose([s(int(k)) for k in ks], want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.asarray(jax.jit(s)(jnp.asarray(ks, dtype=jnp.int32))), want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(L.evaluate(s, 60, start=start)), want, rtol=2e-6, atol=1e-7)
