"""The benchmark suite: lrsched against its peers, measured in one process, reported as ratios.

Run it with ``python -m benchmarks`` or, from a checkout, ``lrsched bench``. One module per group
(:data:`GROUPS`), each with ``plan(quick, full)`` (the configurations to run) and ``run(**config)``
(a list of result rows). Every figure is the median of several runs after a warm-up, sampled
round-robin with its competitors (:mod:`lrsched._timing`); JAX results are waited for; compile
time is measured apart from run time. Results go to ``benchmarks/results/<machine>.json``, a
markdown table and a plot beside it (:mod:`benchmarks.report`).
"""

from __future__ import annotations

import argparse
import importlib
import os

GROUPS = ("dense", "shapes", "pieces", "latency", "adapter", "compile", "sweep", "accuracy", "train_step", "traced")


def group(name: str):
    """The module of one group."""
    return importlib.import_module(f"{__name__}.{name}")


def run(*, quick: bool = False, full: bool = False, progress: bool = True, only=None) -> dict:
    """Run the groups (all, or those named in ``only``); the result document."""
    from ._common import Progress, description, machine_name

    todo = [(name, cfg) for name in (only or GROUPS) for cfg in group(name).plan(quick, full)]
    bar = Progress(len(todo), progress)
    rows: list = []
    for name, cfg in todo:
        rows += group(name).run(**cfg)
        size = cfg.get("n")
        bar.step(name if size is None else f"{name} {size:.0e}")
    return {"machine": machine_name(), "description": description(), "results": rows}


def parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Benchmark lrsched against its peers.")
    p.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    p.add_argument("--full", action="store_true", help="also dense evaluation at 1e8 steps")
    p.add_argument("--only", nargs="+", choices=GROUPS, metavar="GROUP", help=f"groups: {' '.join(GROUPS)}")
    p.add_argument("--out", default=None, help="results folder (default: the results folder beside this suite)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return p


def main(argv=None, prog: str | None = None) -> int:
    args = parser(prog).parse_args(argv)
    from .report import write

    result = run(quick=args.quick, full=args.full, progress=not args.no_progress, only=args.only)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    name = result["machine"] + ("-quick" if args.quick else "")
    print(write(result, out, name))
    return 0
