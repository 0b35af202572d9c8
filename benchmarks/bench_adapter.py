"""The PyTorch adapter's per-step cost: ``ScheduleLR.step()`` against torch's own
``CosineAnnealingLR.step()``, in the same process.

    python benchmarks/bench_adapter.py [--steps N] [--repeats R] [--groups G]

Each timing is the median over ``R`` runs of ``N`` consecutive ``step()`` calls, after a
warm-up run; the optimizer is never stepped, so only the scheduler is measured. Besides a plain
cosine, the adapter is timed on a warmup + cosine (a join of two pieces, the common recipe) and
with a plateau attached.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR

import lrsched
from lrsched.torch import ScheduleLR


def _optimizer(groups):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)], lr=0.1)


def _time(make, steps, repeats):
    """Median seconds per ``step()`` call; a fresh scheduler for every run (so a long cosine
    never runs past its end), one warm-up run first."""
    runs = []
    for r in range(repeats + 1):
        sched = make()
        step = sched.step
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        dt = time.perf_counter() - t0
        if r:
            runs.append(dt / steps)
    return statistics.median(runs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--groups", type=int, default=1)
    args = ap.parse_args(argv)
    n, g = args.steps, args.groups
    total = 10 * n

    # torch warns when a scheduler steps before its optimizer ever did; that is the point here
    warnings.filterwarnings("ignore", message=".*lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`.*")

    cases = {
        "torch CosineAnnealingLR": lambda: CosineAnnealingLR(_optimizer(g), T_max=total),
        "ScheduleLR cosine": lambda: ScheduleLR(_optimizer(g), lrsched.cosine(0.1, 0.0, total)),
        "ScheduleLR warmup_cosine": lambda: ScheduleLR(_optimizer(g), lrsched.warmup_cosine(0.1, total, 1000)),
        "ScheduleLR cosine + plateau (no metric)": lambda: ScheduleLR(
            _optimizer(g), lrsched.cosine(0.1, 0.0, total), plateau=lrsched.Plateau()
        ),
    }
    times = {name: _time(make, n, args.repeats) for name, make in cases.items()}
    ref = times["torch CosineAnnealingLR"]

    print(
        f"{platform.python_implementation()} {platform.python_version()}, torch {torch.__version__}, "
        f"{platform.machine()}; {g} param group(s), median of {args.repeats} x {n} steps"
    )
    print(f"{'scheduler':42s} {'us/step':>9s} {'vs torch':>9s}")
    for name, t in times.items():
        print(f"{name:42s} {t * 1e6:9.3f} {t / ref:8.2f}x")


if __name__ == "__main__":
    main()
