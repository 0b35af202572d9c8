"""The node protocol: a new node is one class (fields declared once) plus its builder, and every
generic part of lrsched (calls on three backends, pytree, ==, hash, repr, to_dict/from_dict,
evaluate, boundaries, combinators) works with it through the defaults of the hooks."""

from __future__ import annotations

import inspect
import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched as L
from lrsched import _validate as V
from lrsched._node import KINDS, Schedule, schedule_arg

PACKAGE = Path(L.__file__).parent


def _define_scaled():
    """A combinator written as a user of the protocol would: one class and its builder."""

    class Scaled(Schedule, kind="test_scaled", builder="scaled"):
        _values = ("factor",)
        _children = ("schedule",)
        _npos = 1

        def _eval(self, k, xp):
            return self.schedule._eval(k, xp) * self.factor

    return Scaled


@pytest.fixture(scope="module")
def scaled_cls():
    cls = _define_scaled()
    globals()["Scaled"] = cls
    yield cls
    KINDS.pop("test_scaled", None)  # the kind is this module's own: leave the table as it was


def scaled(schedule, factor=0.5):
    schedule_arg("schedule", schedule)
    return globals()["Scaled"]._make(schedule=schedule, factor=V.value("factor", factor))


def _cosine(k, n=10):
    return 0.5 * (1 + math.cos(math.pi * min(k, n) / n))


def test_a_new_node_evaluates_on_every_backend(scaled_cls):
    s = scaled(L.cosine(1.0, 0.0, 10), 0.25)
    want = np.array([0.25 * _cosine(k) for k in range(15)])
    assert [s(k) for k in range(15)] == pytest.approx(want, rel=1e-15)
    np.testing.assert_allclose(s(np.arange(15)), want, rtol=1e-15)
    np.testing.assert_allclose(jax.jit(s)(jnp.arange(15)), want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(L.evaluate(s, 15), want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(L.evaluate(s, 10, start=5, backend="numpy"), want[5:], rtol=1e-15)


def test_a_new_node_is_a_pytree_with_its_declared_leaves(scaled_cls):
    s = scaled(L.linear(1.0, 0.0, 10), 0.25)
    assert jax.tree_util.tree_leaves(s) == [0.25, 1.0, 0.0]
    g = jax.grad(lambda f: scaled(L.linear(1.0, 0.0, 10), f)(jnp.asarray(4)))(0.5)
    assert float(g) == pytest.approx(0.6)  # d/df f * (1 - 4 / 10)
    batch = L.stack([scaled(L.linear(p, 0.0, 10), 0.5) for p in (1.0, 2.0)])
    np.testing.assert_allclose(L.evaluate(batch, 3), [[0.5, 0.45, 0.4], [1.0, 0.9, 0.8]], rtol=1e-6)


def test_a_new_node_compares_hashes_prints_and_serialises(scaled_cls):
    s = scaled(L.cosine(1.0, 0.0, 10))
    assert s == scaled(L.cosine(1.0, 0.0, 10)) and hash(s) == hash(scaled(L.cosine(1.0, 0.0, 10)))
    assert s != scaled(L.cosine(1.0, 0.0, 10), 0.25)
    assert repr(s) == "test_scaled(cosine(1.0, 0.0, 10))"  # the default factor is not written
    assert repr(scaled(L.constant(2.0), 0.25)) == "test_scaled(constant(2.0), factor=0.25)"
    doc = L.to_dict(s)
    assert doc == {
        "type": "test_scaled",
        "schedule": {"type": "ramp", "start": 1.0, "end": 0.0, "steps": 10, "shape": "cosine"},
        "factor": 0.5,
    }
    assert L.from_dict(doc) == s
    with pytest.raises(ValueError, match=r"factor=nan"):
        L.from_dict({**doc, "factor": math.nan})


def test_a_new_node_composes_and_reports_its_children_s_phases(scaled_cls):
    s = L.warmup(scaled(L.cosine(1.0, 0.0, 10)), 5)
    assert s(5) == 0.5 and s(15) == 0.0
    assert L.boundaries(s, 30) == [5, 15]  # the warmup's end, then the cosine's end on its clock
    assert L.boundaries(L.cycle(scaled(L.linear(1.0, 0.0, 4)), 4), 13) == [4, 8, 12]
    j = L.join([L.constant(1.0), scaled(L.constant(2.0))], [3])
    assert [j(k) for k in range(5)] == [1.0, 1.0, 1.0, 1.0, 1.0]
    np.testing.assert_array_equal(np.asarray(jax.jit(j)(jnp.arange(5))), [1.0] * 5)


def test_a_kind_or_a_field_declared_twice_is_refused():
    with pytest.raises(TypeError, match="kind='ramp': already the kind of Ramp"):

        class Again(Schedule, kind="ramp"):
            pass

    with pytest.raises(TypeError, match="a field is declared twice"):

        class Twice(Schedule, kind="test_twice"):
            _values = ("start",)
            _static = ("start",)

    assert "test_twice" not in KINDS


def test_every_node_stores_its_builder_s_own_arguments():
    assert {c.__name__ for c in KINDS.values() if c.__module__.startswith("lrsched")} >= {
        "Constant",
        "BinOp",
        "Ramp",
        "Exponential",
        "InverseTime",
        "InverseSqrt",
        "PiecewiseConstant",
        "Warmup",
        "Join",
        "Chain",
        "Clip",
        "Shift",
        "PerEpoch",
        "Cycle",
        "KDecay",
        "DecayCount",
        "Fn",
    }
    for kind, cls in KINDS.items():
        if not cls.__module__.startswith("lrsched"):
            continue
        params = inspect.signature(cls.build()).parameters
        open_keywords = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        fields = cls._values + cls._children + cls._static
        missing = [f for f in fields if f not in params and not open_keywords]
        assert not missing, (kind, missing)


# names of the backend and step types that node code must not compare (it asks the namespace, or a
# helper of _backend, which is where the backends are told apart)
_BANNED = re.compile(r"xp\.name\b|type\(k\)\s+is|type\(k\)\s+in")
_NODE_CODE = (
    "_node",
    "_primitives",
    "_ramps",
    "_combinators",
    "_cycle",
    "_warps",
    "_fn",
    "_tables",
    "_gather",
    "_sweep",
)


def test_no_node_compares_namespace_names_or_step_types():
    found = []
    for path in sorted(PACKAGE / f"{m}.py" for m in _NODE_CODE):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if _BANNED.search(line):
                found.append(f"{path.relative_to(PACKAGE)}:{i}: {line.strip()}")
    assert not found, "\n".join(found)
