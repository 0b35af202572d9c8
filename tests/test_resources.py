"""Time, memory and thread safety of the state lrsched keeps: the running product of
``compat.torch.multiplicative_lr`` and the caches behind ``lrsched.evaluate``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import tracemalloc

import numpy as np
import pytest

import lrsched
from lrsched.compat import torch as C


def wavy(k):
    return 1.0 + 1e-3 * math.sin(k)


def plain_products(f, n):
    """``1.0 * f(1) * ... * f(k)`` for k = 0 .. n, multiplied left to right."""
    out, p = [1.0], 1.0
    for k in range(1, n + 1):
        p = p * f(k)
        out.append(p)
    return out


def peak_bytes(call):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------------------------
# multiplicative_lr: a bounded running product
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("f", [wavy, lambda k: 0.999 if k % 7 else 0.95, lambda k: 1.0 + 1.0 / (k + 3)])
def test_running_product_is_bit_identical_to_a_plain_loop(f):
    n = 20_000  # several checkpoints of the default spacing
    expected = plain_products(f, n)
    s = C.multiplicative_lr(f)
    ks = np.random.default_rng(0).integers(0, n + 1, size=300)
    assert [s(int(k)) for k in ks] == [expected[k] for k in ks]  # out of order, scalar steps
    fresh = C.multiplicative_lr(f)
    got = fresh(ks)  # an array of steps, on a fresh instance
    assert got.dtype == np.float64 and got.tolist() == [expected[k] for k in ks]
    assert fresh(ks.reshape(30, 10)).tolist() == np.asarray(expected)[ks.reshape(30, 10)].tolist()
    assert s(np.arange(n, -1, -1)).tolist() == expected[::-1]


@pytest.mark.parametrize("every, keep", [(1, 2), (3, 4), (4, 8), (5, 7)])
def test_running_product_thinned_checkpoints_stay_exact_and_bounded(monkeypatch, every, keep):
    monkeypatch.setattr(C._RunningProduct, "_KEEP", keep)
    n = 3000
    expected = plain_products(wavy, n)
    r = C._RunningProduct(wavy, every=every)
    for stop in (17, 400, n):  # the furthest step grows in jumps, thinning the checkpoints many times
        assert r(stop) == expected[stop]
        assert len(r._marks) <= keep + 1
        assert r._marks == [expected[i * r._every] for i in range(len(r._marks))]
    ks = np.random.default_rng(every).integers(0, n + 1, size=500)
    assert [r(int(k)) for k in ks] == [expected[k] for k in ks]
    assert r(ks).tolist() == [expected[k] for k in ks]


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_running_product_is_bit_identical_to_torch(n):
    torch = pytest.importorskip("torch")
    from torch.optim import lr_scheduler as TL

    for f in (wavy, lambda k: 0.9 + 0.05 * (k % 3)):
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=1.0)
        sched = TL.MultiplicativeLR(opt, f)
        lrs = []
        for _ in range(n):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        s = C.multiplicative_lr(f)
        assert [s(k) for k in range(n)] == lrs
        assert C.multiplicative_lr(f)(np.arange(n)).tolist() == lrs


@pytest.mark.parametrize("k", [10**5, 10**6])
def test_running_product_memory_is_bounded(k):
    s = C.multiplicative_lr(lambda i: 0.9999999)
    assert peak_bytes(lambda: s(k)) < 2**20
    assert peak_bytes(lambda: s(np.array([k // 3, k - 1, 7]))) < 2**20
    assert s(k) == plain_products(lambda i: 0.9999999, k)[-1]


def test_running_product_evaluates_each_step_once_going_forward():
    calls = []

    def f(k):
        calls.append(k)
        return wavy(k)

    s = C.multiplicative_lr(f)
    s(np.array([9000, 5, 700, 5]))
    assert calls == list(range(1, 9001))
    for k in range(9001, 9100):  # the torch adapter's pattern: one new step per call
        s(k)
    assert calls == list(range(1, 9100))


def test_running_product_is_thread_safe():
    n, threads = 2_000, 8
    expected = plain_products(wavy, n)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(20):
            s = C.multiplicative_lr(wavy)
            steps = [list(range(t, n + 1, threads)) for t in range(threads)]
            errors: list = []

            def work(ks, s=s, errors=errors):
                got = [s(k) for k in ks]
                errors.extend(k for k, v in zip(ks, got, strict=True) if v != expected[k])

            pool = [threading.Thread(target=work, args=(ks,)) for ks in steps]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            assert not errors, f"trial {trial}: {len(errors)} wrong values, first at step {errors[0]}"
            assert s(np.arange(n + 1)).tolist() == expected
    finally:
        sys.setswitchinterval(old)


def test_schedule_lr_resumes_a_running_product_at_a_large_step():
    torch = pytest.importorskip("torch")
    from lrsched.torch import ScheduleLR

    f = lambda k: 0.9999995 if k % 5 else 0.9999998  # noqa: E731
    k0 = 10**6
    expected = plain_products(f, k0 + 3)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    s = C.multiplicative_lr(f)
    made = []
    assert peak_bytes(lambda: made.append(ScheduleLR(opt, s, last_step=k0 - 1))) < 2**20
    sched = made[0]
    assert opt.param_groups[0]["lr"] == expected[k0]
    for k in (k0 + 1, k0 + 2, k0 + 3):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] == expected[k]
    assert peak_bytes(lambda: sched.set_step(k0 - 12_345)) < 2**20
    assert opt.param_groups[0]["lr"] == expected[k0 - 12_345]


# --------------------------------------------------------------------------------------------
# evaluate: bounded caches, keyed on x64
# --------------------------------------------------------------------------------------------
def test_evaluate_keeps_at_most_maxsize_compiled_programs():
    from lrsched import _evaluate as E

    bound = E._PROGRAMS.maxsize
    for steps in range(100, 100 + bound + 40):  # more distinct structures than the bound
        s = lrsched.warmup_cosine(1.0, steps, 10)
        np.testing.assert_allclose(
            np.asarray(lrsched.evaluate(s, 50, start=steps - 25)),
            s(np.arange(steps - 25, steps + 25)),
            rtol=1e-5,
            atol=1e-7,
        )
        assert len(E._PROGRAMS) <= bound
    assert len(E._PROGRAMS) == bound


def test_evaluate_reuses_a_program_and_retraces_an_evicted_one(monkeypatch):
    from lrsched import _evaluate as E

    monkeypatch.setattr(E, "_PROGRAMS", E._Programs(maxsize=3))
    shapes = [lrsched.cosine(1.0, 0.0, n) for n in (3000, 3001, 3002, 3003)]
    for s in shapes[:3]:
        lrsched.evaluate(s, 2500)
    assert E._PROGRAMS.traces == 3
    lrsched.evaluate(shapes[0], 2500)  # kept: no new trace, and now the most recent
    assert E._PROGRAMS.traces == 3
    lrsched.evaluate(shapes[3], 2500)  # drops shapes[1], the least recently used
    assert E._PROGRAMS.traces == 4 and len(E._PROGRAMS) == 3
    lrsched.evaluate(shapes[0], 2500)
    assert E._PROGRAMS.traces == 4
    lrsched.evaluate(shapes[1], 2500)
    assert E._PROGRAMS.traces == 5 and len(E._PROGRAMS) == 3


_X64_SCRIPT = r"""
import json, jax, numpy as np
import lrsched
cases = {
    "exp_long": lrsched.ramp(1.0, 1e-3, 3 * 10**9, "exponential"),
    "cosine": lrsched.cosine(1.0, 0.0, 10**5),
    "exponential": lrsched.exponential(1.0, 0.5, 3 * 10**9),
    "join": lrsched.join([lrsched.cosine(1.0, 0.5, 4000), lrsched.ramp(0.5, 0.1, 3 * 10**9, "exponential")], [4000]),
}
out = {}
for flag in (False, True, False, True):
    jax.config.update("jax_enable_x64", flag)
    for name, s in cases.items():
        got = lrsched.evaluate(s, 5000, start=3)
        ref = s(np.arange(3, 5003))
        out.setdefault(name, []).append([str(got.dtype), float(np.max(np.abs(np.asarray(got, np.float64) - ref)))])
print(json.dumps(out))
"""


def test_evaluate_after_switching_x64_mid_process():
    r = subprocess.run([sys.executable, "-c", _X64_SCRIPT], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    for name, runs in res.items():
        assert [d for d, _ in runs] == ["float32", "float64", "float32", "float64"], name
        assert all(err < (1e-6 if d == "float32" else 1e-12) for d, err in runs), (name, runs)
