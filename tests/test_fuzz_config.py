"""Hostile configs: ``lrsched.from_dict`` on thousands of generated documents.

Whatever the document (wrong types, unknown type names and fields, huge or negative numbers,
NaN and inf, bools, nested lists and dicts, strings that look like code or module paths, deep
nesting, very long lists, valid documents mutated at random), ``from_dict``

* raises only ``ValueError`` or ``TypeError``, with a non-empty message (never another exception,
  never ``RecursionError``);
* returns within a second (nesting and size are bounded before any work is done);
* imports nothing and runs nothing: no module appears in ``sys.modules``, no import of a module
  not already loaded, no ``eval``/``exec``/``compile``/``importlib``/``pickle`` call; an ``fn``
  name resolves only through ``lrsched.register``;
* and a mutated document that is accepted gives a schedule that evaluates to finite values (or
  was refused at build time), and round-trips through ``to_dict`` exactly.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import inspect
import json
import math
import pickle
import sys
import time
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrsched as L
from lrsched._fn import _REGISTRY
from lrsched._node import KINDS
from lrsched._stack import Stack

FUZZ = settings(
    max_examples=1200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
TIME_LIMIT = 1.0  # seconds for one from_dict call

BUILDERS = {**{k: c.build() for k, c in KINDS.items()}, "stack": L.stack}
TYPE_NAMES = sorted(BUILDERS)
FIELDS = {k: [p for p in inspect.signature(b).parameters if p != "shape_params_"] for k, b in BUILDERS.items()}
SHAPE_FIELDS = ["exponent", "power", "alpha", "lower", "upper"]
ALL_FIELDS = sorted({f for fs in FIELDS.values() for f in fs} | set(SHAPE_FIELDS))
CODE = [
    "os.system",
    "os.system('echo pwned')",
    "__import__('os').system('true')",
    "__import__",
    "lambda: 0",
    "lambda k: k",
    "eval",
    "exec",
    "builtins.eval",
    "subprocess.Popen",
    "pickle.loads",
    "importlib.import_module",
    "math.cos",
    "numpy.load",
    "lrsched.constant",
    "lrsched._primitives.constant",
    "torch.optim.lr_scheduler.CosineAnnealingLR",
    "__class__",
    "__reduce__",
    "__init__",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "",
    " ",
    "constant ",
    "Constant",
    "CONSTANT",
]
NAMES = TYPE_NAMES + CODE + ["cosine_annealing", "warmup_cosine", "one_cycle", "linear", "cosine", "piecewise_linear"]
SHAPES = ["linear", "cosine", "exponential", "polynomial", "sqrt", "rex", "tanh", "wave", "Linear"]
HUGE_INTS = [2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63), 10**30, 10**400, -(10**400)]
ODD_FLOATS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 1e-300, 1e300, 2.0**63]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2000),
    st.integers(),
    st.sampled_from(HUGE_INTS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10, max_value=10),
    st.sampled_from(ODD_FLOATS),
    st.text(max_size=12),
    st.sampled_from(CODE + NAMES + SHAPES + ALL_FIELDS),
)
keys = st.one_of(st.sampled_from(["type", *ALL_FIELDS, "__class__", "__dict__", "f", "name"]), st.text(max_size=8))
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


# ============================================================================================
# the checks every call goes through
# ============================================================================================
@contextlib.contextmanager
def _nothing_runs():
    """Fail on any import of a module not yet loaded, and on eval/exec/compile/import_module/pickle."""
    real_import = builtins.__import__

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name not in sys.modules:
            raise AssertionError(f"from_dict imported {name!r}")
        return real_import(name, globals, locals, fromlist, level)

    def forbidden(what):
        def f(*args, **kwargs):
            raise AssertionError(f"from_dict called {what}")

        return f

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(builtins, "__import__", guarded_import))
        for name in ("eval", "exec", "compile"):
            stack.enter_context(mock.patch.object(builtins, name, forbidden(name)))
        stack.enter_context(mock.patch.object(importlib, "import_module", forbidden("importlib.import_module")))
        stack.enter_context(mock.patch.object(pickle, "loads", forbidden("pickle.loads")))
        stack.enter_context(mock.patch.object(pickle, "load", forbidden("pickle.load")))
        yield


def attempt(doc):
    """``from_dict(doc)``: a Schedule, or the ValueError/TypeError it raised. Any other exception
    propagates (and fails the test)."""
    modules = set(sys.modules)
    t0 = time.perf_counter()
    try:
        with _nothing_runs():
            out = L.from_dict(doc)
    except (ValueError, TypeError) as e:
        assert str(e).strip(), f"{type(e).__name__} without a message"
        out = e
    else:
        assert isinstance(out, (L.Schedule, Stack))  # a "stack" document gives a batch
    elapsed = time.perf_counter() - t0
    assert elapsed < TIME_LIMIT, f"from_dict took {elapsed:.2f} s"
    assert set(sys.modules) == modules, f"modules imported: {set(sys.modules) - modules}"
    return out


@pytest.fixture(scope="module", autouse=True)
def _warm():
    # the lazy imports a first call makes (JAX for a stack) happen here, before the checks
    L.from_dict(L.to_dict(L.stack([L.warmup(L.constant(1.0), 2), L.warmup(L.constant(2.0), 2)])))
    L.warmup_cosine(1.0, 10, 2)(np.arange(3))
    np.isfinite(np.zeros(2))


# ============================================================================================
# random valid schedules (moderate values), to mutate
# ============================================================================================
durations = st.integers(min_value=0, max_value=1000)
positive = st.integers(min_value=1, max_value=1000)
values = st.floats(min_value=-5, max_value=5, allow_nan=False).map(lambda x: round(x, 6))
pos_values = st.floats(min_value=1e-3, max_value=5).map(lambda x: round(x, 6) or 1e-3)


@st.composite
def leaves(draw):
    kind = draw(st.sampled_from(["constant", "ramp", "exp", "itime", "isqrt", "pconst", "plin", "recipe"]))
    if kind == "constant":
        return L.constant(draw(values))
    if kind == "ramp":
        shape = draw(st.sampled_from(SHAPES[:7]))
        if shape == "exponential":
            return L.ramp(draw(pos_values), draw(pos_values), draw(durations), shape)
        params = {}
        if shape == "cosine" and draw(st.booleans()):
            params["exponent"] = draw(pos_values)
        if shape == "polynomial":
            params["power"] = draw(pos_values)
        if shape == "rex":
            params["alpha"] = draw(st.floats(0.0, 0.99))
        return L.ramp(draw(values), draw(values), draw(durations), shape, **params)
    if kind == "exp":
        end = draw(st.none() | values)
        return L.exponential(
            draw(values), draw(st.floats(0.1, 2.0)), draw(positive), staircase=draw(st.booleans()), end=end
        )
    if kind == "itime":
        return L.inverse_time(draw(values), draw(st.floats(0.0, 3.0)), draw(positive), staircase=draw(st.booleans()))
    if kind == "isqrt":
        return L.inverse_sqrt(draw(values), draw(positive))
    if kind == "pconst":
        scales = draw(st.dictionaries(durations, st.floats(0.1, 2.0), max_size=4))
        return L.piecewise_constant(draw(values), scales)
    if kind == "plin":
        return L.piecewise_linear(draw(st.dictionaries(durations, values, min_size=1, max_size=4)))
    total = draw(st.integers(min_value=2, max_value=2000))
    warm = draw(st.integers(min_value=0, max_value=total // 2))
    recipe = draw(st.sampled_from(["wc", "wl", "wsd", "oc", "sgdr", "cyclic", "noam", "tri"]))
    if recipe == "wc":
        return L.warmup_cosine(draw(values), total, warm, end=draw(values))
    if recipe == "wl":
        return L.warmup_linear(draw(values), total, warm)
    if recipe == "wsd":
        return L.wsd(draw(values), total, warm, draw(st.integers(0, total - warm)))
    if recipe == "oc":
        return L.one_cycle(draw(pos_values), total + 10, three_phase=draw(st.booleans()))
    if recipe == "sgdr":
        return L.sgdr(draw(values), draw(positive), period_mult=draw(st.sampled_from([1, 2, 1.5])), warmup_steps=warm)
    if recipe == "cyclic":
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        return L.cyclic(draw(values), draw(values), draw(positive), mode=mode, gamma=draw(st.floats(0.9, 1.0)))
    if recipe == "noam":
        return L.noam(draw(values), draw(positive))
    return L.tri_stage(draw(pos_values), draw(durations), draw(durations), draw(durations))


@st.composite
def schedules(draw, depth=2):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(leaves())
    child = schedules(depth - 1)
    kind = draw(st.sampled_from(["warmup", "join", "chain", "clip", "cycle", "shift", "per_epoch", "binop", "minmax"]))
    if kind == "warmup":
        shape = draw(st.sampled_from(SHAPES[:7]))
        inner, n, start = draw(child), draw(durations), draw(values)
        try:  # a geometric warmup needs start and inner(0) of one sign: refused at build otherwise
            return L.warmup(inner, n, start=start, shape=shape)
        except ValueError:
            assert shape == "exponential"
            return L.warmup(inner, n, start=start)
    if kind == "join":
        parts = draw(st.lists(child, min_size=1, max_size=3))
        bounds = sorted(draw(st.lists(durations, min_size=len(parts) - 1, max_size=len(parts) - 1)))
        return L.join(parts, bounds)
    if kind == "chain":
        return L.chain(*draw(st.lists(child, min_size=1, max_size=3)))
    if kind == "clip":
        lo = draw(st.none() | st.floats(-5, 0))
        return L.clip(draw(child), min=lo, max=draw(st.none() | st.floats(0, 5)))
    if kind == "cycle":
        limit = draw(st.none() | st.integers(1, 5))
        mult = draw(st.sampled_from([1, 2, 3, 1.5]))
        return L.cycle(draw(child), draw(positive), period_mult=mult, decay=draw(st.floats(0.1, 1.0)), limit=limit)
    if kind == "shift":
        return L.shift(draw(child), draw(st.integers(-500, 500)))
    if kind == "per_epoch":
        return L.per_epoch(draw(child), draw(positive))
    if kind == "binop":
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        a = draw(child)
        if op == "/":
            return a / draw(st.floats(0.1, 5.0))
        b = draw(child)
        return a + b if op == "+" else a - b if op == "-" else a * b
    return (L.minimum if draw(st.booleans()) else L.maximum)(draw(child), draw(child))


# ============================================================================================
# mutations of valid documents
# ============================================================================================
def _paths(doc, path=()):
    """Every (path) to a value inside ``doc`` (dict keys and list indices)."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append((*path, k))
            out.extend(_paths(v, (*path, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append((*path, i))
            out.extend(_paths(v, (*path, i)))
    return out


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


@st.composite
def mutated(draw):
    s = draw(schedules())
    doc = json.loads(json.dumps(L.to_dict(s)))  # a deep copy, as JSON would give it
    for _ in range(draw(st.integers(1, 2))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        parent, key = _get(doc, path[:-1]), path[-1]
        old = parent[key]
        op = draw(st.sampled_from(["scalar", "json", "delete", "add", "rename", "number", "wrap", "str", "shape"]))
        if op == "scalar":
            parent[key] = draw(scalars)
        elif op == "json":
            parent[key] = draw(json_like)
        elif op == "delete":
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif op == "add":
            target = parent if isinstance(parent, dict) else doc
            target[draw(keys)] = draw(scalars)
        elif op == "rename":
            node = parent if isinstance(parent, dict) else doc
            node["type"] = draw(st.sampled_from(NAMES))
        elif op == "number":
            if isinstance(old, (int, float)) and not isinstance(old, bool):
                factor = draw(st.sampled_from([-1, 0, 2, 0.5, 10, 1e6, 1e-6, 1e300]))
                parent[key] = type(old)(old * factor) if math.isfinite(old * factor) else old * factor
            else:
                parent[key] = draw(st.sampled_from([0, -1, 1, 0.0, -1.0, 2**31, 1e6]))
        elif op == "shape":
            node = parent if isinstance(parent, dict) else doc
            node["shape"] = draw(st.sampled_from(SHAPES))
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[old], {"type": "constant", "value": old}, {"x": old}]))
        else:
            parent[key] = str(old)
    return s, doc


DURATIONS = {"steps", "boundaries", "period", "timescale", "steps_per_epoch", "limit"}


def _moderate(doc, duration=False) -> bool:
    """Every value in ``doc`` is one a schedule should stay finite with at small steps: values
    within 1e-3..1e3 in size (or 0), durations of any length from 1e-3 up (a long schedule is
    still finite)."""
    if isinstance(doc, dict):
        return all(_moderate(v, k in DURATIONS) for k, v in doc.items())
    if isinstance(doc, list):
        if doc and all(isinstance(p, list) and len(p) == 2 for p in doc):  # piecewise (step, value) pairs
            return all(_moderate(b, True) and _moderate(v) for b, v in doc)
        return all(_moderate(v, duration) for v in doc)
    if isinstance(doc, bool) or not isinstance(doc, (int, float)):
        return True
    if duration:  # a unit of 1e-308 steps is an extreme rate in disguise (k / steps overflows)
        return doc == 0 or abs(doc) >= 1e-3
    return doc == 0 or 1e-3 <= abs(doc) <= 1e3


STEPS = [0, 1, 5, 13]


def _evaluates_finitely(s):
    if s._plain:
        py = [s(k) for k in STEPS]
        assert all(type(v) is float and math.isfinite(v) for v in py), (s, py)
        arr = s(np.asarray(STEPS))
        assert np.all(np.isfinite(arr)), (s, arr)
        np.testing.assert_allclose(arr, py, rtol=1e-9, atol=1e-12)


# ============================================================================================
# the fuzz tests
# ============================================================================================
@FUZZ
@given(json_like)
def test_arbitrary_json_documents(doc):
    attempt(doc)


@st.composite
def hostile_nodes(draw, depth=2):
    kind = draw(st.sampled_from(NAMES))
    names = FIELDS.get(kind, []) + (SHAPE_FIELDS if kind == "ramp" else [])
    fields = draw(
        st.lists(st.sampled_from([*names, *names, "junk", "__class__", "type", "f"]), max_size=7, unique=True)
    )
    doc = {"type": kind}
    for f in fields:
        options = [scalars, json_like, st.sampled_from([0, 1, 10, 0.5, 1.0, -1.0, "linear", "cosine", True])]
        if depth:
            options += [hostile_nodes(depth - 1), st.lists(hostile_nodes(depth - 1), max_size=3)]
            options += [st.just(L.to_dict(L.constant(1.0))), st.just([L.to_dict(L.linear(1.0, 0.0, 5))] * 2)]
        doc[f] = draw(st.one_of(options))
    if draw(st.booleans()):
        doc.pop("type")
    return doc


@FUZZ
@given(hostile_nodes())
def test_hostile_nodes(doc):
    out = attempt(doc)
    if isinstance(out, L.Schedule) and _moderate(doc):
        _evaluates_finitely(out)


@FUZZ
@given(mutated())
def test_mutated_valid_documents(case):
    _, doc = case
    snapshot = json.dumps(doc)
    out = attempt(doc)
    assert json.dumps(doc) == snapshot  # the document is read, never changed
    if isinstance(out, (L.Schedule, Stack)):
        again = L.from_dict(json.loads(json.dumps(L.to_dict(out))))
        assert L.to_dict(again) == L.to_dict(out)
        if out._plain or isinstance(out, Stack):  # (a batch compares by its members' floats)
            assert again == out
        if _moderate(doc):
            _evaluates_finitely(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_valid_documents_round_trip(s):
    doc = json.loads(json.dumps(L.to_dict(s)))
    out = attempt(doc)
    assert out == s
    assert [out(k) for k in STEPS] == [s(k) for k in STEPS]
    _evaluates_finitely(out)


# ============================================================================================
# the extremes, built deliberately
# ============================================================================================
def _rejected(doc, exc=(ValueError, TypeError), match=None):
    out = attempt(doc)
    assert isinstance(out, exc), f"accepted: {out!r}"
    if match is not None:
        assert match in str(out), str(out)
    return out


def test_deep_nesting_is_refused_without_recursing():
    d = {"type": "constant", "value": 1.0}
    for _ in range(10_000):  # built iteratively: 10 000 levels of warmup
        d = {"type": "warmup", "schedule": d, "steps": 1}
    _rejected(d, ValueError, "nesting deeper than")
    joins = {"type": "constant", "value": 1.0}
    for _ in range(10_000):
        joins = {"type": "join", "schedules": [joins, {"type": "constant", "value": 0.5}], "boundaries": [3]}
    _rejected(joins, ValueError, "nesting deeper than")
    lst = 1.0
    for _ in range(10_000):
        lst = [lst]
    _rejected({"type": "constant", "value": lst}, ValueError, "nesting deeper than")
    _rejected({"type": lst}, ValueError, "unknown schedule type")  # its repr is never taken in full
    _rejected({"type": "join", "schedules": lst, "boundaries": []}, ValueError, "nesting deeper than")
    dd = {}
    for _ in range(10_000):
        dd = {"x": dd}
    _rejected({"type": "constant", "value": dd}, ValueError)
    # nesting under the bound is fine
    ok = {"type": "constant", "value": 1.0}
    for _ in range(40):
        ok = {"type": "shift", "schedule": ok, "steps": 1}
    assert attempt(ok)(100) == 1.0


def test_very_long_and_very_many():
    million = list(range(1, 10**6 + 1))
    _rejected(
        {"type": "join", "schedules": [{"type": "constant", "value": 1.0}] * 2, "boundaries": million},
        ValueError,
        "list longer",
    )
    _rejected({"type": "piecewise_constant", "start": 1.0, "scales": [[b, 0.5] for b in million]}, ValueError, "longer")
    _rejected({"type": "constant", "value": million}, ValueError)
    many = [{"type": "constant", "value": 1.0}] * 20_000
    for kind in ("chain", "stack"):
        _rejected({"type": kind, "schedules": many}, ValueError, "more than")
    _rejected({"type": "join", "schedules": many, "boundaries": list(range(19_999))}, ValueError, "more than")
    _rejected(
        {"type": "piecewise_constant", "start": 1.0, "scales": [[b, 0.5] for b in range(60_000)]},
        ValueError,
        "more than",
    )
    # big but within the bounds: accepted, and still fast
    s = attempt({"type": "piecewise_constant", "start": 1.0, "scales": [[b, 0.999] for b in range(1, 30_001)]})
    assert s(0) == 1.0 and s(2) == pytest.approx(0.999**2)
    s = attempt({"type": "stack", "schedules": [{"type": "constant", "value": float(i)} for i in range(5_000)]})
    assert s.size == 5_000
    s = attempt(
        {
            "type": "join",
            "schedules": [{"type": "constant", "value": float(i)} for i in range(5_000)],
            "boundaries": list(range(1, 5_000)),
        }
    )
    assert s(4_321) == 4321.0
    _rejected({"type": "constant", "value": "x" * 10**7}, TypeError)
    _rejected({"type": "x" * 10**7}, ValueError)


NUMBERS = {
    "1e400": 10**400,
    "-1e400": -(10**400),
    "1e5000": 10**5000,  # past Python's 4300-digit limit for str(int)
    "2**1024": 2**1024,
    "1e308": 1e308,
    "-1e308": -1e308,
    "2**63": 2**63,
    "nan": math.nan,
    "inf": math.inf,
}


@pytest.mark.parametrize(
    "field", ["value", "start", "steps", "period", "period_mult", "boundaries", "timescale", "limit"]
)
@pytest.mark.parametrize("number", sorted(NUMBERS))
def test_huge_numbers_in_every_field(field, number):
    number = NUMBERS[number]
    base = {
        "value": {"type": "constant"},
        "start": {"type": "ramp", "end": 0.0, "steps": 10},
        "steps": {"type": "ramp", "start": 1.0, "end": 0.0},
        "period": {"type": "cycle", "schedule": {"type": "constant", "value": 1.0}},
        "period_mult": {"type": "cycle", "schedule": {"type": "constant", "value": 1.0}, "period": 3},
        "boundaries": {"type": "join", "schedules": [{"type": "constant", "value": 1.0}] * 2},
        "timescale": {"type": "inverse_sqrt", "start": 1.0},
        "limit": {"type": "cycle", "schedule": {"type": "constant", "value": 1.0}, "period": 3},
    }[field]
    doc = dict(base, **{field: [number] if field == "boundaries" else number})
    out = attempt(doc)
    if isinstance(out, L.Schedule):  # a big but finite duration or value: a working schedule
        _evaluates_finitely(out)
    else:
        assert field in str(out), str(out)


def test_values_that_overflow_a_float_name_the_field():
    for doc, field in [
        ({"type": "constant", "value": 10**400}, "value"),
        ({"type": "exponential", "start": 1.0, "rate": 10**400}, "rate"),
        ({"type": "clip", "schedule": {"type": "constant", "value": 1.0}, "max": -(10**400)}, "max"),
    ]:
        assert field in str(_rejected(doc, ValueError))
    # directly through a builder too: a ValueError naming the argument, not an OverflowError
    with pytest.raises(ValueError, match="value=<int of"):
        L.constant(10**400)


def test_code_looking_strings_are_only_data():
    for text in CODE:
        for doc in (
            {"type": text},
            {"type": "fn", "f": text},
            {"type": "constant", "value": text},
            {"type": "ramp", "start": 1.0, "end": 0.0, "steps": 10, "shape": text},
            {
                "type": "binop",
                "op": text,
                "a": {"type": "constant", "value": 1.0},
                "b": {"type": "constant", "value": 2.0},
            },
            {"type": "constant", "value": 1.0, text or "_": 1},
        ):
            _rejected(doc)


def test_fn_names_resolve_only_through_register():
    def half(k):
        return 0.5 + 0 * k

    with mock.patch.dict(_REGISTRY, {}, clear=False):
        # the names of real, importable callables are not looked up anywhere
        for name in ("os.system", "math.cos", "builtins.abs", "lrsched.constant", "numpy.ones", "abs", "print"):
            assert "not a registered function name" in str(_rejected({"type": "fn", "f": name}, ValueError))
        # a name registered with lrsched.register resolves to the registered function, even one
        # that reads like a module path
        L.register("os.system")(half)
        s = attempt({"type": "fn", "f": "os.system"})
        assert s.f is half and s(3) == 0.5
        assert L.to_dict(s) == {"type": "fn", "f": "os.system"}
        _rejected({"type": "fn", "f": half.__qualname__}, ValueError)
        _rejected({"type": "fn", "f": ["os.system"]}, ValueError)
    assert "os.system" not in _REGISTRY


def test_hostile_containers():
    class Evil:
        def __repr__(self):
            raise AssertionError("repr of a foreign object was taken")

        def __float__(self):
            raise AssertionError("float of a foreign object was taken")

    for doc in (
        Evil(),
        {"type": "constant", "value": Evil()},
        {"type": "join", "schedules": [Evil()], "boundaries": []},
        {"type": "constant", Evil(): 1.0},
        {"type": "constant", ("a", 1): 1.0},
        {"type": "constant", "value": (1.0,)},
        {"type": "constant", "value": {1.0}},
        {"type": "constant", "value": b"1.0"},
        {"type": "constant", "value": 1j},
        {"type": "constant", "value": np.float64("nan")},
        {"type": b"constant"},
        {1: "constant"},
        [],
        None,
        "constant",
        {"type": "constant", "value": 1.0, None: 1},
    ):
        _rejected(doc)


def test_exponential_warmup_towards_the_other_sign_is_refused_at_build():
    # a geometric ramp from start to schedule(0) of the other sign (or 0) has no real values:
    # refused when the document is read, not at the first evaluation
    for first in (-1.0, 0.0):
        doc = {
            "type": "warmup",
            "schedule": {"type": "constant", "value": first},
            "steps": 10,
            "start": 1.0,
            "shape": "exponential",
        }
        assert "start=1.0" in str(_rejected(doc, ValueError))
    doc = {
        "type": "warmup",
        "schedule": {"type": "constant", "value": 4.0},
        "steps": 10,
        "start": 1.0,
        "shape": "exponential",
    }
    s = attempt(doc)
    assert s(5) == pytest.approx(2.0) and s(10) == 4.0


def test_cycle_limit_past_its_table():
    # found by the fuzz: a limit beyond the cycles that start before 2**63 (period 1, doubling:
    # 64 of them) is never reached; it used to index past the table
    doc = {"type": "cycle", "schedule": L.to_dict(L.linear(1.0, 0.0, 1)), "period": 1, "period_mult": 2, "limit": 65}
    s = attempt(doc)
    assert [s(k) for k in (0, 1, 2, 3, 5)] == [1.0, 1.0, 0.5, 1.0, 0.5]
    np.testing.assert_array_equal(s(np.arange(6)), [1.0, 1.0, 0.5, 1.0, 0.75, 0.5])
