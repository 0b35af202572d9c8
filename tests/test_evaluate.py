"""Dense evaluation (`lrsched.evaluate`) and batches (`lrsched.stack`).

Expected values come from an independent float64 formula written here, or from the schedule's own
pointwise path, which tests/test_reference.py checks against the formulas; `evaluate` is a second
implementation (blocked grids, joins split by piece) and must agree with it.
"""

import json
import math
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lrsched


def _pointwise(s, start, n):
    return s(np.arange(start, start + n, dtype=np.int64))


SCHEDULES = {
    "warmup_cosine": lrsched.warmup_cosine(1.0, 5000, 300, start=0.01, end=0.02),
    "cosine_long": lrsched.cosine(2.0, 0.1, 7777),
    "cosine_up": lrsched.cosine(0.0, 1.0, 4321),
    "cosine_exponent": lrsched.cosine(1.0, 0.0, 3000, exponent=2.0),
    "exp_ramp": lrsched.ramp(1.0, 1e-3, 6000, "exponential"),
    "sqrt_ramp": lrsched.ramp(1.0, 0.0, 2500, "sqrt"),
    "rex": lrsched.ramp(1.0, 0.0, 2500, "rex", alpha=0.3),
    "tanh": lrsched.ramp(1.0, 0.0, 2500, "tanh"),
    "exponential": lrsched.exponential(2.0, 0.5, 700),
    "exponential_end": lrsched.exponential(2.0, 0.5, 700, end=0.3),
    "staircase": lrsched.exponential(1.0, 0.1, 1000, staircase=True),
    "wsd": lrsched.wsd(1.0, 6000, 200, 0.2),
    "one_cycle": lrsched.one_cycle(1.0, 5000),
    "sgdr": lrsched.sgdr(1.0, 1000, period_mult=2, decay=0.7),
    "cyclic": lrsched.cyclic(0.1, 1.0, 500, mode="triangular2"),
    "noam": lrsched.noam(1.0, 400),
    "tri_stage": lrsched.tri_stage(1.0, 500, 1000, 2000),
    "join_like": lrsched.join(
        [lrsched.cosine(1.0 + i, 0.1 * i, 1500) for i in range(5)], [1500 * i for i in range(1, 5)]
    ),
    "join_mixed": lrsched.join(
        [
            lrsched.linear(0.0, 1.0, 1000),
            lrsched.cosine(1.0, 0.5, 2000),
            lrsched.cosine(0.5, 0.1, 2000),
            lrsched.constant(0.1),
        ],
        [1000, 3000, 3000],
    ),
    "shift": lrsched.shift(lrsched.cosine(1.0, 0.0, 3000), 1234),
    "shift_neg": lrsched.shift(lrsched.cosine(1.0, 0.0, 3000), -1234),
    "arith": 0.5 * lrsched.warmup_cosine(1.0, 4000, 100) + lrsched.minimum(lrsched.linear(1.0, 0.0, 3000), 0.4),
    "clip_chain": lrsched.clip(
        lrsched.chain(lrsched.cosine(1.0, 0.0, 4000), lrsched.exponential(1.0, 0.9, 500)), min=0.05
    ),
    "per_epoch": lrsched.per_epoch(lrsched.exponential(1.0, 0.5), 700),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("start", [0, 777])
def test_numpy_backend_matches_pointwise(name, start):
    s = SCHEDULES[name]
    n = 9000
    got = lrsched.evaluate(s, n, start=start, backend="numpy")
    assert got.dtype == np.float64 and got.shape == (n,)
    np.testing.assert_allclose(got, _pointwise(s, start, n), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_jax_backend_matches_pointwise(name):
    s = SCHEDULES[name]
    n = 9000
    got = lrsched.evaluate(s, n, start=13)
    assert isinstance(got, jax.Array) and got.dtype == jnp.float32 and got.shape == (n,)
    ref = _pointwise(s, 13, n)
    np.testing.assert_allclose(np.asarray(got), ref, rtol=2e-6, atol=1e-6 * np.abs(ref).max())


def _warmup_cosine_f64(k, peak, total, warm, end):
    # written from the definition: linear warmup from 0, then 0.5 * (1 + cos(pi * t)) to ``end``
    k = k.astype(np.float64)
    t = np.clip((k - warm) / (total - warm), 0.0, 1.0)
    return np.where(k < warm, peak * k / warm, end + (peak - end) * 0.5 * (1 + np.cos(np.pi * t)))


def test_float32_accuracy_at_ten_million_steps():
    n, warm = 10**7, 10**5
    s = lrsched.warmup_cosine(1.0, n, warm, end=1e-3)
    got = np.asarray(lrsched.evaluate(s, n, dtype=np.float32), dtype=np.float64)
    ref = _warmup_cosine_f64(np.arange(n), 1.0, n, warm, 1e-3)
    mask = ref > 0
    assert np.max(np.abs(got[mask] - ref[mask]) / ref[mask]) <= 1e-6


def test_float32_accuracy_near_the_end_of_a_cosine_to_zero():
    # the last steps of a cosine to 0 are tiny: relative accuracy needs the integer "steps left"
    n = 3 * 10**6
    s = lrsched.cosine(1.0, 0.0, n)
    got = np.asarray(lrsched.evaluate(s, 1000, start=n - 1000), dtype=np.float64)
    k = np.arange(n - 1000, n, dtype=np.float64)
    ref = np.sin(np.pi / 2 * (n - k) / n) ** 2
    assert np.max(np.abs(got - ref) / ref) <= 1e-6


def test_dtype_and_start():
    s = lrsched.linear(1.0, 0.0, 100)
    assert lrsched.evaluate(s, 10, dtype=np.float16).dtype == jnp.float16
    assert lrsched.evaluate(s, 10, backend="numpy", dtype=np.float32).dtype == np.float32
    np.testing.assert_allclose(
        lrsched.evaluate(s, 5, start=98, backend="numpy"), [0.02, 0.01, 0.0, 0.0, 0.0], atol=1e-15
    )
    assert lrsched.evaluate(s, 0).shape == (0,)


def test_one_compile_per_structure():
    # a new peak value does not recompile: the values are arguments of the compiled program
    from lrsched import _evaluate as E

    before = E._PROGRAMS.traces
    for peak in (0.1, 0.2, 0.3, 0.4):
        lrsched.evaluate(lrsched.warmup_cosine(peak, 2345, 67), 3000)
    assert E._PROGRAMS.traces - before == 1


def test_a_repeated_call_skips_the_checks_and_layout(monkeypatch):
    """A call with the arguments of an earlier one (Python ints, the JAX backend, the default
    dtype) goes straight to its program; any other call, or one whose program was dropped, is
    checked and laid out again, and every call gives the formula's values."""
    from lrsched import _evaluate as E

    s = lrsched.warmup_cosine(2.0, 1000, 100)
    expected = [2.0 * k / 100 for k in range(100)] + [
        1.0 + math.cos(math.pi * (k - 100) / 900) for k in range(100, 300)
    ]
    laid = []
    real = E._layout_any
    monkeypatch.setattr(E, "_layout_any", lambda *a: laid.append(a[1:]) or real(*a))
    for _ in range(3):
        np.testing.assert_allclose(np.asarray(lrsched.evaluate(s, 300)), expected, rtol=2e-6, atol=1e-7)
    assert laid == [(0, 300)]
    lrsched.evaluate(s, 200, start=100)
    lrsched.evaluate(s, 300, dtype="float32")  # an explicit dtype is checked at every call
    lrsched.evaluate(s, 300, dtype="float32")
    assert laid == [(0, 300), (100, 200), (0, 300), (0, 300)]
    E._PROGRAMS._programs.clear()  # the program dropped: the call is made in full again
    np.testing.assert_allclose(np.asarray(lrsched.evaluate(s, 300)), expected, rtol=2e-6, atol=1e-7)
    assert len(laid) == 5
    # arguments equal to an earlier call's, but not its types, are checked (and refused)
    with pytest.raises(TypeError, match="num_steps=True"):
        lrsched.evaluate(s, True)
    lrsched.evaluate(s, 1)
    with pytest.raises(TypeError, match="num_steps=True"):
        lrsched.evaluate(s, True)
    with pytest.raises(ValueError, match="backend"):
        lrsched.evaluate(s, 300, backend="torch")


def test_stack_and_batched_evaluate():
    peaks = [0.1, 0.5, 1.0, 2.0]
    b = lrsched.stack([lrsched.warmup_cosine(p, 1000, 100, end=0.01 * p) for p in peaks])
    out = lrsched.evaluate(b, 1200, start=5)
    assert out.shape == (4, 1200)
    for i, p in enumerate(peaks):
        ref = _warmup_cosine_f64(np.arange(5, 1205), p, 1000, 100, 0.01 * p)
        np.testing.assert_allclose(np.asarray(out[i]), ref, rtol=2e-6, atol=1e-7)
    # calling the batch works too, with the batch axis in front
    assert b(jnp.arange(7)).shape == (4, 7)
    np.testing.assert_allclose(
        np.asarray(b(150)), [lrsched.warmup_cosine(p, 1000, 100, end=0.01 * p)(150) for p in peaks], rtol=1e-6
    )


def test_stack_rejects_different_structures():
    with pytest.raises(ValueError, match=r"schedules\[1\]="):
        lrsched.stack([lrsched.cosine(1.0, 0.0, 10), lrsched.cosine(1.0, 0.0, 11)])
    with pytest.raises(TypeError, match="schedules="):
        lrsched.stack([])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_steps": -1}, "num_steps="),
        ({"num_steps": 1.5}, "num_steps="),
        ({"num_steps": 10, "start": -3}, "start="),
        ({"num_steps": 10, "backend": "torch"}, "backend="),
    ],
)
def test_evaluate_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        lrsched.evaluate(lrsched.constant(1.0), **kwargs)


def test_evaluate_rejects_non_schedule():
    with pytest.raises(TypeError, match="schedule="):
        lrsched.evaluate(lambda k: 1.0, 10)


_SHARDING_SCRIPT = r"""
import json, jax, numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import lrsched
devices = jax.devices()
b = lrsched.stack([lrsched.warmup_cosine(0.1 * (i + 1), 1000, 100) for i in range(16)])
mesh = Mesh(np.array(devices), ("batch",))
sharded = jax.device_put(b, NamedSharding(mesh, P("batch")))
out = lrsched.evaluate(sharded, 1000)
ref = [[lrsched.warmup_cosine(0.1 * (i + 1), 1000, 100)(k) for k in range(0, 1000, 37)] for i in range(16)]
err = float(np.max(np.abs(np.asarray(out)[:, ::37] - np.array(ref))))
print(json.dumps({"devices": len(devices), "shards": len(out.sharding.device_set), "err": err}))
"""


def test_batch_axis_shards_across_devices():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, "-c", _SHARDING_SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["devices"] == 8 and res["shards"] == 8
    assert res["err"] < 1e-6
    assert math.isfinite(res["err"])


@pytest.mark.parametrize(
    "dtype", [np.int32, np.int64, np.uint8, bool, np.complex64, "complex128", "bogus", object, "i4"]
)
@pytest.mark.parametrize("backend", ["jax", "numpy"])
def test_evaluate_refuses_dtypes_that_are_not_real_floats(dtype, backend):
    with pytest.raises(TypeError, match=r"dtype=.*expected None or a real floating dtype"):
        lrsched.evaluate(lrsched.linear(1.0, 0.0, 100), 10, backend=backend, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float16, "float16", jnp.bfloat16, "bfloat16", np.float32, "f4", np.dtype(">f4")])
def test_evaluate_takes_every_real_floating_dtype(dtype):
    s = lrsched.linear(1.0, 0.0, 100)
    ref = 1.0 - np.arange(30, 40) / 100
    want = np.dtype(dtype).newbyteorder("=")
    for backend in ("jax", "numpy"):
        got = lrsched.evaluate(s, 10, start=30, backend=backend, dtype=dtype)
        assert got.dtype == want
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), ref, rtol=float(jnp.finfo(want).eps))
    assert lrsched.evaluate(s, 10, backend="numpy", dtype=np.float64).dtype == np.float64


# --------------------------------------------------------------------------------------------
# start is an argument of the compiled program: sliding windows reuse one program
# --------------------------------------------------------------------------------------------
# (schedule, first start, stride): 50 windows of 4096 steps (several 1024-step blocks), none of
# them starting at step 0 or at a piece's first step, all inside one phase
SLIDING = {
    "warmup_cosine": (lrsched.warmup_cosine(1.0, 200_000, 1000, end=1e-3), 1001, 3001),
    "one_cycle": (lrsched.one_cycle(1.0, 200_000), 60_000, 2003),  # its second phase starts at 59999
    "join": (
        lrsched.join(
            [lrsched.linear(0.0, 1.0, 500), lrsched.cosine(1.0, 0.1, 150_000), lrsched.exponential(0.1, 0.5, 900)],
            [500, 150_500],
        ),
        777,
        2899,
    ),
    "stack": (lrsched.stack([lrsched.warmup_cosine(p, 200_000, 1000) for p in (0.5, 1.0, 2.0)]), 1500, 2999),
}
_WINDOW, _WINDOWS = 4096, 50


def _pointwise_any(s, start, n):
    if isinstance(s, lrsched._evaluate.Stack):
        return np.stack([_pointwise(c, start, n) for c in s.schedules])
    return _pointwise(s, start, n)


@pytest.mark.parametrize("name", sorted(SLIDING))
def test_sliding_windows_inside_one_phase_compile_once(name):
    from lrsched import _evaluate as E

    s, first, stride = SLIDING[name]
    starts = [first + stride * i for i in range(_WINDOWS)]
    before = E._PROGRAMS.traces
    for a in starts:
        got = np.asarray(lrsched.evaluate(s, _WINDOW, start=a), dtype=np.float64)
        ref = _pointwise_any(s, a, _WINDOW)
        assert np.max(np.abs(got - ref) / np.abs(ref)) <= 1e-6, a
    assert E._PROGRAMS.traces - before <= 1


def test_sliding_windows_across_a_boundary_compile_once_per_split():
    # a window that crosses the warmup's end splits there at its own place: one program for the
    # windows inside the warmup, one for those after it, and one for each place of the split
    from lrsched import _evaluate as E

    warm = 10_000
    s = lrsched.warmup_cosine(1.0, 200_000, warm, end=1e-3)
    starts = [1 + 997 * i for i in range(_WINDOWS)]
    crossing = sum(a < warm < a + _WINDOW for a in starts)
    assert crossing == 5
    before = E._PROGRAMS.traces
    for a in starts:
        got = np.asarray(lrsched.evaluate(s, _WINDOW, start=a), dtype=np.float64)
        ref = _pointwise(s, a, _WINDOW)
        assert np.max(np.abs(got - ref) / np.abs(ref)) <= 1e-6, a
    assert E._PROGRAMS.traces - before <= 2 + crossing


def test_a_window_at_step_zero_or_a_piece_start_matches_the_sliding_ones():
    # the windows entering a piece at its first step keep their own (static) program; values agree
    s = lrsched.warmup_cosine(1.0, 200_000, 1000, end=1e-3)
    for a in (0, 1000, 1001, 5000):
        got = np.asarray(lrsched.evaluate(s, _WINDOW, start=a), dtype=np.float64)
        ref = _pointwise(s, a, _WINDOW)
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())


_SLIDING_X64_SCRIPT = r"""
import json, jax, numpy as np
jax.config.update("jax_enable_x64", True)
import lrsched
from lrsched import _evaluate as E
out = {}
cases = {
    "warmup_cosine": (lrsched.warmup_cosine(1.0, 200_000, 1000, end=1e-3), 1001, 3001),
    "one_cycle": (lrsched.one_cycle(1.0, 200_000), 60_000, 2003),
    "exp_ramp": (lrsched.ramp(1.0, 1e-3, 300_000, "exponential"), 5, 4999),
}
for name, (s, first, stride) in cases.items():
    before, err = E._PROGRAMS.traces, 0.0
    for a in [first + stride * i for i in range(50)]:
        got = lrsched.evaluate(s, 4096, start=a)
        ref = s(np.arange(a, a + 4096, dtype=np.int64))
        err = max(err, float(np.max(np.abs(np.asarray(got) - ref) / np.abs(ref))))
    out[name] = [str(got.dtype), E._PROGRAMS.traces - before, err]
print(json.dumps(out))
"""


def test_sliding_windows_under_x64_compile_once_and_match_float64():
    r = subprocess.run([sys.executable, "-c", _SLIDING_X64_SCRIPT], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    for name, (dtype, traces, err) in json.loads(r.stdout.strip().splitlines()[-1]).items():
        assert dtype == "float64" and traces <= 1 and err <= 1e-13, (name, dtype, traces, err)


@pytest.mark.parametrize("start", [1, 123_457, 5 * 10**6 + 3])
def test_float32_accuracy_at_ten_million_steps_from_a_later_start(start):
    # a start other than 0 is a runtime argument: the cosine grid's angles at the window's ends
    # are computed at run time in float32 and must keep the float32 accuracy of the static grid
    n, warm = 10**7, 10**5
    s = lrsched.warmup_cosine(1.0, n, warm, end=1e-3)
    got = np.asarray(lrsched.evaluate(s, n - start, start=start, dtype=np.float32), dtype=np.float64)
    ref = _warmup_cosine_f64(np.arange(start, n), 1.0, n, warm, 1e-3)
    assert np.max(np.abs(got - ref) / ref) <= 1e-6


@pytest.mark.parametrize("before_end", [200_000, 10**6 + 17])
def test_float32_accuracy_of_a_late_window_of_a_cosine_to_zero(before_end):
    # the window's last block is the smallest: its angle left is computed at run time from the
    # integer steps left, so the relative accuracy holds down to the last step
    n = 3 * 10**6
    s = lrsched.cosine(1.0, 0.0, n)
    a = n - before_end
    got = np.asarray(lrsched.evaluate(s, before_end, start=a), dtype=np.float64)
    k = np.arange(a, n, dtype=np.float64)
    ref = np.sin(np.pi / 2 * (n - k) / n) ** 2
    assert np.max(np.abs(got - ref) / ref) <= 1e-6


# -- dense evaluation of a few pieces: one elementwise loop, no general sine, no concatenation --
def _few_piece_schedules(n):
    return {
        "warmup_cosine": lrsched.warmup_cosine(1.0, n, n // 20, end=1e-3),
        "wsd": lrsched.wsd(2.0, n, n // 50, 0.3, decay_shape="sqrt"),
        "one_cycle": lrsched.one_cycle(1.0, n),
        "warmup_linear": lrsched.warmup_linear(0.5, n, n // 10, start=0.01),
    }


@pytest.mark.parametrize("name", ["warmup_cosine", "wsd", "warmup_linear"])
@pytest.mark.parametrize("start", [0, 12_345])
def test_few_piece_dense_program_is_one_loop_without_sine_or_concatenate(name, start):
    from lrsched._backend import JX
    from lrsched._tables import dense

    n = 10**6
    s = _few_piece_schedules(n)[name]
    text = jax.jit(lambda k0: dense(s, k0, n, JX, None)).lower(jnp.int32(start)).as_text()
    for op in ("concatenate", "sine", "cosine", "dynamic_update_slice"):
        assert f"stablehlo.{op}" not in text, (name, op)


def _one_cycle_f64(k, peak, total, pct=0.3, div=25.0, final_div=1e4):
    # torch's OneCycleLR (cosine anneal, two phases) from its definition
    k = k.astype(np.float64)
    up_end = float(pct * total) - 1
    down_end = float(total) - 1
    lo, hi, fin = peak / div, peak, peak / div / final_div
    t_up = np.clip(k / up_end, 0, 1)
    t_dn = np.clip((k - up_end) / (down_end - up_end), 0, 1)
    up = hi + (lo - hi) / 2 * (np.cos(np.pi * t_up) + 1)
    dn = fin + (hi - fin) / 2 * (np.cos(np.pi * t_dn) + 1)
    return np.where(k <= up_end, up, dn)


@pytest.mark.parametrize("n", [10**6, 10**7])
def test_float32_accuracy_of_few_piece_schedules_against_float64(n):
    k = np.arange(n)
    refs = {
        "warmup_cosine": _warmup_cosine_f64(k, 1.0, n, n // 20, 1e-3),
        "one_cycle": _one_cycle_f64(k, 1.0, n),
    }
    for name, ref in refs.items():
        got = np.asarray(lrsched.evaluate(_few_piece_schedules(n)[name], n, dtype=np.float32), dtype=np.float64)
        mask = ref > 0
        assert np.max(np.abs(got[mask] - ref[mask]) / ref[mask]) <= 1e-6, name
        assert got[0] == np.float32(ref[0]), name
        assert got[-1] == np.float32(ref[-1]) or name == "one_cycle", name


@pytest.mark.parametrize("name", ["warmup_cosine", "wsd", "one_cycle", "warmup_linear"])
@pytest.mark.parametrize("start", [0, 999, 2**31 - 5000])
def test_few_piece_dense_matches_pointwise(name, start):
    n = 4096
    total = start + 3 * n if start < 2**31 - 5000 else 2**31 - 1
    s = _few_piece_schedules(total)[name]
    dense_values = np.asarray(lrsched.evaluate(s, n, start=start), dtype=np.float64)
    exact = np.array([s(int(k)) for k in range(start, start + n)])
    assert np.max(np.abs(dense_values - exact) / np.maximum(np.abs(exact), 1e-30)) <= 1e-6


@pytest.mark.parametrize("x64", [False, True])
def test_quarter_sine_polynomial_against_math_sin(x64):
    from lrsched._quarter_sine import _sin_quarter

    with jax.enable_x64(x64):
        dt = jnp.float64 if x64 else jnp.float32
        xs = np.concatenate([np.linspace(0.0, np.pi / 2, 10_001), np.geomspace(1e-30, 1e-2, 500)])
        xs = np.asarray(xs, dtype=dt).astype(np.float64)  # the arguments exactly as the dtype holds them
        got = np.asarray(jax.jit(_sin_quarter)(jnp.asarray(xs, dtype=dt)), dtype=np.float64)
        want = np.array([math.sin(x) for x in xs])
        rel = np.abs(got - want) / np.maximum(want, 1e-300)
        assert got[0] == 0.0
        assert np.max(rel[1:]) <= (4e-16 if x64 else 3e-7)
        top = jax.jit(_sin_quarter)(jnp.asarray(math.pi / 2, dtype=dt) * jnp.ones(3, dtype=dt))
        assert np.all(np.asarray(top) == 1.0)  # a cosine ramp ends exactly at its end value


@pytest.mark.parametrize("x64", [False, True])
def test_eighth_sine_polynomial_against_math_sin(x64):
    from lrsched._quarter_sine import _sin_eighth

    with jax.enable_x64(x64):
        dt = jnp.float64 if x64 else jnp.float32
        xs = np.concatenate([np.linspace(0.0, np.pi / 4, 10_001), np.geomspace(1e-30, 1e-2, 500)])
        xs = np.asarray(xs, dtype=dt).astype(np.float64)
        got = np.asarray(jax.jit(_sin_eighth)(jnp.asarray(xs, dtype=dt)), dtype=np.float64)
        want = np.array([math.sin(x) for x in xs])
        rel = np.abs(got - want) / np.maximum(want, 1e-300)
        assert got[0] == 0.0
        assert np.max(rel[1:]) <= (3e-16 if x64 else 2e-7)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 999, 2**24 + 1, 2**31 - 1])
def test_dense_cosine_weights_are_exact_at_the_ends_and_accurate(n):
    """The one-sine weights with the one-loop path's polynomial of the smaller fraction (whose
    square its cosine value reads): 1 and 0 exactly at both ends, and each weight within a few
    float32 ulps of its float64 value."""
    from lrsched._backend import cosine_weights_of
    from lrsched._quarter_sine import _sin_eighth

    weights = cosine_weights_of(_sin_eighth, jnp.minimum, jnp.where).__func__

    m = np.unique(np.concatenate([np.arange(min(n, 50) + 1), n - np.arange(min(n, 50) + 1), np.linspace(0, n, 999)]))
    m = m.astype(np.int64)
    ws, we = jax.jit(lambda m: weights(n - m, m, n))(jnp.asarray(m, dtype=jnp.int32))
    ws, we = np.asarray(ws, dtype=np.float64), np.asarray(we, dtype=np.float64)
    assert (ws[0], we[0], ws[-1], we[-1]) == (1.0, 0.0, 0.0, 1.0)
    for got, want in ((ws, np.sin(np.pi / 2 * (n - m) / n) ** 2), (we, np.sin(np.pi / 2 * m / n) ** 2)):
        inside = want > 0
        # the square doubles the fraction's error: float32 holds counts past 2**24 to 24 bits
        assert np.max(np.abs(got[inside] - want[inside]) / want[inside]) <= 6e-7


@pytest.mark.parametrize("n", [1, 2, 3, 10, 999, 2**24 + 1, 2**31 - 1])
@pytest.mark.parametrize(("a", "b"), [(1.0, 0.0), (0.0, 1.0), (3e-4, 1e-6), (-2.0, 0.5)])
def test_dense_cosine_value_is_exact_at_the_ends_and_accurate(n, a, b):
    """The one-loop path's cosine value, the nearer end plus its difference times the smaller
    weight: exactly ``a`` and ``b`` at the ends, and within a few float32 ulps of the float64
    formula relative to the value itself near either end (no cancellation), or to ``|a| + |b|``."""
    from lrsched._quarter_sine import QUARTER_SINE

    m = np.unique(np.concatenate([np.arange(min(n, 50) + 1), n - np.arange(min(n, 50) + 1), np.linspace(0, n, 999)]))
    m = m.astype(np.int64)
    fa, fb = np.float32(a), np.float32(b)
    got = jax.jit(lambda m: QUARTER_SINE.cosine_value(fa, fb, n - m, m, n))(jnp.asarray(m, dtype=jnp.int32))
    got = np.asarray(got, dtype=np.float64)
    assert (got[0], got[-1]) == (float(fa), float(fb))
    # float64 weights of the sines of both fractions (0.5 * (1 + cos) cancels near the end even there)
    want = float(fa) * np.sin(np.pi / 2 * (n - m) / n) ** 2 + float(fb) * np.sin(np.pi / 2 * m / n) ** 2
    if a * b >= 0:  # one sign: relative to the value, down to the end value 0 itself
        inside = want != 0
        err = np.abs(got - want)[inside] / np.abs(want[inside])
    else:
        err = np.abs(got - want) / (abs(a) + abs(b))
    # the square doubles the fraction's error: float32 holds counts past 2**24 to 24 bits
    assert err.max() <= 6e-7, err.max()


def test_evaluate_a_join_of_ten_thousand_mixed_pieces():
    # alternating cosine / linear pieces of varied lengths form no runs of like ramps: evaluate
    # takes them pointwise (one searchsorted, one gather from the packed values), so the program
    # does not grow with the pieces (one sub-program per piece ran XLA's compiler out of memory)
    rng = np.random.default_rng(0)
    pieces, bounds, b = [], [], 0
    for i in range(10_000):
        n = int(rng.integers(5, 50))
        pieces.append(lrsched.cosine(1.0, 0.1, n) if i % 2 else lrsched.linear(0.5, 0.2, n))
        b += n
        bounds.append(b)
    s = lrsched.join(pieces, bounds[:-1])
    total = bounds[-1] + 100
    v = np.asarray(lrsched.evaluate(s, total))
    ks = np.unique(np.concatenate([rng.integers(0, total, 2000), np.asarray(bounds[:500]), [0, total - 1]]))
    want = np.array([s(int(k)) for k in ks])  # the Python path, plain float64 arithmetic
    np.testing.assert_allclose(v[ks], want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("p", [10_000, 100_000])
def test_evaluate_and_call_a_join_of_many_mixed_pieces_give_the_formula(p):
    """Past MAX_PACKED values, evaluate compiles the values as constants with a traced start (one
    scalar argument per value took 13 s to trace and 9 s to compile at 100,000 pieces); the
    values are the pieces' own formulas, in float64 here."""
    rng = np.random.default_rng(p)
    lens = rng.integers(1, 50, size=p)
    s = lrsched.join(
        [lrsched.cosine(1.0, 0.1, int(n)) if i % 2 else lrsched.linear(0.5, 0.2, int(n)) for i, n in enumerate(lens)],
        np.cumsum(lens)[:-1].tolist(),
    )
    total = int(lens.sum()) + 50
    ks = np.unique(np.concatenate([rng.integers(0, total, 3000), np.cumsum(lens)[:300], [0, total - 1]]))
    starts = np.concatenate([[0], np.cumsum(lens)])
    i = np.minimum(np.searchsorted(starts, ks, side="right") - 1, p - 1)
    n = lens[i].astype(np.float64)
    done = np.minimum(ks - starts[i], n) / n
    want = np.where(i % 2 == 1, 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * done)), 0.5 + (0.2 - 0.5) * done)
    np.testing.assert_allclose(np.asarray(lrsched.evaluate(s, total))[ks], want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(s(jnp.asarray(ks))), want, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(
        lrsched.evaluate(s, 40, start=int(ks[5]), backend="numpy"), s(np.arange(ks[5], ks[5] + 40)), rtol=1e-15
    )


def test_a_repeated_call_reuses_its_arguments_on_the_device_and_a_traced_call_does_not_keep_them():
    # the packed values and the start are put on the device once, at the top level; a call inside
    # a trace keeps nothing traced that a later call would find
    s = lrsched.warmup_cosine(1.0, 5000, 100)
    top = np.asarray(lrsched.evaluate(s, 3000, start=7))
    (_, arg, start), *_ = s._calls.values()
    assert isinstance(arg, jax.Array) and isinstance(start, jax.Array)
    inside = jax.jit(lambda x: lrsched.evaluate(s, 3000, start=7) + x)(0.0)
    np.testing.assert_array_equal(np.asarray(inside), top)
    t = lrsched.warmup_cosine(2.0, 5000, 100)
    traced = jax.jit(lambda x: lrsched.evaluate(t, 3000, start=7) * x)(1.0)
    assert all(
        isinstance(a, (jax.Array, np.ndarray)) and not isinstance(a, jax.core.Tracer) for _, a, _ in t._calls.values()
    )
    np.testing.assert_array_equal(np.asarray(lrsched.evaluate(t, 3000, start=7)), np.asarray(traced))
    np.testing.assert_array_equal(np.asarray(lrsched.evaluate(s, 3000, start=7)), top)
