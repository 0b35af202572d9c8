"""Equality, hashing, repr, immutability, and the JSON round trip of every node type."""

from __future__ import annotations

import copy
import json
import math
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference import CASES

import lrsched as L
from lrsched import from_dict, to_dict

# fn schedules are covered on their own below (they need a registered function)
NODE_CASES = [c for c in CASES if not c[0].startswith("fn")]
IDS = [c[0] for c in NODE_CASES]
PROBE = [0, 1, 2, 3, 5, 7, 10, 13, 29, 31, 50, 99, 100, 101, 150, 400, 10**6]
PROBE_F = [0.5, 2.25, 9.75, 33.3]


def _values(s):
    return [s(k) for k in PROBE + PROBE_F]


def _same_values(a, b):
    assert _values(a) == _values(b)  # identical, not merely close
    ks = np.asarray(PROBE, dtype=np.int64)
    assert np.array_equal(a(ks), b(ks))


# --------------------------------------------------------------------------------------------
# equality and hashing
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,build,ref,span", NODE_CASES, ids=IDS)
def test_built_twice_is_equal_and_hash_equal(name, build, ref, span):
    a, b = build(), build()
    assert a is not b
    assert a == b and not (a != b)
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != "warmup_cosine" and a != 1.0


DIFFERENT = [
    (L.constant(0.1), L.constant(0.2)),
    (L.constant(1.0), L.linear(1.0, 1.0, 10)),
    (L.linear(1.0, 0.0, 10), L.linear(1.0, 0.0, 11)),
    (L.linear(1.0, 0.0, 10), L.cosine(1.0, 0.0, 10)),
    (L.cosine(1.0, 0.0, 10), L.cosine(1.0, 0.0, 10, exponent=2.0)),
    (L.ramp(1.0, 0.0, 10, "rex"), L.ramp(1.0, 0.0, 10, "rex", alpha=0.6)),
    (L.ramp(1.0, 0.0, 10, "tanh"), L.ramp(1.0, 0.0, 10, "tanh", upper=4.0)),
    (L.exponential(1.0, 0.5, 2), L.exponential(1.0, 0.5, 2, staircase=True)),
    (L.exponential(1.0, 0.5, 2), L.exponential(1.0, 0.5, 2, end=0.1)),
    (L.inverse_time(1.0, 0.5), L.inverse_time(1.0, 0.5, staircase=True)),
    (L.inverse_sqrt(1.0, 10), L.inverse_sqrt(1.0, 20)),
    (L.piecewise_constant(1.0, {10: 0.5}), L.piecewise_constant(1.0, {11: 0.5})),
    (L.piecewise_constant(1.0, {10: 0.5}), L.piecewise_constant(1.0, {10: 0.25})),
    (L.warmup_cosine(1.0, 100, 10), L.warmup_cosine(1.0, 100, 11)),
    (L.warmup_cosine(1.0, 100, 10), L.warmup_cosine(1.0, 100, 10, start=0.1)),
    (L.warmup_cosine(1.0, 100, 10), L.warmup_linear(1.0, 100, 10)),
    (L.warmup(L.constant(1.0), 5), L.warmup(L.constant(1.0), 5, shape="cosine")),
    (L.join([L.constant(1.0), L.constant(0.5)], [5]), L.join([L.constant(1.0), L.constant(0.5)], [6])),
    (L.cycle(L.linear(1.0, 0.0, 10), 10), L.cycle(L.linear(1.0, 0.0, 10), 10, period_mult=2)),
    (L.cycle(L.linear(1.0, 0.0, 10), 10), L.cycle(L.linear(1.0, 0.0, 10), 10, limit=3)),
    (L.cycle(L.linear(1.0, 0.0, 10), 10), L.cycle(L.linear(1.0, 0.0, 10), 10, decay=0.5)),
    (L.shift(L.constant(1.0), 3), L.shift(L.constant(1.0), -3)),
    (L.per_epoch(L.constant(1.0), 3), L.per_epoch(L.constant(1.0), 4)),
    (L.clip(L.constant(1.0), min=0.1), L.clip(L.constant(1.0), max=0.1)),
    (L.constant(1.0) + 1.0, L.constant(1.0) - 1.0),
    (L.minimum(L.constant(1.0), 0.5), L.maximum(L.constant(1.0), 0.5)),
    (L.chain(L.constant(1.0), L.constant(0.5)), L.chain(L.constant(0.5), L.constant(1.0))),
    (L.one_cycle(1.0, 100), L.one_cycle(1.0, 100, three_phase=True)),
    (L.cyclic(0.1, 1.0, 5), L.cyclic(0.1, 1.0, 5, mode="triangular2")),
    (L.wsd(1.0, 100, 10, 20), L.wsd(1.0, 100, 10, 20, decay_shape="linear")),
]


@pytest.mark.parametrize("a,b", DIFFERENT, ids=[repr(a) for a, _ in DIFFERENT])
def test_different_schedules_are_not_equal(a, b):
    assert a != b and not (a == b)
    assert b != a


def test_repr_of_arithmetic_on_two_numbers_stays_a_schedule():
    s = L.constant(1.0) - L.constant(0.1)
    back = eval(repr(s), vars(L))  # noqa: S307
    assert isinstance(back, L.Schedule) and back == s


def test_equality_is_exact_on_values():
    assert L.constant(0.1 + 0.2) != L.constant(0.3)
    assert L.constant(1) == L.constant(1.0)  # ints are float values


def test_array_leaves_are_not_hashable():
    s = L.warmup_cosine(jnp.float32(1.0), 100, 10)
    with pytest.raises(TypeError):
        hash(s)
    assert s == s


# --------------------------------------------------------------------------------------------
# repr
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,build,ref,span", NODE_CASES, ids=IDS)
def test_repr_evaluates_back(name, build, ref, span):
    s = build()
    r = repr(s)
    back = eval(r, vars(L))  # noqa: S307 - the repr of a schedule reads like the call that built it
    assert back == s, r
    assert repr(back) == r
    _same_values(back, s)


def test_repr_reads_like_the_call():
    assert repr(L.constant(0.1)) == "constant(0.1)"
    assert repr(L.linear(1.0, 0.0, 10)) == "linear(1.0, 0.0, 10)"
    assert repr(L.cosine(1.0, 0.0, 10, exponent=2.0)) == "cosine(1.0, 0.0, 10, exponent=2.0)"
    assert repr(L.warmup(L.cosine(1.0, 0.0, 100), 10)) == "warmup(cosine(1.0, 0.0, 100), 10)"
    assert repr(L.exponential(1.0, 0.5, 2, staircase=True)) == "exponential(1.0, 0.5, 2, staircase=True)"


# --------------------------------------------------------------------------------------------
# immutability
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,build,ref,span", NODE_CASES[:: max(1, len(NODE_CASES) // 25)], ids=IDS[:: max(1, len(NODE_CASES) // 25)]
)
def test_immutable(name, build, ref, span):
    s = build()
    before = _values(s)
    field = next(iter(vars(s)))
    with pytest.raises(AttributeError):
        setattr(s, field, 0.5)
    with pytest.raises(AttributeError):
        s.new_attribute = 1
    with pytest.raises(AttributeError):
        delattr(s, field)
    assert _values(s) == before


def test_copies_and_pickles_are_equal():
    s = L.warmup(L.cycle(L.cosine(1.0, 0.1, 10), 10, period_mult=2, decay=0.5), 5)
    assert copy.copy(s) == s and copy.deepcopy(s) == s
    assert pickle.loads(pickle.dumps(s)) == s


# --------------------------------------------------------------------------------------------
# to_dict / from_dict
# --------------------------------------------------------------------------------------------
def _json_safe(x):
    if isinstance(x, dict):
        assert all(type(k) is str for k in x)
        return all(_json_safe(v) for v in x.values())
    if isinstance(x, list):
        return all(_json_safe(v) for v in x)
    return x is None or type(x) in (bool, int, float, str) and (type(x) is not float or math.isfinite(x))


@pytest.mark.parametrize("name,build,ref,span", NODE_CASES, ids=IDS)
def test_json_round_trip(name, build, ref, span):
    s = build()
    d = to_dict(s)
    assert _json_safe(d)
    text = json.dumps(d, allow_nan=False)
    back = from_dict(json.loads(text))
    assert back == s
    assert hash(back) == hash(s)
    _same_values(back, s)
    assert to_dict(back) == d


def test_round_trip_keeps_awkward_floats_exact():
    for v in (0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -2.5e-17):
        s = L.warmup(L.linear(v, v / 2 if v > 1e-300 else v, 7), 3, start=v)
        back = from_dict(json.loads(json.dumps(to_dict(s))))
        assert back == s
        assert back.start == v  # bit for bit


def test_round_trip_of_fractional_and_big_durations():
    s = L.cycle(L.ramp(1.0, 0.0, 12.5), 25, period_mult=1.5, limit=7)
    assert from_dict(json.loads(json.dumps(to_dict(s)))) == s
    t = L.join([L.constant(1.0), L.constant(0.5)], [2**40])
    back = from_dict(json.loads(json.dumps(to_dict(t))))
    assert back == t and back(2**40) == 0.5 and back(2**40 - 1) == 1.0


def _halving(k):
    return 0.5 ** (k // 10)


def test_register_and_fn_round_trip():
    L.register("test-core-halving")(_halving)
    L.register("test-core-halving")(_halving)  # the same function again is fine
    s = L.warmup(L.fn(_halving), 5)
    d = json.loads(json.dumps(to_dict(s)))
    assert d["schedule"] == {"type": "fn", "f": "test-core-halving"}
    back = from_dict(d)
    assert back == s
    assert [back(k) for k in (0, 3, 5, 14, 15, 40)] == [s(k) for k in (0, 3, 5, 14, 15, 40)]
    assert back(25) == 0.25  # 0.5 ** ((25 - 5) // 10)
    with pytest.raises(ValueError, match="name="):
        L.register("test-core-halving")(lambda k: 1.0)


def test_unregistered_fn_does_not_serialise():
    s = L.fn(lambda k: 1.0)
    with pytest.raises(ValueError, match="f="):
        to_dict(s)
    with pytest.raises(ValueError, match="f="):
        from_dict({"type": "fn", "f": "no-such-function"})
    with pytest.raises(ValueError, match="f="):
        from_dict({"type": "fn", "f": "os.system"})


def test_array_leaves_serialise_only_as_scalars():
    # the builder refuses a non-scalar leaf; a pytree map can still make one (as vmap and stack do)
    s = jax.tree_util.tree_map(lambda x: jnp.asarray([x, x]), L.constant(0.1))
    with pytest.raises(TypeError, match="value="):
        to_dict(s)


BAD_DICTS = [
    ("unknown-type", {"type": "cosine_annealing"}, ValueError, r"type=.*unknown schedule type"),
    ("missing-type", {"value": 0.1}, ValueError, r"type=None"),
    ("type-not-str", {"type": 3}, ValueError, r"type=3"),
    ("unknown-field", {"type": "constant", "value": 0.1, "valeu": 0.2}, ValueError, r"valeu"),
    (
        "unknown-field-nested",
        {"type": "warmup", "schedule": {"type": "constant", "value": 1.0, "x": 1}, "steps": 5},
        ValueError,
        r"schedule\.schedule\.'x'",
    ),
    ("bad-value", {"type": "constant", "value": "0.1"}, TypeError, r"value="),
    ("bad-bool-value", {"type": "constant", "value": True}, TypeError, r"value="),
    ("bad-steps", {"type": "ramp", "start": 1.0, "end": 0.0, "steps": -1, "shape": "linear"}, ValueError, r"steps=-1"),
    ("bad-shape", {"type": "ramp", "start": 1.0, "end": 0.0, "steps": 5, "shape": "wave"}, ValueError, r"shape='wave'"),
    (
        "bad-shape-param",
        {"type": "ramp", "start": 1.0, "end": 0.0, "steps": 5, "shape": "linear", "power": 2.0},
        TypeError,
        r"power=2.0",
    ),
    (
        "nested-bad-period",
        {"type": "cycle", "schedule": {"type": "constant", "value": 1.0}, "period": 0},
        ValueError,
        r"period=0",
    ),
    (
        "bad-boundaries",
        {
            "type": "join",
            "schedules": [{"type": "constant", "value": 1.0}, {"type": "constant", "value": 0.5}],
            "boundaries": [5, 6],
        },
        ValueError,
        r"boundaries=",
    ),
    ("bad-child", {"type": "warmup", "schedule": 1.0, "steps": 5}, TypeError, r"schedule="),
    ("missing-field", {"type": "ramp", "start": 1.0, "end": 0.0}, TypeError, r"steps"),
    ("not-a-dict", [1, 2], TypeError, r"schedule="),
    ("nan", {"type": "constant", "value": float("nan")}, ValueError, r"value=nan"),
    ("object", {"type": "constant", "value": object()}, TypeError, r"value="),
    (
        "bad-staircase",
        {"type": "exponential", "start": 1.0, "rate": 0.5, "steps": 1, "staircase": "yes"},
        TypeError,
        r"staircase=",
    ),
]


@pytest.mark.parametrize("name,data,exc,match", BAD_DICTS, ids=[b[0] for b in BAD_DICTS])
def test_from_dict_rejects(name, data, exc, match):
    with pytest.raises(exc, match=match):
        from_dict(data)


def test_from_dict_names_known_types():
    with pytest.raises(ValueError) as info:
        from_dict({"type": "nope"})
    for known in ("constant", "ramp", "warmup", "join", "cycle"):
        assert known in str(info.value)


def test_from_dict_bounds_nesting():
    d = {"type": "constant", "value": 1.0}
    for _ in range(500):
        d = {"type": "shift", "schedule": d, "steps": 1}
    with pytest.raises(ValueError, match="nesting"):
        from_dict(d)


def test_to_dict_rejects_non_schedules():
    with pytest.raises(TypeError, match="schedule="):
        to_dict({"type": "constant", "value": 1.0})


@pytest.mark.parametrize("scales", [{10: 0.5, 20: 0.25}, {10.5: 0.5, 20: 0.25}, {0.25: 2.0}, {2**40: 0.1}])
def test_piecewise_constant_round_trips_with_its_steps_as_given(scales):
    """The step -> factor mapping is written as [step, factor] pairs: a fractional step is not a
    JSON object key that from_dict would read as a step."""
    import json

    s = L.piecewise_constant(1.0, scales)
    d = json.loads(json.dumps(L.to_dict(s)))
    assert d["scales"] == [[b, v] for b, v in sorted(scales.items())]
    back = L.from_dict(d)
    assert back == s
    for k in (0, 1, 10, 11, 20, 2**40):
        assert back(k) == s(k)
