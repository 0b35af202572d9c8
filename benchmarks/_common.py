"""What the benchmark groups share: the machine's name, a progress bar, result rows, the
warmup + cosine every dense group measures, and its formula in NumPy."""

from __future__ import annotations

import os
import platform
import sys

ROW_KEYS = ("group", "n", "name", "seconds", "peer", "ratio")


def row(group: str, n: int, name: str, seconds: float | None, peer: str | None = None, ratio=None, **extra) -> dict:
    """One measurement: ``peer`` is who is measured (``None`` for lrsched), ``ratio`` peer time /
    lrsched time; ``extra`` holds fields such as ``compile_seconds`` or ``error``."""
    return {"group": group, "n": n, "name": name, "seconds": seconds, "peer": peer, "ratio": ratio, **extra}


def machine_name() -> str:
    import jax

    dev = jax.devices()[0]
    kind = dev.platform if dev.platform != "gpu" else dev.device_kind.replace(" ", "-")
    return f"{kind}-{platform.machine()}-{os.cpu_count()}cpu".lower()


def description() -> str:
    import jax
    import numpy as np

    dev = jax.devices()[0]
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, JAX {jax.__version__} on "
        f"{dev.platform} ({dev.device_kind}), NumPy {np.__version__}, python {platform.python_version()}"
    )


class Progress:
    """A one-line bar on stderr: ``[####......] 3/10 label``; silent when not enabled."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.done, self.enabled = max(1, total), 0, enabled

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            width = 30
            fill = min(width, int(width * self.done / self.total))
            sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} {label[:40]:<40}")
            sys.stderr.flush()
            if self.done >= self.total:
                sys.stderr.write("\n")


def wc_args(n: int):
    """(peak, total, warmup, end) of the warmup + cosine over ``n`` steps."""
    return 1.0, n, max(1, n // 100), 1e-3


def numpy_formula(n: int, dtype="float64"):
    """That warmup + cosine written directly in NumPy: what a user without a library would write."""
    import numpy as np

    peak, total, warm, end = wc_args(n)
    k = np.arange(n, dtype=dtype)
    up = peak * k / warm
    t = np.clip((k - warm) / (total - warm), 0.0, 1.0)
    down = end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * t))
    return np.where(k < warm, up, down)


def cosine_join(p: int, length: int):
    """A join of ``p`` cosines of ``length`` steps each, in lrsched and in optax."""
    import optax

    import lrsched

    bounds = [length * i for i in range(1, p)]
    return (
        lrsched.join([lrsched.cosine(1.0, 0.0, length)] * p, bounds),
        optax.join_schedules([optax.cosine_decay_schedule(1.0, length)] * p, bounds),
    )
