"""The benchmark suite: lrsched against its peers, measured in one process, reported as ratios.

Run it with ``python -m benchmarks`` or ``lrsched bench``. Every figure is the median of several
runs after a warm-up; JAX results are waited for with ``block_until_ready``; compile time is
measured separately from run time. Results go to ``benchmarks/results/<machine>.json`` and a
markdown table beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable


def _sync(x):
    if hasattr(x, "block_until_ready"):
        x.block_until_ready()
    return x


def timeit(f: Callable, *, repeat: int = 5, warmup: int = 1, number: int = 1) -> float:
    """Median seconds per call of ``f`` (``number`` calls per sample) after ``warmup`` calls."""
    for _ in range(warmup):
        _sync(f())
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            r = f()
        _sync(r)
        samples.append((time.perf_counter() - t) / number)
    return statistics.median(samples)


def compare(fns: dict, *, repeat: int = 7, number: int = 1) -> dict:
    """Median seconds per call of each function, sampled round-robin after one warm-up call each.

    Interleaving the competitors puts them under the same machine conditions (cache, memory,
    other load), so the ratios within one run are fair even when the absolute times drift.
    """
    for f in fns.values():
        _sync(f())
    samples: dict = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t = time.perf_counter()
            for _ in range(number):
                r = f()
            _sync(r)
            samples[k].append((time.perf_counter() - t) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


def machine_name() -> str:
    import jax

    dev = jax.devices()[0]
    kind = dev.platform if dev.platform != "gpu" else dev.device_kind.replace(" ", "-")
    return f"{kind}-{platform.machine()}-{os.cpu_count()}cpu".lower()


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.enabled = total, 0, enabled

    def step(self, label: str):
        self.done += 1
        if self.enabled:
            width = 30
            fill = int(width * self.done / self.total)
            sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} {label[:40]:<40}")
            sys.stderr.flush()
            if self.done == self.total:
                sys.stderr.write("\n")


# --------------------------------------------------------------------------------------------
# the measurements
# --------------------------------------------------------------------------------------------
def _wc_args(n):
    warm = max(1, n // 100)
    return 1.0, n, warm, 1e-3  # peak, total, warmup, end


def _numpy_formula(n, dtype="float64"):
    import numpy as np

    peak, total, warm, end = _wc_args(n)
    k = np.arange(n, dtype=dtype)
    up = peak * k / warm
    t = np.clip((k - warm) / (total - warm), 0.0, 1.0)
    down = end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * t))
    return np.where(k < warm, up, down)


def bench_dense(sizes, rows, progress):
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched

    for n in sizes:
        peak, total, warm, end = _wc_args(n)
        s = lrsched.warmup_cosine(peak, total, warm, end=end)
        o = jax.jit(optax.warmup_cosine_decay_schedule(0.0, peak, warm, total, end))
        steps = jnp.arange(n)
        buf = jnp.zeros(n, jnp.result_type(float))
        copy = jax.jit(lambda x: x + 0)
        t = compare(
            {
                "ls": lambda s=s, n=n: lrsched.evaluate(s, n),
                "lsnp": lambda s=s, n=n: lrsched.evaluate(s, n, backend="numpy"),
                "ox": lambda o=o, steps=steps: o(steps),
                "np": lambda n=n: _numpy_formula(n),
                "floor": lambda copy=copy, buf=buf: copy(buf),
            },
            repeat=9 if n <= 10**7 else 3,
        )
        t_ls, t_lsnp, t_ox, t_np, t_floor = t["ls"], t["lsnp"], t["ox"], t["np"], t["floor"]
        t_torch = _torch_loop_time(peak, total, warm, end)
        for name, t, peer in [
            ("lrsched.evaluate (jax)", t_ls, None),
            ("lrsched.evaluate (numpy)", t_lsnp, None),
            ("optax, jit over jnp.arange", t_ox, "optax"),
            ("NumPy formula", t_np, "numpy"),
            ("torch SequentialLR loop (extrapolated)", None if t_torch is None else t_torch * n, "torch"),
            ("memory copy floor", t_floor, "floor"),
        ]:
            rows.append(
                {
                    "group": "dense warmup+cosine",
                    "n": n,
                    "name": name,
                    "seconds": t,
                    "peer": peer,
                    "ratio": None if t is None or peer is None else t / t_ls,
                }
            )
        progress.step(f"dense {n:.0e}")


def _torch_loop_time(peak, total, warm, end, probe=100_000):
    try:
        import torch
    except ImportError:
        return None
    import warnings

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=peak)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = torch.optim.lr_scheduler.SequentialLR(
            opt,
            [
                torch.optim.lr_scheduler.LinearLR(opt, 1e-8, 1.0, total_iters=warm),
                torch.optim.lr_scheduler.CosineAnnealingLR(opt, total - warm, eta_min=end),
            ],
            milestones=[warm],
        )
        steps = min(probe, total)
        t = time.perf_counter()
        for _ in range(steps):
            opt.step()
            sched.step()
        return (time.perf_counter() - t) / steps


def bench_pieces(rows, progress, n=10**6, counts=(1, 10, 100, 1000)):
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched

    steps = jnp.arange(n)
    base = None
    for p in counts:
        length = n // p
        s = lrsched.join([lrsched.cosine(1.0, 0.0, length)] * p, [length * i for i in range(1, p)])
        t0 = time.perf_counter()
        _sync(lrsched.evaluate(s, n))
        c_ls = time.perf_counter() - t0

        o = jax.jit(
            optax.join_schedules([optax.cosine_decay_schedule(1.0, length)] * p, [length * i for i in range(1, p)])
        )
        t0 = time.perf_counter()
        _sync(o(steps))
        c_ox = time.perf_counter() - t0
        t = compare({"ls": lambda s=s: lrsched.evaluate(s, n), "ox": lambda o=o: o(steps)}, repeat=5)
        t_ls, t_ox = t["ls"], t["ox"]
        base = base or t_ls
        rows.append(
            {
                "group": "join pieces",
                "n": p,
                "name": "lrsched.evaluate",
                "seconds": t_ls,
                "peer": None,
                "ratio": t_ls / base,
                "compile_seconds": c_ls,
            }
        )
        rows.append(
            {
                "group": "join pieces",
                "n": p,
                "name": "optax.join_schedules (jit)",
                "seconds": t_ox,
                "peer": "optax",
                "ratio": t_ox / t_ls,
                "compile_seconds": c_ox,
            }
        )
        progress.step(f"join of {p}")


def bench_latency(rows, progress):
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched

    s = lrsched.warmup_cosine(1.0, 10_000, 100)
    j = lrsched.join([lrsched.cosine(1.0, 0.0, 100)] * 100, [100 * i for i in range(1, 100)])
    o = optax.warmup_cosine_decay_schedule(0.0, 1.0, 100, 10_000)
    oj = jax.jit(o)
    oj100 = jax.jit(
        optax.join_schedules([optax.cosine_decay_schedule(1.0, 100)] * 100, [100 * i for i in range(1, 100)])
    )
    t_s = timeit(lambda: s(5_000), number=10_000)
    t_j = timeit(lambda: j(5_050), number=10_000)
    t_oe = timeit(lambda: float(o(5_000)), number=20)
    t_oj = timeit(lambda: float(oj(5_000)), number=2_000)
    t_oj100 = timeit(lambda: float(oj100(5_050)), number=2_000)
    t_oe100 = timeit(
        lambda: float(
            optax.join_schedules([optax.cosine_decay_schedule(1.0, 100)] * 100, [100 * i for i in range(1, 100)])(5_050)
        ),
        number=3,
    )
    for name, t, peer, base in [
        ("lrsched warmup+cosine, Python int", t_s, None, t_s),
        ("optax warmup+cosine, eager", t_oe, "optax", t_s),
        ("optax warmup+cosine, jit", t_oj, "optax", t_s),
        ("lrsched 100-piece join, Python int", t_j, None, t_j),
        ("optax 100-piece join, eager", t_oe100, "optax", t_j),
        ("optax 100-piece join, jit", t_oj100, "optax", t_j),
    ]:
        rows.append(
            {
                "group": "python-int call",
                "n": 1,
                "name": name,
                "seconds": t,
                "peer": peer,
                "ratio": None if peer is None else t / base,
            }
        )
    del jnp
    progress.step("latency")


def bench_adapter(rows, progress):
    import warnings

    try:
        import torch
    except ImportError:
        progress.step("adapter (no torch)")
        return
    import lrsched

    try:
        from lrsched.torch import ScheduleLR
    except ImportError:
        progress.step("adapter (missing)")
        return

    def make(kind):
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=1.0)
        if kind == "torch":
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10**9)
        return ScheduleLR(opt, lrsched.cosine(1.0, 0.0, 10**9))

    with warnings.catch_warnings():  # torch warns when its scheduler steps with no optimizer.step()
        warnings.simplefilter("ignore")
        t = compare({"torch": make("torch").step, "lrsched": make("lrsched").step}, number=20_000)
    t_t, t_l = t["torch"], t["lrsched"]
    rows.append(
        {
            "group": "torch step",
            "n": 1,
            "name": "lrsched ScheduleLR.step()",
            "seconds": t_l,
            "peer": None,
            "ratio": None,
        }
    )
    rows.append(
        {
            "group": "torch step",
            "n": 1,
            "name": "torch CosineAnnealingLR.step()",
            "seconds": t_t,
            "peer": "torch",
            "ratio": t_t / t_l,
        }
    )
    progress.step("torch adapter")


def bench_compile(rows, progress):
    import jax

    import lrsched

    def nested(depth):
        s = lrsched.cosine(1.0, 0.0, 1000)
        for _ in range(depth):
            s = lrsched.warmup(lrsched.clip(s * 0.9, min=1e-4), 10)
        return s

    for depth in (1, 4, 16):
        s = nested(depth)
        jax.clear_caches()
        t0 = time.perf_counter()
        _sync(lrsched.evaluate(s, 100_000))
        rows.append(
            {
                "group": "compile",
                "n": depth,
                "name": "nesting depth",
                "seconds": time.perf_counter() - t0,
                "peer": None,
                "ratio": None,
            }
        )
    for p in (10, 100, 1000):
        s = lrsched.join([lrsched.cosine(1.0, 0.0, 100)] * p, [100 * i for i in range(1, p)])
        jax.clear_caches()
        t0 = time.perf_counter()
        _sync(lrsched.evaluate(s, 100 * p))
        rows.append(
            {
                "group": "compile",
                "n": p,
                "name": "join pieces",
                "seconds": time.perf_counter() - t0,
                "peer": None,
                "ratio": None,
            }
        )
    progress.step("compile")


def bench_sweep(rows, progress, batch=1024, n=10**5, loop_probe=16):
    import jax
    import jax.numpy as jnp
    import optax

    import lrsched

    peaks = [1e-4 * (1.01**i) for i in range(batch)]
    b = lrsched.stack([lrsched.warmup_cosine(p, n, n // 100) for p in peaks])
    t_b = timeit(lambda: lrsched.evaluate(b, n), repeat=3)
    steps = jnp.arange(n)

    def loop(m):
        out = []
        for p in peaks[:m]:
            out.append(jax.jit(optax.warmup_cosine_decay_schedule(0.0, p, n // 100, n))(steps))
        return _sync(jnp.stack(out))

    t_l = timeit(lambda: loop(loop_probe), repeat=3, warmup=0) * batch / loop_probe
    rows.append(
        {"group": "sweep", "n": batch, "name": "lrsched.stack + evaluate", "seconds": t_b, "peer": None, "ratio": None}
    )
    rows.append(
        {
            "group": "sweep",
            "n": batch,
            "name": "optax, Python loop (extrapolated)",
            "seconds": t_l,
            "peer": "optax",
            "ratio": t_l / t_b,
        }
    )
    progress.step("sweep")


def bench_accuracy(rows, progress, n=10**7):
    import jax
    import numpy as np
    import optax

    import lrsched

    peak, total, warm, end = _wc_args(n)
    ref = _numpy_formula(n)
    s = lrsched.warmup_cosine(peak, total, warm, end=end)
    x = np.asarray(lrsched.evaluate(s, n, dtype="float32"), dtype=np.float64)
    o = np.asarray(
        jax.jit(optax.warmup_cosine_decay_schedule(0.0, peak, warm, total, end))(jax.numpy.arange(n)), dtype=np.float64
    )
    mask = ref > 0
    e_ls = float(np.max(np.abs(x[mask] - ref[mask]) / ref[mask]))
    e_ox = float(np.max(np.abs(o[mask] - ref[mask]) / ref[mask]))
    rows.append(
        {
            "group": "float32 accuracy",
            "n": n,
            "name": "lrsched max rel. error",
            "seconds": None,
            "peer": None,
            "ratio": None,
            "error": e_ls,
        }
    )
    rows.append(
        {
            "group": "float32 accuracy",
            "n": n,
            "name": "optax max rel. error",
            "seconds": None,
            "peer": "optax",
            "ratio": e_ox / e_ls,
            "error": e_ox,
        }
    )
    progress.step("accuracy")


# --------------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------------
def _fmt_t(t):
    if t is None:
        return "-"
    for unit, f in (("s", 1), ("ms", 1e3), ("µs", 1e6), ("ns", 1e9)):
        if t * f >= 1:
            return f"{t * f:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"


def markdown(result: dict) -> str:
    lines = [
        f"# lrsched benchmarks: {result['machine']}",
        "",
        f"{result['description']}",
        "",
        "| group | n | what | time | ratio (peer / lrsched) |",
        "|---|---|---|---|---|",
    ]
    for r in result["results"]:
        t = f"{r['error']:.2e} rel. err." if "error" in r else _fmt_t(r["seconds"])
        if "compile_seconds" in r:
            t += f" (compile {_fmt_t(r['compile_seconds'])})"
        ratio = "-" if r.get("ratio") is None else f"{r['ratio']:.2f}x"
        n = r["n"] if r["n"] < 1000 else f"{r['n']:.0e}"
        lines.append(f"| {r['group']} | {n} | {r['name']} | {t} | {ratio} |")
    return "\n".join(lines) + "\n"


def plot_dense(result: dict, path: str) -> bool:
    """Time versus steps for the dense warmup+cosine group, log-log; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series: dict[str, list] = {}
    for r in result["results"]:
        if r["group"] == "dense warmup+cosine" and r["seconds"] is not None:
            series.setdefault(r["name"], []).append((r["n"], r["seconds"]))
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, pts in series.items():
        pts.sort()
        style = "k--" if "floor" in name else ("-o" if "lrsched" in name else "-s")
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=name, lw=2 if "lrsched" in name else 1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("steps")
    ax.set_ylabel("seconds (median)")
    ax.set_title(f"dense warmup+cosine, {result['machine']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def run(*, quick=False, full=False, progress=True, only=None) -> dict:
    import jax
    import numpy as np

    sizes = [10**5, 10**6] if quick else [10**5, 10**6, 10**7] + ([10**8] if full else [])
    tasks = {
        "dense": lambda rows, p: bench_dense(sizes, rows, p),
        "pieces": lambda rows, p: bench_pieces(
            rows, p, n=10**5 if quick else 10**6, counts=(1, 10, 100) if quick else (1, 10, 100, 1000)
        ),
        "latency": bench_latency,
        "adapter": bench_adapter,
        "compile": bench_compile,
        "sweep": lambda rows, p: bench_sweep(
            rows, p, batch=64 if quick else 1024, n=10**4 if quick else 10**5, loop_probe=4 if quick else 16
        ),
        "accuracy": lambda rows, p: bench_accuracy(rows, p, n=10**6 if quick else 10**7),
    }
    if only:
        tasks = {k: v for k, v in tasks.items() if k in only}
    total = sum(len(sizes) if k == "dense" else 1 for k in tasks)
    prog = _Progress(total, progress)
    rows: list = []
    for f in tasks.values():
        f(rows, prog)
    dev = jax.devices()[0]
    return {
        "machine": machine_name(),
        "description": (
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, JAX {jax.__version__} on "
            f"{dev.platform} ({dev.device_kind}), NumPy {np.__version__}, python {platform.python_version()}"
        ),
        "results": rows,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="lrsched bench", description="Benchmark lrsched against its peers.")
    p.add_argument("--quick", action="store_true", help="smaller sizes (about a minute)")
    p.add_argument("--full", action="store_true", help="also dense evaluation at 1e8 steps")
    p.add_argument("--only", nargs="*", help="groups: dense pieces latency adapter compile sweep accuracy")
    p.add_argument("--out", default=None, help="results folder (default: benchmarks/results if present, else .)")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    result = run(quick=args.quick, full=args.full, progress=not args.no_progress, only=args.only)
    out = args.out or (os.path.join("benchmarks", "results") if os.path.isdir("benchmarks") else ".")
    os.makedirs(out, exist_ok=True)
    name = result["machine"] + ("-quick" if args.quick else "")
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(result, f, indent=1, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x)
    md = markdown(result)
    with open(os.path.join(out, name + ".md"), "w") as f:
        f.write(md)
    plot_dense(result, os.path.join(out, name + ".png"))
    print(md)
    return 0
