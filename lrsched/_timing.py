"""Timing for the demo and the benchmark suite: warm-up calls, median of repeats, JAX results
waited for, and a short formatted time."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping


def sync(x):
    """``x`` once it is computed: JAX dispatches asynchronously, so a timer must wait for it."""
    wait = getattr(x, "block_until_ready", None)
    if wait is not None:
        wait()
    return x


def compare(fns: Mapping[str, Callable], *, repeat: int = 7, warmup: int = 1, number: int = 1) -> dict[str, float]:
    """Median seconds per call of each function (``number`` calls per sample, ``repeat`` samples),
    after ``warmup`` calls of each.

    The functions are sampled round-robin, so they share the machine's conditions (cache, memory,
    other load) and their ratios within one run are fair even when the absolute times drift.
    """
    if repeat < 1 or number < 1 or warmup < 0:
        raise ValueError(
            f"repeat={repeat}, number={number}, warmup={warmup}: need repeat >= 1, number >= 1, warmup >= 0"
        )
    for f in fns.values():
        for _ in range(warmup):
            sync(f())
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t = time.perf_counter()
            for _ in range(number):
                r = f()
            sync(r)
            samples[k].append((time.perf_counter() - t) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


def timeit(f: Callable, *, repeat: int = 5, warmup: int = 1, number: int = 1) -> float:
    """Median seconds per call of ``f``; see :func:`compare`."""
    return compare({"f": f}, repeat=repeat, warmup=warmup, number=number)["f"]


def once(f: Callable) -> float:
    """Seconds for one call of ``f``, its result waited for (a compile, a first run)."""
    t = time.perf_counter()
    sync(f())
    return time.perf_counter() - t


def fmt_time(t: float | None) -> str:
    """``0.00123`` -> ``"1.23 ms"`` (three significant digits, s down to ns); ``None`` -> ``"-"``.

    >>> fmt_time(0.00123), fmt_time(2.5), fmt_time(7e-7), fmt_time(None)
    ('1.23 ms', '2.5 s', '700 ns', '-')
    """
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e3), ("µs", 1e6)):
        if t * scale >= 1:
            return f"{t * scale:.3g} {unit}"
    return f"{t * 1e9:.3g} ns"
