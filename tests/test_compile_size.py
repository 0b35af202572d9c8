"""What ``lrsched.evaluate`` and a jitted call compile, counted rather than timed: the number of
programs traced and compiled, and what the lowered program holds."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched
import lrsched as L
from lrsched import _evaluate as E


def nested(depth):
    s = lrsched.cosine(1.0, 0.0, 1000)
    for _ in range(depth):
        s = lrsched.warmup(lrsched.clip(s * 0.9, min=1e-4), 10)
    return s


def warmups(depth):
    s = lrsched.cosine(1.0, 0.0, 1000)
    for _ in range(depth):
        s = lrsched.warmup(s, 10)
    return s


WITHOUT_TABLES = {
    "nested-1": (nested(1), 20_000),
    "nested-16": (nested(16), 20_000),
    "warmups-8": (warmups(8), 20_000),
    "join-100": (lrsched.join([lrsched.cosine(1.0, 0.0, 100)] * 100, [100 * i for i in range(1, 100)]), 10_000),
    "short-warmup-cosine": (lrsched.warmup_cosine(1.0, 200, 10), 300),
}


def _program():
    return next(reversed(E._PROGRAMS._programs.values()))


@pytest.mark.parametrize("name", list(WITHOUT_TABLES))
def test_a_schedule_without_tables_compiles_one_program(name, monkeypatch):
    s, n = WITHOUT_TABLES[name]
    monkeypatch.setattr(E, "_PROGRAMS", E._Programs(maxsize=4))
    out = lrsched.evaluate(s, n)
    prog = _program()
    assert prog.needs_tables is False
    assert prog.tables._cache_size() == 1 and prog.run._cache_size() == 0
    assert E._PROGRAMS.traces == 1
    expected = np.array([s(k) for k in range(0, n, 97)])
    np.testing.assert_allclose(np.asarray(out)[::97], expected, rtol=2e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(lrsched.evaluate(s, n)), np.asarray(out))  # no new trace
    assert prog.tables._cache_size() == 1 and E._PROGRAMS.traces == 1


@pytest.mark.parametrize("size", [3, 8])
def test_a_sweep_compiles_its_table_and_its_value_program_once(size, monkeypatch):
    members = [lrsched.warmup_cosine(1e-3 * (1 + i / size), 5000, 10) for i in range(size)]
    monkeypatch.setattr(E, "_PROGRAMS", E._Programs(maxsize=4))
    out = lrsched.evaluate(lrsched.stack(members), 5000)
    prog = _program()
    assert prog.needs_tables is True
    assert prog.tables._cache_size() == 1 and prog.run._cache_size() == 1
    assert E._PROGRAMS.traces == 1
    ks = np.arange(0, 5000, 101)
    expected = [[m(int(k)) for k in ks] for m in members]
    np.testing.assert_allclose(np.asarray(out)[:, ks], expected, rtol=2e-5, atol=1e-9)
    lrsched.evaluate(lrsched.stack(members), 5000)
    assert prog.run._cache_size() == 1 and E._PROGRAMS.traces == 1


def _nested_warmups(depth):
    s = L.cosine(1.0, 0.0, 1000)
    for _ in range(depth):
        s = L.warmup(L.clip(s * 0.9, min=1e-4), 10)
    return s


def _dense_eqns(s, n=100_000):
    from lrsched import _evaluate as E

    treedef, values = E._packed(s)
    lay = E._layout_any(s, 0, n)
    return len(jax.make_jaxpr(lambda v: E._dense_any(E._unpack(v, treedef), 0, n, lay))(values).jaxpr.eqns)


def _call_eqns(s):
    return len(jax.make_jaxpr(lambda k: s(k))(jnp.arange(100)).jaxpr.eqns)


@pytest.mark.parametrize("eqns", [_dense_eqns, _call_eqns], ids=["evaluate", "call"])
def test_nested_warmups_trace_linear_work(eqns):
    """Each warmup asks for its schedule's first value; computed once per evaluation, the traced
    program grows by a constant per level (it grew quadratically: 1052 operations at depth 16)."""
    e4, e8, e16 = (eqns(_nested_warmups(d)) for d in (4, 8, 16))
    assert e16 - e8 <= 2.2 * (e8 - e4), (e4, e8, e16)


def test_a_user_function_inside_an_evaluation_evaluates_on_its_own():
    inner = L.warmup(L.cosine(1.0, 0.0, 20), 5)
    outer = L.warmup(L.fn(lambda k: inner(k) + jax.jit(inner)(k)), 3)  # inner under its own jit too
    want = [2 * inner(0) * k / 3 for k in range(3)] + [2 * inner(k) for k in range(30)]
    np.testing.assert_allclose(jax.jit(outer)(jnp.arange(33)), want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(L.evaluate(outer, 33), want, rtol=2e-6, atol=1e-7)


def test_a_warmups_ramp_up_in_a_window_is_constant_weights():
    """Over a window from a known step, a warmup's ramp up depends on step counts alone: its
    weights enter the program as constants, and a nested warmup adds its two values times them
    and a concatenation, not a ramp formula over an iota (16 operations per level before, 5 now)."""
    from lrsched import _evaluate as E

    def nested(depth):
        s = L.cosine(1.0, 0.0, 1000)
        for _ in range(depth):
            s = L.warmup(s, 10)
        return s

    e8, e16 = (_dense_eqns(nested(d)) for d in (8, 16))
    # constant weights times the start and the first value, and a concatenation; the first value,
    # a ramp's at its step 0, is its start itself (the formula with weights 1 and 0 was traced)
    assert (e16 - e8) / 8 <= 6, (e8, e16)
    s = nested(3)
    treedef, values = E._packed(s)
    lay = E._layout_any(s, 0, 100)
    text = str(jax.make_jaxpr(lambda v: E._dense_any(E._unpack(v, treedef), 0, 100, lay))(values))
    assert text.count("iota") == 1  # the steps of the innermost window only


def test_cpu_programs_compile_for_wide_vectors_and_small_ones_with_the_older_emitter():
    """On CPU, every program is compiled for the host's widest vectors (512 bits where it has
    them), and one of at most SMALL_OUTPUT values, or one whose window is a single elementwise
    loop, also with XLA's older emitter for fused loops (it compiles faster, and its loops index in
    32 bits); other larger outputs, a sweep's rows counted, keep the default emitter."""
    from lrsched import _evaluate as E

    if jax.default_backend() != "cpu":
        pytest.skip("the options are for XLA's CPU compiler")

    def program(s, n):
        E._PROGRAMS._programs.clear()
        L.evaluate(s, n)
        (prog,) = E._PROGRAMS._programs.values()
        return prog

    wide = {"xla_cpu_prefer_vector_width": 512}
    older = {**wide, "xla_cpu_use_fusion_emitters": False}
    small = program(L.sgdr(1.0, 1000), E.SMALL_OUTPUT)
    assert small.options == older
    # whole cycles repeat one cycle's values: the default emitter above the bound
    assert program(L.sgdr(1.0, 1000), 133 * 1000).options == wide
    # one elementwise loop (a warmup + cosine, wsd, one_cycle's phases, a few cycles that double,
    # a partial cycle): the older emitter at any size
    for s in (
        L.warmup_cosine(1.0, 1000, 10),
        L.wsd(1.0, 10**6, 10**4, 10**5),
        L.one_cycle(1.0, 10**6),  # (inside its first phase)
        L.one_cycle(1.0, 3 * 10**5),
        L.sgdr(1.0, 10**4, period_mult=2),
        L.sgdr(1.0, 1000),  # 132.07 cycles
    ):
        assert program(s, E.SMALL_OUTPUT + 1).options == older
    assert program(L.warmup(L.sgdr(1.0, 1000), 100), 100 + 133 * 1000).options == wide
    # parts (a warmup beside an inverse square root), each epoch's value written over its steps,
    # the pieces of a long join: the default emitter above the bound
    for s in (
        L.noam(1.0, 1000),
        L.per_epoch(L.cosine(1.0, 0.0, 100), 1000),
        L.join([L.cosine(1.0, 0.0, 1000)] * 200, [1000 * i for i in range(1, 200)]),
    ):
        assert program(s, E.SMALL_OUTPUT + 1).options == wide
    assert program(L.warmup_cosine(1.0, 10**7, 10**5), 10**6).options == older
    rows = L.stack([L.warmup_cosine(p, 1000, 10) for p in (0.5, 1.0)])
    assert program(rows, E.SMALL_OUTPUT // 2).options == small.options
    assert program(rows, E.SMALL_OUTPUT // 2 + 1).options == wide
    # the vector width changes no value: the programs compiled inside a trace take no options (the
    # peak is an argument there: XLA folds a schedule of constants when it compiles, and its
    # folding may round a last bit otherwise)
    n = E.SMALL_OUTPUT + 7
    builds = (
        lambda p: L.wsd(p, 300_000, 3000, 30_000),
        lambda p: L.one_cycle(p, 300_000),
        lambda p: L.sgdr(p, 30_000),
    )
    for build in builds:
        inside = jax.jit(lambda p, build=build: L.evaluate(build(p), n))(1.0)
        np.testing.assert_array_equal(np.asarray(inside), np.asarray(L.evaluate(build(1.0), n)))
    # inside a trace (jit, grad) the same program compiles without them (JAX allows options
    # only at the top level), with the same values
    s = L.warmup_cosine(1.0, 1000, 10)
    top = np.asarray(L.evaluate(s, 500))
    inside = jax.jit(lambda p: L.evaluate(L.warmup_cosine(p, 1000, 10), 500))(1.0)
    np.testing.assert_array_equal(np.asarray(inside), top)
    g = jax.grad(lambda p: L.evaluate(L.warmup_cosine(p, 1000, 10), 500).sum())(1.0)
    np.testing.assert_allclose(float(g), top.sum(), rtol=1e-5)
