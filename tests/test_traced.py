"""A join, a warmup nest and a piecewise_constant at a traced step: one lookup and one formula per
kind of piece, so the lowered program does not grow with the number of pieces; values as the
exact formula gives them, under jit, vmap, grad and scan."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched as L


def _hlo_lines(s):
    return len(jax.jit(lambda k: s(k)).lower(jnp.int32(3)).as_text().splitlines())


def _cosines(p):
    return L.join([L.cosine(1.0, 0.0, 10)] * p, [10 * i for i in range(1, p)])


def _mixed(p):
    lengths = [5 + (7 * i) % 17 for i in range(p)]
    pieces = [L.linear(0.1, 1.0, n) if i % 2 else L.cosine(1.0, 0.1, n) for i, n in enumerate(lengths)]
    return L.join(pieces, list(itertools.accumulate(lengths))[:-1]), lengths


def _cosine_exact(start, end, n, k):
    """A half cosine from the formula, in float64."""
    m = min(k, n)
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * m / n))


def _mixed_exact(lengths, k):
    b = 0
    for i, n in enumerate(lengths):
        if k < b + n or i == len(lengths) - 1:
            local = k - b
            if i % 2:
                return 0.1 + 0.9 * min(local, n) / n
            return _cosine_exact(1.0, 0.1, n, local)
        b += n
    raise AssertionError


@pytest.mark.parametrize(
    "build",
    [
        _cosines,
        lambda p: _mixed(p)[0],
        lambda p: L.piecewise_constant(1.0, {10 * i: 0.999 for i in range(1, p + 1)}),
        lambda p: L.piecewise_linear({10 * i: float(i % 3) for i in range(p + 1)}),
    ],
    ids=["cosines", "cosine_linear", "piecewise_constant", "piecewise_linear"],
)
def test_lowered_program_does_not_grow_with_pieces(build):
    sizes = [_hlo_lines(build(p)) for p in (10, 100, 1000)]
    assert max(sizes) - min(sizes) <= 2, sizes


def test_lowered_program_of_nested_warmups_does_not_grow():
    def nest(depth):
        s = L.cosine(1.0, 0.0, 50)
        for d in range(depth):
            s = L.warmup(s, 3 + d)
        return s

    assert _hlo_lines(nest(4)) == _hlo_lines(nest(16)) == _hlo_lines(nest(64))


@pytest.mark.parametrize("p", [3, 100, 1000])
def test_join_of_cosines_values(p):
    s = _cosines(p)
    ks = list(range(0, 10 * p + 30, 3))
    got = np.asarray(jax.jit(lambda k: s(k))(jnp.asarray(ks, jnp.int32)), np.float64)
    want = [_cosine_exact(1.0, 0.0, 10, k - 10 * min(k // 10, p - 1)) for k in ks]
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-7)


@pytest.mark.parametrize("p", [2, 101, 1000])
def test_mixed_join_values_under_scan(p):
    s, lengths = _mixed(p)
    total = sum(lengths) + 20

    @jax.jit
    def f(count):
        def body(c, i):
            return c, s(count + i)

        return jax.lax.scan(body, 0, jnp.arange(total))[1]

    got = np.asarray(f(jnp.int32(0)), np.float64)
    want = [_mixed_exact(lengths, k) for k in range(total)]
    np.testing.assert_allclose(got, want, rtol=0, atol=3e-7)


@pytest.mark.parametrize("p", [1, 7, 500])
def test_piecewise_constant_values_and_grad(p):
    scales = {5 * i + 3: (0.5, 2.0, 0.8, 1.25, 0.9)[i % 5] for i in range(p)}
    s = L.piecewise_constant(2.0, scales)
    ks = list(range(0, 5 * p + 10))

    def exact(k):
        v = 2.0
        for b, f in scales.items():
            if k >= b:
                v *= f
        return v

    got = np.asarray(s(jnp.asarray(ks, jnp.int32)), np.float64)
    np.testing.assert_allclose(got, [exact(k) for k in ks], rtol=2e-7, atol=0)

    k0 = 5 * (p // 2) + 4
    reached = [f for b, f in scales.items() if k0 >= b]

    def at(start, last):
        sc = dict(scales)
        sc[5 * (p - 1) + 3] = last
        return L.piecewise_constant(start, sc)(jnp.int32(k0))

    g_start, g_last = jax.grad(at, argnums=(0, 1))(2.0, scales[5 * (p - 1) + 3])
    np.testing.assert_allclose(float(g_start), math.prod(reached), rtol=1e-6)
    assert float(g_last) == (0.0 if p > 1 else 2.0)


def test_grad_flows_to_every_piece_leaf():
    def f(peaks, k):
        pieces = [L.cosine(peaks[i], 0.0, 10) for i in range(peaks.shape[0])]
        return L.join(pieces, [10 * i for i in range(1, len(pieces))])(k)

    peaks = jnp.arange(1.0, 9.0)
    for k in (0, 13, 25, 79, 200):
        g = np.asarray(jax.grad(f)(peaks, jnp.int32(k)))
        i = min(k // 10, 7)
        want = np.zeros(8)
        want[i] = 0.5 * (1.0 + math.cos(math.pi * min(k - 10 * i, 10) / 10))
        np.testing.assert_allclose(g, want, atol=1e-6)


def test_vmap_over_steps_and_over_stacked_joins():
    joins = [L.join([L.cosine(float(a), 0.0, 10)] * 50, [10 * i for i in range(1, 50)]) for a in (1.0, 2.0, 3.0)]
    batch = L.stack(joins)
    ks = jnp.arange(0, 520, 7, dtype=jnp.int32)
    got = np.asarray(jax.vmap(lambda j: jax.vmap(j)(ks))(batch.schedule))
    want = [[a * _cosine_exact(1.0, 0.0, 10, int(k) - 10 * min(int(k) // 10, 49)) for k in ks] for a in (1, 2, 3)]
    np.testing.assert_allclose(got, want, atol=5e-7)


def _random_piece(draw):
    kind = draw(st.sampled_from(["linear", "cosine", "constant", "exponential", "warmup", "join"]))
    a = draw(st.floats(0.1, 2.0))
    b = draw(st.floats(0.1, 2.0))
    n = draw(st.integers(0, 30))
    if kind == "constant":
        return L.constant(a)
    if kind == "exponential":
        return L.exponential(a, 0.9, draw(st.integers(1, 5)), staircase=draw(st.booleans()))
    if kind == "warmup":
        return L.warmup(L.cosine(a, b, n), draw(st.integers(0, 6)))
    if kind == "join":
        return L.join([L.linear(a, b, n), L.cosine(b, a, n + 3)], [draw(st.integers(0, 9))])
    return L.ramp(a, b, n, kind)


@st.composite
def _joins(draw):
    p = draw(st.integers(1, 12))
    pieces = [_random_piece(draw) for _ in range(p)]
    gaps = [draw(st.integers(0, 25)) for _ in range(p - 1)]
    return L.join(pieces, list(itertools.accumulate(gaps))) if p > 1 else pieces[0]


@settings(max_examples=40, deadline=None)
@given(_joins())
def test_random_joins_match_the_python_path(s):
    ks = np.arange(0, 320)
    got = np.asarray(jax.jit(lambda k: s(k))(jnp.asarray(ks, jnp.int32)), np.float64)
    want = np.array([s(int(k)) for k in ks])
    np.testing.assert_allclose(got, want, rtol=4e-7, atol=4e-7)


_X64 = """
import itertools, jax, jax.numpy as jnp, numpy as np, lrsched as L
jax.config.update("jax_enable_x64", True)
lengths = [5 + (7 * i) % 17 for i in range(300)]
pieces = [L.linear(0.1, 1.0, n) if i % 2 else L.cosine(1.0, 0.1, n) for i, n in enumerate(lengths)]
s = L.join(pieces, list(itertools.accumulate(lengths))[:-1])
ks = np.arange(0, sum(lengths) + 10)
got = np.asarray(jax.jit(lambda k: s(k))(jnp.asarray(ks, jnp.int64)))
want = np.array([s(int(k)) for k in ks])
assert got.dtype == np.float64
assert np.max(np.abs(got - want) / np.abs(want)) <= 4e-16, np.max(np.abs(got - want))
big = L.join([L.constant(1.0), L.constant(2.0), L.constant(3.0)], [2**33, 2**40])
assert [float(v) for v in big(jnp.asarray([2**33 - 1, 2**33, 2**40 + 5], jnp.int64))] == [1.0, 2.0, 3.0]
"""


def test_int64_steps_under_x64():
    r = subprocess.run([sys.executable, "-c", _X64], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def test_boundaries_past_int32_are_never_reached():
    s = L.join([L.constant(1.0), L.cosine(2.0, 0.0, 10), L.constant(3.0)], [5, 2**40])
    got = s(jnp.asarray([0, 4, 5, 10, 15, 2**31 - 1], jnp.int32))
    np.testing.assert_allclose(np.asarray(got), [1.0, 1.0, 2.0, 1.0, 0.0, 0.0], atol=1e-7)


def test_fractional_boundaries():
    s = L.join([L.constant(1.0), L.linear(0.0, 1.0, 10)], [2.5])
    got = np.asarray(s(jnp.arange(6, dtype=jnp.int32)))
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0, 0.05, 0.15, 0.25], atol=1e-7)


@pytest.mark.parametrize("scales", [{2.5: 0.5}, {2.5: 0.5, 7: 0.1}, {0.5: 2.0, 1.5: 0.5, 3: 0.25, 3.25: 4.0}])
def test_piecewise_constant_fractional_boundaries_on_every_path(scales):
    """An integer step k is past a boundary b once k >= ceil(b), as on the Python path: on
    integer JAX steps the boundaries were cast to the step dtype, so 2.5 took effect at step 2."""
    s = L.piecewise_constant(1.0, scales)
    want = []
    for k in range(10):
        v = 1.0
        for b, f in sorted(scales.items()):
            v = v * f if k >= b else v
        want.append(v)
    assert [s(k) for k in range(10)] == want
    ks = np.arange(10)
    np.testing.assert_allclose(s(ks), want, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(jax.jit(s)(jnp.asarray(ks, dtype=jnp.int32))), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(jax.jit(s)(jnp.asarray(ks, dtype=jnp.float32))), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(L.evaluate(s, 10)), want, rtol=1e-6)
    scanned = jax.jit(lambda k0: jax.lax.scan(lambda c, k: (c, s(k)), 0.0, k0 + jnp.arange(10))[1])(0)
    np.testing.assert_allclose(np.asarray(scanned), want, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# the piece lookup: a bucketed search, with no loop in the program
# --------------------------------------------------------------------------------------------
def _tables():
    rng = np.random.default_rng(7)
    yield np.arange(1, 1000) * 1000  # like pieces
    yield np.cumsum(rng.integers(1, 3000, size=999))  # varied lengths
    yield np.array([5])
    yield np.array([0, 0, 3, 3, 3, 9])  # repeated entries (more than a bucket holds)
    yield np.concatenate([np.arange(1, 40), [2**31 - 2]])  # dense at the start, one far out
    yield np.cumsum(rng.integers(0, 2, size=5000))  # many entries per step: a row per step
    yield np.append(np.arange(1, 2000) * 1000, 2**31 - 1)  # the last bucket's pads at int32's top
    yield np.array([3 * 2**28, 2**31 - 1])
    yield np.repeat(np.arange(1, 50) * 1000, 6)  # more than a bucket holds: the loop search


@pytest.mark.parametrize("table", list(_tables()), ids=lambda t: f"n{t.size}")
@pytest.mark.parametrize("dtype", [jnp.int32, jnp.int64])
def test_piece_lookup_is_numpy_searchsorted(table, dtype):
    from lrsched._backend import JX

    if dtype == jnp.int64 and not jax.config.read("jax_enable_x64"):
        dtype = jnp.int32
    hi = int(np.iinfo(dtype).max)
    probes = np.unique(np.concatenate([table, table - 1, table + 1, [0, 1, hi - 1, hi], np.arange(0, 20)]))
    probes = probes[(probes >= 0) & (probes <= hi)]
    got = jax.jit(lambda k: JX.searchsorted_right(table, k))(jnp.asarray(probes, dtype=dtype))
    np.testing.assert_array_equal(np.asarray(got), np.searchsorted(table, probes, side="right"))
    scalar = jax.jit(lambda k: JX.searchsorted_right(table, k))(jnp.asarray(int(table[-1]), dtype=dtype))
    assert int(scalar) == np.searchsorted(table, table[-1], side="right")


@pytest.mark.parametrize("dtype", [jnp.int32, jnp.int64])
def test_piece_lookup_of_fractional_entries_at_integer_steps(dtype):
    """An integer step k is past an entry b once k >= ceil(b): the table was cast to the step's
    dtype, so an entry 3.25 counted from step 3 on (a cycle of period 3.25 growing by 2 restarted
    a step early on integer JAX steps)."""
    from lrsched._backend import JX

    if dtype == jnp.int64 and not jax.config.read("jax_enable_x64"):
        dtype = jnp.int32
    hi = int(np.iinfo(dtype).max)
    for table in ([0.0, 3.25, 9.75, 22.75], [-2.5, 0.5, 1.0, 1e3 + 0.01, hi + 0.5], [hi + 0.5]):
        probes = np.array(sorted({0, 1, 2, 3, 4, 9, 10, 22, 23, 1000, 1001, hi - 1, hi}))
        got = np.asarray(jax.jit(lambda k, t=table: JX.searchsorted_right(t, k))(jnp.asarray(probes, dtype=dtype)))
        np.testing.assert_array_equal(got, np.searchsorted(np.asarray(table), probes, side="right"))


@pytest.mark.parametrize("period", [3.25, 7.75, 0.5])
def test_cycle_of_fractional_period_growing_by_an_int_on_integer_steps(period):
    s = L.cycle(L.linear(1.0, 0.0, 100), period, period_mult=2, decay=0.5)
    ks = np.arange(60)
    want = [s(int(k)) for k in ks]
    np.testing.assert_allclose(s(ks), want, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(jax.jit(s)(jnp.asarray(ks, dtype=jnp.int32))), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(L.evaluate(s, 60)), want, rtol=1e-6)
    scanned = jax.jit(lambda k0: jax.lax.scan(lambda c, k: (c, s(k)), 0.0, k0 + jnp.arange(60))[1])(0)
    np.testing.assert_allclose(np.asarray(scanned), want, rtol=1e-6)


@pytest.mark.parametrize(
    "build", [_cosines, lambda p: L.piecewise_constant(1.0, {10 * i: 0.999 for i in range(1, p + 1)})]
)
def test_traced_piece_lookup_has_no_loop(build):
    """A traced step finds its piece in a fixed number of operations (a loop of log2(P) dependent
    steps, XLA's binary search, is what made a 1000-piece join several times one piece's cost)."""
    for p in (10, 1000):
        s = build(p)
        text = jax.jit(lambda k, s=s: s(k)).lower(jnp.int32(3)).as_text()
        assert "stablehlo.while" not in text, p


def _body_kernels(s):
    """The kernels of the loop body of a scan of ``s`` over 100 traced steps, in the compiled
    program: one is the loop counter, the others compute the value."""
    f = jax.jit(lambda k0: jax.lax.scan(lambda c, i: (c + s(k0 + i), None), jnp.float32(0), jnp.arange(100))[0])
    text = f.lower(jnp.int32(0)).compile().as_text()
    body = text[text.index("%" + text.split("body=%", 1)[1].split(",", 1)[0] + " ") :]
    body = body[: body.index("\n}\n")]
    return sum(" fusion(" in line for line in body.splitlines())


def _long_mixed(p):
    lengths = [100 + (337 * i) % 2900 for i in range(p)]  # steps past one bucket per step
    pieces = [L.linear(0.1, 1.0, n) if i % 2 else L.cosine(1.0, 0.1, n) for i, n in enumerate(lengths)]
    return L.join(pieces, list(itertools.accumulate(lengths))[:-1])


@pytest.mark.parametrize(
    "build",
    [
        _cosines,
        lambda p: _mixed(p)[0],
        _long_mixed,
        lambda p: L.piecewise_constant(1.0, {10 * i: 0.9 for i in range(1, p)}),
    ],
    ids=["cosines", "mixed", "long-mixed", "piecewise_constant"],
)
def test_traced_join_is_one_kernel_per_step(build):
    """Lookup, gathers and formula of a 1000-piece join fuse into one kernel, as one piece's
    formula does (the step's clamp at 0 may be a kernel of its own). Where XLA splits them (a
    quotient or a sum read twice, a wrap-around check on an index), each kernel recomputes the
    lookup it depends on: three such kernels cost a 1000-piece join twice one piece's time."""
    one = _body_kernels(L.cosine(1.0, 0.1, 10))
    assert one == 2  # the formula and the loop counter
    assert _body_kernels(build(1000)) <= one + 1


def test_one_boundary_piecewise_constant_is_a_select():
    """One boundary needs no table: a compare and a select, as optax's own form is."""
    s = L.piecewise_constant(2.0, {10: 0.5})
    text = jax.jit(lambda k: s(k)).lower(jnp.int32(3)).as_text()
    assert "stablehlo.gather" not in text and "dynamic_slice" not in text
    got = jax.jit(jax.vmap(s))(jnp.arange(20, dtype=jnp.int32))
    np.testing.assert_array_equal(np.asarray(got), [2.0] * 10 + [1.0] * 10)
    w = L.warmup(s, 3.25)  # its first value is asked for at the Python step 0, inside the trace
    want = [w(k) for k in range(20)]
    np.testing.assert_allclose(np.asarray(jax.jit(w)(jnp.arange(20))), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(L.evaluate(w, 20)), want, rtol=1e-6)


def test_traced_cosine_divides_once():
    """A cosine ramp's weights come from the smaller of the steps left and done, divided once."""
    for s in (L.cosine(1.0, 0.1, 100), L.join([L.cosine(1.0, 0.1, 10)] * 50, [10 * i for i in range(1, 50)])):
        text = jax.jit(lambda k, s=s: s(k)).lower(jnp.int32(3)).as_text()
        assert text.count("stablehlo.divide") == 1, s


@pytest.mark.parametrize("p", [7, 300])
def test_join_of_unparameterised_ramps_of_several_shapes_is_the_formula(p):
    """Linear, cosine and sqrt pieces of varied lengths: each step gathers its piece's row and
    takes its shape's weights; against the float64 formulas, on a scalar step in a scan and on
    an array, and with gradients flowing to the piece it lands in."""
    rng = np.random.default_rng(p)
    lens = rng.integers(1, 40, size=p)
    shapes = [("linear", "cosine", "sqrt")[i % 3] for i in range(p)]
    a, b = rng.uniform(0.1, 2.0, size=p), rng.uniform(0.0, 1.0, size=p)
    s = L.join(
        [L.ramp(float(a[i]), float(b[i]), int(lens[i]), shapes[i]) for i in range(p)], np.cumsum(lens)[:-1].tolist()
    )
    starts = np.concatenate([[0], np.cumsum(lens)])
    ks = np.arange(int(starts[-1]) + 5)
    i = np.minimum(np.searchsorted(starts, ks, side="right") - 1, p - 1)
    done = np.minimum(ks - starts[i], lens[i]) / lens[i]
    ws = {"linear": 1 - done, "cosine": np.cos(np.pi / 2 * done) ** 2, "sqrt": 1 - np.sqrt(done)}
    w = np.choose(i % 3, [ws["linear"], ws["cosine"], ws["sqrt"]])
    want = b[i] + (a[i] - b[i]) * w
    np.testing.assert_allclose(np.asarray(jax.jit(s)(jnp.asarray(ks))), want, rtol=3e-6, atol=3e-7)
    scanned = jax.jit(lambda k0: jax.lax.scan(lambda c, k: (c, s(k)), 0.0, k0 + jnp.arange(len(ks)))[1])(0)
    np.testing.assert_allclose(np.asarray(scanned), want, rtol=3e-6, atol=3e-7)
    k = int(starts[p // 2] + lens[p // 2] // 2)
    g = jax.grad(
        lambda t: L.join(
            [L.ramp(t if j == p // 2 else float(a[j]), float(b[j]), int(lens[j]), shapes[j]) for j in range(p)],
            np.cumsum(lens)[:-1].tolist(),
        )(jnp.asarray(k))
    )(1.0)
    assert float(g) == pytest.approx(w[k], rel=1e-5)


@pytest.mark.parametrize("shape", ["linear", "cosine"])
def test_a_ramp_of_no_steps_in_a_traced_join_is_its_end(shape):
    s = L.join([L.ramp(1.0, 0.5, 4, shape), L.ramp(2.0, 3.0, 0, shape), L.ramp(0.25, 0.0, 4, "cosine")], [4, 7])
    ks = np.arange(14)
    first = [
        0.5 + 0.5 * (1 - k / 4) if shape == "linear" else 0.5 + 0.5 * math.cos(math.pi / 2 * k / 4) ** 2
        for k in range(4)
    ]
    last = [0.25 * math.cos(math.pi / 2 * min(k, 4) / 4) ** 2 for k in range(7)]
    want = first + [3.0] * 3 + last
    np.testing.assert_allclose(np.asarray(jax.jit(s)(jnp.asarray(ks))), want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(jax.jit(jax.vmap(s))(jnp.asarray(ks))), want, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize(
    "build", [lambda: L.cosine(1.0, 0.1, 1000), lambda: _cosines(1000), lambda: L.warmup_cosine(1.0, 1000, 10)]
)
def test_a_traced_cosine_computes_one_sine_per_step(build):
    """A cosine's two weights come from one sine, of the smaller fraction (two sines made one
    traced cosine slower than optax's ``1 + cos`` form, which loses float32 accuracy at the end)."""
    text = jax.jit(lambda k: build()(k)).lower(jnp.int32(3)).as_text()
    assert text.count("stablehlo.sine") == 1, text.count("stablehlo.sine")
