"""What ``lrsched.evaluate`` and a jitted call compile, counted rather than timed: the number of
programs traced and compiled, and what the lowered program holds."""

from __future__ import annotations

import numpy as np
import pytest

import lrsched
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
