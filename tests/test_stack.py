"""A batch from lrsched.stack is its own type: refused by every combinator and by arithmetic at
build time; callable, evaluated, plotted, serialised exactly; ``jax.vmap(f)(batch)`` gives ``f``
one plain schedule per member."""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched as L

PEAKS = (1e-3, 3e-4, 0.1)
MEMBERS = [L.warmup_cosine(p, 100, 10) for p in PEAKS]
COMPOSE = "compose the schedules first, then stack them"


def ref(peak, k):  # warmup_cosine(peak, 100, 10): linear warmup, then a half cosine over 90 steps
    if k < 10:
        return peak * k / 10
    t = min(k - 10, 90) / 90
    return peak * 0.5 * (1 + math.cos(math.pi * t))


@pytest.fixture
def batch():
    return L.stack(MEMBERS)


@pytest.mark.parametrize(
    "build",
    [
        lambda b: L.warmup(b, 10),
        lambda b: L.join([L.constant(1.0), b], [5]),
        lambda b: L.clip(b, max=1.0),
        lambda b: L.chain(b, L.constant(2.0)),
        lambda b: L.cycle(b, 10),
        lambda b: L.shift(b, 3),
        lambda b: L.per_epoch(b, 3),
        lambda b: L.minimum(b, 0.5),
        lambda b: L.maximum(L.constant(0.1), b),
        lambda b: b * 2,
        lambda b: 2 * b,
        lambda b: b + L.constant(1.0),
        lambda b: L.constant(1.0) + b,
        lambda b: b - 1.0,
        lambda b: b / 2.0,
        lambda b: -b,
        lambda b: L.stack([b, b]),
    ],
)
def test_combinators_and_arithmetic_refuse_a_batch(batch, build):
    with pytest.raises(TypeError, match=COMPOSE):
        build(batch)


def test_a_batch_is_not_a_schedule(batch):
    assert not isinstance(batch, L.Schedule)
    with pytest.raises(TypeError):
        hash(batch)


def test_calling_a_batch_gives_each_members_values(batch):
    ks = np.arange(0, 120, 7)
    got = np.asarray(batch(jnp.asarray(ks)))
    assert got.shape == (3, len(ks))
    want = np.array([[ref(p, int(k)) for k in ks] for p in PEAKS])
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-12)
    assert np.asarray(batch(50)).shape == (3,)


def test_evaluate_and_jit(batch):
    v = np.asarray(L.evaluate(batch, 100))
    want = np.array([[ref(p, k) for k in range(100)] for p in PEAKS])
    np.testing.assert_allclose(v, want, rtol=2e-6, atol=1e-12)
    f = jax.jit(lambda b: L.evaluate(b, 100))
    np.testing.assert_allclose(np.asarray(f(batch)), v, rtol=1e-6)


def test_vmap_gives_f_one_plain_schedule(batch):
    seen = []

    def f(s):
        seen.append(type(s))
        return s(jnp.asarray(50))

    out = np.asarray(jax.vmap(f)(batch))
    assert seen and all(issubclass(t, L.Schedule) for t in seen)
    np.testing.assert_allclose(out, [ref(p, 50) for p in PEAKS], rtol=2e-6)
    # with a step argument too, and under jit
    g = jax.jit(jax.vmap(lambda s, k: s(k), in_axes=(0, None)))
    np.testing.assert_allclose(np.asarray(g(batch, jnp.asarray(5))), [ref(p, 5) for p in PEAKS], rtol=2e-6)


def test_grad_with_respect_to_the_batch(batch):
    g = jax.grad(lambda b: jax.vmap(lambda s: s(jnp.asarray(10)))(b).sum())(batch)
    leaves = jax.tree_util.tree_leaves(g.schedule if hasattr(g, "schedule") else g)
    assert leaves  # d s(10) / d peak = 1 for each member (the warmup has just ended)
    total = sum(float(jnp.sum(x)) for x in leaves)
    assert total == pytest.approx(3.0, rel=1e-6)


def test_to_dict_keeps_the_floats_given(batch):
    d = json.loads(json.dumps(L.to_dict(batch)))
    assert d["type"] == "stack"
    assert [m["schedule"]["start"] for m in d["schedules"]] == list(PEAKS)  # 1e-3, not 0.0010000000474974513
    back = L.from_dict(d)
    assert back == batch and back.schedules == MEMBERS


def test_a_stack_document_inside_a_schedule_is_refused():
    doc = {
        "type": "join",
        "schedules": [{"type": "constant", "value": 1.0}, L.to_dict(L.stack(MEMBERS))],
        "boundaries": [5],
    }
    with pytest.raises(TypeError, match=COMPOSE):
        L.from_dict(doc)
